-- Due times by category (SLA, 时限) for items whose source gives none, editable by the
-- bureau: `pingjing sla list|set|map|unmap` (docs/sla.md). Defaults from 巨好办: urgent 2
-- hours, consultation the same (working) day, public service 2 working days, everything
-- else 7 working days.

CREATE TABLE sla_classes (
    sla_class TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    -- hours: N hours after receipt; same_day: end of the day of receipt (the next working
    -- day when received on a day off); workdays: end of the N-th working day after it.
    kind TEXT NOT NULL CHECK (kind IN ('hours', 'same_day', 'workdays')),
    amount INTEGER NOT NULL CHECK (amount >= 0),
    updated_at BIGINT NOT NULL
);
INSERT INTO sla_classes (sla_class, label, kind, amount, updated_at) VALUES
    ('urgent', '紧急', 'hours', 2, 0),
    ('consultation', '咨询', 'same_day', 0, 0),
    ('public_service', '公共服务', 'workdays', 2, 0),
    ('other', '其他', 'workdays', 7, 0);

-- A channel's categories (its own 诉求分类 text, or an order-type code such as
-- consultation) mapped to a class. channel '*' applies to every channel; a category that
-- nothing maps falls in 'other'.
CREATE TABLE sla_categories (
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    sla_class TEXT NOT NULL REFERENCES sla_classes(sla_class),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (channel, category)
);
INSERT INTO sla_categories (channel, category, sla_class, updated_at) VALUES
    ('*', 'consultation', 'consultation', 0),
    ('*', 'help', 'public_service', 0),
    ('*', '紧急', 'urgent', 0),
    ('*', '紧急诉求', 'urgent', 0),
    ('*', '咨询', 'consultation', 0),
    ('*', '政策咨询', 'consultation', 0),
    ('*', '求助', 'public_service', 0),
    ('*', '公共服务', 'public_service', 0),
    ('12345', '便民服务', 'public_service', 0),
    ('12123', '业务咨询', 'consultation', 0),
    ('12123', '事故处理', 'urgent', 0),
    ('12389', '警务咨询', 'consultation', 0);

-- Where a work order's due time came from: 'source' (the hotline's file) or 'sla' (the
-- table above, at import). NULL only for orders imported before this migration.
ALTER TABLE workorders ADD COLUMN due_source TEXT;
UPDATE workorders SET due_source = 'source' WHERE due_at IS NOT NULL;
