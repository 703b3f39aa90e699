package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
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
	// seq is the event's key in dispatch_queue, known to a claimed dispatch (0: look it up by UUID).
	seq int64
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
	err := s.queueTx(ctx, func(tx *sql.Tx) (err error) {
		out, err = s.claimDispatchesIn(ctx, tx, n, hold)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// claimDispatchesIn is ClaimDispatches in tx, which may hold other work (CompleteDispatchesAndClaim).
func (s *Store) claimDispatchesIn(ctx context.Context, tx *sql.Tx, n int, hold time.Duration) ([]Dispatch, error) {
	if n <= 0 {
		return nil, nil
	}
	// The claim writes only the events' small queue rows; on PostgreSQL it skips the rows another
	// claim has locked, so an event is handed to one worker.
	q, args := s.withLimit(s.q.claimDispatches, n, hold.Nanoseconds())
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("claim dispatches: %w", err)
	}
	out, err := collect(rows, func(r *sql.Rows) (Dispatch, error) {
		var d Dispatch
		err := r.Scan(&d.seq, &d.UUID, &d.Type, &d.From, &d.To, &d.Attempts)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim dispatches: %w", err)
	}
	// In the order the events were stored (RETURNING has none): Okta's time order for its uuids, which
	// is the order a coalescing trigger's "first" means.
	slices.SortFunc(out, func(a, b Dispatch) int { return cmp.Compare(a.seq, b.seq) })
	return out, nil
}

// pendingDispatch reports whether some event waits for dispatch now: a read, so an idle worker's poll
// costs no write transaction.
func (s *Store) pendingDispatch(ctx context.Context) (bool, error) {
	var n int
	// In key order, so the look walks the queue's primary key from its oldest row and stops at the first
	// that no hold keeps, where a scan of the table would read every row a vacuum has not removed yet.
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM dispatch_queue q WHERE `+s.q.pendingEvent+`
		ORDER BY q.seq LIMIT 1) AS p`).Scan(&n)
	return n > 0, err
}

// Skip is a trigger whose event type matched an event but that started no run, and why: what a person
// reads when an event they expected to run did not.
type Skip struct {
	Trigger string `json:"trigger"`
	// Reason is loop-guard, when-false, when-error, input-error or coalesced.
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// Outcome is what a dispatch decided: the runs to create and the triggers skipped.
type Outcome struct {
	Runs    []NewRun
	Skipped []Skip
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
	created, _, err := s.CompleteDispatchesAndClaim(ctx, ds, os, 0, 0)
	return created, err
}

// CompleteDispatchesAndClaim is CompleteDispatches followed, in the same transaction, by
// ClaimDispatches(n, hold): a dispatcher working through a backlog records a batch and takes the next
// with one commit. With n = 0 it claims nothing. When err is set, nothing was recorded and nothing
// claimed.
func (s *Store) CompleteDispatchesAndClaim(ctx context.Context, ds []Dispatch, os []Outcome, n int, hold time.Duration) (created [][]Run, next []Dispatch, err error) {
	if len(ds) != len(os) {
		return nil, nil, fmt.Errorf("complete dispatches: %d dispatches, %d outcomes", len(ds), len(os))
	}
	created = make([][]Run, len(ds))
	queued := false
	err = s.queueTx(ctx, func(tx *sql.Tx) error {
		queued = false
		skips := make([][]Skip, len(ds))
		for i, o := range os {
			skips[i] = slices.Clone(o.Skipped)
		}
		tookOver := 0
		runs, err := s.insertRuns(ctx, tx, ds, os, skips, &tookOver)
		if err != nil {
			return err
		}
		coalesced := tookOver
		for i := range skips {
			for _, sk := range skips[i][len(os[i].Skipped):] {
				if sk.Reason == "coalesced" {
					coalesced++
				}
			}
		}
		if coalesced > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE totals SET coalesced = coalesced + $2 WHERE shard = $1`,
				rand.IntN(s.dialect.TotalShards), coalesced); err != nil {
				return fmt.Errorf("count coalesced events: %w", err)
			}
		}
		skipped := make([]any, len(ds))
		for i, d := range ds {
			if len(skips[i]) > 0 {
				raw, err := json.Marshal(skips[i])
				if err != nil {
					return fmt.Errorf("complete dispatch of event %s: %w", d.UUID, err)
				}
				skipped[i] = text(string(raw))
			}
			created[i] = runs[i]
			queued = queued || len(runs[i]) > 0
		}
		if err := s.recordDispatches(ctx, tx, ds, skipped); err != nil {
			return err
		}
		next, err = s.claimDispatchesIn(ctx, tx, n, hold)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if queued {
		s.signal(RunWork)
	}
	return created, next, nil
}

// runColumnsNew are the columns insertRuns writes.
var runColumnsNew = []string{"id", "event_uuid", "trigger_name", "replay", "workflow_file", "workflow_id", "status",
	"created_at", "available_at", "inputs", "plan", "version", "coalesce_key", "concurrency_key", "concurrency_limit"}

// insertRuns creates the runs of every dispatch in one statement (per chunk), unique on (event, trigger,
// replay): a run that exists already is left as it is. Runs that coalesce are merged first (coalesce),
// adding to skips what they recorded. It returns, by dispatch, the runs it created.
func (s *Store) insertRuns(ctx context.Context, tx *sql.Tx, ds []Dispatch, os []Outcome, skips [][]Skip, tookOver *int) ([][]Run, error) {
	// A run's times are the database's clock (created_at too, so a run never seems to finish before it
	// was created: SQLite's clock counts milliseconds); now stands for it in what this returns and in the
	// coalescing windows.
	now := time.Now().UTC()
	// The clock itself in each row, not readNow's subquery: a subquery per row made PostgreSQL plan 256
	// of them for a batch of 128 runs (25–34 ms per plan, a plan per connection and batch size).
	clock := sqlExpr("(" + s.dialect.Now + ")")
	var rows [][]any
	var pending []Run
	owner := map[string]int{}     // run id → index in ds
	batchKeys := map[string]int{} // trigger and coalesce key → index in rows of the run that has it
	for i, d := range ds {
		for _, nr := range os[i].Runs {
			id, err := uuid.NewV7()
			if err != nil {
				return nil, err
			}
			available, key := clock, ""
			if c := nr.Coalesce; c != nil && c.Key != "" && nr.Replay == 0 {
				bk := nr.Trigger + "\x00" + c.Key
				if j, ok := batchKeys[bk]; ok {
					// An earlier event of this batch has the key: merge with its run here.
					first := pending[j]
					if c.Keep == "last" {
						skips[owner[first.ID]] = append(skips[owner[first.ID]], Skip{Trigger: nr.Trigger, Reason: "coalesced",
							Detail: fmt.Sprintf("into run %s, which event %s with the same key took over", first.ID, d.UUID)})
						rows[j][1], rows[j][3], rows[j][9], rows[j][10], rows[j][11] = d.UUID, nr.Replay, nullJSON(nr.Inputs), nullJSON(nr.Plan), text(nr.Version)
						first.EventUUID, first.Inputs, first.Plan, first.Version = d.UUID, nr.Inputs, nr.Plan, nr.Version
						pending[j] = first
						owner[first.ID] = i
					} else {
						skips[i] = append(skips[i], Skip{Trigger: nr.Trigger, Reason: "coalesced",
							Detail: fmt.Sprintf("into run %s, which event %s with the same key started", first.ID, first.EventUUID)})
					}
					continue
				}
				merged, err := s.coalesce(ctx, tx, d, nr, now, &skips[i], tookOver)
				if err != nil {
					return nil, fmt.Errorf("coalesce event %s into a run of trigger %q: %w", d.UUID, nr.Trigger, err)
				}
				if merged {
					continue
				}
				key = c.Key
				if c.Keep == "last" {
					// The run waits for the window to close, so that later events can take its place.
					available = sqlExpr("(" + string(clock) + " + " + strconv.FormatInt(c.Window.Nanoseconds(), 10) + ")")
				}
			}
			if key != "" {
				batchKeys[nr.Trigger+"\x00"+key] = len(rows)
			}
			rows = append(rows, []any{id.String(), d.UUID, text(nr.Trigger), nr.Replay, text(nr.WorkflowFile),
				text(nr.WorkflowID), string(RunQueued), clock, available, nullJSON(nr.Inputs), nullJSON(nr.Plan),
				text(nr.Version), text(key), text(nr.ConcurrencyKey), nr.ConcurrencyLimit})
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

// recordDispatches marks a batch's events dispatched: their queue rows go, in one statement per chunk,
// and the event itself is written only where there is something to record (skipped triggers) or may be
// something to clear (what an earlier dispatch recorded, for a dispatch that covers a replay). A
// dispatch that is no longer the event's pending one (another worker recorded it after this one's hold
// lapsed) records nothing. An event that does not exist fails the batch with ErrNotFound.
func (s *Store) recordDispatches(ctx context.Context, tx *sql.Tx, ds []Dispatch, skipped []any) error {
	if err := s.dispatchSeqs(ctx, tx, ds); err != nil {
		return err
	}
	released, err := dequeue(ctx, tx, ds)
	if err != nil {
		return fmt.Errorf("record the dispatch of %d events: %w", len(ds), err)
	}
	const perRow = 2
	var rows [][]any
	for i, d := range ds {
		if released[d.seq] && (skipped[i] != nil || d.To > 0) {
			rows = append(rows, []any{d.seq, skipped[i]})
		}
	}
	for start := 0; start < len(rows); start += maxParams / perRow {
		chunk := rows[start:min(start+maxParams/perRow, len(rows))]
		var b strings.Builder
		var args []any
		b.WriteString("WITH v(seq, skipped) AS (VALUES ")
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(CAST($%d AS BIGINT), CAST($%d AS TEXT))", len(args)+1, len(args)+2)
			args = append(args, r...)
		}
		b.WriteString(`) UPDATE events SET skipped = v.skipped, dispatch_error = '' FROM v WHERE events.seq = v.seq`)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("record the skipped triggers of %d events: %w", len(chunk), err)
		}
	}
	return nil
}

// dispatchSeqs sets, in ds, the queue key of the dispatches that lack one (those not handed out by
// ClaimDispatches), from their events; an event that does not exist is ErrNotFound.
func (s *Store) dispatchSeqs(ctx context.Context, tx *sql.Tx, ds []Dispatch) error {
	for i := range ds {
		if ds[i].seq != 0 {
			continue
		}
		err := tx.QueryRowContext(ctx, `SELECT seq FROM events WHERE ukey = $1`, eventKey(ds[i].UUID)).Scan(&ds[i].seq)
		if errors.Is(err, sql.ErrNoRows) {
			err = fmt.Errorf("event %s: %w", ds[i].UUID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("complete dispatch of event %s (replays %d–%d): %w", ds[i].UUID, ds[i].From, ds[i].To, err)
		}
	}
	return nil
}

// dequeue ends the pending dispatch of each of ds whose queue row still starts at or before its From..To
// range, and reports, by seq, the ones it ended. A replay asked for since the claim (the row's to_replay
// is past To) stays queued, from To+1. A row that starts after To belongs to a later dispatch and is
// left alone. On PostgreSQL the DELETE waits for a replay's write of the row in progress and then reads
// the row as that wrote it.
func dequeue(ctx context.Context, tx *sql.Tx, ds []Dispatch) (map[int64]bool, error) {
	released := make(map[int64]bool, len(ds))
	to := make(map[int64]int, len(ds))
	const perRow = 3
	for start := 0; start < len(ds); start += maxParams / perRow {
		chunk := ds[start:min(start+maxParams/perRow, len(ds))]
		args := make([]any, 0, perRow*len(chunk))
		for _, d := range chunk {
			args = append(args, d.seq)
			to[d.seq] = d.To
		}
		var b strings.Builder
		b.WriteString("DELETE FROM dispatch_queue WHERE seq IN (" + placeholders(0, len(chunk)) + ") AND from_replay <= CASE seq")
		for _, d := range chunk {
			fmt.Fprintf(&b, " WHEN $%d THEN CAST($%d AS INTEGER)", len(args)+1, len(args)+2)
			args = append(args, d.seq, d.To)
		}
		b.WriteString(" END RETURNING seq, to_replay")
		rows, err := tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return nil, err
		}
		var replayed [][2]int64 // seq, to_replay
		for rows.Next() {
			var seq, last int64
			if err := rows.Scan(&seq, &last); err != nil {
				rows.Close()
				return nil, err
			}
			released[seq] = true
			if last > int64(to[seq]) {
				replayed = append(replayed, [2]int64{seq, last})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, r := range replayed {
			if _, err := tx.ExecContext(ctx, `INSERT INTO dispatch_queue (seq, uuid, type, from_replay, to_replay)
				SELECT seq, uuid, type, $2, $3 FROM events WHERE seq = $1`, r[0], to[r[0]]+1, r[1]); err != nil {
				return nil, fmt.Errorf("queue the replays of event %d asked for during its dispatch: %w", r[0], err)
			}
		}
	}
	return released, nil
}

// FailDispatch records a failed dispatch attempt. With giveUp the event is marked dispatched with the
// reason, which its history shows; otherwise it is handed out again after retryIn, and its history shows
// the reason meanwhile.
func (s *Store) FailDispatch(ctx context.Context, d Dispatch, reason string, retryIn time.Duration, giveUp bool) error {
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		ds := []Dispatch{d}
		if err := s.dispatchSeqs(ctx, tx, ds); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil // the event is gone: nothing waits for dispatch
			}
			return err
		}
		if !giveUp {
			// The hold the claim wrote now lasts until the retry.
			_, err := tx.ExecContext(ctx, `UPDATE dispatch_queue SET until_at = `+s.now+` + $2, error = $3 WHERE seq = $1`,
				ds[0].seq, retryIn.Nanoseconds(), text(reason))
			return err
		}
		released, err := dequeue(ctx, tx, ds)
		if err != nil || !released[ds[0].seq] {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE events SET dispatch_error = $2 WHERE seq = $1`, ds[0].seq, text(reason))
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
		var seq int64
		err := tx.QueryRowContext(ctx, `UPDATE events SET replays = replays + 1 WHERE ukey = $1 RETURNING replays, seq`,
			eventKey(eventUUID)).Scan(&replay, &seq)
		if err == sql.ErrNoRows {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		// Queued through this replay. A dispatch still pending keeps where it starts; the replay starts
		// afresh all the same: a hold or a count of attempts left by an earlier dispatch goes.
		if _, err := tx.ExecContext(ctx, `INSERT INTO dispatch_queue (seq, uuid, type, from_replay, to_replay)
			SELECT seq, uuid, type, $2, $2 FROM events WHERE seq = $1
			ON CONFLICT (seq) DO UPDATE SET to_replay = excluded.to_replay, until_at = 0, attempts = 0, error = ''`, seq, replay); err != nil {
			return fmt.Errorf("queue replay %d for dispatch: %w", replay, err)
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
