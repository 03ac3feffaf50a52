-- The rejected rows of a work-order import made with "skip bad rows", kept so the admin
-- pages can offer them as a CSV download after the upload (and later, from the import log).
-- The text is the rejects CSV the CLI writes beside the input: phone numbers masked.

CREATE TABLE workorder_import_rejects (
    import_id BIGINT PRIMARY KEY REFERENCES workorder_imports(id),
    csv_text TEXT NOT NULL
);
