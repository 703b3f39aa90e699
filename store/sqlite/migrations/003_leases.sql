-- trama's own queue replaces River's job table: a run is its own job, held by a lease with a fencing
-- token, and an event waits for dispatch while dispatched < replays. The shared store code
-- (store/*.go) reads the same columns on every database.

-- Runs: the lease of the current attempt, when the run may next be claimed, what it was dispatched with,
-- the request an interrupted attempt may have sent, and an operator's resolution.
ALTER TABLE runs ADD COLUMN version TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN available_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN lease_expires INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN plan TEXT;
ALTER TABLE runs ADD COLUMN intent TEXT;
ALTER TABLE runs ADD COLUMN resolution TEXT NOT NULL DEFAULT '';
UPDATE runs SET available_at = created_at WHERE status IN ('queued', 'running');
CREATE INDEX runs_ready ON runs (available_at, id) WHERE status IN ('queued', 'retrying');
CREATE INDEX runs_leased ON runs (lease_expires) WHERE status = 'running';
CREATE INDEX runs_owner ON runs (lease_owner) WHERE status = 'running';

-- Steps: one row per step and attempt, never overwritten, so the history keeps a step that failed
-- transiently and its later attempt side by side.
CREATE TABLE steps_v3 (
    run_id      TEXT NOT NULL REFERENCES runs (id),
    seq         INTEGER NOT NULL,
    run_attempt INTEGER NOT NULL,
    step_id     TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    method      TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL DEFAULT '',
    status_code INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER NOT NULL DEFAULT 0,
    duration    INTEGER NOT NULL DEFAULT 0,
    request     BLOB,
    response    BLOB,
    outputs     TEXT,
    error       TEXT NOT NULL DEFAULT '',
    checkpoint  BLOB,
    PRIMARY KEY (run_id, seq, run_attempt)
) WITHOUT ROWID;
INSERT INTO steps_v3 SELECT s.run_id, s.seq, max(r.attempts, 1), s.step_id, s.status, s.attempts, s.method, s.url,
    s.status_code, s.started_at, s.duration, s.request, s.response, s.outputs, s.error, s.checkpoint
    FROM steps s JOIN runs r ON r.id = s.run_id;
DROP TABLE steps;
ALTER TABLE steps_v3 RENAME TO steps;

-- Events: dispatch progress. Every stored event counts as dispatched except those a pending River
-- dispatch job still carried; River's table is created empty first where it never existed.
ALTER TABLE events ADD COLUMN dispatch_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN dispatch_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN dispatch_error TEXT NOT NULL DEFAULT '';
UPDATE events SET dispatched = replays;
CREATE TABLE IF NOT EXISTS river_job (kind TEXT, args BLOB, state TEXT);
UPDATE events SET dispatched = min(events.dispatched, j.replay - 1)
    FROM (SELECT u.value AS uuid, json_extract(CAST(river_job.args AS TEXT), '$.replay') AS replay
          FROM river_job, json_each(CAST(river_job.args AS TEXT), '$.uuids') AS u
          WHERE river_job.kind = 'trama_dispatch'
            AND river_job.state IN ('available', 'pending', 'retryable', 'running', 'scheduled')) AS j
    WHERE events.uuid = j.uuid;
DROP TABLE IF EXISTS river_job;
DROP TABLE IF EXISTS river_leader;
DROP TABLE IF EXISTS river_queue;
DROP TABLE IF EXISTS river_client_queue;
DROP TABLE IF EXISTS river_client;
DROP TABLE IF EXISTS river_migration;
CREATE INDEX events_pending ON events (seq) WHERE dispatched < replays;

-- Deliveries count their quarantined events; the events themselves are kept apart.
ALTER TABLE deliveries ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
CREATE TABLE quarantine (
    seq         INTEGER PRIMARY KEY,
    delivery_id TEXT,                      -- NULL for a polled event
    idx         INTEGER NOT NULL,          -- position in the delivery's data.events
    reason      TEXT NOT NULL,
    payload     BLOB NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX quarantine_delivery ON quarantine (delivery_id, idx);

-- Running totals, in the sharded layout of the PostgreSQL store (one shard here).
CREATE TABLE totals_v3 (
    shard       INTEGER PRIMARY KEY,
    deliveries  INTEGER NOT NULL DEFAULT 0,
    malformed   INTEGER NOT NULL DEFAULT 0,
    events      INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0
);
INSERT INTO totals_v3 (shard, deliveries, malformed, events, duplicates) VALUES (0,
    coalesce((SELECT value FROM totals WHERE name = 'deliveries'), 0),
    coalesce((SELECT value FROM totals WHERE name = 'malformed'), 0),
    coalesce((SELECT value FROM totals WHERE name = 'events'), 0),
    coalesce((SELECT value FROM totals WHERE name = 'duplicates'), 0));
DROP TABLE totals;
ALTER TABLE totals_v3 RENAME TO totals;

-- Workflow documents and source descriptions that runs were pinned to, by content digest.
CREATE TABLE documents (
    digest     TEXT PRIMARY KEY,
    content    BLOB NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Every attempt of a run: which worker claimed it, with which fencing token, and when; the history
-- shows takeovers, and tests tell a legitimate later claim from a stale attempt.
CREATE TABLE attempts (
    run_id     TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    owner      TEXT NOT NULL,
    token      INTEGER NOT NULL,
    claimed_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, attempt)
) WITHOUT ROWID;

-- What people did: replays, resolutions.
CREATE TABLE audit (
    id         TEXT PRIMARY KEY,           -- UUIDv7
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    run_id     TEXT NOT NULL DEFAULT '',
    event_uuid TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_run ON audit (run_id) WHERE run_id <> '';
CREATE INDEX audit_event ON audit (event_uuid) WHERE event_uuid <> '';
