-- The envelope's eventTime and source, which the event card shows, and the runner's checkpoint of each
-- step (its control-flow decision), which a resumed run replays instead of calling the API again.
ALTER TABLE deliveries ADD COLUMN event_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE steps ADD COLUMN checkpoint BLOB;
