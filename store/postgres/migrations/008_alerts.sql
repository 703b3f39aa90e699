-- The alerts outbox: a failed run, a run stopped as uncertain or a quarantined event leaves one row, in
-- the transaction that records it, so an alert is never lost with the process; its key (run:<id>:<kind>,
-- quarantine:<delivery>:<index>) makes it once. The sender claims due rows (next_at) and marks them sent.
CREATE TABLE alerts (
    akey         text PRIMARY KEY,
    kind         text NOT NULL,
    trigger_name text NOT NULL DEFAULT '',
    run_id       text NOT NULL DEFAULT '',
    event_uuid   text NOT NULL DEFAULT '',
    message      text NOT NULL,
    created_at   bigint NOT NULL,
    next_at      bigint NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    sent_at      bigint NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT ''
);
CREATE INDEX alerts_due ON alerts (next_at) WHERE sent_at = 0;
