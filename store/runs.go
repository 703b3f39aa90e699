package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The writes of an attempt below take the steps it finished since its last write (checkpoints) and
// record them in the same transaction, before the write itself. An attempt defers a step's checkpoint
// only past its own in-memory work, never past a request it sends or its end, so a run costs one
// transaction per request in doubt plus one at its end, rather than one per step besides.

// RecordIntent records, before it is sent, the request an attempt is about to send, after the steps
// finished since the attempt's last write. It fails with ErrLeaseLost when the attempt no longer holds
// the run: the request must then not be sent.
func (s *Store) RecordIntent(ctx context.Context, l Lease, in Intent, steps ...Step) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("record intent of run %s: %w", l.RunID, err)
	}
	err = s.inTx(ctx, false, func(tx *sql.Tx) error {
		if err := s.fence(ctx, tx, l, string(raw)); err != nil {
			return err
		}
		return insertSteps(ctx, tx, l, steps)
	})
	if err != nil {
		return fmt.Errorf("record intent of run %s step %q: %w", l.RunID, in.StepID, err)
	}
	return nil
}

// SaveStep checkpoints finished steps of an attempt and clears the attempt's intent, in one
// transaction. It fails with ErrLeaseLost when the attempt no longer holds the run.
func (s *Store) SaveStep(ctx context.Context, l Lease, steps ...Step) error {
	if len(steps) == 0 {
		return nil
	}
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		if err := s.fence(ctx, tx, l, nil); err != nil {
			return err
		}
		return insertSteps(ctx, tx, l, steps)
	})
	if err != nil {
		return fmt.Errorf("save step %d (%s) of run %s: %w", steps[0].Seq, steps[0].StepID, l.RunID, err)
	}
	return nil
}

// insertSteps records an attempt's checkpoints.
func insertSteps(ctx context.Context, tx *sql.Tx, l Lease, steps []Step) error {
	own := make([]Step, len(steps))
	for i, st := range steps {
		st.RunID, st.RunAttempt = l.RunID, l.Attempt
		own[i] = st
	}
	return insertStepRows(ctx, tx, own)
}

func insertStep(ctx context.Context, tx *sql.Tx, st Step) error {
	return insertStepRows(ctx, tx, []Step{st})
}

// stepColumns are the columns insertStepRows writes.
var stepColumns = []string{"run_id", "seq", "run_attempt", "step_id", "status", "attempts", "method", "url",
	"status_code", "started_at", "duration", "request", "response", "outputs", "error", "checkpoint", "auth"}

// insertStepRows records steps, of any runs, in as few statements as the driver allows.
func insertStepRows(ctx context.Context, tx *sql.Tx, steps []Step) error {
	if len(steps) == 0 {
		return nil
	}
	rows := make([][]any, len(steps))
	for i, st := range steps {
		rows[i] = []any{st.RunID, st.Seq, st.RunAttempt, text(st.StepID), text(st.Status), st.Attempts, text(st.Method),
			text(st.URL), st.StatusCode, nanos(st.StartedAt), int64(st.Duration), st.Request, st.Response,
			nullJSON(st.Outputs), text(st.Error), []byte(st.Checkpoint), text(st.Auth)}
	}
	if err := insertRows(ctx, tx, "steps", stepColumns, rows, "", nil); err != nil {
		return fmt.Errorf("save %d steps (run %s, step %d %s first): %w", len(steps), steps[0].RunID, steps[0].Seq, steps[0].StepID, err)
	}
	return nil
}

// FinishRun records a run's final status, outputs and error, and ends its lease. It fails with
// ErrLeaseLost when the attempt no longer holds the run, so a run's outcome is written once, by the
// attempt that owned it.
func (s *Store) FinishRun(ctx context.Context, l Lease, r RunResult, steps ...Step) error {
	errs, err := s.FinishRuns(ctx, []Finish{{Lease: l, Result: r, Steps: steps}})
	if err != nil {
		return err
	}
	return errs[0]
}

// Finish is one attempt's end for FinishRuns: its lease, its outcome and the steps it finished since its
// last write.
type Finish struct {
	Lease  Lease
	Result RunResult
	Steps  []Step
}

// FinishRuns is FinishRun for several attempts in one transaction: runs that finish together share a
// commit. Each finish is fenced on its own: an attempt that lost its run gets ErrLeaseLost in its slot
// and the others are recorded. err is for the transaction itself (the store failed), when none is.
func (s *Store) FinishRuns(ctx context.Context, fs []Finish) (errs []error, err error) {
	errs, _, err = s.FinishRunsAndClaim(ctx, fs, "", 0, 0)
	return errs, err
}

// FinishRunsAndClaim is FinishRuns followed, in the same transaction, by ClaimRuns(owner, n, lease):
// under a backlog the slots that a batch of finishes frees are claimed again without a transaction of
// their own, which halves the queue's commits per run. With n = 0 it claims nothing. err is for the
// transaction: when it is set, nothing was recorded and nothing claimed.
func (s *Store) FinishRunsAndClaim(ctx context.Context, fs []Finish, owner string, n int, lease time.Duration) (errs []error, claims []Claim, err error) {
	errs = make([]error, len(fs))
	for _, f := range fs {
		if !f.Result.Status.Finished() {
			return nil, nil, fmt.Errorf("finish run %s: status %q is not final", f.Lease.RunID, f.Result.Status)
		}
	}
	err = s.queueTx(ctx, func(tx *sql.Tx) error {
		if err := s.finishIn(ctx, tx, fs, errs); err != nil {
			return err
		}
		var err error
		claims, err = s.claimIn(ctx, tx, owner, n, lease)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return errs, claims, nil
}

// finishIn records fs in tx, setting errs[i] for each finish that lost its lease.
func (s *Store) finishIn(ctx context.Context, tx *sql.Tx, fs []Finish, errs []error) error {
	var steps []Step
	keys, err := s.finishRows(ctx, tx, fs)
	if err != nil {
		return err
	}
	for i, f := range fs {
		errs[i] = nil
		if _, ok := keys[f.Lease.RunID]; !ok {
			errs[i] = fmt.Errorf("finish run %s: attempt %d (token %d): %w", f.Lease.RunID, f.Lease.Attempt, f.Lease.Token, ErrLeaseLost)
			continue
		}
		if f.Result.Status == RunFailed {
			if err := alertRun(ctx, tx, AlertFailed, f.Lease.RunID, f.Result.Error); err != nil {
				return err
			}
		}
		for _, st := range f.Steps {
			st.RunID, st.RunAttempt = f.Lease.RunID, f.Lease.Attempt
			steps = append(steps, st)
		}
	}
	// Only runs whose trigger limits concurrency hold a slot: most batches free none, and skip the
	// statement.
	var holding []string
	for id, key := range keys {
		if key != "" {
			holding = append(holding, id)
		}
	}
	if err := freeSlots(ctx, tx, holding...); err != nil {
		return err
	}
	// The steps of every run that finished go in together.
	return insertStepRows(ctx, tx, steps)
}

// finishRows records the outcomes of fs in one UPDATE per chunk, each fenced on its own lease token, and
// returns the runs it finished with their concurrency keys ("" for a run that holds no slot): a round trip
// for a batch instead of one per run. The finish time is the database's, like the start time a claim
// writes, so that a run's times compare with each other and with the next run's wherever its replica's
// clock stands (SQLite's clock counts milliseconds: a run that started the instant another finished would
// otherwise seem to start before it).
func (s *Store) finishRows(ctx context.Context, tx *sql.Tx, fs []Finish) (map[string]string, error) {
	finished := make(map[string]string, len(fs))
	const perRow = 5
	for start := 0; start < len(fs); start += maxParams / perRow {
		chunk := fs[start:min(start+maxParams/perRow, len(fs))]
		var b strings.Builder
		var args []any
		b.WriteString("WITH v(id, token, status, outputs, error) AS (VALUES ")
		for i, f := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d, CAST($%d AS BIGINT), $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
			args = append(args, f.Lease.RunID, f.Lease.Token, string(f.Result.Status), nullJSON(f.Result.Outputs), text(f.Result.Error))
		}
		b.WriteString(`) UPDATE runs SET status = v.status, outputs = CAST(v.outputs AS ` + s.dialect.JSONType + `), error = v.error,
			finished_at = ` + s.now + `, intent = NULL, lease_owner = '', lease_expires = 0, supplied = NULL, received = NULL
			FROM v WHERE runs.id = v.id AND runs.lease_token = v.token AND runs.status = 'running'
			RETURNING runs.id, runs.concurrency_key`)
		rows, err := tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("finish %d runs: %w", len(chunk), err)
		}
		for rows.Next() {
			var id, key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return nil, err
			}
			finished[id] = key
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return finished, nil
}

// RetryRun ends an attempt that failed transiently: the run waits, retrying, for delay, and then resumes
// after its last finished step. reason is shown meanwhile.
func (s *Store) RetryRun(ctx context.Context, l Lease, delay time.Duration, reason string, steps ...Step) error {
	return s.endAttempt(ctx, l, steps, "retry", `status = 'retrying', available_at = `+s.now+` + $3, error = $4`,
		delay.Nanoseconds(), text(reason))
}

// ReleaseRun gives a run back unfinished, ready at once for any worker, when its worker shuts down. The
// attempt still counts: attempt numbers only grow, so each attempt's steps stay apart in the history.
func (s *Store) ReleaseRun(ctx context.Context, l Lease, reason string, steps ...Step) error {
	return s.endAttempt(ctx, l, steps, "release", `status = 'retrying', available_at = `+s.now+`, error = $3`, text(reason))
}

// HoldUncertain stops a run whose request in doubt (the run's intent) must not be resent without a
// person's decision; it waits, uncertain, for ResolveRun.
func (s *Store) HoldUncertain(ctx context.Context, l Lease, reason string, steps ...Step) error {
	return s.endAttempt(ctx, l, steps, "hold", `status = 'uncertain', error = $3`, text(reason))
}

// HoldWaiting stops the run held by l until ResumeRun supplies the input w names, or w.Until passes and
// the run fails; the lease ends and steps are recorded, in one transaction.
func (s *Store) HoldWaiting(ctx context.Context, l Lease, w Waiting, steps ...Step) error {
	raw, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("wait run %s: %w", l.RunID, err)
	}
	msg := fmt.Sprintf("waiting for input %q of step %q until %s", w.Input, w.StepID, w.Until.UTC().Format(time.RFC3339))
	event := ""
	if m := w.Message; m != nil {
		msg = fmt.Sprintf("waiting for a message on %s of step %q until %s", m.Channel, w.StepID, w.Until.UTC().Format(time.RFC3339))
		if event = m.EventType; event == "" {
			event = "*"
		}
	}
	return s.endAttempt(ctx, l, steps, "wait", `status = 'waiting', waiting = $3, available_at = $4, error = $5, supplied = NULL,
		wait_event = $6, received = NULL`, string(raw), nanos(w.Until), text(msg), event)
}

// Resume gives a waiting run the inputs it waits for.
type Resume struct {
	// Inputs are the values (a JSON object), for the worker.
	Inputs json.RawMessage
	// Masked are the same inputs as the history may show them (secrets masked).
	Masked json.RawMessage
	// By names who supplied them, for the audit trail.
	By string
}

// ResumeRun supplies inputs to a waiting run, which is queued again at once and resumes after its last
// finished step. A run that is not waiting is ErrConflict; an unknown one ErrNotFound.
func (s *Store) ResumeRun(ctx context.Context, runID string, r Resume) (Run, error) {
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		run, err := runIn(ctx, tx, runID, RunWaiting)
		if err != nil {
			return err
		}
		if run.Waiting != nil && run.Waiting.Message != nil {
			return fmt.Errorf("it waits for a message on %s, not for an input: %w", run.Waiting.Message.Channel, ErrConflict)
		}
		supplied, err := mergeObjects(run.Supplied, r.Inputs)
		if err != nil {
			return fmt.Errorf("supplied inputs: %w", err)
		}
		shown, err := mergeObjects(run.Inputs, r.Masked)
		if err != nil {
			return fmt.Errorf("masked inputs: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'retrying', available_at = `+s.now+`, waiting = NULL,
			supplied = $2, inputs = $3, error = '' WHERE id = $1 AND status = 'waiting'`, runID, string(supplied), string(shown))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("it stopped waiting meanwhile: %w", ErrConflict)
		}
		names, _ := objectKeys(r.Masked)
		return audit(ctx, tx, AuditEntry{Actor: r.By, Action: "resume", RunID: runID, EventUUID: run.EventUUID,
			Detail: "supplied " + strings.Join(names, ", ")})
	})
	if err != nil {
		return Run{}, fmt.Errorf("resume run %s: %w", runID, err)
	}
	s.signal(RunWork)
	return s.GetRun(ctx, runID)
}

// runIn reads run id inside tx for an operator's action on a run in status want: ErrNotFound for an
// unknown run, ErrConflict for one in another status.
func runIn(ctx context.Context, tx *sql.Tx, id string, want RunStatus) (Run, error) {
	run, err := scanRun(tx.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, ErrNotFound
	}
	if err != nil {
		return Run{}, err
	}
	if run.Status != want {
		return Run{}, fmt.Errorf("it is %s, not %s: %w", run.Status, want, ErrConflict)
	}
	return run, nil
}

// mergeObjects returns the JSON object a with b's members added or replaced; either may be empty.
func mergeObjects(a, b json.RawMessage) (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	for _, raw := range []json.RawMessage{a, b} {
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var part map[string]json.RawMessage
		if err := json.Unmarshal(raw, &part); err != nil {
			return nil, err
		}
		maps.Copy(m, part)
	}
	return json.Marshal(m)
}

func objectKeys(raw json.RawMessage) ([]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(m)), nil
}

// endAttempt applies set (whose parameters start at $3) to the run held by l, ends the lease and records
// steps, in one transaction.
func (s *Store) endAttempt(ctx context.Context, l Lease, steps []Step, what, set string, args ...any) error {
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		// The update is the fence: it matches only while the attempt holds the run, so a stale
		// attempt's checkpoints never land. The intent stays (a held run's is the request in doubt).
		if len(steps) > 0 && (what == "retry" || what == "release" || what == "wait") {
			// An attempt records its checkpoints before each request it sends, so checkpoints still
			// pending at its end came after its last request's response: that request is settled.
			// A held run keeps its intent: that is the request in doubt.
			set += ", intent = NULL"
		}
		var concurrencyKey string
		err := tx.QueryRowContext(ctx, `UPDATE runs SET `+set+`, lease_owner = '', lease_expires = 0
			WHERE id = $1 AND lease_token = $2 AND status = 'running' RETURNING concurrency_key`,
			append([]any{l.RunID, l.Token}, args...)...).Scan(&concurrencyKey)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("attempt %d (token %d): %w", l.Attempt, l.Token, ErrLeaseLost)
		}
		if err != nil {
			return err
		}
		if concurrencyKey != "" {
			if err := freeSlots(ctx, tx, l.RunID); err != nil {
				return err
			}
		}
		if what == "hold" {
			if err := alertRun(ctx, tx, AlertUncertain, l.RunID, fmt.Sprint(args[0])); err != nil {
				return err
			}
		}
		return insertSteps(ctx, tx, l, steps)
	})
	if err != nil {
		return fmt.Errorf("%s run %s: %w", what, l.RunID, err)
	}
	if what != "finish" && what != "hold" && what != "wait" {
		s.signal(RunWork)
	}
	return nil
}

// Resolve is an operator's decision on an uncertain run.
type Resolve struct {
	// Action is "resend" (send the request in doubt again), "skip" (treat its step as done without
	// outputs and go on) or "fail" (finish the run as failed).
	Action string
	// By names the operator, for the audit trail and the run's history.
	By string
	// Reason is an optional note.
	Reason string
	// Skipped is the checkpoint that stands for the skipped step (Action "skip"): the worker builds it,
	// since its format is the runner's.
	Skipped *Step
}

// ResolveRun applies an operator's decision to an uncertain run: resend and skip queue it again at once,
// fail finishes it. It fails with ErrConflict when the run is not uncertain (someone else resolved it
// first, or it never was).
func (s *Store) ResolveRun(ctx context.Context, runID string, r Resolve) (Run, error) {
	switch r.Action {
	case "resend", "skip", "fail":
	default:
		return Run{}, fmt.Errorf("resolve run %s: action %q: want resend, skip or fail", runID, r.Action)
	}
	if r.Action == "skip" && r.Skipped == nil {
		return Run{}, fmt.Errorf("resolve run %s: skip needs the checkpoint of the skipped step", runID)
	}
	res := Resolution{Action: r.Action, By: r.By, At: time.Now().UTC(), Reason: r.Reason}
	resJSON, _ := json.Marshal(res)
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		run, err := runIn(ctx, tx, runID, RunUncertain)
		if err != nil {
			return err
		}
		var q string
		var args []any
		switch r.Action {
		case "resend":
			in := run.Intent
			if in == nil {
				in = &Intent{}
			}
			in.Resend = true
			raw, _ := json.Marshal(in)
			q, args = `status = 'retrying', available_at = `+s.now+`, intent = $3`, []any{string(raw)}
		case "skip":
			st := *r.Skipped
			st.RunID, st.RunAttempt = runID, run.Attempts
			if err := insertStep(ctx, tx, st); err != nil {
				return fmt.Errorf("save the skipped step: %w", err)
			}
			q, args = `status = 'retrying', available_at = `+s.now+`, intent = NULL`, nil
		case "fail":
			msg := "an operator resolved the request in doubt as failed"
			if r.Reason != "" {
				msg += ": " + r.Reason
			}
			q, args = `status = 'failed', finished_at = `+s.now+`, error = $3`, []any{text(msg)}
		}
		args = append([]any{runID, run.LeaseToken}, args...)
		args = append(args, string(resJSON))
		upd, err := tx.ExecContext(ctx, `UPDATE runs SET `+q+fmt.Sprintf(`, resolution = $%d`, len(args))+`
			WHERE id = $1 AND lease_token = $2 AND status = 'uncertain'`, args...)
		if err != nil {
			return err
		}
		if n, _ := upd.RowsAffected(); n == 0 {
			return fmt.Errorf("it changed meanwhile: %w", ErrConflict)
		}
		detail := r.Action
		if run.Intent != nil {
			detail += fmt.Sprintf(" step %q: %s %s", run.Intent.StepID, run.Intent.Method, run.Intent.URL)
		}
		if r.Reason != "" {
			detail += " (" + r.Reason + ")"
		}
		return audit(ctx, tx, AuditEntry{Actor: r.By, Action: "resolve", RunID: runID, EventUUID: run.EventUUID, Detail: detail})
	})
	if err != nil {
		return Run{}, fmt.Errorf("resolve run %s: %w", runID, err)
	}
	if r.Action != "fail" {
		s.signal(RunWork)
	}
	return s.GetRun(ctx, runID)
}

// nullJSON stores absent JSON as NULL so that reading it back gives nil, not "null".
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return text(string(b))
}
