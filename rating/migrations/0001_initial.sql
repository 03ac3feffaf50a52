-- Units, officers, badge tokens, ratings and rate-limit counters.
-- Portable SQL: __PK__ becomes INTEGER PRIMARY KEY (SQLite) or an identity column
-- (PostgreSQL). Times are epoch milliseconds UTC in BIGINT columns.

CREATE TABLE units (
    id __PK__,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parent_id BIGINT REFERENCES units(id),
    path TEXT NOT NULL UNIQUE,
    depth INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);

CREATE TABLE officers (
    id __PK__,
    badge_no TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL CHECK (kind IN ('police', 'auxiliary')),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX officers_unit ON officers(unit_id);

CREATE TABLE badge_tokens (
    token TEXT PRIMARY KEY,
    officer_id BIGINT NOT NULL REFERENCES officers(id),
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX badge_tokens_officer ON badge_tokens(officer_id);
-- At most one live token per officer.
CREATE UNIQUE INDEX badge_tokens_live ON badge_tokens(officer_id) WHERE revoked_at IS NULL;

CREATE TABLE ratings (
    id __PK__,
    receipt TEXT NOT NULL UNIQUE,
    officer_id BIGINT NOT NULL REFERENCES officers(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    token TEXT NOT NULL,
    channel TEXT NOT NULL,
    level SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 5),
    reasons TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    phone_enc TEXT,
    phone_hash TEXT,
    phone_mask TEXT,
    device_hash TEXT,
    network_hash TEXT,
    idempotency_key TEXT,
    lang TEXT NOT NULL DEFAULT 'zh',
    amend_count INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Serves both the per-device rate limit and the amend-window lookup.
CREATE INDEX ratings_device ON ratings(device_hash, created_at);
CREATE INDEX ratings_officer_created ON ratings(officer_id, created_at);
CREATE INDEX ratings_created ON ratings(created_at);
-- Only kiosk uploads carry an idempotency key: a partial index keeps the rest out of it.
CREATE UNIQUE INDEX ratings_idempotency ON ratings(idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Earlier versions of amended ratings, so the amend rule loses nothing.
CREATE TABLE rating_revisions (
    id __PK__,
    rating_id BIGINT NOT NULL REFERENCES ratings(id),
    level SMALLINT NOT NULL,
    reasons TEXT NOT NULL,
    comment TEXT NOT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX rating_revisions_rating ON rating_revisions(rating_id);

-- Fixed-window counters: one row per (bucket, window start). Used per network address;
-- the per-device limit counts the device's ratings in the last hour instead.
CREATE TABLE rate_limits (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
