-- How many photos the retention purge removed from a letter or a supervisor's report, so
-- that its case page can say so instead of showing nothing. Photos purged before this
-- migration are not counted (their rows are gone): those pages stay as they were.
ALTER TABLE letters ADD COLUMN photos_purged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE supervisor_reports ADD COLUMN photos_purged INTEGER NOT NULL DEFAULT 0;
