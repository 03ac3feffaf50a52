-- Spot-check callbacks (抽查回访, issue 19 item 1). Each day a reproducible random sample of
-- satisfied ratings that left a phone, and of cases closed that day, becomes one task here;
-- the centre calls the citizen and records whether the rating holds.
-- (kind, item_id) is unique: no item is ever checked twice, whatever day samples it.
-- `rating_id` is the rating whose phone is called (the case's own rating for a case).
CREATE TABLE spot_checks (
    id __PK__,
    day TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rating', 'case')),
    item_id BIGINT NOT NULL,
    rating_id BIGINT NOT NULL REFERENCES ratings(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    channel TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    assignee_id BIGINT REFERENCES admin_users(id),
    outcome TEXT CHECK (outcome IN ('confirmed', 'not_confirmed', 'unreachable')),
    reason TEXT CHECK (reason IN ('in_front_of_officer', 'asked_to_rate', 'other')),
    note TEXT NOT NULL DEFAULT '',
    done_at BIGINT,
    done_by BIGINT REFERENCES admin_users(id),
    UNIQUE (kind, item_id)
);
CREATE INDEX spot_checks_day ON spot_checks(day, unit_id);
CREATE INDEX spot_checks_open ON spot_checks(outcome, created_at);

-- One row per sampled day: sampling a day twice (the daily job on two instances, or the
-- command run again) does nothing the second time.
CREATE TABLE spot_check_days (
    day TEXT PRIMARY KEY,
    sampled_at BIGINT NOT NULL,
    tasks INTEGER NOT NULL
);

-- Phones on every level (the spot-check consent): an amendment to level 3-5 keeps the phone
-- it carries (none given: none kept), as apply_rating does; levels 1-2 as before.
DROP FUNCTION rating_batch(jsonb, bigint[], bigint, int, int, bigint, bigint, bigint, int, text);
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
            -- amended to satisfied keeps only a phone given with it (the spot-check
            -- consent), never the one left for a complaint's call back.
            IF it.level > 2 THEN
                UPDATE ratings SET level = it.level, reasons = it.reasons,
                    comment = it.comment, phone_enc = it.phone_enc,
                    phone_hash = it.phone_hash, phone_mask = it.phone_mask,
                    lang = it.lang, updated_at = p_now,
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
