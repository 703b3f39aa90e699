package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// Alert kinds.
const (
	AlertFailed      = "failed"
	AlertUncertain   = "uncertain"
	AlertQuarantined = "quarantined"
)

// Alert is one notification in the outbox: written in the transaction that records what it is about, so
// it outlives a crash, once per run and kind (Key), and sent by whichever process claims it.
type Alert struct {
	Key       string
	Kind      string // AlertFailed, AlertUncertain or AlertQuarantined
	Trigger   string
	RunID     string
	EventUUID string
	// Message says what happened, from the run's error (already masked).
	Message   string
	CreatedAt time.Time
	// Attempts counts the sends tried so far, this claim's included.
	Attempts int
	// Error is why the last send failed; "" before the first or after a success.
	Error string
}

// alertRun queues an alert of kind for run id, with message, inside tx: once per run and kind.
func alertRun(ctx context.Context, tx *sql.Tx, kind, runID, message string) error {
	now := time.Now().UnixNano()
	_, err := tx.ExecContext(ctx, `INSERT INTO alerts (akey, kind, trigger_name, run_id, event_uuid, message, created_at, next_at)
		SELECT 'run:' || id || ':' || $2, $2, trigger_name, id, event_uuid, $3, $4, $4 FROM runs WHERE id = $1
		ON CONFLICT (akey) DO NOTHING`, runID, kind, text(message), now)
	if err != nil {
		return fmt.Errorf("queue the %s alert of run %s: %w", kind, runID, err)
	}
	return nil
}

// alertQuarantine queues an alert for an event quarantined from a delivery, inside tx.
func alertQuarantine(ctx context.Context, tx *sql.Tx, deliveryID string, index int, reason string) error {
	now := time.Now().UnixNano()
	key := "quarantine:" + deliveryID + ":" + strconv.Itoa(index)
	_, err := tx.ExecContext(ctx, `INSERT INTO alerts (akey, kind, message, created_at, next_at) VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (akey) DO NOTHING`, key, AlertQuarantined,
		text(fmt.Sprintf("event %d of delivery %s was quarantined: %s", index, deliveryID, reason)), now)
	if err != nil {
		return fmt.Errorf("queue the quarantine alert: %w", err)
	}
	return nil
}

// ClaimAlerts takes up to n alerts due to be sent, each for lease: another process claims them only once
// the lease passed (this one died before it could mark them).
func (s *Store) ClaimAlerts(ctx context.Context, n int, lease time.Duration) ([]Alert, error) {
	var out []Alert
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `UPDATE alerts SET next_at = `+s.now+` + $2, attempts = attempts + 1
			WHERE akey IN (SELECT akey FROM alerts WHERE sent_at = 0 AND next_at <= `+s.now+` ORDER BY next_at LIMIT $1`+s.dialect.SkipLocked+`)
			RETURNING akey, kind, trigger_name, run_id, event_uuid, message, created_at, attempts`, n, lease.Nanoseconds())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a Alert
			var created int64
			if err := rows.Scan(&a.Key, &a.Kind, &a.Trigger, &a.RunID, &a.EventUUID, &a.Message, &created, &a.Attempts); err != nil {
				return err
			}
			a.CreatedAt = fromNanos(created)
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim alerts: %w", err)
	}
	return out, nil
}

// AlertSent marks an alert sent (or, with no target, logged): it is never sent again.
func (s *Store) AlertSent(ctx context.Context, key string) error {
	return s.inTx(ctx, false, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE alerts SET sent_at = $2, error = '' WHERE akey = $1`, key, time.Now().UnixNano())
		return err
	})
}

// AlertFailed records why a send failed and when to try again.
func (s *Store) AlertFailed(ctx context.Context, key, why string, retryIn time.Duration) error {
	return s.inTx(ctx, false, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE alerts SET error = $2, next_at = `+s.now+` + $3 WHERE akey = $1`,
			key, text(why), retryIn.Nanoseconds())
		return err
	})
}

// Alerts lists the alerts of a run (all of them when runID is ""), oldest first, for the history and
// tests.
func (s *Store) Alerts(ctx context.Context, runID string) ([]Alert, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT akey, kind, trigger_name, run_id, event_uuid, message, created_at, attempts, error
		FROM alerts WHERE $1 = '' OR run_id = $1 ORDER BY created_at, akey`, runID)
	if err != nil {
		return nil, fmt.Errorf("alerts of %q: %w", runID, err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var created int64
		if err := rows.Scan(&a.Key, &a.Kind, &a.Trigger, &a.RunID, &a.EventUUID, &a.Message, &created, &a.Attempts, &a.Error); err != nil {
			return nil, err
		}
		a.CreatedAt = fromNanos(created)
		out = append(out, a)
	}
	return out, rows.Err()
}
