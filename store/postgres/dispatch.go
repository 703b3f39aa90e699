package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/trama-dev/trama/store"
)

// jobStore gives the shared job workers the database operations they need.
type jobStore struct{ *Store }

// Handlers implements jobs.Store.
func (j jobStore) Handlers() *store.Handlers { return j.handlers.Load() }

// Undispatched implements jobs.Store.
func (s jobStore) Undispatched(ctx context.Context, uuids []string, replay int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT uuid FROM events WHERE dispatched >= $1 AND uuid = ANY($2)`, replay, pgTexts(uuids))
	if err != nil {
		return nil, fmt.Errorf("read dispatch progress: %w", err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read dispatch progress: %w", err)
	}
	var left []string
	for _, u := range uuids {
		if !slices.Contains(done, u) {
			left = append(left, u)
		}
	}
	return left, nil
}

// MarkDispatched implements jobs.Store.
func (s jobStore) MarkDispatched(ctx context.Context, uuids []string, replay int) error {
	sorted := slices.Clone(pgTexts(uuids))
	slices.Sort(sorted) // row locks in one order, as ingestion takes them
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE events SET dispatched = greatest(dispatched, $1)
			WHERE uuid IN (SELECT u FROM unnest($2::text[]) AS u ORDER BY u)`, replay, sorted); err != nil {
			return fmt.Errorf("record dispatch progress: %w", err)
		}
		return nil
	})
}
