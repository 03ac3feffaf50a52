-- The closed loop: admin accounts, sessions and API tokens; follow-up cases of bad ratings;
-- the audit log; the bureau's working-day calendar overrides. Times are epoch milliseconds
-- UTC (BIGINT); calendar days are ISO dates ('2027-02-06') in TEXT columns.

CREATE TABLE admin_users (
    id __PK__,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'unit_manager', 'viewer')),
    -- A unit manager (and optionally a viewer) sees only this unit's subtree.
    unit_id BIGINT REFERENCES units(id),
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    disabled SMALLINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Browser sessions: only a hash of the cookie value is stored.
CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES admin_users(id),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_user ON admin_sessions(user_id);
CREATE INDEX admin_sessions_expires ON admin_sessions(expires_at);

-- API tokens for scripts: shown once, stored as a hash.
CREATE TABLE api_tokens (
    id __PK__,
    user_id BIGINT NOT NULL REFERENCES admin_users(id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- A rating the case verified as mistaken or malicious (误评/恶意) stops counting as a
-- valid rating: the report excludes ratings whose `invalidated` is set.
ALTER TABLE ratings ADD COLUMN invalidated TEXT;

-- One follow-up case per bad rating (level <= 2), opened in the rating's transaction.
CREATE TABLE cases (
    id __PK__,
    rating_id BIGINT NOT NULL UNIQUE REFERENCES ratings(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    officer_id BIGINT NOT NULL REFERENCES officers(id),
    state TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'called_back', 'verified', 'rectifying', 'closed')),
    handler_id BIGINT REFERENCES admin_users(id),
    opened_at BIGINT NOT NULL,
    -- Deadlines: the end of the due working day (Asia/Shanghai). `*_provisional` = 1 when
    -- the count ran into a year the calendar does not know yet (recomputed later).
    callback_due_at BIGINT NOT NULL,
    callback_due_provisional SMALLINT NOT NULL DEFAULT 0,
    callback_at BIGINT,
    callback_outcome TEXT CHECK (callback_outcome IN ('reached', 'unreachable', 'declined')),
    verified_at BIGINT,
    verification TEXT CHECK (verification IN
        ('substantiated', 'partly_substantiated', 'unsubstantiated', 'mistaken_malicious')),
    rectify_started_at BIGINT,
    rectify_measures TEXT,
    rectify_due_at BIGINT,
    rectify_due_provisional SMALLINT NOT NULL DEFAULT 0,
    rectified_at BIGINT,
    closed_at BIGINT,
    -- The citizen's answer to "is it fixed?" after a rectified case closed.
    fix_rating TEXT CHECK (fix_rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    fix_rated_at BIGINT,
    reopen_count INTEGER NOT NULL DEFAULT 0,
    -- Webhook delivery of "a bad rating arrived": pending, sent, failed (gave up), skipped.
    notify_state TEXT NOT NULL DEFAULT 'pending'
        CHECK (notify_state IN ('pending', 'sent', 'failed', 'skipped')),
    notify_attempts INTEGER NOT NULL DEFAULT 0,
    notify_next_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cases_state_callback_due ON cases(state, callback_due_at);
CREATE INDEX cases_rectify_due ON cases(rectify_due_at);
CREATE INDEX cases_unit_opened ON cases(unit_id, opened_at);
CREATE INDEX cases_officer_opened ON cases(officer_id, opened_at);
CREATE INDEX cases_closed ON cases(closed_at);
CREATE INDEX cases_notify ON cases(notify_state, notify_next_at);

-- Who did what, when: case transitions (from -> to, note), phone reveals, logins,
-- purges (with the number of items purged in `items`).
CREATE TABLE audit_log (
    id __PK__,
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES admin_users(id),
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id BIGINT REFERENCES cases(id),
    from_state TEXT,
    to_state TEXT,
    note TEXT NOT NULL DEFAULT '',
    items INTEGER
);
CREATE INDEX audit_log_case ON audit_log(case_id, at);
CREATE INDEX audit_log_action ON audit_log(action, at);

-- The bureau's calendar: holidays and make-up working days it adds (e.g. next year's
-- schedule once the State Council publishes it), over the chinesecalendar package.
CREATE TABLE calendar_overrides (
    cal_date TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- Years whose full schedule the bureau has entered as overrides: deadlines in these years
-- are no longer provisional.
CREATE TABLE calendar_years (
    cal_year INTEGER PRIMARY KEY,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
