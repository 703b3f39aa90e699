-- trama's tables on PostgreSQL: the same concepts as the SQLite store (store/sqlite/migrations).
-- Times are Unix nanoseconds (bigint), as on SQLite: they round-trip exactly and 0 means "not yet".
-- JSON columns are json, not jsonb: json keeps the text byte for byte, which is what the history shows
-- and what a masked input must stay.

CREATE TABLE deliveries (
    id          text COLLATE "C" PRIMARY KEY,  -- UUIDv7: sorts by arrival, so it is also the listing key
    hook        text NOT NULL,
    event_id    text NOT NULL DEFAULT '',  -- the envelope's eventId
    event_time  bigint NOT NULL DEFAULT 0,
    source      text NOT NULL DEFAULT '',
    received_at bigint NOT NULL,
    headers     json NOT NULL DEFAULT '{}',
    size        integer NOT NULL DEFAULT 0,
    events      integer NOT NULL DEFAULT 0,
    new_events  integer NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    body        bytea
);
CREATE INDEX deliveries_hook ON deliveries (hook, id);
CREATE INDEX deliveries_malformed ON deliveries (id) WHERE error <> '';

-- The permanent de-duplication table: an Okta uuid is stored once, whichever replica received it.
CREATE TABLE events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- arrival order, the listing key
    uuid        text COLLATE "C" NOT NULL UNIQUE,
    type        text NOT NULL,
    published   bigint NOT NULL,
    received_at bigint NOT NULL,
    source      text NOT NULL,
    delivery_id text,                      -- the first delivery, whose headers the event shows
    payload     json NOT NULL,
    replays     integer NOT NULL DEFAULT 0,
    duplicates  integer NOT NULL DEFAULT 0,
    dispatched  integer NOT NULL DEFAULT -1  -- highest replay number whose dispatch finished; see dispatch.go
);
CREATE INDEX events_type ON events (type, seq);

-- Later deliveries of an event (the first is events.delivery_id), written only for duplicates.
CREATE TABLE event_deliveries (
    event_uuid  text NOT NULL,
    delivery_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (event_uuid, delivery_id)
);

CREATE TABLE runs (
    id            text COLLATE "C" PRIMARY KEY,  -- UUIDv7, the listing key
    event_uuid    text NOT NULL,           -- checked against events in CreateRuns
    trigger_name  text NOT NULL,
    replay        integer NOT NULL,
    workflow_file text NOT NULL,
    workflow_id   text NOT NULL,
    status        text NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    created_at    bigint NOT NULL,
    started_at    bigint NOT NULL DEFAULT 0,
    finished_at   bigint NOT NULL DEFAULT 0,
    inputs        json,
    outputs       json,
    error         text NOT NULL DEFAULT '',
    UNIQUE (event_uuid, trigger_name, replay)
);
CREATE INDEX runs_status ON runs (status, id);
CREATE INDEX runs_trigger ON runs (trigger_name, id);

CREATE TABLE steps (
    run_id      text NOT NULL REFERENCES runs (id),
    seq         integer NOT NULL,
    step_id     text NOT NULL,
    status      text NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    method      text NOT NULL DEFAULT '',
    url         text NOT NULL DEFAULT '',
    status_code integer NOT NULL DEFAULT 0,
    started_at  bigint NOT NULL DEFAULT 0,
    duration    bigint NOT NULL DEFAULT 0,
    request     bytea,
    response    bytea,
    outputs     json,
    error       text NOT NULL DEFAULT '',
    checkpoint  bytea,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE cursors (
    name  text PRIMARY KEY,
    value text NOT NULL
);

-- Running totals kept in the ingest transaction, so metrics never count whole tables. One row would
-- serialize every acknowledgement of every replica on its row lock, so the totals are spread over
-- shards: each ingest adds to one shard picked at random, and Counts sums them.
CREATE TABLE totals (
    shard      integer PRIMARY KEY,
    deliveries bigint NOT NULL DEFAULT 0,
    malformed  bigint NOT NULL DEFAULT 0,
    events     bigint NOT NULL DEFAULT 0,
    duplicates bigint NOT NULL DEFAULT 0
);
INSERT INTO totals (shard) SELECT generate_series(0, 31);
