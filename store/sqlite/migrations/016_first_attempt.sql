-- A run's first attempt is kept in the run's own row, written by the claim's own statement; the attempts
-- table holds the later ones (takeovers, retries, resumed waits). Most runs have one attempt, so most
-- claims write no attempts row, where each wrote one per run before (a row and an index entry: 6 % of
-- the CPU per run, trama's and PostgreSQL's, in the three-replica bench; docs/performance.md).
-- first_token is 0 where the run has no first attempt here: not claimed yet, or claimed before this
-- migration, whose first attempt stays in attempts.
ALTER TABLE runs ADD COLUMN first_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN first_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN first_claimed_at INTEGER NOT NULL DEFAULT 0;
