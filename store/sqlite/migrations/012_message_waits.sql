-- A run can wait for a message (an AsyncAPI receive step on Okta's event stream): wait_event is the Okta
-- event type it waits for ('*' for any, '' when the run waits for an input or nothing), so a dispatch
-- finds the runs an event may wake with one indexed lookup; received holds the message delivered to it
-- (or that its wait timed out) until the run next ends.
ALTER TABLE runs ADD COLUMN wait_event TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN received TEXT;
CREATE INDEX runs_wait_event ON runs (wait_event) WHERE status = 'waiting' AND wait_event <> '';
