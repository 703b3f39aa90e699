package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Counts are totals for metrics and health pages.
type Counts struct {
	Deliveries int64
	// Malformed counts deliveries that could not be parsed.
	Malformed int64
	// Events counts distinct stored events.
	Events int64
	// Duplicates counts event arrivals that were already stored.
	Duplicates int64
	// Quarantined counts events kept apart because they could not be stored as events.
	Quarantined int64
	// Runs counts runs by status; every status is present.
	Runs map[RunStatus]int64
	// QueueDepth counts runs waiting for a worker (queued or retrying) and events waiting for dispatch.
	QueueDepth int64
	// QueueRunning counts runs a worker holds now.
	QueueRunning int64
	// Coalesced counts events a trigger's coalesce merged into another event's run.
	Coalesced int64
	// HeldByConcurrency counts ready runs waiting because their key has no free concurrency slot.
	HeldByConcurrency int64
}

// Counts returns totals for metrics. Event totals are kept in the ingest transaction, so they never
// count whole tables; runs are counted per status through an index. All of it is read at one moment
// (a read-only transaction with one snapshot): read statement by statement, a dispatch that recorded
// its runs between the count of runs and that of the events waiting was in neither, and a caller
// waiting for the queue to drain saw it empty before it was.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return Counts{}, fmt.Errorf("counts: %w", err)
	}
	defer tx.Rollback() // it wrote nothing
	c := Counts{Runs: make(map[RunStatus]int64, len(RunStatuses))}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(deliveries), 0), coalesce(sum(malformed), 0),
		coalesce(sum(events), 0), coalesce(sum(duplicates), 0), coalesce(sum(quarantined), 0), coalesce(sum(coalesced), 0)
		FROM totals`).Scan(&c.Deliveries, &c.Malformed, &c.Events, &c.Duplicates, &c.Quarantined, &c.Coalesced); err != nil {
		return c, fmt.Errorf("counts: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE status IN ('queued', 'retrying')
		AND concurrency_key <> '' AND (SELECT count(*) FROM run_slots
			WHERE slot_key = runs.trigger_name || ':' || runs.concurrency_key) >= runs.concurrency_limit`).Scan(&c.HeldByConcurrency); err != nil {
		return c, fmt.Errorf("counts: runs held by concurrency: %w", err)
	}
	for _, status := range RunStatuses {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE status = $1`, string(status)).Scan(&n); err != nil {
			return c, fmt.Errorf("counts: runs %s: %w", status, err)
		}
		c.Runs[status] = n
	}
	var pending int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM dispatch_queue`).Scan(&pending); err != nil {
		return c, fmt.Errorf("counts: dispatch queue: %w", err)
	}
	c.QueueDepth = c.Runs[RunQueued] + c.Runs[RunRetrying] + pending
	c.QueueRunning = c.Runs[RunRunning]
	return c, nil
}
