package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/internal/jobs"
)

// insertChunk bounds the rows of one multi-row INSERT, well under SQLite's bound-variable limit.
const insertChunk = 200

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
	res := store.IngestResult{DeliveryID: id.String()}
	var body []byte
	events := d.Events
	if d.Error != "" {
		events, body = nil, d.Body
		if body == nil {
			body = []byte{}
		}
	}
	err = s.ingestTx(ctx, func(tx *sql.Tx) error {
		if err := s.ingestEvents(ctx, tx, events, store.SourceHook, res.DeliveryID, d.ReceivedAt, &res); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries
			(id, hook, event_id, received_at, headers, size, events, new_events, error, body, event_time, source)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			res.DeliveryID, d.Hook, d.EventID, nanos(d.ReceivedAt), string(headers), d.Size,
			len(events), len(res.New), d.Error, body, nanos(d.EventTime), d.Source); err != nil {
			return fmt.Errorf("insert delivery: %w", err)
		}
		malformed := 0
		if d.Error != "" {
			malformed = 1
		}
		return addTotals(ctx, tx, 1, malformed, len(res.New), len(res.Duplicates))
	})
	if err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest delivery %s (eventId %q) from hook %q: %w", res.DeliveryID, d.EventID, d.Hook, err)
	}
	if dispatches(d.Events, res.New) {
		s.wake(ctx, jobs.QueueDispatch)
	}
	return res, nil
}

// IngestPolled implements store.Store.
func (s *Store) IngestPolled(ctx context.Context, cursorName, cursor string, events []store.NewEvent) (store.IngestResult, error) {
	var res store.IngestResult
	err := s.ingestTx(ctx, func(tx *sql.Tx) error {
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
	if dispatches(events, res.New) {
		s.wake(ctx, jobs.QueueDispatch)
	}
	return res, nil
}

// dispatches reports whether ingesting events enqueued dispatch work: some new event is not NoDispatch.
// Waking the dispatch workers otherwise costs a fetch on the write connection for nothing.
func dispatches(events []store.NewEvent, newUUIDs []string) bool {
	if len(newUUIDs) == 0 {
		return false
	}
	isNew := make(map[string]bool, len(newUUIDs))
	for _, u := range newUUIDs {
		isNew[u] = true
	}
	for _, e := range events {
		if isNew[e.UUID] && !e.NoDispatch {
			return true
		}
	}
	return false
}

// ingestEvents is the de-duplicating heart of ingestion: it inserts the events whose uuid is new (with
// the delivery that brought them), counts the others as duplicates and links them to this later delivery,
// and enqueues one dispatch job for all the new events of the transaction. One job per transaction instead of per event keeps a 50-event delivery
// at one River insert (River's SQLite driver inserts row by row), which is what keeps acknowledgement
// fast; see BenchmarkIngestBatch50.
func (s *Store) ingestEvents(ctx context.Context, tx *sql.Tx, events []store.NewEvent, source store.Source,
	deliveryID string, received time.Time, res *store.IngestResult) error {
	if len(events) == 0 {
		return nil
	}
	// Repeats inside one input are duplicates of their first occurrence.
	seen := make(map[string]bool, len(events))
	unique := make([]store.NewEvent, 0, len(events))
	for _, e := range events {
		if e.UUID == "" {
			return errors.New("event without uuid")
		}
		if seen[e.UUID] {
			continue
		}
		seen[e.UUID] = true
		unique = append(unique, e)
	}

	inserted := make(map[string]bool, len(unique))
	for start := 0; start < len(unique); start += insertChunk {
		chunk := unique[start:min(start+insertChunk, len(unique))]
		var q strings.Builder
		q.WriteString(`INSERT INTO events (ukey, uuid, type, published, received_at, source, delivery_id, payload) VALUES `)
		args := make([]any, 0, len(chunk)*8)
		var dlv any
		if deliveryID != "" {
			dlv = deliveryID
		}
		for i, e := range chunk {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?,?,?,?,?,?,?,?)")
			payload := string(e.Payload)
			if payload == "" {
				payload = "null"
			}
			args = append(args, eventKey(e.UUID), e.UUID, e.Type, nanos(e.Published), nanos(received), string(source), dlv, payload)
		}
		q.WriteString(` ON CONFLICT (ukey) DO NOTHING RETURNING uuid`)
		rows, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return fmt.Errorf("insert events: %w", err)
			}
			inserted[u] = true
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
	}

	// The first occurrence of a uuid inserted now is new; every other occurrence is a duplicate.
	dupCount := map[string]int{}
	reported := make(map[string]bool, len(inserted))
	var dispatch []string
	for _, e := range events {
		if inserted[e.UUID] && !reported[e.UUID] {
			reported[e.UUID] = true
			res.New = append(res.New, e.UUID)
			if !e.NoDispatch {
				dispatch = append(dispatch, e.UUID)
			}
			continue
		}
		res.Duplicates = append(res.Duplicates, e.UUID)
		dupCount[e.UUID]++
	}
	for u, n := range dupCount {
		if _, err := tx.ExecContext(ctx, `UPDATE events SET duplicates = duplicates + ? WHERE ukey = ?`, n, eventKey(u)); err != nil {
			return fmt.Errorf("count duplicate of event %s: %w", u, err)
		}
	}

	if deliveryID != "" {
		for u := range dupCount {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO event_deliveries (event_uuid, delivery_id)
				SELECT uuid, ? FROM events WHERE ukey = ? AND delivery_id IS NOT ?`, deliveryID, eventKey(u), deliveryID); err != nil {
				return fmt.Errorf("link event %s to delivery: %w", u, err)
			}
		}
	}

	if len(dispatch) > 0 {
		if err := s.enqueueDispatch(ctx, tx, dispatch, 0); err != nil {
			return err
		}
	}
	return nil
}

// addTotals keeps the running totals Counts reads, in the ingest transaction so they never drift.
func addTotals(ctx context.Context, tx *sql.Tx, deliveries, malformed, events, duplicates int) error {
	_, err := tx.ExecContext(ctx, `UPDATE totals SET value = value + CASE name
		WHEN 'deliveries' THEN ? WHEN 'malformed' THEN ? WHEN 'events' THEN ? WHEN 'duplicates' THEN ? ELSE 0 END`,
		deliveries, malformed, events, duplicates)
	if err != nil {
		return fmt.Errorf("update totals: %w", err)
	}
	return nil
}

// GetCursor implements store.Store.
func (s *Store) GetCursor(ctx context.Context, name string) (string, error) {
	var v string
	err := s.read.QueryRowContext(ctx, `SELECT value FROM cursors WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get cursor %q: %w", name, err)
	}
	return v, nil
}

// SetCursor implements store.Store.
func (s *Store) SetCursor(ctx context.Context, name, value string) error {
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return setCursor(ctx, tx, name, value) }); err != nil {
		return err
	}
	return nil
}

func setCursor(ctx context.Context, tx *sql.Tx, name, value string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO cursors (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value); err != nil {
		return fmt.Errorf("set cursor %q: %w", name, err)
	}
	return nil
}
