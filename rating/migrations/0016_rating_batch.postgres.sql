-- A batch of ratings in one call (rating/store/pg_batch.py): `rating_batch` runs the rules
-- of logic.apply_rating for every rating of the batch, in order, inside the database, so a
-- batch costs one round trip instead of several per rating. It is the same unit of work,
-- written a second time: tests/store/test_pg_function.py runs scripted batches through it
-- and through logic.apply_rating and compares every row they write. What needs Python
-- stays there and comes in as arguments: the advisory lock ids (blake2b of the key), the
-- new ratings' ids and receipt codes (keyed BLAKE2b), the id a receipt decodes to, and the
-- case deadline for the batch's moment (the working-day calendar), with the signature of
-- the calendar it was computed from: a calendar changed since raises PJ001, and the
-- caller runs the batch one rating at a time through logic.apply_rating.

-- The calendar's contents as one value (small tables: holidays and years).
CREATE FUNCTION rating_calendar_sig() RETURNS text LANGUAGE sql STABLE AS $$
SELECT md5(
    coalesce((SELECT string_agg(cal_date || ':' || kind, ',' ORDER BY cal_date)
              FROM calendar_overrides), '')
    || '|' ||
    coalesce((SELECT string_agg(cal_year::text, ',' ORDER BY cal_year)
              FROM calendar_years), ''))
$$;

-- cases.audit.audit with no actor, and history.snapshot_case (CASE_FIELDS, in order).
CREATE FUNCTION rating_case_audit(
    p_now bigint, p_action text, p_case bigint, p_from text, p_to text, p_note text
) RETURNS void LANGUAGE sql AS $$
INSERT INTO audit_log (at, actor_id, actor_name, action, case_id, from_state, to_state,
    note, items)
VALUES (p_now, NULL, '系统', p_action, p_case, p_from, p_to, p_note, NULL);
INSERT INTO case_history (case_id, at, state, callback_due_at, callback_due_provisional,
    callback_at, callback_outcome, verified_at, verification, rectify_due_at,
    rectify_due_provisional, step_due_at, step_due_provisional, rectified_at, closed_at,
    fix_rating)
SELECT id, p_now, state, callback_due_at, callback_due_provisional, callback_at,
    callback_outcome, verified_at, verification, rectify_due_at, rectify_due_provisional,
    step_due_at, step_due_provisional, rectified_at, closed_at, fix_rating
FROM cases WHERE id = p_case;
$$;

-- cases.logic.on_rating (with _reopen), the deadline given.
CREATE FUNCTION rating_case_on_rating(
    p_rating bigint, p_level int, p_now bigint, p_due bigint, p_prov int
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c record;
    v_found boolean;
    v_unit bigint;
    v_officer bigint;
    v_case bigint;
BEGIN
    SELECT id, state, callback_at, verification INTO c FROM cases WHERE rating_id = p_rating;
    v_found := FOUND;
    IF p_level > 2 THEN
        IF v_found AND c.state = 'open' AND c.callback_at IS NULL THEN
            UPDATE cases SET state = 'closed', closed_at = p_now, updated_at = p_now
            WHERE id = c.id;
            PERFORM rating_case_audit(p_now, 'auto_close', c.id, 'open', 'closed',
                '群众将评价改为 ' || p_level || ' 级');
        END IF;
        RETURN;
    END IF;
    IF v_found THEN
        IF c.state = 'closed' AND c.callback_at IS NULL AND c.verification IS NULL THEN
            UPDATE cases SET state = 'open', closed_at = NULL, rectified_at = NULL,
                verification = NULL, verified_at = NULL, callback_at = NULL,
                callback_outcome = NULL, rectify_started_at = NULL, rectify_due_at = NULL,
                rectify_due_provisional = 0, fix_rating = NULL, fix_rated_at = NULL,
                step_due_at = NULL, step_due_provisional = 0, callback_due_at = p_due,
                callback_due_provisional = p_prov, reopen_count = reopen_count + 1,
                updated_at = p_now
            WHERE id = c.id;
            UPDATE ratings SET invalidated = NULL
            WHERE id = (SELECT rating_id FROM cases WHERE id = c.id);
            PERFORM rating_case_audit(p_now, 'reopen', c.id, 'closed', 'open',
                '群众将评价改为 ' || p_level || ' 级');
        END IF;
        RETURN;
    END IF;
    SELECT unit_id, officer_id INTO v_unit, v_officer FROM ratings WHERE id = p_rating;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO cases (rating_id, unit_id, officer_id, state, opened_at, callback_due_at,
        callback_due_provisional, notify_next_at, updated_at)
    VALUES (p_rating, v_unit, v_officer, 'open', p_now, p_due, p_prov, p_now, p_now)
    ON CONFLICT (rating_id) DO NOTHING RETURNING id INTO v_case;
    IF v_case IS NOT NULL THEN
        PERFORM rating_case_audit(p_now, 'open', v_case, NULL, 'open',
            '评价 ' || p_level || ' 级');
    END IF;
END
$$;

-- logic.apply_rating for each item of `p_items` (a JSON array, in batch order), after
-- taking the batch's device locks in a fixed order. One row per item: (o_i, outcome,
-- receipt, rating id, limited_by), with logic.Outcome's values.
CREATE FUNCTION rating_batch(
    p_items jsonb,
    p_locks bigint[],
    p_now bigint,
    p_device_per_hour int,
    p_network_per_hour int,
    p_amend_window_ms bigint,
    p_receipt_amend_ms bigint,
    p_due bigint,
    p_prov int,
    p_cal_sig text
) RETURNS TABLE (o_i int, o_outcome text, o_receipt text, o_id bigint, o_limited text)
LANGUAGE plpgsql AS $$
DECLARE
    it record;
    v_at bigint;
    v_since bigint;
    v_officer bigint;
    v_unit bigint;
    v_revoked bigint;
    v_status text;
    e_id bigint;
    e_receipt text;
    e_level int;
    e_reasons text;
    e_comment text;
    v_count bigint;
    v_hits bigint;
    v_cal_checked boolean := false;
BEGIN
    PERFORM count(pg_advisory_xact_lock(x)) FROM unnest(p_locks) AS x;
    FOR it IN
        SELECT * FROM jsonb_to_recordset(p_items) AS j(
            i int, token text, level int, channel text, reasons text, comment text,
            phone_enc text, phone_hash text, phone_mask text, device_hash text,
            network_hash text, receipt text, receipt_id bigint, idempotency_key text,
            lang text, at bigint, stamp text, fast int, new_id bigint, new_receipt text)
        ORDER BY j.i
    LOOP
        o_i := it.i;
        o_receipt := NULL;
        o_id := NULL;
        o_limited := NULL;
        IF it.idempotency_key IS NOT NULL THEN
            SELECT r.id, r.receipt INTO e_id, e_receipt FROM ratings r
            WHERE r.idempotency_key = it.idempotency_key;
            IF FOUND THEN
                o_outcome := 'replayed'; o_receipt := e_receipt; o_id := e_id;
                RETURN NEXT;
                CONTINUE;
            END IF;
        END IF;
        v_at := it.at;
        v_since := v_at - p_amend_window_ms;
        SELECT t.officer_id, t.revoked_at, o.unit_id, o.status
        INTO v_officer, v_revoked, v_unit, v_status
        FROM badge_tokens t JOIN officers o ON o.id = t.officer_id WHERE t.token = it.token;
        IF NOT FOUND THEN
            o_outcome := 'unknown_token'; RETURN NEXT; CONTINUE;
        END IF;
        IF v_revoked IS NOT NULL THEN
            o_outcome := 'revoked_token'; RETURN NEXT; CONTINUE;
        END IF;
        IF v_status <> 'active' THEN
            o_outcome := 'retired_officer'; RETURN NEXT; CONTINUE;
        END IF;
        e_id := NULL;
        IF it.stamp IS NOT NULL THEN
            SELECT r.id, r.receipt, r.level, r.reasons, r.comment
            INTO e_id, e_receipt, e_level, e_reasons, e_comment
            FROM ratings r WHERE r.stamp = it.stamp AND r.officer_id = v_officer;
        END IF;
        IF e_id IS NULL AND it.receipt IS NOT NULL THEN
            SELECT r.id, r.receipt, r.level, r.reasons, r.comment
            INTO e_id, e_receipt, e_level, e_reasons, e_comment
            FROM ratings r
            WHERE r.id IN (it.receipt_id,
                           (SELECT l.rating_id FROM legacy_receipts l
                            WHERE l.receipt = it.receipt))
              AND r.receipt = it.receipt AND r.officer_id = v_officer
              AND r.created_at >= v_at - p_receipt_amend_ms;
        END IF;
        IF e_id IS NULL AND it.device_hash IS NOT NULL THEN
            SELECT r.id, r.receipt, r.level, r.reasons, r.comment
            INTO e_id, e_receipt, e_level, e_reasons, e_comment
            FROM ratings r
            WHERE r.device_hash = it.device_hash AND r.created_at >= v_since
              AND r.officer_id = v_officer
            ORDER BY r.created_at DESC LIMIT 1;
        END IF;
        -- An amendment is not a new rating: the device limit neither counts nor refuses
        -- it; a request the device limit refuses is not counted toward the network limit.
        IF e_id IS NULL THEN
            v_count := 0;
            IF it.device_hash IS NOT NULL THEN
                SELECT count(*) INTO v_count FROM ratings r
                WHERE r.device_hash = it.device_hash AND r.created_at >= p_now - 3600000;
            END IF;
            IF v_count >= p_device_per_hour THEN
                o_outcome := 'rate_limited'; o_limited := 'device'; RETURN NEXT; CONTINUE;
            END IF;
        END IF;
        IF it.network_hash IS NOT NULL THEN
            INSERT INTO rate_limits AS rl (bucket, window_start, hits)
            VALUES ('n:' || it.network_hash, p_now - p_now % 3600000, 1)
            ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rl.hits + 1
            RETURNING rl.hits INTO v_hits;
            IF v_hits > p_network_per_hour THEN
                o_outcome := 'rate_limited'; o_limited := 'network'; RETURN NEXT; CONTINUE;
            END IF;
        END IF;
        IF e_id IS NOT NULL OR it.level <= 2 THEN
            IF NOT v_cal_checked THEN
                IF p_cal_sig IS DISTINCT FROM rating_calendar_sig() THEN
                    RAISE EXCEPTION 'the calendar changed' USING ERRCODE = 'PJ001';
                END IF;
                v_cal_checked := true;
            END IF;
        END IF;
        IF e_id IS NOT NULL THEN
            INSERT INTO rating_revisions (rating_id, level, reasons, comment, replaced_at)
            VALUES (e_id, e_level, e_reasons, e_comment, p_now);
            -- A details post without a phone keeps the one given before; a rating
            -- amended up to satisfied needs no call back, so its phone is dropped.
            IF it.level > 2 THEN
                UPDATE ratings SET level = it.level, reasons = it.reasons,
                    comment = it.comment, phone_enc = NULL, phone_hash = NULL,
                    phone_mask = NULL, lang = it.lang, updated_at = p_now,
                    amend_count = amend_count + 1
                WHERE id = e_id;
            ELSE
                UPDATE ratings SET level = it.level, reasons = it.reasons,
                    comment = it.comment, phone_enc = COALESCE(it.phone_enc, phone_enc),
                    phone_hash = COALESCE(it.phone_hash, phone_hash),
                    phone_mask = COALESCE(it.phone_mask, phone_mask), lang = it.lang,
                    updated_at = p_now, amend_count = amend_count + 1
                WHERE id = e_id;
            END IF;
            PERFORM rating_case_on_rating(e_id, it.level, p_now, p_due, p_prov);
            o_outcome := 'amended'; o_receipt := e_receipt; o_id := e_id;
            RETURN NEXT;
            CONTINUE;
        END IF;
        INSERT INTO ratings (id, receipt, officer_id, unit_id, token, channel, level,
            reasons, comment, phone_enc, phone_hash, phone_mask, device_hash, network_hash,
            idempotency_key, lang, created_at, updated_at, stamp, fast)
        SELECT it.new_id, it.new_receipt, v_officer, v_unit, it.token, it.channel, it.level,
            it.reasons, it.comment, it.phone_enc, it.phone_hash, it.phone_mask,
            it.device_hash, it.network_hash, it.idempotency_key, it.lang, v_at, p_now,
            it.stamp, it.fast
        WHERE NOT EXISTS (SELECT 1 FROM legacy_receipts l WHERE l.receipt = it.new_receipt);
        IF NOT FOUND THEN
            -- The code of a receipt issued before codes came from ids (about one chance
            -- in 2**60 per such receipt): the caller sends the batch again with this
            -- rating's next code (the variant logic.apply_rating would take).
            RAISE EXCEPTION 'receipt code taken' USING ERRCODE = 'PJ002', DETAIL = it.i;
        END IF;
        IF it.level <= 2 THEN
            PERFORM rating_case_on_rating(it.new_id, it.level, p_now, p_due, p_prov);
        END IF;
        o_outcome := 'created'; o_receipt := it.new_receipt; o_id := it.new_id;
        RETURN NEXT;
    END LOOP;
END
$$;
