package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/trama-dev/trama/store"
)

// dispatchWorker works dispatch jobs: the new events of one ingest transaction, or one replay.
type dispatchWorker struct {
	river.WorkerDefaults[dispatchArgs]
	s *Store
}

// Timeout is also how long River's rescuer leaves the job alone when its replica died, so it never exceeds
// JobTimeout, the bound an operator sets for failover.
func (w *dispatchWorker) Timeout(*river.Job[dispatchArgs]) time.Duration {
	return min(dispatchTimeout, w.s.opts.JobTimeout)
}

// Work dispatches each event of the job. Events dispatched by an earlier, partly failed attempt (on this
// replica or another) are skipped, so each event is dispatched once per replay even when one of its
// neighbours keeps failing.
func (w *dispatchWorker) Work(ctx context.Context, job *river.Job[dispatchArgs]) error {
	h := w.s.handlers.Load()
	uuids := job.Args.UUIDs
	if job.Attempt > 1 {
		var err error
		if uuids, err = w.s.undispatched(ctx, uuids, job.Args.Replay); err != nil {
			return err
		}
	}
	var done []string
	var errs []error
	for _, u := range uuids {
		if err := callDispatch(ctx, h, u, job.Args.Replay); err != nil {
			errs = append(errs, fmt.Errorf("dispatch event %s: %w", u, err))
			continue
		}
		done = append(done, u)
	}
	if len(errs) == 0 {
		return nil
	}
	if len(done) > 0 {
		if err := w.s.markDispatched(context.WithoutCancel(ctx), done, job.Args.Replay); err != nil {
			errs = append(errs, err)
		}
	}
	err := errors.Join(errs...)
	w.s.backoff.request(job.ID, err)
	return err
}

func callDispatch(ctx context.Context, h *store.Handlers, uuid string, replay int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("dispatch handler panicked: %v", r)
		}
	}()
	return h.Dispatch(ctx, uuid, replay)
}

func (s *Store) undispatched(ctx context.Context, uuids []string, replay int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT uuid FROM events WHERE dispatched >= $1 AND uuid = ANY($2)`, replay, pgTexts(uuids))
	if err != nil {
		return nil, fmt.Errorf("read dispatch progress: %w", err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read dispatch progress: %w", err)
	}
	var left []string
	for _, u := range uuids {
		if !slices.Contains(done, u) {
			left = append(left, u)
		}
	}
	return left, nil
}

func (s *Store) markDispatched(ctx context.Context, uuids []string, replay int) error {
	sorted := slices.Clone(pgTexts(uuids))
	slices.Sort(sorted) // row locks in one order, as ingestion takes them
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE events SET dispatched = greatest(dispatched, $1)
			WHERE uuid IN (SELECT u FROM unnest($2::text[]) AS u ORDER BY u)`, replay, sorted); err != nil {
			return fmt.Errorf("record dispatch progress: %w", err)
		}
		return nil
	})
}
