package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// A run whose receive step waits on Okta's event stream holds no lease and no goroutine (HoldWaiting
// with a MessageWait); the events that arrive later are matched against it at dispatch, and the first
// that correlates is delivered to it (DeliverMessage), which queues it again.

// Received is what a run that waited for a message is given when it runs again.
type Received struct {
	// Seq is the receive step's execution (MessageWait.Seq); 0 with TimedOut.
	Seq int `json:"seq,omitempty"`
	// EventUUID names the event delivered.
	EventUUID string `json:"eventUuid,omitempty"`
	// Message is the runner's message (payload and headers) as JSON.
	Message json.RawMessage `json:"message,omitempty"`
	// TimedOut is set when the wait ended without a message.
	TimedOut bool `json:"timedOut,omitempty"`
}

// WaitingForEvents returns the runs waiting for a message on Okta's event stream whose channel carries
// one of types (or any type), oldest first.
func (s *Store) WaitingForEvents(ctx context.Context, types []string) ([]Run, error) {
	args := []any{"*"}
	for _, t := range types {
		args = append(args, t)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE status = 'waiting' AND wait_event <> ''
		AND wait_event IN (`+placeholders(0, len(args))+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("runs waiting for events: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("runs waiting for events: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeliverMessage gives a run waiting for a message the one it waits for and queues it again at once. It
// reports false, without error, when the run no longer waits (another event, or its timeout, came
// first): the first delivery wins.
func (s *Store) DeliverMessage(ctx context.Context, runID string, r Received) (bool, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return false, fmt.Errorf("deliver a message to run %s: %w", runID, err)
	}
	delivered := false
	err = s.inTx(ctx, false, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'retrying', available_at = `+s.now+`, waiting = NULL,
			wait_event = '', received = $2, error = '' WHERE id = $1 AND status = 'waiting' AND wait_event <> ''`, runID, string(raw))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		delivered = true
		var eventUUID string
		if err := tx.QueryRowContext(ctx, `SELECT event_uuid FROM runs WHERE id = $1`, runID).Scan(&eventUUID); err != nil {
			return err
		}
		return audit(ctx, tx, AuditEntry{Actor: "trama", Action: "receive", RunID: runID, EventUUID: eventUUID,
			Detail: "received event " + r.EventUUID})
	})
	if err != nil {
		return false, fmt.Errorf("deliver a message to run %s: %w", runID, err)
	}
	if delivered {
		s.signal(RunWork)
	}
	return delivered, nil
}

// EventsSince reads the card sources of the events of the given types ("*" for any) received at or
// after since, oldest first, at most limit: what a run that starts waiting checks first, because an
// event dispatched before its wait was recorded would otherwise pass it by.
func (s *Store) EventsSince(ctx context.Context, types []string, since time.Time, limit int) ([]CardSource, error) {
	args := []any{nanos(since), limit}
	where := ""
	if !slices.Contains(types, "*") {
		if len(types) == 0 {
			return nil, nil
		}
		where = " AND type IN (" + placeholders(len(args), len(types)) + ")"
		for _, t := range types {
			args = append(args, t)
		}
	}
	rows, err := s.read.QueryContext(ctx, `SELECT uuid FROM events WHERE received_at >= $1`+where+` ORDER BY seq DESC LIMIT $2`, args...)
	if err != nil {
		return nil, fmt.Errorf("events since %s: %w", since.UTC().Format(time.RFC3339), err)
	}
	var uuids []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return nil, err
		}
		uuids = append(uuids, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	srcs, err := s.CardSources(ctx, uuids)
	if err != nil {
		return nil, err
	}
	out := make([]CardSource, 0, len(uuids))
	for i := len(uuids) - 1; i >= 0; i-- {
		if c, ok := srcs[uuids[i]]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}
