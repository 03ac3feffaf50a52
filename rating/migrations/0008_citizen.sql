-- A rating submitted sooner after its page was served than min_submit_seconds is stored
-- like any other (people who know their answer tap at once) and marked here, so the
-- integrity statistics can count quick taps per officer and unit. An amendment keeps the
-- mark of the rating's first submission.
ALTER TABLE ratings ADD COLUMN fast SMALLINT NOT NULL DEFAULT 0;

-- Bumped by every change that can alter an officer's rating page (a token issued or
-- revoked, an officer renamed, moved or retired): each server drops its cached pages
-- when it sees the number move, whichever process made the change.
CREATE TABLE page_epoch (id SMALLINT PRIMARY KEY, n BIGINT NOT NULL);
INSERT INTO page_epoch (id, n) VALUES (1, 0);
