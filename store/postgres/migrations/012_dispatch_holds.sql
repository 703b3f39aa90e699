-- A claim for dispatch (or a dispatch's backoff after it failed) is a small row of its own instead of two
-- columns of the event: claiming 50 events then inserts 50 short rows into a table with one index, where
-- it wrote a new version of each 1.6 KB event with an entry in each of the events table's six indexes.
-- until_at is when the hold lapses (Unix nanoseconds); attempts counts claims of the event's pending
-- dispatch, this one included. A hold goes when its dispatch is recorded or the event is replayed.
-- events.dispatch_at and events.dispatch_attempts are no longer written; holds in flight move here.
CREATE TABLE dispatch_holds (
    seq      bigint PRIMARY KEY,
    until_at bigint NOT NULL,
    attempts integer NOT NULL
);
INSERT INTO dispatch_holds (seq, until_at, attempts)
    SELECT seq, dispatch_at, dispatch_attempts FROM events
    WHERE dispatched < replays AND (dispatch_at > 0 OR dispatch_attempts > 0);
