-- Spot-check callbacks (抽查回访, issue 19 item 1). Each day a reproducible random sample of
-- satisfied ratings that left a phone, and of cases closed that day, becomes one task here;
-- the centre calls the citizen and records whether the rating holds.
-- (kind, item_id) is unique: no item is ever checked twice, whatever day samples it.
-- `rating_id` is the rating whose phone is called (the case's own rating for a case).
CREATE TABLE spot_checks (
    id __PK__,
    day TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rating', 'case')),
    item_id BIGINT NOT NULL,
    rating_id BIGINT NOT NULL REFERENCES ratings(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    channel TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    assignee_id BIGINT REFERENCES admin_users(id),
    outcome TEXT CHECK (outcome IN ('confirmed', 'not_confirmed', 'unreachable')),
    reason TEXT CHECK (reason IN ('in_front_of_officer', 'asked_to_rate', 'other')),
    note TEXT NOT NULL DEFAULT '',
    done_at BIGINT,
    done_by BIGINT REFERENCES admin_users(id),
    UNIQUE (kind, item_id)
);
CREATE INDEX spot_checks_day ON spot_checks(day, unit_id);
CREATE INDEX spot_checks_open ON spot_checks(outcome, created_at);

-- One row per sampled day: sampling a day twice (the daily job on two instances, or the
-- command run again) does nothing the second time.
CREATE TABLE spot_check_days (
    day TEXT PRIMARY KEY,
    sampled_at BIGINT NOT NULL,
    tasks INTEGER NOT NULL
);
