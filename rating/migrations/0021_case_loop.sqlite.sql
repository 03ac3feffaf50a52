-- One case loop for every source (issue 18): a case has a source (a bad rating, a letter to
-- the chief's mailbox, a unit-code message, a hotline work order, a supervisor's report),
-- a category with its SLA due time, the unit it is dispatched to, and the unit's reply.
-- A case that is not a rating's has no rating and no officer; a letter to the bureau as a
-- whole has no unit until it is dispatched. The new states join the state CHECK.
-- SQLite changes NOT NULL and a CHECK only by rebuilding the table (its documented way;
-- foreign keys are off while migrations run, see rating/store/sqlite.py). The rebuild copies
-- every column of 0003 and 0011 (the only migrations before this one that touch `cases`)
-- and recreates every index; tests/cases/test_migration.py checks that no column is lost.
-- Existing cases are all bad-rating cases: source 'rating', their states unchanged.
CREATE TABLE cases_new (
    id INTEGER PRIMARY KEY,
    rating_id BIGINT UNIQUE REFERENCES ratings(id),
    unit_id BIGINT REFERENCES units(id),
    officer_id BIGINT REFERENCES officers(id),
    state TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('received', 'accepted', 'open', 'dispatched', 'replied',
            'called_back', 'verified', 'rectifying', 'rectified', 'closed')),
    handler_id BIGINT REFERENCES admin_users(id),
    opened_at BIGINT NOT NULL,
    callback_due_at BIGINT NOT NULL,
    callback_due_provisional SMALLINT NOT NULL DEFAULT 0,
    callback_at BIGINT,
    callback_outcome TEXT CHECK (callback_outcome IN ('reached', 'unreachable', 'declined')),
    verified_at BIGINT,
    verification TEXT CHECK (verification IN
        ('substantiated', 'partly_substantiated', 'unsubstantiated', 'mistaken_malicious')),
    rectify_started_at BIGINT,
    rectify_measures TEXT,
    rectify_due_at BIGINT,
    rectify_due_provisional SMALLINT NOT NULL DEFAULT 0,
    rectified_at BIGINT,
    closed_at BIGINT,
    fix_rating TEXT CHECK (fix_rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    fix_rated_at BIGINT,
    reopen_count INTEGER NOT NULL DEFAULT 0,
    notify_state TEXT NOT NULL DEFAULT 'pending'
        CHECK (notify_state IN ('pending', 'sent', 'failed', 'skipped')),
    notify_attempts INTEGER NOT NULL DEFAULT 0,
    notify_next_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    step_due_at BIGINT,
    step_due_provisional SMALLINT NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'rating'
        CHECK (source IN ('rating', 'letter', 'unit_message', 'workorder', 'supervisor')),
    source_id BIGINT,
    category TEXT,
    sla_class TEXT,
    sla_due_at BIGINT,
    accepted_at BIGINT,
    dispatch_unit_id BIGINT REFERENCES units(id),
    dispatched_at BIGINT,
    dispatch_count INTEGER NOT NULL DEFAULT 0,
    reply TEXT,
    replied_at BIGINT,
    replied_by BIGINT REFERENCES admin_users(id),
    returned_at BIGINT,
    return_reason TEXT
);
INSERT INTO cases_new (id, rating_id, unit_id, officer_id, state, handler_id, opened_at,
    callback_due_at, callback_due_provisional, callback_at, callback_outcome, verified_at,
    verification, rectify_started_at, rectify_measures, rectify_due_at,
    rectify_due_provisional, rectified_at, closed_at, fix_rating, fix_rated_at, reopen_count,
    notify_state, notify_attempts, notify_next_at, updated_at, step_due_at,
    step_due_provisional, source, category)
SELECT id, rating_id, unit_id, officer_id, state, handler_id, opened_at,
    callback_due_at, callback_due_provisional, callback_at, callback_outcome, verified_at,
    verification, rectify_started_at, rectify_measures, rectify_due_at,
    rectify_due_provisional, rectified_at, closed_at, fix_rating, fix_rated_at, reopen_count,
    notify_state, notify_attempts, notify_next_at, updated_at, step_due_at,
    step_due_provisional, 'rating', '差评'
FROM cases;
DROP TABLE cases;
ALTER TABLE cases_new RENAME TO cases;
CREATE INDEX cases_state_callback_due ON cases(state, callback_due_at);
CREATE INDEX cases_rectify_due ON cases(rectify_due_at);
CREATE INDEX cases_unit_opened ON cases(unit_id, opened_at);
CREATE INDEX cases_officer_opened ON cases(officer_id, opened_at);
CREATE INDEX cases_closed ON cases(closed_at);
CREATE INDEX cases_notify ON cases(notify_state, notify_next_at);
-- New: one case per letter / work order / report; a unit's queue of dispatched cases.
CREATE UNIQUE INDEX cases_source ON cases(source, source_id) WHERE source_id IS NOT NULL;
CREATE INDEX cases_dispatch_unit ON cases(dispatch_unit_id, state);
