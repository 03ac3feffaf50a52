-- Service-window kiosks: the tablets, who is signed in at each, officers' kiosk PINs, and
-- which ratings came from which kiosk. Times are epoch milliseconds UTC (BIGINT).
-- Only hashes of device tokens, enrolment codes and PINs are stored.

CREATE TABLE kiosks (
    id __PK__,
    name TEXT NOT NULL UNIQUE,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    token_hash TEXT UNIQUE,
    enroll_hash TEXT UNIQUE,
    enroll_expires_at BIGINT,
    created_at BIGINT NOT NULL,
    enrolled_at BIGINT,
    revoked_at BIGINT
);

-- An officer on duty at a kiosk, from sign-in (PIN or admin) to sign-out or replacement.
CREATE TABLE kiosk_sessions (
    id __PK__,
    kiosk_id BIGINT NOT NULL REFERENCES kiosks(id),
    officer_id BIGINT NOT NULL REFERENCES officers(id),
    started_by TEXT NOT NULL CHECK (started_by IN ('pin', 'admin')),
    started_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX kiosk_sessions_kiosk ON kiosk_sessions(kiosk_id, officer_id, started_at);

CREATE TABLE officer_pins (
    officer_id BIGINT PRIMARY KEY REFERENCES officers(id),
    pin_hash TEXT NOT NULL,
    failed INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    updated_at BIGINT NOT NULL
);

-- One row per kiosk rating: the kiosk it came from and the moment of the tap (the rating's
-- created_at is the same moment; received_at is when the upload arrived).
CREATE TABLE kiosk_ratings (
    rating_id BIGINT PRIMARY KEY REFERENCES ratings(id),
    kiosk_id BIGINT NOT NULL REFERENCES kiosks(id),
    tapped_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX kiosk_ratings_kiosk ON kiosk_ratings(kiosk_id, tapped_at);
