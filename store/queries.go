package store

import (
	"strconv"
	"strings"
)

// queries are the statements that embed dialect fragments, built once per Store. The {now} and {skip}
// markers stand for Dialect.Now and Dialect.SkipLocked; {limit} stays, for withLimit at each call.
type queries struct {
	claimDispatches, claimRuns, expireSlots, expireLeases, alertWaits, expireWaits, timeoutMessages, fence string
	// pendingEvent is the condition on the dispatch_queue rows q of events that wait for dispatch now:
	// no hold (a claim in progress, or a failed dispatch's backoff).
	pendingEvent string
	// ready and waiting follow "FROM runs" where the ready or waiting runs are looked up: the
	// dialect's index hints.
	ready, waiting string
}

// readNow is the database's current time as statements read it: a scalar subquery, so that the time is
// read once per statement, not for every row a scan passes, and can bound an index scan. PostgreSQL
// evaluates a volatile expression (its clock) per row and cannot use it as an index condition: with it, a
// claim's planner read and sorted every ready run (see Dialect.QueuePlan).
func readNow(d Dialect) string { return "(SELECT " + d.Now + ")" }

func newQueries(d Dialect) queries {
	var ready, waiting string
	if d.IndexHints {
		ready, waiting = " INDEXED BY runs_ready", " INDEXED BY runs_waiting"
	}
	r := strings.NewReplacer("{now}", readNow(d), "{skip}", d.SkipLocked, "{ready}", ready, "{waiting}", waiting)
	pendingEvent := r.Replace(`q.until_at <= {now}`)
	return queries{
		pendingEvent: pendingEvent,
		ready:        ready, waiting: waiting,
		// Waiting runs whose wait timed out fail, saying what they waited for, each with its alert.
		alertWaits: r.Replace(`INSERT INTO alerts (akey, kind, trigger_name, run_id, event_uuid, message, created_at, next_at)
			SELECT 'run:' || id || ':failed', 'failed', trigger_name, id, event_uuid, 'timed out ' || error, {now}, {now}
			FROM runs{waiting} WHERE status = 'waiting' AND available_at <= {now} AND wait_event = ''
			ON CONFLICT (akey) DO NOTHING`),
		expireWaits: r.Replace(`UPDATE runs SET status = 'failed', finished_at = {now}, waiting = NULL, supplied = NULL,
				error = 'timed out ' || error
			WHERE id IN (SELECT id FROM runs{waiting} WHERE status = 'waiting' AND available_at <= {now} AND wait_event = ''{skip})`),
		// Waiting runs whose message did not arrive in time run again: their receive step fails, and
		// its onFailure actions decide what follows.
		timeoutMessages: r.Replace(`UPDATE runs SET status = 'retrying', available_at = {now}, waiting = NULL, wait_event = '',
				received = '{"timedOut":true}', error = 'timed out ' || error
			WHERE id IN (SELECT id FROM runs{waiting} WHERE status = 'waiting' AND available_at <= {now} AND wait_event <> ''{skip})`),
		// Events waiting for dispatch that no hold keeps (their previous claim, if any, lapsed, and their
		// backoff after a failure, if any, passed), oldest first, each held for $1 from now.
		claimDispatches: r.Replace(`UPDATE dispatch_queue SET until_at = {now} + $1, attempts = attempts + 1
			WHERE seq IN (SELECT seq FROM dispatch_queue q WHERE ` + pendingEvent + ` ORDER BY seq LIMIT {limit}{skip})
			RETURNING seq, uuid, type, from_replay, to_replay, attempts`),
		// The oldest runs ready to run; each claim makes a new attempt with a new fencing token. A
		// run's first attempt is recorded in its own row (first_*), the later ones in attempts (claimIn).
		claimRuns: r.Replace(`UPDATE runs SET status = 'running', lease_owner = $1, lease_token = lease_token + 1,
				lease_expires = {now} + $2, attempts = attempts + 1,
				started_at = CASE WHEN started_at = 0 THEN {now} ELSE started_at END,
				first_owner = CASE WHEN attempts = 0 THEN $1 ELSE first_owner END,
				first_token = CASE WHEN attempts = 0 THEN lease_token + 1 ELSE first_token END,
				first_claimed_at = CASE WHEN attempts = 0 THEN {now} ELSE first_claimed_at END
			WHERE id IN (SELECT id FROM runs{ready} WHERE status IN ('queued', 'retrying') AND available_at <= {now}
				AND (concurrency_key = '' OR (SELECT count(*) FROM run_slots
					WHERE slot_key = runs.trigger_name || ':' || runs.concurrency_key) < runs.concurrency_limit)
				ORDER BY available_at, id LIMIT {limit}{skip})
			RETURNING ` + runColumns),
		// Runs whose attempt stopped renewing its lease go back to the queue, interrupted; the next
		// claim resumes them after their last finished step.
		// Rows another transaction holds are passed over, never waited for: a frozen worker's open
		// transaction must not stall everyone else's claims.
		// Their concurrency slots go first, while the runs still read running.
		expireSlots: r.Replace(`DELETE FROM run_slots WHERE run_id IN
			(SELECT id FROM runs WHERE status = 'running' AND lease_expires < {now})`),
		expireLeases: r.Replace(`UPDATE runs SET status = 'retrying', available_at = {now}, lease_owner = '',
				error = 'attempt ' || attempts || ' was interrupted: its worker stopped renewing the lease'
			WHERE id IN (SELECT id FROM runs WHERE status = 'running' AND lease_expires < {now}{skip})`),
		// Every write of an attempt first checks that its lease is still the current one.
		fence: `UPDATE runs SET intent = $3 WHERE id = $1 AND lease_token = $2 AND status = 'running'`,
	}
}

// withLimit completes a query that ends its arguments with a {limit}: the limit n is written into the
// text where the dialect wants LiteralLimits, otherwise bound as the parameter after args.
func (s *Store) withLimit(q string, n int, args ...any) (string, []any) {
	if s.dialect.LiteralLimits {
		return strings.Replace(q, "{limit}", strconv.Itoa(n), 1), args
	}
	args = append(args, n)
	return strings.Replace(q, "{limit}", "$"+strconv.Itoa(len(args)), 1), args
}
