-- No query looks runs up by their lease's owner alone: a renewal names its runs by id. The index cost an
-- entry for every claim and every renewal of a lease.
DROP INDEX IF EXISTS runs_owner;
