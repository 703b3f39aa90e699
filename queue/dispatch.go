package queue

import (
	"context"
	"fmt"
	"sync"

	"github.com/trama-dev/trama/store"
)

// dispatchLoop claims events waiting for dispatch and dispatches them, DispatchWorkers at a time.
func (q *Queue) dispatchLoop(ctx context.Context) {
	for {
		batch, err := q.st.ClaimDispatches(ctx, 4*q.opts.DispatchWorkers, q.opts.DispatchHold)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			q.log.Error("claiming events to dispatch failed", "err", err)
			pause(ctx, q.opts.PollInterval*10)
			continue
		}
		if len(batch) == 0 {
			if !q.wait(ctx, store.DispatchWork, nil) {
				return
			}
			continue
		}
		sem := make(chan struct{}, q.opts.DispatchWorkers)
		var wg sync.WaitGroup
		for _, d := range batch {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				// A dispatch is short; it finishes even when the worker is stopping, so nothing is
				// dispatched twice for want of a few milliseconds.
				q.dispatch(context.WithoutCancel(ctx), d)
			}()
		}
		wg.Wait()
	}
}

// dispatch runs the Dispatch handler for one event and records the outcome.
func (q *Queue) dispatch(ctx context.Context, d store.Dispatch) {
	outcome, err := callDispatch(ctx, q.h.Dispatch, d)
	if err == nil {
		var created []store.Run
		created, err = q.st.CompleteDispatch(ctx, d, outcome)
		if err == nil {
			if q.h.Dispatched != nil {
				q.h.Dispatched(d, created)
			}
			return
		}
	}
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

func callDispatch(ctx context.Context, f func(context.Context, store.Dispatch) (store.Outcome, error), d store.Dispatch) (o store.Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("dispatch handler panicked: %v", r)
		}
	}()
	return f(ctx, d)
}
