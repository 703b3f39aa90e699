package store

import (
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
	err := s.queueTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		q, args := s.withLimit(s.q.claimDispatches, n)
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		var pending []Dispatch
		var seqs []int64
		var holds [][]any // seq, until_at, attempts
		until := sqlExpr("(" + s.now + " + " + strconv.FormatInt(hold.Nanoseconds(), 10) + ")")
		for rows.Next() {
			var d Dispatch
			var dispatched int
			var seq int64
			if err := rows.Scan(&seq, &d.UUID, &d.Type, &dispatched, &d.To); err != nil {
				rows.Close()
				return err
			}
			d.From = dispatched + 1
			pending = append(pending, d)
			seqs = append(seqs, seq)
			holds = append(holds, []any{seq, until, 1})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// A hold per event, counting the claim. The update happens only where no live hold is there:
		// another worker's claim that committed after this one read the events keeps them (and on
		// PostgreSQL an insert waits for a claim still in progress), so an event is handed to one worker.
		attempts := make(map[int64]int, len(pending))
		err = insertRows(ctx, tx, "dispatch_holds", holdColumns, holds,
			` ON CONFLICT (seq) DO UPDATE SET until_at = excluded.until_at, attempts = dispatch_holds.attempts + 1
			WHERE dispatch_holds.until_at <= `+s.now+` RETURNING seq, attempts`, func(r *sql.Rows) error {
				var seq int64
				var n int
				if err := r.Scan(&seq, &n); err != nil {
					return err
				}
				attempts[seq] = n
				return nil
			})
		if err != nil {
			return fmt.Errorf("hold %d events for dispatch: %w", len(pending), err)
		}
		for i, d := range pending {
			if n, ok := attempts[seqs[i]]; ok {
				d.Attempts = n
				out = append(out, d)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim dispatches: %w", err)
	}
	// In the order the events were stored (the SELECT's ORDER BY seq): Okta's time order for its uuids,
	// which is the order a coalescing trigger's "first" means.
	return out, nil
}

// holdColumns are the columns of a dispatch hold (see ClaimDispatches).
var holdColumns = []string{"seq", "until_at", "attempts"}

// pendingDispatch reports whether some event waits for dispatch now: a read, so an idle worker's poll
// costs no write transaction.
func (s *Store) pendingDispatch(ctx context.Context) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM events e WHERE `+s.q.pendingEvent+` LIMIT 1) AS p`).Scan(&n)
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
	users := make([]EventUser, len(os))
	for i, o := range os {
		users[i] = EventUser{ID: text(o.User.ID), Login: text(strings.ToLower(o.User.Login))}
	}
	created := make([][]Run, len(ds))
	queued := false
	err := s.queueTx(ctx, func(tx *sql.Tx) error {
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
		return s.recordDispatches(ctx, tx, ds, skipped, users)
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
	"created_at", "available_at", "inputs", "plan", "version", "coalesce_key", "concurrency_key", "concurrency_limit"}

// insertRuns creates the runs of every dispatch in one statement (per chunk), unique on (event, trigger,
// replay): a run that exists already is left as it is. Runs that coalesce are merged first (coalesce),
// adding to skips what they recorded. It returns, by dispatch, the runs it created.
func (s *Store) insertRuns(ctx context.Context, tx *sql.Tx, ds []Dispatch, os []Outcome, skips [][]Skip, tookOver *int) ([][]Run, error) {
	now := time.Now().UTC()
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
			available, key := sqlExpr(s.now), ""
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
					available = sqlExpr("(" + s.now + " + " + strconv.FormatInt(c.Window.Nanoseconds(), 10) + ")")
				}
			}
			if key != "" {
				batchKeys[nr.Trigger+"\x00"+key] = len(rows)
			}
			rows = append(rows, []any{id.String(), d.UUID, text(nr.Trigger), nr.Replay, text(nr.WorkflowFile),
				text(nr.WorkflowID), string(RunQueued), now.UnixNano(), available, nullJSON(nr.Inputs), nullJSON(nr.Plan),
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

// recordDispatch marks one dispatch done inside tx.
// recordDispatches marks a batch's events dispatched, with their skips and Okta users, in one UPDATE per
// chunk: a round trip for the batch instead of one per event. An event whose row did not change (a
// dispatch already recorded) must still exist.
func (s *Store) recordDispatches(ctx context.Context, tx *sql.Tx, ds []Dispatch, skipped []any, users []EventUser) error {
	const perRow = 5
	for start := 0; start < len(ds); start += maxParams / perRow {
		end := min(start+maxParams/perRow, len(ds))
		var b strings.Builder
		var args []any
		b.WriteString("WITH v(ukey, dispatched, skipped, user_id, user_login) AS (VALUES ")
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d, CAST($%d AS BIGINT), CAST($%d AS TEXT), CAST($%d AS TEXT), CAST($%d AS TEXT))", n+1, n+2, n+3, n+4, n+5)
			args = append(args, eventKey(ds[i].UUID), ds[i].To, skipped[i], users[i].ID, users[i].Login)
		}
		b.WriteString(`) UPDATE events SET dispatched = v.dispatched, dispatch_error = '',
			skipped = v.skipped, user_id = coalesce(nullif(v.user_id, ''), events.user_id),
			user_login = coalesce(nullif(v.user_login, ''), events.user_login)
			FROM v WHERE events.ukey = v.ukey AND events.dispatched < v.dispatched RETURNING events.ukey, events.seq`)
		rows, err := tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return fmt.Errorf("record the dispatch of %d events: %w", end-start, err)
		}
		updated := make(map[string]bool, end-start)
		var done []int64
		for rows.Next() {
			var k string
			var seq int64
			if err := rows.Scan(&k, &seq); err != nil {
				rows.Close()
				return err
			}
			updated[k] = true
			done = append(done, seq)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := deleteHolds(ctx, tx, done); err != nil {
			return err
		}
		for _, d := range ds[start:end] {
			if !updated[eventKey(d.UUID)] {
				if err := s.mustExist(ctx, tx, d.UUID); err != nil {
					return fmt.Errorf("complete dispatch of event %s (replays %d–%d): %w", d.UUID, d.From, d.To, err)
				}
			}
		}
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
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		if giveUp {
			var seq int64
			err := tx.QueryRowContext(ctx, `UPDATE events SET dispatched = CASE WHEN dispatched < $2 THEN $2 ELSE dispatched END,
				dispatch_error = $3 WHERE ukey = $1 RETURNING seq`, eventKey(d.UUID), d.To, text(reason)).Scan(&seq)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // the event is gone: nothing waits for dispatch
			}
			if err != nil {
				return err
			}
			return deleteHolds(ctx, tx, []int64{seq})
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET dispatch_error = $2 WHERE ukey = $1`, eventKey(d.UUID), text(reason)); err != nil {
			return err
		}
		// The hold the claim wrote now lasts until the retry.
		_, err := tx.ExecContext(ctx, `INSERT INTO dispatch_holds (seq, until_at, attempts)
			SELECT seq, `+s.now+` + $2, $3 FROM events WHERE ukey = $1
			ON CONFLICT (seq) DO UPDATE SET until_at = excluded.until_at`, eventKey(d.UUID), retryIn.Nanoseconds(), max(1, d.Attempts))
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
		// The replay starts afresh: a hold or a count of attempts left by an earlier dispatch goes.
		if err := deleteHolds(ctx, tx, []int64{seq}); err != nil {
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

// deleteHolds removes the dispatch holds of the events seqs, whose dispatch is recorded or starts again.
func deleteHolds(ctx context.Context, tx *sql.Tx, seqs []int64) error {
	if err := deleteIn(ctx, tx, "dispatch_holds", "seq", seqs); err != nil {
		return fmt.Errorf("release the dispatch holds of %d events: %w", len(seqs), err)
	}
	return nil
}
