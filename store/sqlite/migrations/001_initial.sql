-- Times are Unix nanoseconds (INTEGER): they sort and compare as numbers and round-trip exactly.
-- Event rows point at deliveries without a foreign key: the delivery row is written last in the ingest
-- transaction (it records how many events were new), and the hot path skips the lookups.

CREATE TABLE deliveries (
    id          TEXT PRIMARY KEY,          -- UUIDv7: sorts by arrival, so it is also the listing key
    hook        TEXT NOT NULL,
    event_id    TEXT NOT NULL DEFAULT '',  -- the envelope's eventId
    received_at INTEGER NOT NULL,
    headers     TEXT NOT NULL DEFAULT '{}',
    size        INTEGER NOT NULL DEFAULT 0,
    events      INTEGER NOT NULL DEFAULT 0,
    new_events  INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    body        BLOB
);
CREATE INDEX deliveries_hook ON deliveries (hook, id);
CREATE INDEX deliveries_malformed ON deliveries (id) WHERE error <> '';

-- The permanent de-duplication table: an Okta uuid is stored once, whatever brought it. It is unique on
-- ukey, the uuid rewritten so that Okta's time-based (version 1) uuids sort by time (see eventKey): new
-- events then land on the last pages of the index instead of on one random page each, which is most of
-- the pages an acknowledgement writes once the table is large.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,       -- arrival order, the listing key
    ukey        TEXT NOT NULL UNIQUE,
    uuid        TEXT NOT NULL,
    type        TEXT NOT NULL,
    published   INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    source      TEXT NOT NULL,
    delivery_id TEXT,                      -- the first delivery, whose headers the event shows
    payload     TEXT NOT NULL,
    replays     INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    dispatched  INTEGER NOT NULL DEFAULT -1  -- highest replay number whose dispatch finished; see queue.go
);
CREATE INDEX events_type ON events (type, seq);

-- Later deliveries of an event (the first is events.delivery_id): written only for duplicates, so
-- the hot path touches no index keyed by a random uuid except events.uuid itself.
CREATE TABLE event_deliveries (
    event_uuid  TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    PRIMARY KEY (event_uuid, delivery_id)
) WITHOUT ROWID;

CREATE TABLE runs (
    id            TEXT PRIMARY KEY,        -- UUIDv7, the listing key
    event_uuid    TEXT NOT NULL,           -- checked against events in CreateRuns
    trigger_name  TEXT NOT NULL,
    replay        INTEGER NOT NULL,
    workflow_file TEXT NOT NULL,
    workflow_id   TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER NOT NULL DEFAULT 0,
    finished_at   INTEGER NOT NULL DEFAULT 0,
    inputs        TEXT,
    outputs       TEXT,
    error         TEXT NOT NULL DEFAULT '',
    UNIQUE (event_uuid, trigger_name, replay)
);
CREATE INDEX runs_status ON runs (status, id);
CREATE INDEX runs_trigger ON runs (trigger_name, id);

CREATE TABLE steps (
    run_id      TEXT NOT NULL REFERENCES runs (id),
    seq         INTEGER NOT NULL,
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
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE cursors (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Running totals kept in the ingest transaction, so metrics never count whole tables.
CREATE TABLE totals (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO totals (name, value) VALUES ('deliveries', 0), ('malformed', 0), ('events', 0), ('duplicates', 0);
