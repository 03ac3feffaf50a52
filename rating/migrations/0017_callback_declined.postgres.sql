-- One word for a citizen who declines the callback (拒绝回访): cases always said
-- `declined`, work orders said `refused`. Stored work orders and their revisions change
-- to `declined`, and the column's CHECK with them.
ALTER TABLE workorders DROP CONSTRAINT IF EXISTS workorders_callback_outcome_check;
UPDATE workorders SET callback_outcome = 'declined' WHERE callback_outcome = 'refused';
ALTER TABLE workorders ADD CONSTRAINT workorders_callback_outcome_check
    CHECK (callback_outcome IN ('reached', 'unreachable', 'declined'));
UPDATE workorder_revisions SET callback_outcome = 'declined' WHERE callback_outcome = 'refused';
