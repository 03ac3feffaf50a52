-- Clocks for every step of a case, and the history the weekly report reads "as of" a
-- moment: a snapshot of a case's follow-up fields after each change (written with its
-- audit entry), and the earlier values of work orders that a re-import or an alias
-- re-match overwrote.

-- The deadline of the step a case in `called_back` or `verified` waits for: a retry of an
-- unreachable callback, the verification, or (after verification) the start of the
-- rectification or the closing. Working days from the settings; `open` keeps
-- callback_due_at and `rectifying` rectify_due_at.
ALTER TABLE cases ADD COLUMN step_due_at BIGINT;
ALTER TABLE cases ADD COLUMN step_due_provisional SMALLINT NOT NULL DEFAULT 0;
-- Cases already waiting get a calendar-day estimate marked provisional: the server
-- recomputes provisional deadlines with the working-day calendar at start-up.
UPDATE cases SET step_due_at = callback_at + 86400000, step_due_provisional = 1
    WHERE state = 'called_back' AND callback_at IS NOT NULL;
UPDATE cases SET step_due_at = verified_at + 86400000, step_due_provisional = 1
    WHERE state = 'verified' AND verified_at IS NOT NULL;

CREATE TABLE case_history (
    id __PK__,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    at BIGINT NOT NULL,
    state TEXT NOT NULL,
    callback_due_at BIGINT NOT NULL,
    callback_due_provisional SMALLINT NOT NULL,
    callback_at BIGINT,
    callback_outcome TEXT,
    verified_at BIGINT,
    verification TEXT,
    rectify_due_at BIGINT,
    rectify_due_provisional SMALLINT NOT NULL,
    step_due_at BIGINT,
    step_due_provisional SMALLINT NOT NULL,
    rectified_at BIGINT,
    closed_at BIGINT,
    fix_rating TEXT
);
CREATE INDEX case_history_case ON case_history(case_id, at);
-- Cases from before this migration: as opened, and as they stand at their last change.
INSERT INTO case_history (case_id, at, state, callback_due_at, callback_due_provisional,
    rectify_due_provisional, step_due_provisional)
    SELECT id, opened_at, 'open', callback_due_at, callback_due_provisional, 0, 0 FROM cases;
INSERT INTO case_history (case_id, at, state, callback_due_at, callback_due_provisional,
    callback_at, callback_outcome, verified_at, verification, rectify_due_at,
    rectify_due_provisional, step_due_at, step_due_provisional, rectified_at, closed_at,
    fix_rating)
    SELECT id, updated_at, state, callback_due_at, callback_due_provisional, callback_at,
        callback_outcome, verified_at, verification, rectify_due_at, rectify_due_provisional,
        step_due_at, step_due_provisional, rectified_at, closed_at, fix_rating
    FROM cases WHERE updated_at > opened_at;

-- A work order's values before a change replaced them (at `replaced_at`, by import
-- `import_id`; NULL: an alias re-matched its unit).
CREATE TABLE workorder_revisions (
    id __PK__,
    workorder_id BIGINT NOT NULL REFERENCES workorders(id),
    replaced_at BIGINT NOT NULL,
    import_id BIGINT REFERENCES workorder_imports(id),
    received_at BIGINT NOT NULL,
    unit_id BIGINT,
    officer_id BIGINT,
    due_at BIGINT,
    due_source TEXT,
    closed_at BIGINT,
    callback_at BIGINT,
    callback_outcome TEXT,
    satisfaction TEXT,
    verification TEXT,
    rectification TEXT,
    rectified_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX workorder_revisions_order ON workorder_revisions(workorder_id, replaced_at);
