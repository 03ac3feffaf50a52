-- Receipt codes come from the rating's id (a keyed permutation, crypto.ReceiptCodec), so
-- `ratings.receipt` needs no unique index any more: with one, each new rating wrote a
-- random page of it. Receipts issued before keep working through legacy_receipts. The
-- per-officer index goes too (same cost, one reader: the admin officer page, which now
-- reads the officer's recent ratings through ratings_created). See the SQLite version.

-- Keys that belong to the data rather than to the deployment: a receipt must keep
-- working when the service's secret is rotated. gen_random_uuid() draws from a CSPRNG.
CREATE TABLE store_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO store_keys (name, value)
VALUES ('receipt', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

CREATE TABLE legacy_receipts (
    receipt TEXT PRIMARY KEY,
    rating_id BIGINT NOT NULL REFERENCES ratings(id)
);
INSERT INTO legacy_receipts (receipt, rating_id) SELECT receipt, id FROM ratings;

ALTER TABLE ratings DROP CONSTRAINT ratings_receipt_key;
DROP INDEX ratings_officer_created;
DROP INDEX ratings_created;
-- With the officer beside the time, the officer page filters inside the index.
CREATE INDEX ratings_created ON ratings(created_at, officer_id);
