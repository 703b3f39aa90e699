package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/trama-dev/trama/store"
)

// Queue names: dispatch and execute get separate queues so that a burst of long-running executions
// never delays turning new events into runs; the sweep has its own so it never waits behind either.
const (
	queueDispatch = "dispatch"
	queueExecute  = "execute"
	queueSweep    = "sweep"
)

// dispatchTimeout bounds one dispatch attempt: matching triggers and creating runs takes milliseconds;
// a minute means something is stuck.
const dispatchTimeout = time.Minute

// fetchCooldown is the shortest gap between two fetches of one queue in one replica, and also the window
// in which River sends at most one insert NOTIFY per queue from one replica. A job inserted inside that
// window rides on the earlier notification, and if the fetch it woke already ran, the job waits for the
// next poll. River's default of 100 ms made that wait the common case at a few events a second (p99 event
// to run start of about PollInterval); 2 ms keeps it rare and PollInterval bounds it.
const fetchCooldown = 2 * time.Millisecond

// dispatchArgs is the job that dispatches the events first stored by one transaction (or one replay).
// Its kind and JSON are the SQLite store's, so the two stores' jobs read the same.
type dispatchArgs struct {
	UUIDs  []string `json:"uuids"`
	Replay int      `json:"replay"`
}

func (dispatchArgs) Kind() string { return "trama_dispatch" }

func (dispatchArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: queueDispatch} }

// executeArgs is the job that executes one run.
type executeArgs struct {
	RunID string `json:"run"`
}

func (executeArgs) Kind() string { return "trama_execute" }

func (executeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: queueExecute} }

func newRiverClient(s *Store) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &dispatchWorker{s: s}); err != nil {
		return nil, fmt.Errorf("register dispatch worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &executeWorker{s: s}); err != nil {
		return nil, fmt.Errorf("register execute worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &sweepWorker{s: s}); err != nil {
		return nil, fmt.Errorf("register sweep worker: %w", err)
	}
	o := s.opts
	s.backoff = &backoff{base: o.RetryBase, max: o.RetryMax}
	client, err := river.NewClient[pgx.Tx](riverpgxv5.New(s.pool), &river.Config{
		CompletedJobRetentionPeriod: o.CompletedRetention,
		FetchCooldown:               fetchCooldown,
		FetchPollInterval:           o.PollInterval,
		JobTimeout:                  o.JobTimeout,
		Logger:                      riverLogger(o.Logger),
		MaxAttempts:                 o.MaxAttempts,
		PeriodicJobs:                []*river.PeriodicJob{sweepJob(o.RescueAfter)},
		Queues: map[string]river.QueueConfig{
			queueDispatch: {MaxWorkers: o.DispatchWorkers},
			queueExecute:  {MaxWorkers: o.ExecuteWorkers},
			queueSweep:    {MaxWorkers: 1},
		},
		RescueStuckJobsAfter: o.RescueAfter,
		RetryPolicy:          s.backoff,
		Schema:               o.Schema,
		Workers:              workers,
	})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return client, nil
}

func (s *Store) enqueueDispatch(ctx context.Context, tx pgx.Tx, uuids []string, replay int) error {
	if _, err := s.river.InsertTx(ctx, tx, dispatchArgs{UUIDs: uuids, Replay: replay}, nil); err != nil {
		return fmt.Errorf("enqueue dispatch of %d events: %w", len(uuids), err)
	}
	return nil
}

// Work implements store.Store. Any number of replicas may work one database at once: River hands each
// job to one of them and, when a replica dies, its elected leader rescues the dead replica's jobs after
// Options.RescueAfter.
func (s *Store) Work(ctx context.Context, h store.Handlers) error {
	if h.Dispatch == nil || h.Execute == nil {
		return errors.New("postgres store: Work needs both a Dispatch and an Execute handler")
	}
	if !s.working.CompareAndSwap(false, true) {
		return store.ErrWorking
	}
	defer s.working.Store(false)
	s.handlers.Store(&h)
	// River must not see ctx: cancelling it would cancel running jobs at once instead of letting them
	// finish.
	if err := s.river.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("postgres store %s: start queue: %w", s.name, err)
	}
	select {
	case <-ctx.Done():
	case <-s.river.Stopped():
		return fmt.Errorf("postgres store %s: queue stopped unexpectedly", s.name)
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := s.river.Stop(stopCtx); err != nil {
		hardCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.river.StopAndCancel(hardCtx); err != nil {
			return fmt.Errorf("postgres store %s: stop queue: %w", s.name, err)
		}
	}
	return nil
}
