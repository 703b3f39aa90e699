package queue

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/trama-dev/trama/store"
)

// claimGather is how long, under a backlog, the run loop waits for more slots to free before it claims:
// claiming each time one attempt ends costs a write transaction per run, and a few milliseconds let one
// transaction claim a batch.
const claimGather = 2 * time.Millisecond

// runLoop claims runs while ExecuteWorkers slots are free and starts an attempt for each. Under a
// backlog the finisher claims too, for the slots its finishes free (finishAndClaim).
func (q *Queue) runLoop(ctx context.Context) {
	q.claimMu.Lock()
	q.claimCtx = ctx
	q.claimMu.Unlock()
	defer func() {
		// Waits for a claim of the finisher's in flight: once the run loop returned, none starts a run.
		q.claimMu.Lock()
		q.claimCtx = nil
		q.claimMu.Unlock()
	}()
	var gather *time.Timer
	gathering := false
	for {
		free := q.opts.ExecuteWorkers - q.held()
		if free <= 0 {
			select {
			case <-ctx.Done():
				return
			case <-q.freed:
				continue
			}
		}
		if q.backlog.Load() && free < q.claimBatch() {
			if !gathering {
				if gather == nil {
					gather = time.NewTimer(claimGather)
				} else {
					gather.Reset(claimGather)
				}
				gathering = true
			}
			select {
			case <-ctx.Done():
				return
			case <-q.freed:
				continue
			case <-gather.C:
			}
		}
		if gathering && !gather.Stop() {
			select { // drain a fire that raced with Stop, so the next Reset starts clean
			case <-gather.C:
			default:
			}
		}
		gathering = false
		full, err := q.claim(ctx)
		if err != nil {
			if !q.claimFailed(ctx, "claiming runs failed", err) {
				return
			}
			continue
		}
		if full {
			continue // there may be more runs ready, or the finisher filled the slots meanwhile
		}
		if !q.wait(ctx, store.RunWork, nil) {
			return
		}
	}
}

// claim claims runs for the slots free now and starts them. It reports whether every free slot is
// taken after it.
func (q *Queue) claim(ctx context.Context) (full bool, err error) {
	q.claimMu.Lock()
	defer q.claimMu.Unlock()
	free := q.opts.ExecuteWorkers - q.held() // the finisher may have taken slots meanwhile
	if free <= 0 {
		return true, nil
	}
	start := time.Now()
	claims, err := q.st.ClaimRuns(ctx, q.opts.Owner, free, q.opts.Lease)
	if err != nil {
		return false, err
	}
	return q.startClaims(ctx, claims, start, free), nil
}

// startClaims starts the runs of a claim for asked slots that began at start, and records whether it
// filled them all (the backlog). The caller holds claimMu.
func (q *Queue) startClaims(ctx context.Context, claims []store.Claim, start time.Time, asked int) (full bool) {
	for _, c := range claims {
		q.start(ctx, c, start)
	}
	full = len(claims) == asked
	q.backlog.Store(full)
	return full
}

// claimBatch is how many free slots a claim under a backlog waits for (at most claimGather): a quarter of
// ExecuteWorkers, so that the runs still executing keep both the API and the store busy meanwhile.
func (q *Queue) claimBatch() int { return max(1, q.opts.ExecuteWorkers/4) }

func (q *Queue) held() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.attempts)
}

// start runs one attempt on a goroutine of its own (q.exec). claimStart is when the claim began: the
// lease was granted after it, so it bounds the lease's start from below.
func (q *Queue) start(ctx context.Context, c store.Claim, claimStart time.Time) {
	// The attempt's context is not ctx's child: a stopping worker lets attempts finish (shutdown cancels
	// them after ShutdownTimeout), while a lost lease cancels its attempt at once.
	actx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	a := &Attempt{Lease: c.Lease, Run: c.Run, Steps: c.Steps, MaxAttempts: q.opts.MaxAttempts, store: q.st,
		finish: q.finish, cancel: cancel, claimed: claimStart, validUntil: claimStart.Add(q.opts.Lease - q.opts.Heartbeat)}
	q.mu.Lock()
	q.attempts[c.Lease.RunID] = a
	q.mu.Unlock()
	q.running.Add(1)
	q.exec.run(func() {
		defer func() {
			cancel(nil)
			q.mu.Lock()
			delete(q.attempts, c.Lease.RunID)
			q.mu.Unlock()
			q.running.Done()
			select {
			case q.freed <- struct{}{}:
			default:
			}
		}()
		q.attempt(actx, a)
	})
}

// attempt executes a claimed run and records how the attempt ended.
func (q *Queue) attempt(ctx context.Context, a *Attempt) {
	log := q.log.With("run", a.Lease.RunID, "attempt", a.Lease.Attempt)
	if a.Lease.Attempt > a.MaxAttempts {
		// Earlier attempts were interrupted (their worker died or stopped) until none is left.
		reason := fmt.Sprintf("gave up after %d attempts: %s", a.MaxAttempts, a.Run.Error)
		if err := a.Finish(ctx, store.RunResult{Status: store.RunFailed, Error: reason}); err != nil {
			log.Error("failing a run out of attempts failed", "err", err)
		} else if q.h.Failed != nil {
			q.h.Failed(a.Run, reason)
		}
		return
	}
	tctx, cancel := context.WithTimeout(ctx, q.opts.Timeout)
	err := q.callExecute(tctx, q.h.Execute, a)
	cancel()
	if a.hasEnded() {
		return
	}
	if lost := a.lostErr(); lost != nil {
		// This attempt acts no more. If its lease only lapsed here (no renewal got through) and nobody
		// took the run over yet, give it back so that the next claim resumes it at once; a run taken
		// over refuses this (its token moved on).
		log.Warn("attempt stopped: it lost its lease", "reason", lost)
		if err := q.st.ReleaseRun(context.WithoutCancel(ctx), a.Lease, fmt.Sprintf("attempt %d stopped: %v", a.Lease.Attempt, lost), a.takePending()...); err == nil {
			log.Info("gave back a run whose lease lapsed")
		}
		return
	}
	bg := context.WithoutCancel(ctx)
	if errors.Is(context.Cause(ctx), errShutdown) {
		if rerr := q.st.ReleaseRun(bg, a.Lease, "attempt "+fmt.Sprint(a.Lease.Attempt)+" was interrupted: its worker shut down", a.takePending()...); rerr != nil {
			log.Error("giving back a run at shutdown failed; it moves on when its lease expires", "err", rerr)
		}
		return
	}
	if err == nil {
		err = errors.New("the run's handler returned without finishing it")
	}
	if !a.Final() {
		delay := q.opts.backoff(a.Lease.Attempt, err)
		log.Info("run failed transiently; retrying", "in", delay, "err", err)
		if rerr := q.st.RetryRun(bg, a.Lease, delay, err.Error(), a.takePending()...); rerr != nil {
			log.Error("scheduling a retry failed; the run moves on when its lease expires", "err", rerr)
		}
		return
	}
	reason := fmt.Sprintf("gave up after %d attempts: %v", a.Lease.Attempt, err)
	if ferr := a.Finish(bg, store.RunResult{Status: store.RunFailed, Error: reason}); ferr != nil {
		log.Error("failing a run out of attempts failed", "err", ferr)
		return
	}
	if q.h.Failed != nil {
		q.h.Failed(a.Run, reason)
	}
}

func (q *Queue) callExecute(ctx context.Context, f func(context.Context, *Attempt) error, a *Attempt) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the run's handler panicked: %v", r)
			q.log.Error("a run's handler panicked", "run", a.Lease.RunID, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	return f(ctx, a)
}

// heartbeat renews this worker's leases every Heartbeat, stops the attempts whose runs were taken over,
// and stops those that no renewal has confirmed for too long (the database is unreachable).
func (q *Queue) heartbeat(ctx context.Context) {
	t := time.NewTicker(q.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		q.mu.Lock()
		var ids []string
		for id, a := range q.attempts {
			if a.lostErr() == nil {
				ids = append(ids, id)
			}
		}
		q.mu.Unlock()
		n := len(ids)
		if n == 0 {
			continue
		}
		start := time.Now()
		held, err := q.renew(ctx, q.opts.Owner, q.opts.Lease, ids)
		q.mu.Lock()
		for id, a := range q.attempts {
			switch token, ok := held[id]; {
			case err != nil:
				a.Check() // stops the attempt once its last confirmed lease may have lapsed
			case ok && token == a.Lease.Token:
				a.renewed(start.Add(q.opts.Lease - q.opts.Heartbeat))
			case start.Sub(a.claimed) < q.opts.Heartbeat:
				// Claimed while this renewal ran: the renewal may not have seen it yet.
			default:
				a.lose(fmt.Errorf("run %s attempt %d: the lease was taken over or ended: %w", id, a.Lease.Attempt, store.ErrLeaseLost))
			}
		}
		q.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			q.log.Warn("renewing leases failed", "runs", n, "err", err)
		}
	}
}
