-- Notifications (issue 17 item 8): who hears about what, the durable outbox of events, and
-- one delivery row per (event, subscription) with its retries. Times are epoch ms UTC.

-- A subscription sends a unit's events (its subtree; unit_id NULL = the whole bureau) to
-- one target: a WeCom or DingTalk group robot webhook, or an e-mail address (digests).
-- `secret` is the DingTalk robot's signing secret (empty for the others); the webhook URL
-- itself carries the robot's key, so both are shown masked and never logged.
CREATE TABLE notify_subscriptions (
    id __PK__,
    unit_id BIGINT REFERENCES units(id),
    sender TEXT NOT NULL CHECK (sender IN ('wecom', 'dingtalk', 'email')),
    target TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    -- Comma-separated event kinds: bad_rating, overdue, warning.
    events TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    disabled SMALLINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- One event (a new bad rating's case, an overdue step, an analytics warning). `dedup_key`
-- makes every scan idempotent: an event already enqueued is never enqueued again.
-- `payload` is JSON with nothing personal beyond a masked phone.
CREATE TABLE notify_events (
    id __PK__,
    kind TEXT NOT NULL CHECK (kind IN ('bad_rating', 'overdue', 'warning')),
    unit_id BIGINT REFERENCES units(id),
    dedup_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notify_events_created ON notify_events(created_at);

-- One event to one subscription: pending (next attempt at next_at), sent, or dead (gave
-- up after the maximum attempts: the admin page's dead-letter list, with a retry button).
CREATE TABLE notify_deliveries (
    id __PK__,
    event_id BIGINT NOT NULL REFERENCES notify_events(id),
    subscription_id BIGINT NOT NULL REFERENCES notify_subscriptions(id),
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (event_id, subscription_id)
);
CREATE INDEX notify_deliveries_due ON notify_deliveries(state, next_at);
CREATE INDEX notify_deliveries_sub ON notify_deliveries(subscription_id, state);

-- The scan for new bad-rating cases reads the last day's cases by opening time, through
-- the index cases_opened of migration 0024.
