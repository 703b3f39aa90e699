package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/internal/jobs"
)

// CreateRuns implements store.Store.
func (s *Store) CreateRuns(ctx context.Context, eventUUID string, runs []store.NewRun) ([]store.Run, error) {
	if len(runs) == 0 {
		return nil, nil
	}
	var created []store.Run
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE ukey = ?`, eventKey(eventUUID)).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return fmt.Errorf("event %s: %w", eventUUID, store.ErrNotFound)
		}
		now := time.Now().UTC()
		var params []river.InsertManyParams
		for _, nr := range runs {
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO runs
				(id, event_uuid, trigger_name, replay, workflow_file, workflow_id, status, created_at, inputs)
				VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)
				ON CONFLICT (event_uuid, trigger_name, replay) DO NOTHING`,
				id.String(), eventUUID, nr.Trigger, nr.Replay, nr.WorkflowFile, nr.WorkflowID, now.UnixNano(),
				nullJSON(nr.Inputs))
			if err != nil {
				return fmt.Errorf("insert run for trigger %q: %w", nr.Trigger, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			created = append(created, store.Run{
				ID: id.String(), Trigger: nr.Trigger, EventUUID: eventUUID, Replay: nr.Replay,
				WorkflowFile: nr.WorkflowFile, WorkflowID: nr.WorkflowID, Status: store.RunQueued,
				CreatedAt: now, Inputs: nr.Inputs,
			})
			params = append(params, river.InsertManyParams{Args: jobs.ExecuteArgs{RunID: id.String()}})
		}
		if len(params) == 0 {
			return nil
		}
		if _, err := s.river.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("enqueue %d runs: %w", len(params), err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create runs for event %s: %w", eventUUID, err)
	}
	if len(created) > 0 {
		s.wake(ctx, jobs.QueueExecute)
	}
	return created, nil
}

// StartRun implements jobs.Store: it marks a run running before an attempt. It reports false when the run is already finished (or
// gone), in which case the attempt has nothing to do.
func (s jobStore) StartRun(ctx context.Context, runID string, attempt int) (bool, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'running', attempts = ?,
			started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END
			WHERE id = ? AND status IN ('queued', 'running')`, attempt, time.Now().UnixNano(), runID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("start run %s: %w", runID, err)
	}
	return n > 0, nil
}

// SaveStep implements store.Store.
func (s *Store) SaveStep(ctx context.Context, st store.Step) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO steps
			(run_id, seq, step_id, status, attempts, method, url, status_code, started_at, duration,
			 request, response, outputs, error, checkpoint)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (run_id, seq) DO UPDATE SET step_id = excluded.step_id, status = excluded.status,
				attempts = excluded.attempts, method = excluded.method, url = excluded.url,
				status_code = excluded.status_code, started_at = excluded.started_at,
				duration = excluded.duration, request = excluded.request, response = excluded.response,
				outputs = excluded.outputs, error = excluded.error, checkpoint = excluded.checkpoint`,
			st.RunID, st.Seq, st.StepID, st.Status, st.Attempts, st.Method, st.URL, st.StatusCode,
			nanos(st.StartedAt), int64(st.Duration), st.Request, st.Response, nullJSON(st.Outputs), st.Error,
			[]byte(st.Checkpoint))
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
			return fmt.Errorf("run %s: %w", st.RunID, store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("save step %d (%s) of run %s: %w", st.Seq, st.StepID, st.RunID, err)
	}
	return nil
}

// Steps implements store.Store.
func (s *Store) Steps(ctx context.Context, runID string) ([]store.Step, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT run_id, seq, step_id, status, attempts, method, url,
		status_code, started_at, duration, request, response, outputs, error, checkpoint
		FROM steps WHERE run_id = ? ORDER BY seq`, runID)
	if err != nil {
		return nil, fmt.Errorf("steps of run %s: %w", runID, err)
	}
	defer rows.Close()
	var steps []store.Step
	for rows.Next() {
		var st store.Step
		var started, dur int64
		var outputs sql.NullString
		var checkpoint []byte
		if err := rows.Scan(&st.RunID, &st.Seq, &st.StepID, &st.Status, &st.Attempts, &st.Method, &st.URL,
			&st.StatusCode, &started, &dur, &st.Request, &st.Response, &outputs, &st.Error, &checkpoint); err != nil {
			return nil, fmt.Errorf("steps of run %s: %w", runID, err)
		}
		st.StartedAt, st.Duration = fromNanos(started), time.Duration(dur)
		st.Outputs = rawJSON(outputs)
		if len(checkpoint) > 0 {
			st.Checkpoint = checkpoint
		}
		steps = append(steps, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("steps of run %s: %w", runID, err)
	}
	return steps, nil
}

// FinishRun implements store.Store.
func (s *Store) FinishRun(ctx context.Context, runID string, r store.RunResult) error {
	if !r.Status.Finished() {
		return fmt.Errorf("finish run %s: status %q is not final", runID, r.Status)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UnixNano()
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, outputs = ?, error = ?, finished_at = ?,
			started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END
			WHERE id = ? AND status IN ('queued', 'running')`,
			string(r.Status), nullJSON(r.Outputs), r.Error, now, now, runID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE id = ?`, runID).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish run %s: %w", runID, err)
	}
	return nil
}

const runColumns = `id, trigger_name, event_uuid, replay, workflow_file, workflow_id, status, attempts,
	created_at, started_at, finished_at, inputs, outputs, error`

func scanRun(sc interface{ Scan(...any) error }) (store.Run, error) {
	var r store.Run
	var status string
	var created, started, finished int64
	var inputs, outputs sql.NullString
	if err := sc.Scan(&r.ID, &r.Trigger, &r.EventUUID, &r.Replay, &r.WorkflowFile, &r.WorkflowID, &status,
		&r.Attempts, &created, &started, &finished, &inputs, &outputs, &r.Error); err != nil {
		return r, err
	}
	r.Status = store.RunStatus(status)
	r.CreatedAt, r.StartedAt, r.FinishedAt = fromNanos(created), fromNanos(started), fromNanos(finished)
	r.Inputs, r.Outputs = rawJSON(inputs), rawJSON(outputs)
	return r, nil
}

// GetRun implements store.Store.
func (s *Store) GetRun(ctx context.Context, id string) (store.Run, error) {
	r, err := scanRun(s.read.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("run %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("run %s: %w", id, err)
	}
	return r, nil
}

// ListRuns implements store.Store.
func (s *Store) ListRuns(ctx context.Context, f store.RunFilter) ([]store.Run, string, error) {
	var where []string
	var args []any
	if f.After != "" {
		key, err := store.DecodeCursor("runs", f.After)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, "id < ?"), append(args, key)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.Trigger != "" {
		where, args = append(where, "trigger_name = ?"), append(args, f.Trigger)
	}
	if f.EventUUID != "" {
		where, args = append(where, "event_uuid = ?"), append(args, f.EventUUID)
	}
	limit := f.Size()
	q := `SELECT ` + runColumns + ` FROM runs` + whereClause(where) + ` ORDER BY id DESC LIMIT ?`
	rows, err := s.read.QueryContext(ctx, q, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var runs []store.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list runs: %w", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	next := ""
	if len(runs) > limit {
		runs = runs[:limit]
		next = store.EncodeCursor("runs", runs[limit-1].ID)
	}
	return runs, next, nil
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// nullJSON stores absent JSON as NULL so that reading it back gives nil, not "null".
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func rawJSON(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return nil
	}
	return json.RawMessage(s.String)
}
