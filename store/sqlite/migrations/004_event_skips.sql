-- The triggers that matched an event's type but started no run at its latest dispatch, and why, as JSON
-- ([{"trigger","reason","detail"}]); NULL when every matching trigger ran or none matched.
ALTER TABLE events ADD COLUMN skipped TEXT;
