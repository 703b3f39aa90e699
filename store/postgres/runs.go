package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		created = nil
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE uuid = $1)`, pgText(eventUUID)).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("event %s: %w", eventUUID, store.ErrNotFound)
		}
		now := time.Now().UTC()
		var params []river.InsertManyParams
		for _, nr := range runs {
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `INSERT INTO runs
				(id, event_uuid, trigger_name, replay, workflow_file, workflow_id, status, created_at, inputs)
				VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8::json)
				ON CONFLICT (event_uuid, trigger_name, replay) DO NOTHING`,
				id.String(), pgText(eventUUID), pgText(nr.Trigger), nr.Replay, pgText(nr.WorkflowFile), pgText(nr.WorkflowID), now.UnixNano(),
				nullJSON(nr.Inputs))
			if err != nil {
				return fmt.Errorf("insert run for trigger %q: %w", nr.Trigger, err)
			}
			if tag.RowsAffected() == 0 {
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
	return created, nil
}

// StartRun implements jobs.Store: it marks a run running before an attempt. It reports false when the run is already finished (or
// gone), in which case the attempt has nothing to do.
func (s jobStore) StartRun(ctx context.Context, runID string, attempt int) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE runs SET status = 'running', attempts = $1,
		started_at = CASE WHEN started_at = 0 THEN $2 ELSE started_at END
		WHERE id = $3 AND status IN ('queued', 'running')`, attempt, time.Now().UnixNano(), pgText(runID))
	if err != nil {
		return false, fmt.Errorf("start run %s: %w", runID, err)
	}
	return tag.RowsAffected() > 0, nil
}

// SaveStep implements store.Store.
func (s *Store) SaveStep(ctx context.Context, st store.Step) error {
	var checkpoint []byte
	if len(st.Checkpoint) > 0 {
		checkpoint = st.Checkpoint
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO steps
		(run_id, seq, step_id, status, attempts, method, url, status_code, started_at, duration,
		 request, response, outputs, error, checkpoint)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::json, $14, $15)
		ON CONFLICT (run_id, seq) DO UPDATE SET step_id = excluded.step_id, status = excluded.status,
			attempts = excluded.attempts, method = excluded.method, url = excluded.url,
			status_code = excluded.status_code, started_at = excluded.started_at,
			duration = excluded.duration, request = excluded.request, response = excluded.response,
			outputs = excluded.outputs, error = excluded.error, checkpoint = excluded.checkpoint`,
		pgText(st.RunID), st.Seq, pgText(st.StepID), pgText(st.Status), st.Attempts, pgText(st.Method), pgText(st.URL), st.StatusCode,
		nanos(st.StartedAt), int64(st.Duration), st.Request, st.Response, nullJSON(st.Outputs), pgText(st.Error),
		checkpoint)
	if pe := (*pgconn.PgError)(nil); asPgError(err, &pe) && pe.Code == "23503" { // foreign_key_violation
		err = fmt.Errorf("run %s: %w", st.RunID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("save step %d (%s) of run %s: %w", st.Seq, st.StepID, st.RunID, err)
	}
	return nil
}

// Steps implements store.Store.
func (s *Store) Steps(ctx context.Context, runID string) ([]store.Step, error) {
	rows, err := s.pool.Query(ctx, `SELECT run_id, seq, step_id, status, attempts, method, url,
		status_code, started_at, duration, request, response, outputs::text, error, checkpoint
		FROM steps WHERE run_id = $1 ORDER BY seq`, pgText(runID))
	if err != nil {
		return nil, fmt.Errorf("steps of run %s: %w", runID, err)
	}
	defer rows.Close()
	var steps []store.Step
	for rows.Next() {
		var st store.Step
		var started, dur int64
		var outputs *string
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
	now := time.Now().UnixNano()
	// One statement: the UPDATE finishes an unfinished run, the SELECT tells a finished one (a no-op)
	// from a missing one.
	var updated, exists bool
	err := s.pool.QueryRow(ctx, `WITH u AS (
			UPDATE runs SET status = $1, outputs = $2::json, error = $3, finished_at = $4,
				started_at = CASE WHEN started_at = 0 THEN $4 ELSE started_at END
			WHERE id = $5 AND status IN ('queued', 'running') RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM runs WHERE id = $5)`,
		string(r.Status), nullJSON(r.Outputs), pgText(r.Error), now, pgText(runID)).Scan(&updated, &exists)
	if err != nil {
		return fmt.Errorf("finish run %s: %w", runID, err)
	}
	if !updated && !exists {
		return fmt.Errorf("finish run %s: %w", runID, store.ErrNotFound)
	}
	return nil
}

const runColumns = `id, trigger_name, event_uuid, replay, workflow_file, workflow_id, status, attempts,
	created_at, started_at, finished_at, inputs::text, outputs::text, error`

func scanRun(sc pgx.Row) (store.Run, error) {
	var r store.Run
	var status string
	var created, started, finished int64
	var inputs, outputs *string
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
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1`, pgText(id)))
	if errNoRows(err) {
		return r, fmt.Errorf("run %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("run %s: %w", id, err)
	}
	return r, nil
}

// ListRuns implements store.Store.
func (s *Store) ListRuns(ctx context.Context, f store.RunFilter) ([]store.Run, string, error) {
	var w where
	if f.After != "" {
		key, err := store.DecodeCursor("runs", f.After)
		if err != nil {
			return nil, "", err
		}
		w.add("id < ", key)
	}
	if f.Status != "" {
		w.add("status = ", string(f.Status))
	}
	if f.Trigger != "" {
		w.add("trigger_name = ", f.Trigger)
	}
	if f.EventUUID != "" {
		w.add("event_uuid = ", f.EventUUID)
	}
	limit := f.Size()
	q := `SELECT ` + runColumns + ` FROM runs` + w.clause() + ` ORDER BY id DESC LIMIT ` + strconv.Itoa(limit+1)
	rows, err := s.pool.Query(ctx, q, w.args...)
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

// where builds a WHERE clause with numbered parameters.
type where struct {
	conds []string
	args  []any
}

// add appends a condition: cond is a column and operator, such as "id < ", followed by a parameter.
func (w *where) add(cond string, arg any) {
	if s, ok := arg.(string); ok {
		arg = pgText(s)
	}
	w.args = append(w.args, arg)
	w.conds = append(w.conds, cond+"$"+strconv.Itoa(len(w.args)))
}

func (w *where) clause() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// nullJSON stores absent JSON as NULL so that reading it back gives nil, not "null".
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func rawJSON(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}
