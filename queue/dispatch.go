package queue

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/trama-dev/trama/store"
)

// dispatchBatch is how many events one claim takes: a burst's events are read, matched and recorded a
// batch at a time, a commit per batch rather than per event. Under a backlog the commit that records a
// batch also claims the next (store.CompleteDispatchesAndClaim), so a batch costs one transaction.
const dispatchBatch = 128

// dispatchLoop claims events waiting for dispatch and dispatches them, the batch matched by
// DispatchWorkers at once.
func (q *Queue) dispatchLoop(ctx context.Context) {
	var batch []store.Dispatch
	for {
		if len(batch) == 0 {
			var err error
			batch, err = q.st.ClaimDispatches(ctx, dispatchBatch, q.opts.DispatchHold)
			if err != nil {
				if !q.claimFailed(ctx, "claiming events to dispatch failed", err) {
					return
				}
				continue
			}
			if len(batch) == 0 {
				if !q.wait(ctx, store.DispatchWork, nil) {
					return
				}
				continue
			}
		}
		// A dispatch is short; it finishes even when the worker is stopping, so nothing is dispatched
		// twice for want of a few milliseconds. A full batch says more events are likely waiting: the
		// next batch is claimed with this one's record, unless the worker is stopping.
		more := 0
		if len(batch) == dispatchBatch && ctx.Err() == nil {
			more = dispatchBatch
		}
		batch = q.dispatch(context.WithoutCancel(ctx), batch, more)
	}
}

// dispatch runs the Dispatch handler for a batch of events, split among DispatchWorkers, and records
// the outcomes: those that succeeded in one transaction, which also claims up to more events for the
// next batch and returns them, and each failure on its own.
func (q *Queue) dispatch(ctx context.Context, ds []store.Dispatch, more int) (next []store.Dispatch) {
	workers := min(q.opts.DispatchWorkers, len(ds))
	size := (len(ds) + workers - 1) / workers
	parts := make([][]DispatchResult, 0, workers)
	var wg sync.WaitGroup
	for part := range slices.Chunk(ds, size) {
		i := len(parts)
		parts = append(parts, nil)
		wg.Add(1)
		q.exec.run(func() {
			defer wg.Done()
			parts[i] = callDispatch(ctx, q.h.Dispatch, part)
		})
	}
	wg.Wait()
	results := slices.Concat(parts...)
	var ok []store.Dispatch
	var outcomes []store.Outcome
	for i, d := range ds {
		if results[i].Err != nil {
			q.failDispatch(ctx, d, results[i].Err)
			continue
		}
		ok, outcomes = append(ok, d), append(outcomes, results[i].Outcome)
	}
	if len(ok) == 0 {
		return nil
	}
	created, next, err := q.st.CompleteDispatchesAndClaim(ctx, ok, outcomes, more, q.opts.DispatchHold)
	if err != nil && more > 0 {
		// The next batch's claim must not cost this batch its record, or its events an attempt:
		// record the batch alone.
		q.log.Warn("recording a dispatch batch with the next claim failed; recording it alone", "events", len(ok), "err", err)
		next = nil
		created, err = q.st.CompleteDispatches(ctx, ok, outcomes)
	}
	if err != nil && len(ok) > 1 {
		// One event of the batch could not be recorded (it was deleted meanwhile): record the others
		// one by one rather than fail them all.
		for i, d := range ok {
			runs, err := q.st.CompleteDispatch(ctx, d, outcomes[i])
			if err != nil {
				q.failDispatch(ctx, d, err)
				continue
			}
			q.dispatched(d, runs)
		}
		return nil
	}
	if err != nil {
		q.failDispatch(ctx, ok[0], err)
		return nil
	}
	for i, d := range ok {
		q.dispatched(d, created[i])
	}
	return next
}

func (q *Queue) dispatched(d store.Dispatch, runs []store.Run) {
	if q.h.Dispatched != nil {
		q.h.Dispatched(d, runs)
	}
}

// failDispatch records a failed dispatch: retried with backoff, or given up after MaxAttempts.
func (q *Queue) failDispatch(ctx context.Context, d store.Dispatch, err error) {
	giveUp := d.Attempts >= q.opts.MaxAttempts
	delay := q.opts.backoff(d.Attempts, err)
	reason := err.Error()
	if giveUp {
		reason = fmt.Sprintf("gave up after %d attempts: %v", d.Attempts, err)
		q.log.Error("dispatching an event failed for good", "event", d.UUID, "attempts", d.Attempts, "err", err)
	} else {
		q.log.Warn("dispatching an event failed; retrying", "event", d.UUID, "attempt", d.Attempts, "in", delay, "err", err)
	}
	if ferr := q.st.FailDispatch(ctx, d, reason, delay, giveUp); ferr != nil {
		q.log.Error("recording a failed dispatch failed; it is retried when its hold expires", "event", d.UUID, "err", ferr)
	}
}

// DispatchResult is what the Dispatch handler decided for one event: its outcome, or why it could not
// be matched (the event is then dispatched again later, with backoff).
type DispatchResult struct {
	Outcome store.Outcome
	Err     error
}

// callDispatch calls the handler, which must answer one result per dispatch; a panic or a wrong count
// fails the whole batch, each event to be retried.
func callDispatch(ctx context.Context, f func(context.Context, []store.Dispatch) []DispatchResult, ds []store.Dispatch) (results []DispatchResult) {
	defer func() {
		if r := recover(); r != nil {
			results = failAll(ds, fmt.Errorf("dispatch handler panicked: %v", r))
		}
	}()
	results = f(ctx, ds)
	if len(results) != len(ds) {
		return failAll(ds, fmt.Errorf("dispatch handler answered %d results for %d events", len(results), len(ds)))
	}
	return results
}

func failAll(ds []store.Dispatch, err error) []DispatchResult {
	out := make([]DispatchResult, len(ds))
	for i := range out {
		out[i].Err = err
	}
	return out
}
