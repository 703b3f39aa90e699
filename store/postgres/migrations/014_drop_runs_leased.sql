-- Lapsed leases are found through runs_status (status, id): the running runs are few, and a claim reads
-- them once a second at most. The partial index on lease_expires cost an entry for every claim and made
-- every lease renewal a new version of the row in every index (lease_expires changes on each), and the
-- planner, misled by statistics that lag the queue, used it to look up runs it had the keys of, reading
-- every run marked running since the last vacuum (3 000 entries to finish 22 runs).
DROP INDEX IF EXISTS runs_leased;
