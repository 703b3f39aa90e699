package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/internal/jobs"
)

func newRiverClient(s *Store) (*river.Client[*sql.Tx], error) {
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
	s.driver = newWakingDriver(s.write)
	client, err := river.NewClient[*sql.Tx](s.driver, &river.Config{
		CompletedJobRetentionPeriod: o.CompletedRetention,
		FetchCooldown:               time.Millisecond,
		FetchPollInterval:           o.PollInterval,
		JobTimeout:                  o.JobTimeout,
		Logger:                      riverLogger(o.Logger),
		MaxAttempts:                 o.MaxAttempts,
		PollOnly:                    true,
		Queues: map[string]river.QueueConfig{
			jobs.QueueDispatch: {MaxWorkers: o.DispatchWorkers},
			jobs.QueueExecute:  {MaxWorkers: o.ExecuteWorkers},
		},
		RescueStuckJobsAfter: o.RescueAfter,
		RetryPolicy:          s.backoff,
		Workers:              workers,
	})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return client, nil
}

func (s *Store) enqueueDispatch(ctx context.Context, tx *sql.Tx, uuids []string, replay int) error {
	if _, err := s.river.InsertTx(ctx, tx, jobs.DispatchArgs{UUIDs: uuids, Replay: replay}, nil); err != nil {
		return fmt.Errorf("enqueue dispatch of %d events: %w", len(uuids), err)
	}
	return nil
}

// Work implements store.Store. Only one process may work a SQLite file at a time (an flock on
// PATH-work.lock next to the database enforces it), which is what lets Work hand jobs orphaned by a crash
// straight back to the queue instead of waiting RescueAfter.
func (s *Store) Work(ctx context.Context, h store.Handlers) error {
	if h.Dispatch == nil || h.Execute == nil {
		return errors.New("sqlite store: Work needs both a Dispatch and an Execute handler")
	}
	if !s.working.CompareAndSwap(false, true) {
		return store.ErrWorking
	}
	defer s.working.Store(false)
	unlock, err := lockFile(s.path + "-work.lock")
	if err != nil {
		return fmt.Errorf("sqlite store %s: another process is working this database: %w", s.path, err)
	}
	defer unlock()
	if err := s.rescueOrphans(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("sqlite store %s: %w", s.path, err)
	}
	s.handlers.Store(&h)
	// River must not see ctx: cancelling it would cancel running jobs at once instead of letting them
	// finish.
	s.wakeMu.Lock()
	err = s.river.Start(context.WithoutCancel(ctx))
	s.awake = err == nil
	s.wakeMu.Unlock()
	if err != nil {
		return fmt.Errorf("sqlite store %s: start queue: %w", s.path, err)
	}
	defer func() {
		s.wakeMu.Lock()
		s.awake = false
		s.wakeMu.Unlock()
	}()
	select {
	case <-ctx.Done():
	case <-s.river.Stopped():
		return fmt.Errorf("sqlite store %s: queue stopped unexpectedly", s.path)
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := s.river.Stop(stopCtx); err != nil {
		hardCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.river.StopAndCancel(hardCtx); err != nil {
			return fmt.Errorf("sqlite store %s: stop queue: %w", s.path, err)
		}
	}
	return nil
}
