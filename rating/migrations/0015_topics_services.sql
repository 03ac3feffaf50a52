-- Topic analysis (一键分析) and participation (issue 19). Times are epoch milliseconds UTC.

-- The bureau's topic taxonomy; empty until first used, then filled with the defaults of
-- analytics/taxonomy.py and edited with `pingjing topics add|set|disable|enable`.
-- Keywords are comma-separated.
CREATE TABLE topics (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    keywords TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL,
    active SMALLINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);

-- A hotline's own category name (as imported, trimmed) mapped by the bureau to a topic;
-- categories not listed here are mapped by the keyword rules.
CREATE TABLE topic_categories (
    category TEXT PRIMARY KEY,
    topic_code TEXT NOT NULL REFERENCES topics(code),
    updated_at BIGINT NOT NULL
);

-- Trained classifiers as JSON (analytics/topics.py: vocabulary, idf, coefficients), never
-- pickles. The newest row is the one in use.
CREATE TABLE topic_models (
    id __PK__,
    method TEXT NOT NULL,
    params TEXT NOT NULL,
    labels INTEGER NOT NULL,
    macro_f1 DOUBLE PRECISION,
    created_at BIGINT NOT NULL
);

-- The topic of each rating comment and work-order content (later: letters), and where it
-- came from: the hotline's category, the model, or the keyword rules.
CREATE TABLE topic_assignments (
    item_kind TEXT NOT NULL CHECK (item_kind IN ('rating', 'workorder', 'letter')),
    item_id BIGINT NOT NULL,
    topic_code TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('category', 'model', 'keywords')),
    model_id BIGINT REFERENCES topic_models(id),
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (item_kind, item_id)
);

-- Service volumes from the bureau's business systems: how many services a unit gave on a
-- day (Asia/Shanghai), per system. `day` is the epoch ms of that local midnight.
CREATE TABLE service_imports (
    id __PK__,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    rows_total INTEGER NOT NULL,
    rows_new INTEGER NOT NULL,
    rows_updated INTEGER NOT NULL,
    rows_unchanged INTEGER NOT NULL,
    imported_at BIGINT NOT NULL
);

CREATE TABLE service_volumes (
    unit_id BIGINT NOT NULL REFERENCES units(id),
    day BIGINT NOT NULL,
    system TEXT NOT NULL DEFAULT '',
    services INTEGER NOT NULL CHECK (services >= 0),
    import_id BIGINT NOT NULL REFERENCES service_imports(id),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day, system)
);
CREATE INDEX service_volumes_day ON service_volumes(day);
