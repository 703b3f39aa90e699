-- The alerts outbox: a failed run, a run stopped as uncertain or a quarantined event leaves one row, in
-- the transaction that records it, so an alert is never lost with the process; its key (run:<id>:<kind>,
-- quarantine:<delivery>:<index>) makes it once. The sender claims due rows (next_at) and marks them sent.
CREATE TABLE alerts (
    akey         TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    trigger_name TEXT NOT NULL DEFAULT '',
    run_id       TEXT NOT NULL DEFAULT '',
    event_uuid   TEXT NOT NULL DEFAULT '',
    message      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    next_at      INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    sent_at      INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_due ON alerts (next_at) WHERE sent_at = 0;
