package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/trama-dev/trama/store"
)

// totalShards is the number of rows the running totals are spread over (see the totals table).
const totalShards = 32

// IngestDelivery implements store.Store.
func (s *Store) IngestDelivery(ctx context.Context, d store.NewDelivery) (store.IngestResult, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest delivery from hook %q: %w", d.Hook, err)
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now()
	}
	headers, err := json.Marshal(d.Headers)
	if err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest delivery from hook %q: headers: %w", d.Hook, err)
	}
	var body []byte
	events := d.Events
	if d.Error != "" {
		events, body = nil, d.Body
		if body == nil {
			body = []byte{}
		}
	}
	var res store.IngestResult
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		res = store.IngestResult{DeliveryID: id.String()}
		if err := s.ingestEvents(ctx, tx, events, store.SourceHook, res.DeliveryID, d.ReceivedAt, &res); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO deliveries
			(id, hook, event_id, received_at, headers, size, events, new_events, error, body, event_time, source)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			res.DeliveryID, pgText(d.Hook), pgText(d.EventID), nanos(d.ReceivedAt), string(headers), d.Size,
			len(events), len(res.New), pgText(d.Error), body, nanos(d.EventTime), pgText(d.Source)); err != nil {
			return fmt.Errorf("insert delivery: %w", err)
		}
		malformed := 0
		if d.Error != "" {
			malformed = 1
		}
		return addTotals(ctx, tx, 1, malformed, len(res.New), len(res.Duplicates))
	})
	if err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest delivery %s (eventId %q) from hook %q: %w", id, d.EventID, d.Hook, err)
	}
	return res, nil
}

// IngestPolled implements store.Store.
func (s *Store) IngestPolled(ctx context.Context, cursorName, cursor string, events []store.NewEvent) (store.IngestResult, error) {
	var res store.IngestResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		res = store.IngestResult{}
		if err := s.ingestEvents(ctx, tx, events, store.SourcePoll, "", time.Now(), &res); err != nil {
			return err
		}
		if err := setCursor(ctx, tx, cursorName, cursor); err != nil {
			return err
		}
		return addTotals(ctx, tx, 0, 0, len(res.New), len(res.Duplicates))
	})
	if err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest %d polled events (cursor %q): %w", len(events), cursorName, err)
	}
	return res, nil
}

// ingestEvents is the de-duplicating heart of ingestion: one INSERT … ON CONFLICT (uuid) DO NOTHING
// RETURNING stores the events whose uuid is new, whichever replica stored the others; the rest are
// counted as duplicates and linked to this delivery; one dispatch job for all the new events is
// enqueued with River's InsertTx in the same transaction.
//
// Two replicas ingesting overlapping deliveries wait on each other's uncommitted rows; taking every row
// lock in uuid order (the insert and then the duplicates) keeps those waits from forming a cycle.
func (s *Store) ingestEvents(ctx context.Context, tx pgx.Tx, events []store.NewEvent, source store.Source,
	deliveryID string, received time.Time, res *store.IngestResult) error {
	if len(events) == 0 {
		return nil
	}
	// Repeats inside one input are duplicates of their first occurrence. Events are keyed by their
	// uuid as stored (pgText); results report the uuids as given.
	seen := make(map[string]bool, len(events))
	unique := make([]store.NewEvent, 0, len(events))
	for _, e := range events {
		if e.UUID == "" {
			return errors.New("event without uuid")
		}
		k := pgText(e.UUID)
		if seen[k] {
			continue
		}
		seen[k] = true
		e.UUID = k
		unique = append(unique, e)
	}
	slices.SortFunc(unique, func(a, b store.NewEvent) int { return compareBytes(a.UUID, b.UUID) })
	n := len(unique)
	uuids, types, payloads := make([]string, n), make([]string, n), make([]string, n)
	published := make([]int64, n)
	for i, e := range unique {
		uuids[i], types[i], published[i] = e.UUID, pgText(e.Type), nanos(e.Published)
		payloads[i] = string(e.Payload)
		if payloads[i] == "" {
			payloads[i] = "null"
		}
	}
	var dlv *string
	if deliveryID != "" {
		dlv = &deliveryID
	}
	rows, err := tx.Query(ctx, `INSERT INTO events (uuid, type, published, received_at, source, delivery_id, payload)
		SELECT u, t, p, $4, $5, $6, j::json FROM unnest($1::text[], $2::text[], $3::bigint[], $7::text[]) AS x(u, t, p, j)
		ON CONFLICT (uuid) DO NOTHING RETURNING uuid`,
		uuids, types, published, nanos(received), string(source), dlv, payloads)
	if err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	newUUIDs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	inserted := make(map[string]bool, len(newUUIDs))
	for _, u := range newUUIDs {
		inserted[u] = true
	}

	// The first occurrence of a uuid inserted now is new; every other occurrence is a duplicate.
	dupCount := map[string]int32{}
	reported := make(map[string]bool, len(inserted))
	var newKeys []string
	for _, e := range events {
		k := pgText(e.UUID)
		if inserted[k] && !reported[k] {
			reported[k] = true
			res.New = append(res.New, e.UUID)
			if !e.NoDispatch {
				newKeys = append(newKeys, k)
			}
			continue
		}
		res.Duplicates = append(res.Duplicates, e.UUID)
		dupCount[k]++
	}
	if len(dupCount) > 0 {
		dups := make([]string, 0, len(dupCount))
		for u := range dupCount {
			dups = append(dups, u)
		}
		slices.SortFunc(dups, compareBytes)
		counts := make([]int32, len(dups))
		for i, u := range dups {
			counts[i] = dupCount[u]
		}
		// Lock in uuid order first: an UPDATE … FROM locks rows in whatever order its join runs.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM events WHERE uuid = ANY($1) ORDER BY uuid COLLATE "C" FOR UPDATE`, dups); err != nil {
			return fmt.Errorf("count duplicates: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE events SET duplicates = duplicates + d.n
			FROM unnest($1::text[], $2::int[]) AS d(u, n) WHERE events.uuid = d.u`, dups, counts); err != nil {
			return fmt.Errorf("count duplicates: %w", err)
		}
		if deliveryID != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO event_deliveries (event_uuid, delivery_id)
				SELECT uuid, $1 FROM events WHERE uuid = ANY($2) AND delivery_id IS DISTINCT FROM $1
				ON CONFLICT DO NOTHING`, deliveryID, dups); err != nil {
				return fmt.Errorf("link duplicate events to delivery: %w", err)
			}
		}
	}

	if len(newKeys) > 0 {
		if err := s.enqueueDispatch(ctx, tx, newKeys, 0); err != nil {
			return err
		}
	}
	return nil
}

// compareBytes orders strings byte by byte, as COLLATE "C" does in the database.
func compareBytes(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// addTotals keeps the running totals Counts reads, in the ingest transaction so they never drift.
func addTotals(ctx context.Context, tx pgx.Tx, deliveries, malformed, events, duplicates int) error {
	_, err := tx.Exec(ctx, `UPDATE totals SET deliveries = deliveries + $2, malformed = malformed + $3,
		events = events + $4, duplicates = duplicates + $5 WHERE shard = $1`,
		rand.IntN(totalShards), deliveries, malformed, events, duplicates)
	if err != nil {
		return fmt.Errorf("update totals: %w", err)
	}
	return nil
}

// GetCursor implements store.Store.
func (s *Store) GetCursor(ctx context.Context, name string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM cursors WHERE name = $1`, pgText(name)).Scan(&v)
	if errNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get cursor %q: %w", name, err)
	}
	return v, nil
}

// SetCursor implements store.Store.
func (s *Store) SetCursor(ctx context.Context, name, value string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return setCursor(ctx, tx, name, value) })
}

func setCursor(ctx context.Context, tx pgx.Tx, name, value string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO cursors (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, pgText(name), pgText(value)); err != nil {
		return fmt.Errorf("set cursor %q: %w", name, err)
	}
	return nil
}
