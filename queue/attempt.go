package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/trama-dev/trama/store"
)

// Attempt is one attempt of a run, handed to Handlers.Execute. Its writes go through the store fenced by
// the attempt's lease, and it refuses to act once the lease is lost or may have lapsed: RecordIntent,
// which the runner calls before every request it sends, is where an attempt that lost its run stops
// before it can call the API again.
type Attempt struct {
	// Lease is this attempt's hold on the run.
	Lease store.Lease
	// Run is the run as claimed: its plan, inputs, and the intent an interrupted attempt left.
	Run store.Run
	// Steps are the run's checkpointed steps from earlier attempts.
	Steps []store.Step
	// MaxAttempts is the queue's limit: on the attempt numbered MaxAttempts, a failure is final.
	MaxAttempts int

	store *store.Store
	// finish records the attempt's end, sharing a transaction with other attempts' ends (Queue.finish).
	finish  func(store.Finish) error
	cancel  context.CancelCauseFunc
	claimed time.Time // when the claim that made this attempt began

	mu sync.Mutex
	// validUntil is when this attempt must assume its lease lapsed unless a renewal said otherwise: the
	// start of the last successful renewal plus the lease, less a heartbeat of margin. It is measured on
	// this process's monotonic clock, which keeps counting while the process is stopped, so an attempt
	// that wakes from a pause knows at once that it may have lost its run.
	validUntil time.Time
	lost       error
	ended      bool // Finish or HoldUncertain succeeded
	// pending are the checkpoints of steps finished since the attempt's last write; the next write
	// records them in its transaction.
	pending []store.Step
}

// Final reports whether a failure of this attempt ends the run (it is the last one allowed).
func (a *Attempt) Final() bool { return a.Lease.Attempt >= a.MaxAttempts }

// Check returns an error wrapping store.ErrLeaseLost when the attempt must stop: its lease was taken
// over, or no renewal has confirmed it recently enough to be sure it was not.
func (a *Attempt) Check() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lost != nil {
		return a.lost
	}
	if time.Now().After(a.validUntil) {
		a.lost = fmt.Errorf("run %s attempt %d: no lease renewal confirmed the run since %s: %w",
			a.Lease.RunID, a.Lease.Attempt, a.validUntil.Format(time.RFC3339Nano), store.ErrLeaseLost)
		a.cancel(a.lost)
		return a.lost
	}
	return nil
}

// renewed extends the attempt's validity to until, as a renewal confirmed.
func (a *Attempt) renewed(until time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lost == nil && until.After(a.validUntil) {
		a.validUntil = until
	}
}

// lose marks the lease lost and cancels the attempt's context, unless the attempt already ended the run.
func (a *Attempt) lose(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lost == nil && !a.ended {
		a.lost = err
		a.cancel(err)
	}
}

// write runs one fenced store write: refused before it starts when the lease may have lapsed; a write
// the store refuses (ErrLeaseLost) marks the attempt lost.
func (a *Attempt) write(f func() error) error {
	if err := a.Check(); err != nil {
		return err
	}
	err := f()
	if errors.Is(err, store.ErrLeaseLost) {
		a.lose(err)
	}
	return err
}

// RecordIntent records the request the attempt is about to send, with the steps finished since the last
// write. Call it right before sending: when it returns an error, do not send.
func (a *Attempt) RecordIntent(ctx context.Context, in store.Intent) error {
	in.RunAttempt = a.Lease.Attempt
	if err := a.writeSteps(func(steps []store.Step) error { return a.store.RecordIntent(ctx, a.Lease, in, steps...) }); err != nil {
		return err
	}
	// The write may have taken long enough for the lease to lapse.
	return a.Check()
}

// Sending is what to call right before a request that may be sent again if the attempt is interrupted
// (so no intent is recorded): it records the steps finished since the last write, if any, since a
// request must never go out while an earlier step it may depend on could be repeated; and it checks
// the lease. When it returns an error, do not send.
func (a *Attempt) Sending(ctx context.Context) error {
	if err := a.writeSteps(func(steps []store.Step) error { return a.store.SaveStep(ctx, a.Lease, steps...) }); err != nil {
		return err
	}
	return a.Check()
}

// SaveStep checkpoints a finished step. The checkpoint is recorded with the attempt's next write (before
// its next request, or its end), in the same transaction: a step costs no transaction of its own.
func (a *Attempt) SaveStep(ctx context.Context, st store.Step) error {
	if err := a.Check(); err != nil {
		return err
	}
	a.mu.Lock()
	a.pending = append(a.pending, st)
	a.mu.Unlock()
	return nil
}

// Finish records the run's outcome, with the steps finished since the last write, and ends the attempt.
func (a *Attempt) Finish(ctx context.Context, r store.RunResult) error {
	if err := ctx.Err(); err != nil {
		return err // a stopped attempt does not decide its run's outcome
	}
	return a.end(a.writeSteps(func(steps []store.Step) error {
		return a.finish(store.Finish{Lease: a.Lease, Result: r, Steps: steps})
	}))
}

// HoldUncertain stops the run as uncertain, its intent the request in doubt, for an operator to resolve.
func (a *Attempt) HoldUncertain(ctx context.Context, reason string) error {
	return a.end(a.writeSteps(func(steps []store.Step) error { return a.store.HoldUncertain(ctx, a.Lease, reason, steps...) }))
}

// HoldWaiting stops the run until the input w names is supplied or w.Until passes, recording the
// pending checkpoints with it.
func (a *Attempt) HoldWaiting(ctx context.Context, w store.Waiting) error {
	return a.end(a.writeSteps(func(steps []store.Step) error { return a.store.HoldWaiting(ctx, a.Lease, w, steps...) }))
}

// writeSteps is write for the writes that carry the pending checkpoints: they are dropped only once a
// write recorded them.
func (a *Attempt) writeSteps(f func(steps []store.Step) error) error {
	a.mu.Lock()
	steps := a.pending
	a.mu.Unlock()
	err := a.write(func() error { return f(steps) })
	if err == nil {
		a.mu.Lock()
		a.pending = a.pending[len(steps):]
		a.mu.Unlock()
	}
	return err
}

// takePending returns the checkpoints not yet recorded, for the queue's own end of the attempt (a retry,
// a release).
func (a *Attempt) takePending() []store.Step {
	a.mu.Lock()
	defer a.mu.Unlock()
	steps := a.pending
	a.pending = nil
	return steps
}

func (a *Attempt) end(err error) error {
	if err == nil {
		a.mu.Lock()
		a.ended = true
		a.mu.Unlock()
	}
	return err
}

func (a *Attempt) hasEnded() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ended
}

func (a *Attempt) lostErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lost
}
