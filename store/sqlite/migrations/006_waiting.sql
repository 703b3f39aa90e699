-- A run can wait for an input a person or another system supplies later (status 'waiting'): waiting
-- says for what (JSON: input, step, until), available_at is when the wait times out, and supplied holds
-- the inputs given to resume it until the run next ends (they may be one-time codes: never shown, and
-- cleared once used).
ALTER TABLE runs ADD COLUMN waiting TEXT;
ALTER TABLE runs ADD COLUMN supplied TEXT;
CREATE INDEX runs_waiting ON runs (available_at) WHERE status = 'waiting';
