package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// coalesce merges the new run nr of dispatch d with the trigger's run of the same key, when there is one
// to merge with, and reports whether it did (then no run is created for d). With keep "first" that is a
// run of the key created within the window: d's event is recorded as coalesced into it. With keep
// "last" it is a run of the key still queued (waiting for its window to close): it takes d's event, and
// the event it had is recorded as coalesced into it (counted in tookOver). Inside the dispatch's transaction, so two events of
// one key in one batch, or from two replicas, merge in order.
func (s *Store) coalesce(ctx context.Context, tx *sql.Tx, d Dispatch, nr NewRun, now time.Time, skips *[]Skip, tookOver *int) (bool, error) {
	c := nr.Coalesce
	if nr.Replay > 0 {
		return false, nil // a replay is asked for on purpose: it gets its run
	}
	if s.dialect.KeyLock != "" {
		// Dispatches of one key in two transactions at once (two replicas, two dispatch workers) take
		// turns here, so the second sees the first's run.
		if _, err := tx.ExecContext(ctx, s.dialect.KeyLock, "coalesce:"+nr.Trigger+":"+c.Key); err != nil {
			return false, err
		}
	}
	var id, event, status string
	var created int64
	q := `SELECT id, event_uuid, created_at, status FROM runs WHERE trigger_name = $1 AND coalesce_key = $2 AND created_at >= $3
		ORDER BY created_at DESC LIMIT 1`
	if c.Keep == "last" {
		q = `SELECT id, event_uuid, created_at, status FROM runs WHERE trigger_name = $1 AND coalesce_key = $2 AND created_at >= $3
			AND status = 'queued' ORDER BY created_at DESC LIMIT 1`
	}
	err := tx.QueryRowContext(ctx, q, text(nr.Trigger), text(c.Key), now.Add(-c.Window).UnixNano()).Scan(&id, &event, &created, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if event == d.UUID {
		return false, nil // this event's own run: the insert leaves it as it is
	}
	after := now.Sub(fromNanos(created)).Round(time.Millisecond)
	// With keep first, the earliest event of the key has the run: a later one joins it, and an earlier
	// one that is dispatched second (events of one delivery are dispatched in parallel) takes the run
	// over while it has not started.
	earlier := eventKey(d.UUID) < eventKey(event)
	if c.Keep != "last" && !(earlier && status == string(RunQueued)) {
		*skips = append(*skips, Skip{Trigger: nr.Trigger, Reason: "coalesced",
			Detail: fmt.Sprintf("into run %s, which event %s with the same key started %s earlier", id, event, after)})
		return true, nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE runs SET event_uuid = $2, replay = $3, inputs = $4, plan = $5, version = $6,
		workflow_file = $7, workflow_id = $8 WHERE id = $1 AND status = 'queued'`,
		id, d.UUID, nr.Replay, nullJSON(nr.Inputs), nullJSON(nr.Plan), text(nr.Version), text(nr.WorkflowFile), text(nr.WorkflowID))
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	// The event the run had is now coalesced into it: say so on that event.
	how := fmt.Sprintf("took over %s later", after)
	if c.Keep != "last" {
		how = "took over, being the earlier of the two"
	}
	skip := Skip{Trigger: nr.Trigger, Reason: "coalesced",
		Detail: fmt.Sprintf("into run %s, which event %s with the same key %s", id, d.UUID, how)}
	*tookOver++
	return true, addSkip(ctx, tx, event, skip)
}

// addSkip appends skip to the skipped triggers recorded on the event with uuid.
func addSkip(ctx context.Context, tx *sql.Tx, uuid string, skip Skip) error {
	var raw sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT skipped FROM events WHERE ukey = $1`, eventKey(uuid)).Scan(&raw); err != nil {
		return fmt.Errorf("event %s: %w", uuid, err)
	}
	var skips []Skip
	if raw.Valid && raw.String != "" {
		if err := json.Unmarshal([]byte(raw.String), &skips); err != nil {
			return fmt.Errorf("event %s: skipped: %w", uuid, err)
		}
	}
	out, err := json.Marshal(append(skips, skip))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE events SET skipped = $2 WHERE ukey = $1`, eventKey(uuid), string(out))
	return err
}
