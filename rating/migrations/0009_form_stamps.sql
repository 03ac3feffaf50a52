-- One page load, one matter (issue 14): each rating remembers the form stamp of the page
-- it was created from, and a second rating from the same stamp amends it instead. UNIQUE,
-- so two app instances on one PostgreSQL database cannot both create one (the loser of
-- the race is retried and amends). A stamp begins with the page's time in milliseconds,
-- so new entries land side by side at the end of the index, as ratings_device_unpurged.
ALTER TABLE ratings ADD COLUMN stamp TEXT;
CREATE UNIQUE INDEX ratings_stamp ON ratings(stamp) WHERE stamp IS NOT NULL;
