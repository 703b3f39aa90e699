-- A trigger with concurrency gives its runs a key (e.g. the user's id) and a limit: at most that many
-- runs of the key run at once. A running run of a key holds one of its slots; the primary key makes two
-- replicas that claim runs of one key at the same moment take different slots or none.
ALTER TABLE runs ADD COLUMN concurrency_key text NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN concurrency_limit integer NOT NULL DEFAULT 0;
CREATE TABLE run_slots (
    slot_key text NOT NULL,
    slot     integer NOT NULL,
    run_id   text NOT NULL,
    PRIMARY KEY (slot_key, slot)
);
CREATE INDEX run_slots_run ON run_slots (run_id);
