package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/trama-dev/trama/store"
)

// dispatchWorker works dispatch jobs: the new events of one ingest transaction, or one replay.
type dispatchWorker struct {
	river.WorkerDefaults[dispatchArgs]
	s *Store
}

func (w *dispatchWorker) Timeout(*river.Job[dispatchArgs]) time.Duration { return dispatchTimeout }

// Work dispatches each event of the job. Events dispatched by an earlier, partly failed attempt are
// skipped, so each event is dispatched once per replay even when one of its neighbours keeps failing.
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
	done := map[string]bool{}
	for start := 0; start < len(uuids); start += insertChunk {
		chunk := uuids[start:min(start+insertChunk, len(uuids))]
		args := []any{replay}
		for _, u := range chunk {
			args = append(args, eventKey(u))
		}
		rows, err := s.read.QueryContext(ctx, `SELECT uuid FROM events WHERE dispatched >= ? AND ukey IN (`+
			placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read dispatch progress: %w", err)
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read dispatch progress: %w", err)
			}
			done[u] = true
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("read dispatch progress: %w", err)
		}
	}
	var left []string
	for _, u := range uuids {
		if !done[u] {
			left = append(left, u)
		}
	}
	return left, nil
}

func (s *Store) markDispatched(ctx context.Context, uuids []string, replay int) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(uuids); start += insertChunk {
			chunk := uuids[start:min(start+insertChunk, len(uuids))]
			args := []any{replay}
			for _, u := range chunk {
				args = append(args, eventKey(u))
			}
			if _, err := tx.ExecContext(ctx, `UPDATE events SET dispatched = max(dispatched, ?) WHERE ukey IN (`+
				placeholders(len(chunk))+`)`, args...); err != nil {
				return fmt.Errorf("record dispatch progress: %w", err)
			}
		}
		return nil
	})
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
