-- One case loop for every source (issue 18): a case has a source (a bad rating, a letter to
-- the chief's mailbox, a unit-code message, a hotline work order, a supervisor's report),
-- a category with its SLA due time, the unit it is dispatched to, and the unit's reply.
-- A case that is not a rating's has no rating and no officer; a letter to the bureau as a
-- whole has no unit until it is dispatched. The new states join the state CHECK.
-- Existing cases are all bad-rating cases: source 'rating', their states unchanged.
ALTER TABLE cases ALTER COLUMN rating_id DROP NOT NULL;
ALTER TABLE cases ALTER COLUMN unit_id DROP NOT NULL;
ALTER TABLE cases ALTER COLUMN officer_id DROP NOT NULL;
ALTER TABLE cases DROP CONSTRAINT IF EXISTS cases_state_check;
ALTER TABLE cases ADD CONSTRAINT cases_state_check
    CHECK (state IN ('received', 'accepted', 'open', 'dispatched', 'replied',
        'called_back', 'verified', 'rectifying', 'rectified', 'closed'));
ALTER TABLE cases ADD COLUMN source TEXT NOT NULL DEFAULT 'rating'
    CHECK (source IN ('rating', 'letter', 'unit_message', 'workorder', 'supervisor'));
ALTER TABLE cases ADD COLUMN source_id BIGINT;
ALTER TABLE cases ADD COLUMN category TEXT;
ALTER TABLE cases ADD COLUMN sla_class TEXT;
ALTER TABLE cases ADD COLUMN sla_due_at BIGINT;
ALTER TABLE cases ADD COLUMN accepted_at BIGINT;
ALTER TABLE cases ADD COLUMN dispatch_unit_id BIGINT REFERENCES units(id);
ALTER TABLE cases ADD COLUMN dispatched_at BIGINT;
ALTER TABLE cases ADD COLUMN dispatch_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN reply TEXT;
ALTER TABLE cases ADD COLUMN replied_at BIGINT;
ALTER TABLE cases ADD COLUMN replied_by BIGINT REFERENCES admin_users(id);
ALTER TABLE cases ADD COLUMN returned_at BIGINT;
ALTER TABLE cases ADD COLUMN return_reason TEXT;
UPDATE cases SET category = '差评';
CREATE UNIQUE INDEX cases_source ON cases(source, source_id) WHERE source_id IS NOT NULL;
CREATE INDEX cases_dispatch_unit ON cases(dispatch_unit_id, state);
