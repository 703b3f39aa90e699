package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Dispatch is one event waiting to be matched against the triggers, as ClaimDispatches hands it out:
// the replay numbers From..To (inclusive) have not been dispatched yet. From is 0 for an event just
// ingested; a replay asked for while the event was never dispatched gives From 0, To 1.
type Dispatch struct {
	UUID     string
	Type     string
	From, To int
	// Attempts counts claims of this dispatch, this one included.
	Attempts int
}

// ClaimDispatches hands out up to n events waiting for dispatch, oldest first, each for hold: another
// claim skips them until hold has passed, after which a dispatch that never completed (its worker died)
// is handed out again. Dispatch is idempotent (runs are unique per event, trigger and replay), so a
// dispatch completed twice creates nothing twice.
func (s *Store) ClaimDispatches(ctx context.Context, n int, hold time.Duration) ([]Dispatch, error) {
	if n <= 0 {
		return nil, nil
	}
	var out []Dispatch
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, s.q.claimDispatches, n, hold.Nanoseconds())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d Dispatch
			var dispatched int
			if err := rows.Scan(&d.UUID, &d.Type, &dispatched, &d.To, &d.Attempts); err != nil {
				return err
			}
			d.From = dispatched + 1
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim dispatches: %w", err)
	}
	return out, nil
}

// pendingDispatch reports whether some event waits for dispatch now: a read, so an idle worker's poll
// costs no write transaction.
func (s *Store) pendingDispatch(ctx context.Context) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM events WHERE dispatched < replays
		AND dispatch_at <= (`+s.dialect.Now+`) LIMIT 1) AS p`).Scan(&n)
	return n > 0, err
}

// Skip is a trigger whose event type matched an event but that started no run, and why: what a person
// reads when an event they expected to run did not.
type Skip struct {
	Trigger string `json:"trigger"`
	// Reason is loop-guard, when-false, when-error or input-error.
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// Outcome is what a dispatch decided: the runs to create and the triggers skipped.
type Outcome struct {
	Runs    []NewRun
	Skipped []Skip
	// User is the Okta user the event is about, read from its card; recorded on the event so the
	// history finds it by user (Login is lower-cased here).
	User EventUser
}

// CompleteDispatch creates the runs of a claimed dispatch, records the skipped triggers on the event, and
// records the dispatch done, in one transaction. Runs that already exist (same event, trigger and replay)
// are skipped. It returns the runs it created; they are queued for a worker at once.
func (s *Store) CompleteDispatch(ctx context.Context, d Dispatch, o Outcome) ([]Run, error) {
	created, err := s.CompleteDispatches(ctx, []Dispatch{d}, []Outcome{o})
	if err != nil {
		return nil, err
	}
	return created[0], nil
}

// CompleteDispatches is CompleteDispatch for a batch of dispatches and their outcomes, in one
// transaction: dispatching a burst of events costs one commit per batch instead of one per event. It
// returns the runs created for each dispatch; when one dispatch cannot be recorded (its event is gone)
// nothing of the batch is, and the error names it.
func (s *Store) CompleteDispatches(ctx context.Context, ds []Dispatch, os []Outcome) ([][]Run, error) {
	if len(ds) != len(os) {
		return nil, fmt.Errorf("complete dispatches: %d dispatches, %d outcomes", len(ds), len(os))
	}
	skipped := make([]any, len(ds))
	for i, o := range os {
		if len(o.Skipped) > 0 {
			raw, err := json.Marshal(o.Skipped)
			if err != nil {
				return nil, fmt.Errorf("complete dispatch of event %s: %w", ds[i].UUID, err)
			}
			skipped[i] = text(string(raw))
		}
	}
	users := make([]EventUser, len(os))
	for i, o := range os {
		users[i] = EventUser{ID: text(o.User.ID), Login: text(strings.ToLower(o.User.Login))}
	}
	created := make([][]Run, len(ds))
	queued := false
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		queued = false
		runs, err := s.insertRuns(ctx, tx, ds, os)
		if err != nil {
			return err
		}
		for i, d := range ds {
			if err := s.recordDispatch(ctx, tx, d, skipped[i], users[i]); err != nil {
				return fmt.Errorf("complete dispatch of event %s (replays %d–%d): %w", d.UUID, d.From, d.To, err)
			}
			created[i] = runs[i]
			queued = queued || len(runs[i]) > 0
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if queued {
		s.signal(RunWork)
	}
	return created, nil
}

// runColumnsNew are the columns insertRuns writes.
var runColumnsNew = []string{"id", "event_uuid", "trigger_name", "replay", "workflow_file", "workflow_id", "status",
	"created_at", "available_at", "inputs", "plan", "version"}

// insertRuns creates the runs of every dispatch in one statement (per chunk), unique on (event, trigger,
// replay): a run that exists already is left as it is. It returns, by dispatch, the runs it created.
func (s *Store) insertRuns(ctx context.Context, tx *sql.Tx, ds []Dispatch, os []Outcome) ([][]Run, error) {
	now := time.Now().UTC()
	var rows [][]any
	var pending []Run
	owner := map[string]int{} // run id → index in ds
	for i, d := range ds {
		for _, nr := range os[i].Runs {
			id, err := uuid.NewV7()
			if err != nil {
				return nil, err
			}
			rows = append(rows, []any{id.String(), d.UUID, text(nr.Trigger), nr.Replay, text(nr.WorkflowFile),
				text(nr.WorkflowID), string(RunQueued), now.UnixNano(), sqlExpr(s.now), nullJSON(nr.Inputs), nullJSON(nr.Plan),
				text(nr.Version)})
			pending = append(pending, Run{
				ID: id.String(), Trigger: nr.Trigger, EventUUID: d.UUID, Replay: nr.Replay,
				WorkflowFile: nr.WorkflowFile, WorkflowID: nr.WorkflowID, Version: nr.Version, Status: RunQueued,
				CreatedAt: now, AvailableAt: now, Inputs: nr.Inputs, Plan: nr.Plan,
			})
			owner[id.String()] = i
		}
	}
	inserted := map[string]bool{}
	err := insertRows(ctx, tx, "runs", runColumnsNew, rows,
		" ON CONFLICT (event_uuid, trigger_name, replay) DO NOTHING RETURNING id", func(r *sql.Rows) error {
			var id string
			if err := r.Scan(&id); err != nil {
				return err
			}
			inserted[id] = true
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("insert %d runs: %w", len(rows), err)
	}
	created := make([][]Run, len(ds))
	for _, r := range pending {
		if inserted[r.ID] {
			i := owner[r.ID]
			created[i] = append(created[i], r)
		}
	}
	return created, nil
}

// recordDispatch marks one dispatch done inside tx.
func (s *Store) recordDispatch(ctx context.Context, tx *sql.Tx, d Dispatch, skipped any, user EventUser) error {
	res, err := tx.ExecContext(ctx, `UPDATE events SET dispatched = $2, dispatch_at = 0, dispatch_attempts = 0,
		dispatch_error = '', skipped = $3,
		user_id = coalesce(nullif($4, ''), user_id), user_login = coalesce(nullif($5, ''), user_login) WHERE ukey = $1 AND dispatched < $2`,
		eventKey(d.UUID), d.To, skipped, user.ID, user.Login)
	if err != nil {
		return fmt.Errorf("record dispatch: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.mustExist(ctx, tx, d.UUID)
	}
	return nil
}

// mustExist returns ErrNotFound (wrapped) when no event has uuid.
func (s *Store) mustExist(ctx context.Context, tx *sql.Tx, uuid string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE ukey = $1`, eventKey(uuid)).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("event %s: %w", uuid, ErrNotFound)
	}
	return nil
}

// FailDispatch records a failed dispatch attempt. With giveUp the event is marked dispatched with the
// reason, which its history shows; otherwise it is handed out again after retryIn.
func (s *Store) FailDispatch(ctx context.Context, d Dispatch, reason string, retryIn time.Duration, giveUp bool) error {
	q := `UPDATE events SET dispatch_at = ` + s.now + ` + $2, dispatch_error = $3 WHERE ukey = $1`
	if giveUp {
		q = `UPDATE events SET dispatched = CASE WHEN dispatched < $4 THEN $4 ELSE dispatched END, dispatch_at = $2,
			dispatch_error = $3 WHERE ukey = $1`
	}
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		args := []any{eventKey(d.UUID), retryIn.Nanoseconds(), text(reason)}
		if giveUp {
			args = append(args, d.To)
		}
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("record failed dispatch of event %s: %w", d.UUID, err)
	}
	return nil
}

// Replay asks for the event to be dispatched again, with the next replay number, which it returns; the
// new runs are distinct from earlier ones because the replay number is part of a run's identity. by
// names who asked, for the audit trail.
func (s *Store) Replay(ctx context.Context, eventUUID, by string) (int, error) {
	var replay int
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE events SET replays = replays + 1, dispatch_at = 0, dispatch_attempts = 0
			WHERE ukey = $1 RETURNING replays`, eventKey(eventUUID)).Scan(&replay)
		if err == sql.ErrNoRows {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, AuditEntry{Actor: by, Action: "replay", EventUUID: eventUUID,
			Detail: fmt.Sprintf("replay %d", replay)})
	})
	if err != nil {
		return 0, fmt.Errorf("replay event %s: %w", eventUUID, err)
	}
	s.signal(DispatchWork)
	return replay, nil
}
