package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Lease is one attempt's hold on a run. A worker claims a run for a while (ClaimRuns) and keeps renewing
// the lease (RenewLeases); if it stops — it died, froze, or lost the database — the lease expires and
// another worker claims the run with a larger Token. Every write of an attempt carries its lease and
// succeeds only while Token is the run's current one, so an attempt that lost its run can no longer
// change it (ErrLeaseLost), however late it wakes up.
type Lease struct {
	RunID string
	// Token is the fencing token: it grows by one with every claim of the run.
	Token int64
	// Attempt numbers this attempt (1 for the first claim).
	Attempt int
}

// Claim is a run handed to a worker, with the lease of this attempt.
type Claim struct {
	Lease Lease
	Run   Run
	// Steps are the run's finished steps from earlier attempts, in Seq order.
	Steps []Step
}

// ClaimRuns claims up to n runs that are ready (queued, or retrying and due), oldest first, for owner
// (a name unique to one worker process) for lease. Runs whose worker stopped renewing its lease are
// expired first (ExpireLeases), so they are claimed again here.
func (s *Store) ClaimRuns(ctx context.Context, owner string, n int, lease time.Duration) ([]Claim, error) {
	if n <= 0 {
		return nil, nil
	}
	var claims []Claim
	err := s.queueTx(ctx, func(tx *sql.Tx) (err error) {
		claims, err = s.claimIn(ctx, tx, owner, n, lease)
		return err
	})
	if err != nil {
		return nil, err
	}
	return claims, nil
}

// claimIn is ClaimRuns in tx, which may hold other work (FinishRunsAndClaim).
func (s *Store) claimIn(ctx context.Context, tx *sql.Tx, owner string, n int, lease time.Duration) (claims []Claim, err error) {
	if n <= 0 {
		return nil, nil
	}
	defer func() {
		if err != nil {
			claims, err = nil, fmt.Errorf("claim runs for %s: %w", owner, err)
		}
	}()
	// Lapsed leases are looked for when the ready runs do not fill the claim, and at least every
	// Options.LapsedLeaseCheck under a backlog that always does: not on every claim, which under
	// load is one more write per run for nothing.
	expired := false
	if time.Since(s.lastExpire.Load().(time.Time)) >= s.opts.LapsedLeaseCheck {
		if err := s.expireLeases(ctx, tx); err != nil {
			return nil, err
		}
		expired = true
	}
	runs, err := s.claimReady(ctx, tx, owner, n, lease)
	if err != nil {
		return nil, err
	}
	if len(runs) < n && !expired {
		if err := s.expireLeases(ctx, tx); err != nil {
			return nil, err
		}
		more, err := s.claimReady(ctx, tx, owner, n-len(runs), lease)
		if err != nil {
			return nil, err
		}
		runs = append(runs, more...)
	}
	// RETURNING gives no order; hand the runs out oldest first, as they were picked.
	slices.SortFunc(runs, func(a, b Run) int {
		return cmp.Or(a.AvailableAt.Compare(b.AvailableAt), strings.Compare(a.ID, b.ID))
	})
	runs, err = s.takeSlots(ctx, tx, runs)
	if err != nil {
		return nil, err
	}
	// A first attempt is recorded in the run's row by the claim's statement; only later ones have rows.
	var attempts [][]any
	for _, r := range runs {
		claims = append(claims, Claim{Lease: Lease{RunID: r.ID, Token: r.LeaseToken, Attempt: r.Attempts}, Run: r})
		if r.Attempts > 1 {
			attempts = append(attempts, []any{r.ID, r.Attempts, text(owner), r.LeaseToken, r.LeaseExpires.UnixNano() - lease.Nanoseconds()})
		}
	}
	if err := insertRows(ctx, tx, "attempts", []string{"run_id", "attempt", "owner", "token", "claimed_at"}, attempts, "", nil); err != nil {
		return nil, fmt.Errorf("record the attempts of %d claimed runs: %w", len(attempts), err)
	}
	for i := range claims {
		if claims[i].Lease.Attempt == 1 {
			continue // a first attempt has no checkpoints to resume from
		}
		// Read in the claim's transaction, so that a claim comes with its steps or not at all.
		steps, err := stepsOf(ctx, tx, claims[i].Run.ID)
		if err != nil {
			return nil, err
		}
		claims[i].Steps = steps
	}
	return claims, nil
}

// expireEvery is Options.LapsedLeaseCheck's default: how long lapsed leases can go unnoticed while
// ready runs fill every claim.
const expireEvery = time.Second

// expireLeases puts the runs whose attempts stopped renewing their leases back in the queue, and fails
// the waiting runs whose wait timed out.
func (s *Store) expireLeases(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, s.q.expireSlots); err != nil {
		return fmt.Errorf("free the concurrency slots of lapsed leases: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q.expireLeases); err != nil {
		return fmt.Errorf("expire leases: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q.alertWaits); err != nil {
		return fmt.Errorf("alert timed-out waits: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q.expireWaits); err != nil {
		return fmt.Errorf("end timed-out waits: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q.timeoutMessages); err != nil {
		return fmt.Errorf("end timed-out message waits: %w", err)
	}
	s.lastExpire.Store(time.Now())
	return nil
}

// claimReady claims up to n of the oldest ready runs for owner.
func (s *Store) claimReady(ctx context.Context, tx *sql.Tx, owner string, n int, lease time.Duration) ([]Run, error) {
	q, args := s.withLimit(s.q.claimRuns, n, text(owner), lease.Nanoseconds())
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (Run, error) { return scanRun(r) })
}

// pendingRuns reports whether some run is ready to claim, or holds a lease that expired: a read, so an
// idle worker's poll costs no write transaction.
func (s *Store) pendingRuns(ctx context.Context) (bool, error) {
	// Index probes that stop at the first row: counting would read the whole queue on every poll.
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM (
		SELECT * FROM (SELECT 1 AS one FROM runs`+s.q.ready+` WHERE status IN ('queued', 'retrying') AND available_at <= `+s.now+` LIMIT 1) AS ready
		UNION ALL
		SELECT * FROM (SELECT 1 AS one FROM runs WHERE status = 'running' AND lease_expires < `+s.now+` LIMIT 1) AS lapsed
		UNION ALL
		SELECT * FROM (SELECT 1 AS one FROM runs`+s.q.waiting+` WHERE status = 'waiting' AND available_at <= `+s.now+` LIMIT 1) AS timedout) AS p`).Scan(&n)
	return n > 0, err
}

// Pending reports whether work of kind waits now (in this process or any other): what a polling worker
// asks before it claims, so that polling an idle store is a read.
func (s *Store) Pending(ctx context.Context, kind Work) (bool, error) {
	var ok bool
	var err error
	if kind == DispatchWork {
		ok, err = s.pendingDispatch(ctx)
	} else {
		ok, err = s.pendingRuns(ctx)
	}
	if err != nil {
		return false, fmt.Errorf("look for work: %w", err)
	}
	return ok, nil
}

// RenewLeases extends, by lease from now, the leases owner holds on the runs named by runIDs (the
// attempts it is still running), and returns those it still holds, by run id with their tokens. A run the
// owner believes it holds but that is missing, or has another token, was lost: its attempt must stop.
func (s *Store) RenewLeases(ctx context.Context, owner string, lease time.Duration, runIDs []string) (map[string]int64, error) {
	held := map[string]int64{}
	if len(runIDs) == 0 {
		return held, nil
	}
	args := []any{text(owner), lease.Nanoseconds()}
	for _, id := range runIDs {
		args = append(args, text(id))
	}
	q := `UPDATE runs SET lease_expires = ` + s.now + ` + $2
		WHERE lease_owner = $1 AND status = 'running' AND id IN (` + placeholders(2, len(runIDs)) + `) RETURNING id, lease_token`
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		clear(held)
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var token int64
			if err := rows.Scan(&id, &token); err != nil {
				return err
			}
			held[id] = token
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("renew leases of %s: %w", owner, err)
	}
	return held, nil
}

// ExpireAllLeases ends every lease at once. Only a worker that holds the work lock of an exclusive
// store may call it: no other process can be running those attempts, so the runs of a process that
// crashed resume now instead of when their leases would have expired.
func (s *Store) ExpireAllLeases(ctx context.Context) (int64, error) {
	var n int64
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET lease_expires = 0 WHERE status = 'running'`)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("expire leases: %w", err)
	}
	return n, nil
}

// fence checks, inside tx, that l is still the current lease of its run, and sets the run's intent
// (nil clears it). Every write of an attempt starts with it; in PostgreSQL it also locks the run's row,
// so a takeover waits for the write to commit and cannot slip between the check and the write.
func (s *Store) fence(ctx context.Context, tx *sql.Tx, l Lease, intent any) error {
	res, err := tx.ExecContext(ctx, s.q.fence, l.RunID, l.Token, intent)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("run %s attempt %d (token %d): %w", l.RunID, l.Attempt, l.Token, ErrLeaseLost)
	}
	return nil
}

// Attempt is one claim of a run, as the history shows it.
type Attempt struct {
	Attempt int
	// Owner names the worker that claimed it (host:pid:random).
	Owner     string
	Token     int64
	ClaimedAt time.Time
}

// Attempts returns the attempts of a run, oldest first.
func (s *Store) Attempts(ctx context.Context, runID string) ([]Attempt, error) {
	// The first attempt is in the run's row, unless the run was claimed before the store kept it there
	// (first_token 0): then it is in attempts with the others.
	rows, err := s.read.QueryContext(ctx, `SELECT 1, first_owner, first_token, first_claimed_at FROM runs
			WHERE id = $1 AND first_token > 0
		UNION ALL
		SELECT attempt, owner, token, claimed_at FROM attempts WHERE run_id = $1
		ORDER BY 1`, text(runID))
	if err != nil {
		return nil, fmt.Errorf("attempts of run %s: %w", runID, err)
	}
	out, err := collect(rows, func(r *sql.Rows) (Attempt, error) {
		var a Attempt
		var at int64
		err := r.Scan(&a.Attempt, &a.Owner, &a.Token, &at)
		a.ClaimedAt = fromNanos(at)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("attempts of run %s: %w", runID, err)
	}
	return out, nil
}

// Busy reports whether any work is unfinished: an event waiting for dispatch, or a run queued,
// running or waiting to retry. Two index probes, so a caller waiting for a queue to drain can ask often.
func (s *Store) Busy(ctx context.Context) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM (SELECT 1 FROM dispatch_queue LIMIT 1) AS e) +
		(SELECT count(*) FROM (SELECT 1 FROM runs WHERE status IN ('queued', 'running', 'retrying') LIMIT 1) AS r)`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for unfinished work: %w", err)
	}
	return n > 0, nil
}
