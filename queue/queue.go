// Package queue works trama's durable queue: it claims events waiting for dispatch and runs waiting for a
// worker from the store, hands them to handlers, keeps the leases of the runs it holds alive, and records
// what happened — retries with backoff, failures, runs given back at shutdown.
//
// The store holds the state (store.ClaimRuns, leases with fencing tokens); this package is the loop above
// it, and the handlers (package worker) are the domain: matching triggers, running workflows. A run is
// held by one attempt at a time: when a worker dies or freezes, its leases expire and another worker
// takes the runs over with a larger fencing token, after which nothing the first worker does can change
// them (see Attempt).
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trama-dev/trama/store"
)

// Handlers are what the queue calls.
type Handlers struct {
	// Dispatch matches a batch of events against the triggers and returns, for each in order, the runs
	// to create for every replay number from d.From to d.To and the triggers it skipped. The queue
	// creates the runs and records the batch's dispatches done in one transaction. An event's error
	// makes the queue dispatch it again later with backoff, up to MaxAttempts.
	Dispatch func(ctx context.Context, ds []store.Dispatch) []DispatchResult
	// Dispatched, when set, is told about the runs a dispatch created (for metrics and logs).
	Dispatched func(d store.Dispatch, created []store.Run)
	// Execute runs one attempt of a run and ends it with a.Finish or a.HoldUncertain. An error means a
	// transient failure: the run is retried with backoff, after its last finished step, unless this was
	// its final attempt (a.Final()), in which case the queue fails it with the error's text. The error
	// text reaches the run's history, so it must never carry a secret.
	Execute func(ctx context.Context, a *Attempt) error
	// Failed, when set, is told when the queue itself failed a run (attempts exhausted).
	Failed func(run store.Run, reason string)
}

// Queue works one store's queue. Run it once.
type Queue struct {
	st   *store.Store
	h    Handlers
	opts Options
	log  *slog.Logger

	// renew is the store's RenewLeases; tests replace it to freeze a worker's heartbeat.
	renew func(ctx context.Context, owner string, lease time.Duration, runIDs []string) (map[string]int64, error)

	mu       sync.Mutex
	attempts map[string]*Attempt // by run id
	running  sync.WaitGroup
	freed    chan struct{} // an attempt ended, a slot is free
	// finishes feed the finisher (finishLoop) while Run runs; finisherGone is closed when it is not
	// running (before Run and after it).
	finishes     chan finishReq
	finisherGone chan struct{}
	// exec runs attempts and dispatch batches.
	exec *executors

	// claimMu is held while runs are claimed and started, by the run loop or by the finisher with a
	// batch of finishes (see finishAndClaim), so that two claims never count the same free slots.
	claimMu sync.Mutex
	// claimCtx is the run loop's context while it runs, nil before and after: the finisher claims only
	// while the run loop would, and its attempts live in the same context.
	claimCtx context.Context
	// backlog says the last claim filled every free slot, so more runs are likely ready.
	backlog atomic.Bool
}

// New returns a queue over st. It fails when the options cannot work or a handler is missing.
func New(st *store.Store, h Handlers, opts Options) (*Queue, error) {
	if st == nil || h.Dispatch == nil || h.Execute == nil {
		return nil, errors.New("queue: New needs a store and both a Dispatch and an Execute handler")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s:%d:%04x", host, os.Getpid(), rand.Uint32()&0xffff)
	}
	return &Queue{st: st, h: h, opts: o, log: o.Logger.With("worker", o.Owner), renew: st.RenewLeases,
		attempts: map[string]*Attempt{}, freed: make(chan struct{}, 1),
		finishes: make(chan finishReq), finisherGone: closed(), exec: newExecutors(execIdle)}, nil
}

// Owner is the name this queue holds leases under.
func (q *Queue) Owner() string { return q.opts.Owner }

// Options are the queue's options with defaults applied.
func (q *Queue) Options() Options { return q.opts }

// Run works the queue until ctx is cancelled; then it stops claiming, lets running attempts finish for
// up to ShutdownTimeout, cancels the rest and gives their runs back, and returns nil. On a store only one
// process may work (SQLite), Run first takes the store's work lock, failing if another process holds
// it, and takes over every run a crashed predecessor held.
func (q *Queue) Run(ctx context.Context) error {
	if q.st.Exclusive() {
		unlock, err := q.st.LockWork()
		if err != nil {
			return err
		}
		defer unlock()
		n, err := q.st.ExpireAllLeases(ctx)
		if err != nil {
			return fmt.Errorf("queue: take over the runs of the previous process: %w", err)
		}
		if n > 0 {
			q.log.Info("resuming runs interrupted by the previous process", "runs", n)
		}
	}
	hbCtx, stopHeartbeat := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHeartbeat()
	var hb sync.WaitGroup
	hb.Add(1)
	go func() {
		defer hb.Done()
		q.heartbeat(hbCtx)
	}()

	// The finisher outlives the loops: attempts still running at shutdown finish through it.
	stopFinisher := make(chan struct{})
	finisherDone := make(chan struct{})
	q.mu.Lock()
	q.finisherGone = make(chan struct{})
	gone := q.finisherGone
	q.mu.Unlock()
	go func() { defer close(finisherDone); q.finishLoop(stopFinisher) }()

	var loops sync.WaitGroup
	loops.Add(2)
	go func() { defer loops.Done(); q.dispatchLoop(ctx) }()
	go func() { defer loops.Done(); q.runLoop(ctx) }()
	loops.Wait()

	q.shutdown()
	close(stopFinisher)
	<-finisherDone
	close(gone)
	stopHeartbeat()
	hb.Wait()
	return nil
}

// shutdown waits for running attempts, then cancels them; each gives its run back as it returns.
func (q *Queue) shutdown() {
	done := make(chan struct{})
	go func() { q.running.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(q.opts.ShutdownTimeout):
	}
	q.mu.Lock()
	for _, a := range q.attempts {
		a.cancel(errShutdown)
	}
	q.mu.Unlock()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		q.log.Error("attempts did not stop within 10s of being cancelled; their runs move on when their leases expire")
	}
}

// errShutdown is the cause of an attempt cancelled because its worker stops.
var errShutdown = errors.New("the worker is shutting down")

// wait blocks until ready signals, the poll interval passes (then only if the store reports pending
// work), or ctx ends. It returns false when ctx ended.
func (q *Queue) wait(ctx context.Context, kind store.Work, extra <-chan struct{}) bool {
	t := time.NewTimer(q.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-q.st.Ready(kind):
			return true
		case <-extra:
			return true
		case <-t.C:
			ok, err := q.st.Pending(ctx, kind)
			if err != nil && ctx.Err() == nil {
				q.log.Warn("looking for work failed", "err", err)
			}
			if ok {
				return true
			}
			t.Reset(q.opts.PollInterval)
		}
	}
}

// claimFailed logs a claim's failure (what failed, and why) and waits before the next claim, so that a
// failing database is not hammered. It reports false when ctx ended: the worker is stopping, and the
// error is of its own making.
func (q *Queue) claimFailed(ctx context.Context, what string, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	q.log.Error(what, "err", err)
	pause(ctx, q.opts.PollInterval*10)
	return true
}

// pause waits d or until ctx ends; after a store error it keeps a failing database from being hammered.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
