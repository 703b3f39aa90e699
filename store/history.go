package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// where builds the WHERE clause of a listing, numbering placeholders as it goes.
type where struct {
	conds []string
	args  []any
}

// add appends a condition; each "?" in cond becomes the next placeholder, bound to the next arg.
func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

// limit returns the clause and arguments of a listing: WHERE …, then ORDER BY order LIMIT size+1 (one
// row more than a page says whether there is a next one).
func (w *where) limit(order string, size int) (string, []any) {
	q := ""
	if len(w.conds) > 0 {
		q = " WHERE " + strings.Join(w.conds, " AND ")
	}
	// The limit is written into the text, not bound: SQLite compiles a statement again each time a bound
	// LIMIT is bound (Dialect.LiteralLimits), and a page size rarely changes, so on PostgreSQL too each
	// size is one statement, prepared once.
	return q + " ORDER BY " + order + " LIMIT " + strconv.Itoa(size+1), w.args
}

// collect scans every row with scan, closes rows and returns the items.
func collect[T any](rows *sql.Rows, scan func(*sql.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// page cuts a listing of size+1 rows to size and returns the cursor of the next page.
func page[T any](items []T, size int, listing string, key func(T) string) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	return items, EncodeCursor(listing, key(items[size-1]))
}

const runColumns = `id, trigger_name, event_uuid, replay, workflow_file, workflow_id, version, status, attempts,
	created_at, started_at, finished_at, available_at, inputs, outputs, error, plan, intent,
	lease_owner, lease_token, lease_expires, resolution, waiting, supplied, concurrency_key, concurrency_limit, received`

type scanner interface{ Scan(...any) error }

func scanRun(sc scanner) (Run, error) {
	var r Run
	var status, resolution string
	var created, started, finished, available, expires int64
	var inputs, outputs, plan, intent, waiting, supplied, received sql.NullString
	if err := sc.Scan(&r.ID, &r.Trigger, &r.EventUUID, &r.Replay, &r.WorkflowFile, &r.WorkflowID, &r.Version,
		&status, &r.Attempts, &created, &started, &finished, &available, &inputs, &outputs, &r.Error, &plan,
		&intent, &r.LeaseOwner, &r.LeaseToken, &expires, &resolution, &waiting, &supplied, &r.ConcurrencyKey,
		&r.ConcurrencyLimit, &received); err != nil {
		return r, err
	}
	r.Supplied, r.Received = rawJSON(supplied), rawJSON(received)
	if waiting.Valid {
		r.Waiting = &Waiting{}
		if err := json.Unmarshal([]byte(waiting.String), r.Waiting); err != nil {
			return r, fmt.Errorf("run %s: waiting: %w", r.ID, err)
		}
	}
	r.Status = RunStatus(status)
	r.CreatedAt, r.StartedAt, r.FinishedAt = fromNanos(created), fromNanos(started), fromNanos(finished)
	r.AvailableAt, r.LeaseExpires = fromNanos(available), fromNanos(expires)
	r.Inputs, r.Outputs, r.Plan = rawJSON(inputs), rawJSON(outputs), rawJSON(plan)
	if intent.Valid {
		r.Intent = &Intent{}
		if err := json.Unmarshal([]byte(intent.String), r.Intent); err != nil {
			return r, fmt.Errorf("run %s: intent: %w", r.ID, err)
		}
	}
	if resolution != "" {
		r.Resolution = &Resolution{}
		if err := json.Unmarshal([]byte(resolution), r.Resolution); err != nil {
			return r, fmt.Errorf("run %s: resolution: %w", r.ID, err)
		}
	}
	return r, nil
}

func rawJSON(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return nil
	}
	return json.RawMessage(s.String)
}

// GetRun returns one run.
func (s *Store) GetRun(ctx context.Context, id string) (Run, error) {
	r, err := scanRun(s.read.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1`, text(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("run %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("run %s: %w", id, err)
	}
	return r, nil
}

// ListRuns returns one page of runs, newest first, and the cursor of the next page ("" at the end).
func (s *Store) ListRuns(ctx context.Context, f RunFilter) ([]Run, string, error) {
	var w where
	if f.After != "" {
		key, err := DecodeCursor("runs", f.After)
		if err != nil {
			return nil, "", err
		}
		w.add("id < ?", key)
	}
	if f.Status != "" {
		w.add("status = ?", string(f.Status))
	}
	if f.Trigger != "" {
		w.add("trigger_name = ?", text(f.Trigger))
	}
	if f.EventUUID != "" {
		w.add("event_uuid = ?", text(f.EventUUID))
	}
	if f.Workflow != "" {
		w.add("workflow_id = ?", text(f.Workflow))
	}
	if f.User != "" {
		w.add("event_uuid IN (SELECT uuid FROM events WHERE user_id = ? OR user_login = ?)", text(f.User),
			text(strings.ToLower(f.User)))
	}
	if !f.Since.IsZero() {
		w.add("id >= ?", timeID(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("id < ?", timeID(f.Until))
	}
	size := f.Size()
	clause, args := w.limit("id DESC", size)
	rows, err := s.read.QueryContext(ctx, `SELECT `+runColumns+` FROM runs`+clause, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	runs, err := collect(rows, func(r *sql.Rows) (Run, error) { return scanRun(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	runs, next := page(runs, size, "runs", func(r Run) string { return r.ID })
	return runs, next, nil
}

// timeID is the smallest UUIDv7 (in its text form, which is how run ids sort) created at t's millisecond
// or later: every run created before t sorts below it, every run created at or after it sorts above.
func timeID(t time.Time) string {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	if ms >= 1<<48 {
		ms = 1<<48 - 1
	}
	h := fmt.Sprintf("%012x", ms)
	return h[:8] + "-" + h[8:] + "-0000-0000-000000000000"
}

// Steps returns a run's checkpointed steps in Seq order, each Seq's attempts in order.
func (s *Store) Steps(ctx context.Context, runID string) ([]Step, error) {
	return stepsOf(ctx, s.read, runID)
}

// stepsOf is Steps through q: the read pool, or the transaction of a claim.
func stepsOf(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, runID string) ([]Step, error) {
	rows, err := q.QueryContext(ctx, `SELECT run_id, seq, run_attempt, step_id, status, attempts, method, url,
		status_code, started_at, duration, request, response, outputs, error, checkpoint, auth
		FROM steps WHERE run_id = $1 ORDER BY seq, run_attempt`, text(runID))
	if err != nil {
		return nil, fmt.Errorf("steps of run %s: %w", runID, err)
	}
	steps, err := collect(rows, func(rows *sql.Rows) (Step, error) {
		var st Step
		var started, dur int64
		var outputs sql.NullString
		var checkpoint []byte
		if err := rows.Scan(&st.RunID, &st.Seq, &st.RunAttempt, &st.StepID, &st.Status, &st.Attempts, &st.Method,
			&st.URL, &st.StatusCode, &started, &dur, &st.Request, &st.Response, &outputs, &st.Error, &checkpoint, &st.Auth); err != nil {
			return st, err
		}
		st.StartedAt, st.Duration = fromNanos(started), time.Duration(dur)
		st.Outputs = rawJSON(outputs)
		if len(checkpoint) > 0 {
			st.Checkpoint = checkpoint
		}
		return st, nil
	})
	if err != nil {
		return nil, fmt.Errorf("steps of run %s: %w", runID, err)
	}
	return steps, nil
}

// eventColumns are what scanEvent reads of events e. An event with no dispatch_queue row has every replay
// dispatched; one that has a row has dispatched those before its from_replay, and shows why its latest
// attempt failed, if one did.
const eventColumns = `e.seq, e.uuid, e.type, e.published, e.received_at, e.source, e.replays, e.duplicates,
	coalesce((SELECT q.from_replay - 1 FROM dispatch_queue q WHERE q.seq = e.seq), e.replays),
	coalesce((SELECT nullif(q.error, '') FROM dispatch_queue q WHERE q.seq = e.seq), e.dispatch_error),
	e.skipped, e.user_id, e.user_login,
	(SELECT count(*) FROM runs r WHERE r.event_uuid = e.uuid)`

func scanEvent(sc scanner, extra ...any) (Event, int64, error) {
	var e Event
	var seq, published, received int64
	var source string
	var skipped sql.NullString
	err := sc.Scan(append([]any{&seq, &e.UUID, &e.Type, &published, &received, &source, &e.Replays, &e.Duplicates,
		&e.Dispatched, &e.DispatchError, &skipped, &e.User.ID, &e.User.Login, &e.Runs}, extra...)...)
	e.Published, e.ReceivedAt, e.Source = fromNanos(published), fromNanos(received), Source(source)
	if err == nil && skipped.Valid {
		err = json.Unmarshal([]byte(skipped.String), &e.Skipped)
	}
	return e, seq, err
}

// GetEvent returns one event with its payload, delivery ids and headers.
func (s *Store) GetEvent(ctx context.Context, uuid string) (Event, error) {
	var payload string
	var headers, first sql.NullString
	e, _, err := scanEvent(s.read.QueryRowContext(ctx, `SELECT `+eventColumns+`, e.payload, e.delivery_id, d.headers
		FROM events e LEFT JOIN deliveries d ON d.id = e.delivery_id WHERE e.ukey = $1`, eventKey(uuid)),
		&payload, &first, &headers)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("event %s: %w", uuid, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("event %s: %w", uuid, err)
	}
	e.Payload = json.RawMessage(payload)
	if headers.Valid {
		if err := json.Unmarshal([]byte(headers.String), &e.Headers); err != nil {
			return e, fmt.Errorf("event %s: headers: %w", uuid, err)
		}
	}
	if first.Valid {
		e.DeliveryIDs = append(e.DeliveryIDs, first.String)
	}
	// Delivery ids are UUIDv7, so sorting them sorts by arrival.
	rows, err := s.read.QueryContext(ctx, `SELECT delivery_id FROM event_deliveries WHERE event_uuid = $1
		ORDER BY delivery_id`, e.UUID)
	if err != nil {
		return e, fmt.Errorf("event %s: deliveries: %w", uuid, err)
	}
	later, err := collect(rows, func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return e, fmt.Errorf("event %s: deliveries: %w", uuid, err)
	}
	e.DeliveryIDs = append(e.DeliveryIDs, later...)
	return e, nil
}

// ListEvents returns one page of events, newest first, without payloads or headers.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]Event, string, error) {
	var w where
	if f.After != "" {
		key, err := DecodeCursor("events", f.After)
		if err != nil {
			return nil, "", err
		}
		seq, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("%w %q for events", ErrInvalidCursor, clip(f.After))
		}
		w.add("e.seq < ?", seq)
	}
	if f.Type != "" {
		w.add("e.type = ?", text(f.Type))
	}
	if f.Source != "" {
		w.add("e.source = ?", string(f.Source))
	}
	if f.User != "" {
		w.add("(e.user_id = ? OR e.user_login = ?)", text(f.User), text(strings.ToLower(f.User)))
	}
	if !f.Since.IsZero() {
		w.add("e.published >= ?", nanos(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("e.published < ?", nanos(f.Until))
	}
	switch f.Outcome {
	case "":
	case OutcomeRan:
		w.add("EXISTS (SELECT 1 FROM runs r WHERE r.event_uuid = e.uuid)")
	case OutcomeSkipped:
		w.add("e.skipped IS NOT NULL")
	case OutcomeDuplicate:
		w.add("e.duplicates > 0")
	case OutcomePending:
		w.add("EXISTS (SELECT 1 FROM dispatch_queue q WHERE q.seq = e.seq)")
	case OutcomeNone:
		w.add("NOT EXISTS (SELECT 1 FROM dispatch_queue q WHERE q.seq = e.seq) AND e.skipped IS NULL AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.event_uuid = e.uuid)")
	default:
		return nil, "", fmt.Errorf("list events: outcome %q: want one of %v", f.Outcome, EventOutcomes)
	}
	size := f.Size()
	clause, args := w.limit("e.seq DESC", size)
	rows, err := s.read.QueryContext(ctx, `SELECT `+eventColumns+` FROM events e`+clause, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	type listed struct {
		e   Event
		seq int64
	}
	items, err := collect(rows, func(r *sql.Rows) (listed, error) {
		e, seq, err := scanEvent(r)
		return listed{e, seq}, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	items, next := page(items, size, "events", func(l listed) string { return strconv.FormatInt(l.seq, 10) })
	events := make([]Event, len(items))
	for i, l := range items {
		events[i] = l.e
	}
	return events, next, nil
}

const deliveryColumns = `id, hook, event_id, received_at, headers, size, events, new_events, error, event_time,
	source, quarantined`

func scanDelivery(sc scanner, extra ...any) (Delivery, error) {
	var d Delivery
	var received, eventTime int64
	var headers string
	if err := sc.Scan(append([]any{&d.ID, &d.Hook, &d.EventID, &received, &headers, &d.Size, &d.Events,
		&d.NewEvents, &d.Error, &eventTime, &d.Source, &d.Quarantined}, extra...)...); err != nil {
		return d, err
	}
	d.ReceivedAt, d.EventTime = fromNanos(received), fromNanos(eventTime)
	if err := json.Unmarshal([]byte(headers), &d.Headers); err != nil {
		return d, fmt.Errorf("headers: %w", err)
	}
	return d, nil
}

// GetDelivery returns one delivery with its body (when malformed) and its quarantined events.
func (s *Store) GetDelivery(ctx context.Context, id string) (Delivery, error) {
	var body []byte
	d, err := scanDelivery(s.read.QueryRowContext(ctx, `SELECT `+deliveryColumns+`, body FROM deliveries
		WHERE id = $1`, text(id)), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("delivery %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("delivery %s: %w", id, err)
	}
	d.Body = body
	if d.Quarantined == 0 {
		return d, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT idx, reason, payload FROM quarantine WHERE delivery_id = $1
		ORDER BY idx`, d.ID)
	if err != nil {
		return d, fmt.Errorf("delivery %s: quarantined events: %w", id, err)
	}
	d.QuarantinedEvents, err = collect(rows, func(r *sql.Rows) (QuarantinedEvent, error) {
		var q QuarantinedEvent
		return q, r.Scan(&q.Index, &q.Reason, &q.Payload)
	})
	if err != nil {
		return d, fmt.Errorf("delivery %s: quarantined events: %w", id, err)
	}
	return d, nil
}

// ListDeliveries returns one page of deliveries, newest first, without bodies.
func (s *Store) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, string, error) {
	var w where
	if f.After != "" {
		key, err := DecodeCursor("deliveries", f.After)
		if err != nil {
			return nil, "", err
		}
		w.add("id < ?", key)
	}
	if f.Hook != "" {
		w.add("hook = ?", text(f.Hook))
	}
	if f.Malformed {
		w.add("error <> ''")
	}
	if f.Quarantined {
		w.add("quarantined > 0")
	}
	size := f.Size()
	clause, args := w.limit("id DESC", size)
	rows, err := s.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries`+clause, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	out, err := collect(rows, func(r *sql.Rows) (Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	out, next := page(out, size, "deliveries", func(d Delivery) string { return d.ID })
	return out, next, nil
}
