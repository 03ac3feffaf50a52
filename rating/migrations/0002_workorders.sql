-- Hotline work orders (12345, 12389, 12123, 阳光理政, ...), the log of their imports, and
-- the aliases hotlines use for unit names. Times are epoch milliseconds UTC (BIGINT).
-- Enumerated columns hold the codes of rating/workorders/schema.py (docs/import-formats.md).

CREATE TABLE workorder_imports (
    id __PK__,
    channel TEXT NOT NULL,
    profile TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    rows_total INTEGER NOT NULL,
    rows_new INTEGER NOT NULL,
    rows_updated INTEGER NOT NULL,
    rows_unchanged INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    units_unmatched INTEGER NOT NULL,
    officers_unmatched INTEGER NOT NULL,
    imported_at BIGINT NOT NULL
);
CREATE INDEX workorder_imports_sha ON workorder_imports(file_sha256);

CREATE TABLE workorders (
    id __PK__,
    channel TEXT NOT NULL,
    order_no TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    order_type TEXT CHECK (order_type IN
        ('complaint', 'report', 'consultation', 'help', 'suggestion', 'praise', 'other')),
    category TEXT,
    content TEXT,
    -- The handling unit as the hotline wrote it, and the unit it matched (NULL: unknown).
    unit_name TEXT,
    unit_id BIGINT REFERENCES units(id),
    -- Badge number(s) as given (comma-separated), and the officer matched (NULL: none).
    badge_no TEXT,
    officer_id BIGINT REFERENCES officers(id),
    dispatched_at BIGINT,
    due_at BIGINT,
    closed_at BIGINT,
    resolution TEXT CHECK (resolution IN
        ('resolved', 'partly_resolved', 'unresolved', 'answered')),
    callback_at BIGINT,
    callback_outcome TEXT CHECK (callback_outcome IN ('reached', 'unreachable', 'refused')),
    satisfaction TEXT CHECK (satisfaction IN
        ('satisfied', 'basically_satisfied', 'dissatisfied')),
    verification TEXT CHECK (verification IN
        ('substantiated', 'partly_substantiated', 'unsubstantiated', 'unverifiable')),
    rectification TEXT CHECK (rectification IN
        ('not_required', 'pending', 'in_progress', 'done')),
    rectified_at BIGINT,
    -- Caller phone: encrypted, keyed hash for matching, mask for display. A number the
    -- hotline had already masked keeps only the mask.
    phone_enc TEXT,
    phone_hash TEXT,
    phone_mask TEXT,
    first_import_id BIGINT NOT NULL REFERENCES workorder_imports(id),
    last_import_id BIGINT NOT NULL REFERENCES workorder_imports(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (channel, order_no)
);
CREATE INDEX workorders_received ON workorders(received_at);
CREATE INDEX workorders_unit_received ON workorders(unit_id, received_at);
CREATE INDEX workorders_officer_received ON workorders(officer_id, received_at);
CREATE INDEX workorders_phone_hash ON workorders(phone_hash);

-- Names hotlines use for a unit (胜利路所 for 胜利路派出所); matched without spaces, case-
-- insensitively.
CREATE TABLE unit_aliases (
    alias TEXT PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX unit_aliases_unit ON unit_aliases(unit_id);
