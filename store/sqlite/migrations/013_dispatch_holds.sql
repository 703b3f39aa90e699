-- A claim for dispatch (or a dispatch's backoff after it failed) is a small row of its own instead of two
-- columns of the event: claiming 50 events then inserts 50 short rows, where it rewrote each 1.6 KB
-- event. until_at is when the hold lapses (Unix nanoseconds); attempts counts claims of the event's
-- pending dispatch, this one included. A hold goes when its dispatch is recorded or the event is
-- replayed. events.dispatch_at and events.dispatch_attempts are no longer written; holds in flight
-- move here.
CREATE TABLE dispatch_holds (
    seq      INTEGER PRIMARY KEY,
    until_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL
);
INSERT INTO dispatch_holds (seq, until_at, attempts)
    SELECT seq, dispatch_at, dispatch_attempts FROM events
    WHERE dispatched < replays AND (dispatch_at > 0 OR dispatch_attempts > 0);
