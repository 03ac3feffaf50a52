-- Citizen supervisors (警风监督员, issue 19 item 2). One file for both databases: the photo
-- column is __BLOB__ (BLOB in SQLite, BYTEA in PostgreSQL; until 3 December 2026 two files).
--
-- A supervisor is appointed by an admin for a term (dates in Asia/Shanghai, both days
-- included). The phone is stored as every phone is: encrypted, a keyed hash, a mask.
-- `ended_at`: the term was ended early by an admin (the report form refuses from then on).
CREATE TABLE supervisors (
    id __PK__,
    name TEXT NOT NULL,
    phone_enc TEXT,
    phone_hash TEXT,
    phone_mask TEXT,
    term_start TEXT NOT NULL,
    term_end TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES admin_users(id),
    ended_at BIGINT
);

-- The personal link's token: like badge tokens and unit codes, revocable and reissuable,
-- at most one live token per supervisor.
CREATE TABLE supervisor_tokens (
    token TEXT PRIMARY KEY,
    supervisor_id BIGINT NOT NULL REFERENCES supervisors(id),
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX supervisor_tokens_live ON supervisor_tokens(supervisor_id)
    WHERE revoked_at IS NULL;

-- One report: about an officer (and the unit the officer served in when it was written),
-- a place, the time of the event and what happened. Its case (source `supervisor`,
-- source_id = this id) is opened in the same transaction. `stamp`: one page, one report.
CREATE TABLE supervisor_reports (
    id __PK__,
    supervisor_id BIGINT NOT NULL REFERENCES supervisors(id),
    officer_id BIGINT NOT NULL REFERENCES officers(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    place TEXT NOT NULL,
    event_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT 'zh',
    stamp TEXT UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX supervisor_reports_supervisor ON supervisor_reports(supervisor_id, id);
CREATE INDEX supervisor_reports_created ON supervisor_reports(created_at, unit_id);

CREATE TABLE supervisor_report_photos (
    id __PK__,
    report_id BIGINT NOT NULL REFERENCES supervisor_reports(id),
    position SMALLINT NOT NULL,
    data __BLOB__ NOT NULL,
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX supervisor_report_photos_report ON supervisor_report_photos(report_id);

-- The reports' case category, mapped under their channel to the default class (7 working
-- days, editable with `pingjing sla map`): a known category, so accepting a case that
-- waited for the centre keeps it.
INSERT INTO sla_categories (channel, category, sla_class, updated_at) VALUES
    ('supervisor', '监督员报告', 'other', 0);
