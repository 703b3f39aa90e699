package store

import (
	"context"
	"database/sql"
	"fmt"
)

// A run whose trigger limits concurrency holds one of its key's slots (run_slots) while it runs: the
// claim passes over runs whose key has no slot free, takeSlots takes one for each run it claimed, and
// every end of an attempt gives it back.

// slotKey is the key a run's slots are held under: per trigger, per concurrency key.
func slotKey(r Run) string { return r.Trigger + ":" + r.ConcurrencyKey }

// takeSlots takes a concurrency slot for every claimed run that needs one and gives back to the queue,
// unclaimed, the runs that found none (two of one key in one claim, or another replica's claim at the
// same moment took the last). It returns the runs that stay claimed.
func (s *Store) takeSlots(ctx context.Context, tx *sql.Tx, runs []Run) ([]Run, error) {
	kept := runs[:0]
	for _, r := range runs {
		if r.ConcurrencyKey == "" {
			kept = append(kept, r)
			continue
		}
		took := false
		for slot := range max(1, r.ConcurrencyLimit) {
			res, err := tx.ExecContext(ctx, `INSERT INTO run_slots (slot_key, slot, run_id) VALUES ($1, $2, $3)
				ON CONFLICT (slot_key, slot) DO NOTHING`, slotKey(r), slot, r.ID)
			if err != nil {
				return nil, fmt.Errorf("take a concurrency slot of %q for run %s: %w", slotKey(r), r.ID, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				took = true
				break
			}
		}
		if took {
			kept = append(kept, r)
			continue
		}
		// Undo the claim: the run waits, in its place in the queue, for a slot of its key.
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET
				status = CASE WHEN attempts = 1 THEN 'queued' ELSE 'retrying' END,
				started_at = CASE WHEN attempts = 1 THEN 0 ELSE started_at END,
				first_token = CASE WHEN attempts = 1 THEN 0 ELSE first_token END,
				attempts = attempts - 1, lease_owner = '', lease_expires = 0
			WHERE id = $1 AND lease_token = $2`, r.ID, r.LeaseToken); err != nil {
			return nil, fmt.Errorf("give back run %s, which found no concurrency slot: %w", r.ID, err)
		}
	}
	return kept, nil
}

// freeSlots gives back the concurrency slots the runs ids hold.
func freeSlots(ctx context.Context, tx *sql.Tx, ids ...string) error {
	if err := deleteIn(ctx, tx, "run_slots", "run_id", ids); err != nil {
		return fmt.Errorf("free the concurrency slots of %d runs: %w", len(ids), err)
	}
	return nil
}
