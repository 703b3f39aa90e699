-- An event waiting for dispatch has a row in dispatch_queue, written with the event when it is stored
-- (or by a replay) and deleted when its dispatch is recorded: the event's own row is then written once,
-- where recording a dispatch wrote a new version of it (about 1.6 KB, an entry in each of its indexes).
-- The row repeats the event's uuid and type, so a claim reads nothing else. from_replay..to_replay are
-- the replay numbers not dispatched yet; until_at is when a claim or a failed dispatch's backoff lapses
-- (0: none); attempts counts claims of the pending dispatch; error is why its last attempt failed. The
-- event's Okta user is now read when it is stored. The holds in flight, and the events that wait, move
-- here; events.dispatched, which said the same, goes.
CREATE TABLE dispatch_queue (
    seq         bigint PRIMARY KEY,
    uuid        text NOT NULL,
    type        text NOT NULL,
    from_replay integer NOT NULL,
    to_replay   integer NOT NULL,
    until_at    bigint NOT NULL DEFAULT 0,
    attempts    integer NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT ''
) WITH (fillfactor = 50);  -- room on each page for a claim's new version of its rows: no index entry
INSERT INTO dispatch_queue (seq, uuid, type, from_replay, to_replay, until_at, attempts, error)
    SELECT e.seq, e.uuid, e.type, e.dispatched + 1, e.replays, coalesce(h.until_at, 0), coalesce(h.attempts, 0), e.dispatch_error
    FROM events e LEFT JOIN dispatch_holds h ON h.seq = e.seq
    WHERE e.dispatched < e.replays;
UPDATE events SET dispatch_error = '' WHERE dispatched < replays AND dispatch_error <> '';
DROP TABLE dispatch_holds;
DROP INDEX IF EXISTS events_pending;
ALTER TABLE events DROP COLUMN dispatched;
-- Events stored without dispatch work (no trigger listened to their type) while users were read at
-- dispatch have none yet: they get it from their payload, as every event now does on arrival.
UPDATE events SET user_id = coalesce(u.t->>'id', ''), user_login = lower(coalesce(u.t->>'alternateId', ''))
FROM (SELECT e.seq, (SELECT x FROM json_array_elements(e.payload->'target') x
        WHERE json_typeof(x) = 'object' AND x->>'type' = 'User' LIMIT 1) AS t
      FROM events e WHERE e.user_id = '' AND e.user_login = '' AND json_typeof(e.payload->'target') = 'array') u
WHERE events.seq = u.seq AND u.t IS NOT NULL;
