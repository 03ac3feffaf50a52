-- Several instances share a PostgreSQL database, so each device's recent ratings are
-- read from ratings_device there (SQLite's one writer keeps them in memory instead). The
-- purge finds the ratings that still have a device hash through this index, as on SQLite.
CREATE INDEX ratings_device_unpurged ON ratings(created_at) WHERE device_hash IS NOT NULL;
