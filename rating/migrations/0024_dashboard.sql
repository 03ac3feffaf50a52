-- The dashboard and the case queue (issue 17).

-- A phone number revealed to a case's handler is shown once, on the page the reveal
-- redirects to (POST/redirect/GET): the POST leaves this marker, the GET that shows the
-- number deletes it. The number itself never leaves the ratings table; the marker's
-- random token is all the redirect URL carries. Markers expire after a minute.
CREATE TABLE phone_reveals (
    token TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES admin_users(id),
    case_id BIGINT NOT NULL REFERENCES cases(id),
    expires_at BIGINT NOT NULL
);
CREATE INDEX phone_reveals_expires ON phone_reveals(expires_at);

-- The dashboard counts a week's ratings per unit and level from the index alone (no
-- table reads: a city's week is about 44,000 ratings), and the open cases by state,
-- unit and step deadline likewise.
CREATE INDEX ratings_created_unit_level ON ratings(created_at, unit_id, level, invalidated);
CREATE INDEX cases_state_unit_steps ON cases(state, unit_id, callback_outcome, verification,
    callback_due_at, rectify_due_at, step_due_at);
-- The dashboard counts a week's cases bureau-wide by opening time.
CREATE INDEX cases_opened ON cases(opened_at);
-- "Unassigned in my scope" and "my cases" read cases by handler.
CREATE INDEX cases_handler_state ON cases(handler_id, state);
