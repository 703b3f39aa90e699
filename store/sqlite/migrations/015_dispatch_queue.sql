-- An event waiting for dispatch has a row in dispatch_queue, written with the event when it is stored
-- (or by a replay) and deleted when its dispatch is recorded: the event's own row is then written once,
-- where recording a dispatch wrote a new version of it (about 1.6 KB, an entry in each of its indexes).
-- The row repeats the event's uuid and type, so a claim reads nothing else. from_replay..to_replay are
-- the replay numbers not dispatched yet; until_at is when a claim or a failed dispatch's backoff lapses
-- (0: none); attempts counts claims of the pending dispatch; error is why its last attempt failed. The
-- event's Okta user is now read when it is stored. The holds in flight, and the events that wait, move
-- here; events.dispatched, which said the same, goes.
CREATE TABLE dispatch_queue (
    seq         INTEGER PRIMARY KEY,
    uuid        TEXT NOT NULL,
    type        TEXT NOT NULL,
    from_replay INTEGER NOT NULL,
    to_replay   INTEGER NOT NULL,
    until_at    INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
);
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
UPDATE events SET
    user_id = coalesce((SELECT json_extract(t.value, '$.id') FROM json_each(events.payload, '$.target') t
        WHERE json_type(t.value) = 'object' AND json_extract(t.value, '$.type') = 'User' LIMIT 1), ''),
    user_login = lower(coalesce((SELECT json_extract(t.value, '$.alternateId') FROM json_each(events.payload, '$.target') t
        WHERE json_type(t.value) = 'object' AND json_extract(t.value, '$.type') = 'User' LIMIT 1), ''))
WHERE user_id = '' AND user_login = '' AND json_valid(payload) AND json_type(payload, '$.target') = 'array'
    AND EXISTS (SELECT 1 FROM json_each(events.payload, '$.target') t
        WHERE json_type(t.value) = 'object' AND json_extract(t.value, '$.type') = 'User');
