-- A rating submitted sooner after its page was served than min_submit_seconds is stored
-- like any other (people who know their answer tap at once) and marked here, so the
-- integrity statistics can count quick taps per officer and unit. An amendment keeps the
-- mark of the rating's first submission.
ALTER TABLE ratings ADD COLUMN fast SMALLINT NOT NULL DEFAULT 0;
