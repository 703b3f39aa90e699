-- A trigger with concurrency gives its runs a key (e.g. the user's id) and a limit: at most that many
-- runs of the key run at once. A running run of a key holds one of its slots; the primary key makes two
-- replicas that claim runs of one key at the same moment take different slots or none.
ALTER TABLE runs ADD COLUMN concurrency_key TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN concurrency_limit INTEGER NOT NULL DEFAULT 0;
CREATE TABLE run_slots (
    slot_key TEXT NOT NULL,
    slot     INTEGER NOT NULL,
    run_id   TEXT NOT NULL,
    PRIMARY KEY (slot_key, slot)
);
CREATE INDEX run_slots_run ON run_slots (run_id);
