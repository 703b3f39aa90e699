-- Events coalesced into another event's run, counted in the dispatch transaction for the metrics.
ALTER TABLE totals ADD COLUMN coalesced INTEGER NOT NULL DEFAULT 0;
