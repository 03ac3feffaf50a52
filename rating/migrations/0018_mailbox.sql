-- The chief's mailbox (局长信箱) and unit (place) codes (issue 18). Letters live in tables of
-- their own: the case loop (received → accepted → dispatched → …) takes them in later, with
-- the letter as its source. One file for both databases: the photo column is __BLOB__
-- (BLOB in SQLite, BYTEA in PostgreSQL; until 3 December 2026 two files said so).

-- The bureau-editable list of letter categories (`pingjing mailbox categories`). A letter
-- keeps the category's name as it was when written, so renaming one never rewrites letters.
CREATE TABLE letter_categories (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    name_en TEXT NOT NULL DEFAULT ''
);
INSERT INTO letter_categories (name, position, name_en) VALUES
    ('投诉', 1, 'Complaint'), ('举报', 2, 'Report'), ('建议', 3, 'Suggestion'),
    ('求助', 4, 'Request for help'), ('咨询', 5, 'Enquiry');

-- One letter. unit_id NULL: written to the bureau as a whole (/mailbox), else through the
-- unit's code. The phone is stored as ratings store theirs: encrypted, a keyed hash for
-- matching, a mask for display; with the consent the writer gave for a reply by phone.
-- `receipt` is a random code (the rating receipts' alphabet), unique: letters are few, so
-- the index costs nothing that matters here. `stamp` is the form stamp of the page the
-- letter was written on: one page load, one letter (a double tap answers the same receipt).
CREATE TABLE letters (
    id __PK__,
    receipt TEXT NOT NULL UNIQUE,
    unit_id BIGINT REFERENCES units(id),
    category TEXT NOT NULL,
    body TEXT NOT NULL,
    phone_enc TEXT,
    phone_hash TEXT,
    phone_mask TEXT,
    consent SMALLINT NOT NULL DEFAULT 0,
    anonymous SMALLINT NOT NULL DEFAULT 1,
    lang TEXT NOT NULL DEFAULT 'zh',
    stamp TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'received',
    reply TEXT,
    replied_at BIGINT,
    replied_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX letters_created ON letters(created_at);
CREATE INDEX letters_unit ON letters(unit_id, created_at);

CREATE TABLE letter_photos (
    id __PK__,
    letter_id BIGINT NOT NULL REFERENCES letters(id),
    position SMALLINT NOT NULL,
    data __BLOB__ NOT NULL,
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX letter_photos_letter ON letter_photos(letter_id);

-- Unit codes: like badge tokens, revocable and reissuable; at most one live token per unit.
CREATE TABLE unit_tokens (
    token TEXT PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX unit_tokens_live ON unit_tokens(unit_id) WHERE revoked_at IS NULL;

-- A rating of a place's service, given through its unit code. A table of its own, not a
-- rating with no officer: every officer figure (the report, red and black lists, the
-- rating amend window, the integrity statistics) reads `ratings` with its NOT NULL
-- officer, and none of them may ever count these.
CREATE TABLE unit_ratings (
    id __PK__,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    token TEXT NOT NULL,
    level SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 5),
    stamp TEXT UNIQUE,
    device_hash TEXT,
    network_hash TEXT,
    lang TEXT NOT NULL DEFAULT 'zh',
    created_at BIGINT NOT NULL
);
CREATE INDEX unit_ratings_unit ON unit_ratings(unit_id, created_at);
