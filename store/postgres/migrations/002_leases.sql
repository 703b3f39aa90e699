-- trama's own queue replaces River's job table: a run is its own job, held by a lease with a fencing
-- token, and an event waits for dispatch while dispatched < replays. The shared store code
-- (store/*.go) reads the same columns on every database.

-- Runs: the lease of the current attempt, when the run may next be claimed, what it was dispatched with,
-- the request an interrupted attempt may have sent, and an operator's resolution.
ALTER TABLE runs ADD COLUMN version text NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN available_at bigint NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN lease_owner text NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN lease_token bigint NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN lease_expires bigint NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN plan json;
ALTER TABLE runs ADD COLUMN intent text;
ALTER TABLE runs ADD COLUMN resolution text NOT NULL DEFAULT '';
UPDATE runs SET available_at = created_at WHERE status IN ('queued', 'running');
CREATE INDEX runs_ready ON runs (available_at, id) WHERE status IN ('queued', 'retrying');
CREATE INDEX runs_leased ON runs (lease_expires) WHERE status = 'running';
CREATE INDEX runs_owner ON runs (lease_owner) WHERE status = 'running';

-- Steps: one row per step and attempt, never overwritten.
ALTER TABLE steps ADD COLUMN run_attempt integer NOT NULL DEFAULT 1;
UPDATE steps SET run_attempt = greatest(r.attempts, 1) FROM runs r WHERE r.id = steps.run_id;
ALTER TABLE steps DROP CONSTRAINT steps_pkey;
ALTER TABLE steps ADD PRIMARY KEY (run_id, seq, run_attempt);

-- Events: keyed by ukey as on SQLite (version-1 uuids rewritten to sort by time, see store/eventkey.go),
-- so new events land on the last pages of the unique index; and their dispatch progress. Every stored
-- event counts as dispatched except those a pending River dispatch job still carried; River's table is
-- created empty first where it never existed.
ALTER TABLE events ADD COLUMN ukey text COLLATE "C";
UPDATE events SET ukey = CASE
    WHEN uuid ~ '^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$'
    THEN '1:' || substr(uuid, 16, 3) || substr(uuid, 10, 4) || substr(uuid, 1, 8) || substr(uuid, 20, 4) || substr(uuid, 25, 12)
    ELSE '0:' || uuid END;
ALTER TABLE events ALTER COLUMN ukey SET NOT NULL;
ALTER TABLE events ADD CONSTRAINT events_ukey UNIQUE (ukey);
ALTER TABLE events DROP CONSTRAINT events_uuid_key;
ALTER TABLE events ADD COLUMN dispatch_at bigint NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN dispatch_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN dispatch_error text NOT NULL DEFAULT '';
UPDATE events SET dispatched = replays;
CREATE TABLE IF NOT EXISTS river_job (kind text, args jsonb, state text);
UPDATE events SET dispatched = least(events.dispatched, j.replay - 1)
    FROM (SELECT u AS uuid, (river_job.args->>'replay')::integer AS replay
          FROM river_job, jsonb_array_elements_text(river_job.args->'uuids') AS u
          WHERE river_job.kind = 'trama_dispatch'
            AND river_job.state::text IN ('available', 'pending', 'retryable', 'running', 'scheduled')) AS j
    WHERE events.uuid = j.uuid;
DROP TABLE IF EXISTS river_job, river_leader, river_queue, river_client_queue, river_client, river_migration CASCADE;
DROP FUNCTION IF EXISTS river_job_notify() CASCADE;
DROP FUNCTION IF EXISTS river_job_state_in_bitmask(bit(8), river_job_state) CASCADE;
DROP TYPE IF EXISTS river_job_state CASCADE;
CREATE INDEX events_pending ON events (seq) WHERE dispatched < replays;

-- Deliveries count their quarantined events; the events themselves are kept apart.
ALTER TABLE deliveries ADD COLUMN quarantined integer NOT NULL DEFAULT 0;
CREATE TABLE quarantine (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id text COLLATE "C",          -- NULL for a polled event
    idx         integer NOT NULL,          -- position in the delivery's data.events
    reason      text NOT NULL,
    payload     bytea NOT NULL,
    received_at bigint NOT NULL
);
CREATE INDEX quarantine_delivery ON quarantine (delivery_id, idx);
ALTER TABLE totals ADD COLUMN quarantined bigint NOT NULL DEFAULT 0;

-- Workflow documents and source descriptions that runs were pinned to, by content digest.
CREATE TABLE documents (
    digest     text PRIMARY KEY,
    content    bytea NOT NULL,
    created_at bigint NOT NULL
);

-- Every attempt of a run: which worker claimed it, with which fencing token, and when; the history
-- shows takeovers, and tests tell a legitimate later claim from a stale attempt.
CREATE TABLE attempts (
    run_id     text COLLATE "C" NOT NULL,
    attempt    integer NOT NULL,
    owner      text NOT NULL,
    token      bigint NOT NULL,
    claimed_at bigint NOT NULL,
    PRIMARY KEY (run_id, attempt)
);

-- What people did: replays, resolutions.
CREATE TABLE audit (
    id         text COLLATE "C" PRIMARY KEY,  -- UUIDv7
    at         bigint NOT NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    run_id     text NOT NULL DEFAULT '',
    event_uuid text NOT NULL DEFAULT '',
    detail     text NOT NULL DEFAULT ''
);
CREATE INDEX audit_run ON audit (run_id) WHERE run_id <> '';
CREATE INDEX audit_event ON audit (event_uuid) WHERE event_uuid <> '';
