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

	store   *store.Store
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

// RecordIntent records the request the attempt is about to send. Call it right before sending: when it
// returns an error, do not send.
func (a *Attempt) RecordIntent(ctx context.Context, in store.Intent) error {
	in.RunAttempt = a.Lease.Attempt
	if err := a.write(func() error { return a.store.RecordIntent(ctx, a.Lease, in) }); err != nil {
		return err
	}
	// The write may have taken long enough for the lease to lapse.
	return a.Check()
}

// SaveStep checkpoints a finished step (and clears the intent).
func (a *Attempt) SaveStep(ctx context.Context, st store.Step) error {
	return a.write(func() error { return a.store.SaveStep(ctx, a.Lease, st) })
}

// Finish records the run's outcome and ends the attempt.
func (a *Attempt) Finish(ctx context.Context, r store.RunResult) error {
	return a.end(a.write(func() error { return a.store.FinishRun(ctx, a.Lease, r) }))
}

// HoldUncertain stops the run as uncertain, its intent the request in doubt, for an operator to resolve.
func (a *Attempt) HoldUncertain(ctx context.Context, reason string) error {
	return a.end(a.write(func() error { return a.store.HoldUncertain(ctx, a.Lease, reason) }))
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
