-- SQLite's one writer keeps each device's recent ratings in its memory (sqlite.DeviceLog),
-- so the index on ratings(device_hash) goes: each new device's entry landed on a random
-- page of it. What still needs the table (the purge, and a look further back than the
-- writer keeps) finds the ratings that have a device hash through this index, ordered by
-- time, so new entries land side by side at its end. The purge clears hashes after a day,
-- so it holds about a day of ratings.
DROP INDEX ratings_device;
CREATE INDEX ratings_device_unpurged ON ratings(created_at) WHERE device_hash IS NOT NULL;
