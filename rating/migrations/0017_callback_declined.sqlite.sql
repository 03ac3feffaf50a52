-- One word for a citizen who declines the callback (拒绝回访): cases always said
-- `declined`, work orders said `refused`. Stored work orders and their revisions change
-- to `declined`, and the column's CHECK with them.
-- SQLite changes a column's CHECK only by rebuilding the table, which would drop every
-- column and index later migrations add; instead the column is replaced in place: a new
-- one with the new CHECK, filled, the old one dropped (its own CHECK goes with it), the
-- new one renamed. The column moves to the end of the table; nothing reads it by
-- position.
ALTER TABLE workorders ADD COLUMN callback_declined TEXT
    CHECK (callback_declined IN ('reached', 'unreachable', 'declined'));
UPDATE workorders SET callback_declined =
    CASE callback_outcome WHEN 'refused' THEN 'declined' ELSE callback_outcome END;
ALTER TABLE workorders DROP COLUMN callback_outcome;
ALTER TABLE workorders RENAME COLUMN callback_declined TO callback_outcome;
UPDATE workorder_revisions SET callback_outcome = 'declined' WHERE callback_outcome = 'refused';
