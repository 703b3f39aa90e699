package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// AuditEntry records something a person did to the history: a replay, the resolution of an uncertain
// run. The history shows who did what, and when.
type AuditEntry struct {
	ID        string
	At        time.Time
	Actor     string
	Action    string
	RunID     string
	EventUUID string
	Detail    string
}

func audit(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if e.Actor == "" {
		e.Actor = "unknown"
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit (id, at, actor, action, run_id, event_uuid, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id.String(), nanos(e.At), text(e.Actor), text(e.Action),
		text(e.RunID), text(e.EventUUID), text(e.Detail)); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Audit returns the audit entries of a run or of an event (one of runID and eventUUID), oldest first.
func (s *Store) Audit(ctx context.Context, runID, eventUUID string) ([]AuditEntry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, at, actor, action, run_id, event_uuid, detail FROM audit
		WHERE ($1 <> '' AND run_id = $1) OR ($2 <> '' AND event_uuid = $2) ORDER BY id`, runID, eventUUID)
	if err != nil {
		return nil, fmt.Errorf("audit of %s%s: %w", runID, eventUUID, err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.RunID, &e.EventUUID, &e.Detail); err != nil {
			return nil, fmt.Errorf("audit of %s%s: %w", runID, eventUUID, err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit of %s%s: %w", runID, eventUUID, err)
	}
	return out, nil
}
