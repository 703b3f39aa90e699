-- A trigger with coalesce gives its runs a key (e.g. the user's id): events with the same key within the
-- trigger's window start one run. The index finds a key's latest run of a trigger.
ALTER TABLE runs ADD COLUMN coalesce_key TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_coalesce ON runs (trigger_name, coalesce_key, created_at) WHERE coalesce_key <> '';
