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
	"github.com/trama-dev/trama/store/internal/jobs"
)

// fetchCooldown is the shortest gap between two fetches of one queue in one replica, and also the window
// in which River sends at most one insert NOTIFY per queue from one replica. A job inserted inside that
// window rides on the earlier notification, and if the fetch it woke already ran, the job waits for the
// next poll. River's default of 100 ms made that wait the common case at a few events a second (p99 event
// to run start of about PollInterval); 2 ms keeps it rare and PollInterval bounds it.
const fetchCooldown = 2 * time.Millisecond

// queueSweep is the queue of the periodic sweep, separate so it never waits behind dispatch or execute.
const queueSweep = "sweep"

func newRiverClient(s *Store) (*river.Client[pgx.Tx], error) {
	o := s.opts
	s.backoff = &jobs.Backoff{Base: o.RetryBase, Max: o.RetryMax}
	dispatch, execute := jobs.Workers(jobStore{s}, s.backoff, o.JobTimeout)
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, dispatch); err != nil {
		return nil, fmt.Errorf("register dispatch worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, execute); err != nil {
		return nil, fmt.Errorf("register execute worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &sweepWorker{s: s}); err != nil {
		return nil, fmt.Errorf("register sweep worker: %w", err)
	}
	client, err := river.NewClient[pgx.Tx](riverpgxv5.New(s.pool), &river.Config{
		CompletedJobRetentionPeriod: o.CompletedRetention,
		FetchCooldown:               fetchCooldown,
		FetchPollInterval:           o.PollInterval,
		JobTimeout:                  o.JobTimeout,
		Logger:                      riverLogger(o.Logger),
		MaxAttempts:                 o.MaxAttempts,
		PeriodicJobs:                []*river.PeriodicJob{sweepJob(o.RescueAfter)},
		Queues: map[string]river.QueueConfig{
			jobs.QueueDispatch: {MaxWorkers: o.DispatchWorkers},
			jobs.QueueExecute:  {MaxWorkers: o.ExecuteWorkers},
			queueSweep:         {MaxWorkers: 1},
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
	if _, err := s.river.InsertTx(ctx, tx, jobs.DispatchArgs{UUIDs: uuids, Replay: replay}, nil); err != nil {
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
