package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/trama-dev/trama/store"
)

// jobStore gives the shared job workers the database operations they need.
type jobStore struct{ *Store }

// Handlers implements jobs.Store.
func (j jobStore) Handlers() *store.Handlers { return j.handlers.Load() }

// Undispatched implements jobs.Store.
func (s jobStore) Undispatched(ctx context.Context, uuids []string, replay int) ([]string, error) {
	done := map[string]bool{}
	for start := 0; start < len(uuids); start += insertChunk {
		chunk := uuids[start:min(start+insertChunk, len(uuids))]
		args := []any{replay}
		for _, u := range chunk {
			args = append(args, eventKey(u))
		}
		rows, err := s.read.QueryContext(ctx, `SELECT uuid FROM events WHERE dispatched >= ? AND ukey IN (`+
			placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read dispatch progress: %w", err)
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read dispatch progress: %w", err)
			}
			done[u] = true
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("read dispatch progress: %w", err)
		}
	}
	var left []string
	for _, u := range uuids {
		if !done[u] {
			left = append(left, u)
		}
	}
	return left, nil
}

// MarkDispatched implements jobs.Store.
func (s jobStore) MarkDispatched(ctx context.Context, uuids []string, replay int) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(uuids); start += insertChunk {
			chunk := uuids[start:min(start+insertChunk, len(uuids))]
			args := []any{replay}
			for _, u := range chunk {
				args = append(args, eventKey(u))
			}
			if _, err := tx.ExecContext(ctx, `UPDATE events SET dispatched = max(dispatched, ?) WHERE ukey IN (`+
				placeholders(len(chunk))+`)`, args...); err != nil {
				return fmt.Errorf("record dispatch progress: %w", err)
			}
		}
		return nil
	})
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
