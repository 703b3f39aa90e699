package queue

import (
	"context"
	"time"

	"github.com/trama-dev/trama/store"
)

// maxFinishBatch bounds how many finishes share one transaction.
const maxFinishBatch = 64

// finishReq is one attempt's finish, waiting for the finisher.
type finishReq struct {
	f    store.Finish
	done chan error
}

// finishLoop records finishing attempts in batches: a finish waits for the transaction in flight, then
// shares the next one with every finish that arrived meanwhile. Under load runs finish together, and
// their outcomes cost one commit rather than one each; alone, a finish is written at once. It runs
// until stop is closed, after every attempt ended.
func (q *Queue) finishLoop(stop <-chan struct{}) {
	for {
		var batch []finishReq
		select {
		case r := <-q.finishes:
			batch = append(batch, r)
		case <-stop:
			return
		}
	drain:
		for len(batch) < maxFinishBatch {
			select {
			case r := <-q.finishes:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		q.commitFinishes(batch)
	}
}

func (q *Queue) commitFinishes(batch []finishReq) {
	// An attempt that asked to finish waits for the answer whatever happens to its context: the
	// outcome is recorded or not, never half.
	ctx := context.Background()
	fs := make([]store.Finish, len(batch))
	for i, r := range batch {
		fs[i] = r.f
	}
	errs, err := q.finishAndClaim(ctx, fs)
	if err != nil && len(batch) > 1 {
		// The transaction failed as a whole (one finish's step could not be stored): record the
		// others one by one rather than fail them all.
		for _, r := range batch {
			r.done <- q.st.FinishRun(ctx, r.f.Lease, r.f.Result, r.f.Steps...)
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			r.done <- err
			continue
		}
		r.done <- errs[i]
	}
}

// finish records one attempt's end through the finisher while it runs, else directly (an attempt that
// outlived its queue's shutdown).
func (q *Queue) finish(f store.Finish) error {
	done := make(chan error, 1)
	q.mu.Lock()
	gone := q.finisherGone
	q.mu.Unlock()
	select {
	case q.finishes <- finishReq{f: f, done: done}:
		return <-done
	case <-gone:
		return q.st.FinishRun(context.Background(), f.Lease, f.Result, f.Steps...)
	}
}

// finishAndClaim records fs and, under a backlog, claims runs for the slots they free in the same
// transaction (store.FinishRunsAndClaim) and starts them: the attempts of fs still hold their slots, and
// free them right after. Without a backlog the run loop claims when it is told of new runs, and a claim
// here would mostly find none.
func (q *Queue) finishAndClaim(ctx context.Context, fs []store.Finish) ([]error, error) {
	if !q.backlog.Load() {
		return q.st.FinishRuns(ctx, fs)
	}
	q.claimMu.Lock()
	defer q.claimMu.Unlock()
	runCtx := q.claimCtx
	if runCtx == nil || runCtx.Err() != nil {
		return q.st.FinishRuns(ctx, fs) // the run loop stopped claiming: the worker is stopping
	}
	n := q.opts.ExecuteWorkers - q.held() + len(fs)
	if n < q.claimBatch() {
		// Too few slots for a claim of its own: the run loop gathers more before it claims.
		return q.st.FinishRuns(ctx, fs)
	}
	start := time.Now()
	errs, claims, err := q.st.FinishRunsAndClaim(ctx, fs, q.opts.Owner, n, q.opts.Lease)
	if err != nil {
		// The claim must not cost the finishes: record them alone, as without a backlog (a failure
		// of theirs is commitFinishes' to handle).
		q.log.Warn("finishing runs with a claim failed; finishing them alone", "runs", len(fs), "err", err)
		return q.st.FinishRuns(ctx, fs)
	}
	q.startClaims(runCtx, claims, start, n)
	return errs, nil
}
