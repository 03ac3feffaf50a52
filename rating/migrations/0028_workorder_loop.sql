-- Hotline work orders in the case loop (issue 18, item 4), and the loop's dispatch and
-- reply columns in the case history.

-- Rules that take imported work orders into the case loop: every order of `channel` whose
-- order type is `order_type` and whose category (诉求分类) is `category`; '' in either
-- means any. Applied at import time and on demand (`pingjing workorders rules apply`).
CREATE TABLE workorder_rules (
    id __PK__,
    channel TEXT NOT NULL,
    order_type TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (channel, order_type, category)
);

-- The case history (0011) kept only the bad-rating path's fields; the loop's own (0021)
-- are kept too from now on, so a report for a past moment reads them as they stood.
ALTER TABLE case_history ADD COLUMN category TEXT;
ALTER TABLE case_history ADD COLUMN sla_class TEXT;
ALTER TABLE case_history ADD COLUMN sla_due_at BIGINT;
ALTER TABLE case_history ADD COLUMN accepted_at BIGINT;
ALTER TABLE case_history ADD COLUMN dispatch_unit_id BIGINT;
ALTER TABLE case_history ADD COLUMN dispatched_at BIGINT;
ALTER TABLE case_history ADD COLUMN dispatch_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_history ADD COLUMN replied_at BIGINT;
ALTER TABLE case_history ADD COLUMN returned_at BIGINT;
-- Snapshots taken before this migration: the times from the audit log (each step writes
-- its entry and its snapshot at the same moment), the rest as the case stands now.
UPDATE case_history SET
    category = (SELECT c.category FROM cases c WHERE c.id = case_history.case_id),
    sla_class = (SELECT c.sla_class FROM cases c WHERE c.id = case_history.case_id),
    sla_due_at = (SELECT c.sla_due_at FROM cases c WHERE c.id = case_history.case_id),
    accepted_at = (SELECT MAX(a.at) FROM audit_log a WHERE a.case_id = case_history.case_id
        AND a.action = 'accept' AND a.at <= case_history.at),
    dispatched_at = (SELECT MAX(a.at) FROM audit_log a WHERE a.case_id = case_history.case_id
        AND a.action IN ('dispatch', 'redispatch') AND a.at <= case_history.at),
    dispatch_count = (SELECT COUNT(*) FROM audit_log a WHERE a.case_id = case_history.case_id
        AND a.action IN ('dispatch', 'redispatch') AND a.at <= case_history.at),
    replied_at = (SELECT MAX(a.at) FROM audit_log a WHERE a.case_id = case_history.case_id
        AND a.action = 'reply' AND a.at <= case_history.at),
    returned_at = (SELECT MAX(a.at) FROM audit_log a WHERE a.case_id = case_history.case_id
        AND a.action = 'return' AND a.at <= case_history.at)
WHERE EXISTS (SELECT 1 FROM cases c WHERE c.id = case_history.case_id
    AND (c.dispatched_at IS NOT NULL OR c.accepted_at IS NOT NULL OR c.category IS NOT NULL));
UPDATE case_history SET dispatch_unit_id = (SELECT c.dispatch_unit_id FROM cases c
    WHERE c.id = case_history.case_id) WHERE dispatched_at IS NOT NULL;

-- The rules run on the orders an import added or changed (`last_import_id`).
CREATE INDEX workorders_last_import ON workorders(last_import_id);
