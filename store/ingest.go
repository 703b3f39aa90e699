package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// IngestDelivery stores an event-hook delivery and its events in one transaction; the events never
// stored before become dispatch work (unless NoDispatch). When it returns nil the delivery is durable and
// the receiver may acknowledge it; on error nothing was stored and the receiver must answer 5xx so Okta
// retries. A malformed delivery (Error set) is stored without events. Events whose uuid cannot identify
// them (ValidUUID) are quarantined with the delivery's other quarantined events, each with its reason.
func (s *Store) IngestDelivery(ctx context.Context, d NewDelivery) (IngestResult, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return IngestResult{}, fmt.Errorf("ingest delivery from hook %q: %w", d.Hook, err)
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now()
	}
	headers, err := json.Marshal(d.Headers)
	if err != nil {
		return IngestResult{}, fmt.Errorf("ingest delivery from hook %q: headers: %w", d.Hook, err)
	}
	var body []byte
	events, quarantined := d.Events, d.Quarantined
	if d.Error != "" {
		events, quarantined, body = nil, nil, d.Body
		if body == nil {
			body = []byte{}
		}
	}
	events, quarantined = screen(events, quarantined)
	var res IngestResult
	err = s.inTx(ctx, true, func(tx *sql.Tx) error {
		res = IngestResult{DeliveryID: id.String()}
		if err := s.ingestEvents(ctx, tx, events, SourceHook, res.DeliveryID, d.ReceivedAt, &res); err != nil {
			return err
		}
		if err := s.quarantine(ctx, tx, res.DeliveryID, d.ReceivedAt, quarantined); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries
			(id, hook, event_id, received_at, headers, size, events, new_events, error, body, event_time, source, quarantined)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			res.DeliveryID, text(d.Hook), text(d.EventID), nanos(d.ReceivedAt), string(headers), d.Size,
			len(events)+len(quarantined), len(res.New), text(d.Error), body, nanos(d.EventTime), text(d.Source),
			len(quarantined)); err != nil {
			return fmt.Errorf("insert delivery: %w", err)
		}
		malformed := 0
		if d.Error != "" {
			malformed = 1
		}
		return s.addTotals(ctx, tx, totals{deliveries: 1, malformed: malformed, events: len(res.New),
			duplicates: len(res.Duplicates), quarantined: len(quarantined)})
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("ingest delivery %s (eventId %q) from hook %q: %w", id, d.EventID, d.Hook, err)
	}
	res.Quarantined = len(quarantined)
	if res.dispatch {
		s.signal(DispatchWork)
	}
	return res, nil
}

// IngestPolled stores events fetched by System Log polling (source "poll") through the same
// de-duplication as deliveries, and sets the named cursor in the same transaction, so a crash never
// skips or re-runs events. Events whose uuid cannot identify them are quarantined.
func (s *Store) IngestPolled(ctx context.Context, cursorName, cursor string, events []NewEvent) (IngestResult, error) {
	events, quarantined := screen(events, nil)
	now := time.Now()
	var res IngestResult
	err := s.inTx(ctx, true, func(tx *sql.Tx) error {
		res = IngestResult{}
		if err := s.ingestEvents(ctx, tx, events, SourcePoll, "", now, &res); err != nil {
			return err
		}
		if err := s.quarantine(ctx, tx, "", now, quarantined); err != nil {
			return err
		}
		if err := setCursor(ctx, tx, cursorName, cursor); err != nil {
			return err
		}
		return s.addTotals(ctx, tx, totals{events: len(res.New), duplicates: len(res.Duplicates), quarantined: len(quarantined)})
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("ingest %d polled events (cursor %q): %w", len(events), cursorName, err)
	}
	res.Quarantined = len(quarantined)
	if res.dispatch {
		s.signal(DispatchWork)
	}
	return res, nil
}

// screen moves the events whose uuid cannot identify them to the quarantined ones.
func screen(events []NewEvent, quarantined []QuarantinedEvent) ([]NewEvent, []QuarantinedEvent) {
	bad := slices.IndexFunc(events, func(e NewEvent) bool { return ValidUUID(e.UUID) != "" })
	if bad < 0 {
		return events, quarantined
	}
	good := slices.Clone(events[:bad])
	quarantined = slices.Clone(quarantined)
	for i := bad; i < len(events); i++ {
		e := events[i]
		if reason := ValidUUID(e.UUID); reason != "" {
			quarantined = append(quarantined, QuarantinedEvent{Index: e.Index, Reason: reason, Payload: e.Payload})
			continue
		}
		good = append(good, e)
	}
	return good, quarantined
}

// ingestEvents is the de-duplicating heart of ingestion: it inserts the events whose key is new (with
// the delivery that brought them), counts the others as duplicates and links them to this later delivery.
//
// Two replicas ingesting overlapping deliveries wait on each other's uncommitted rows; taking every row
// lock in key order (the insert and then the duplicates) keeps those waits from forming a cycle.
func (s *Store) ingestEvents(ctx context.Context, tx *sql.Tx, events []NewEvent, source Source,
	deliveryID string, received time.Time, res *IngestResult) error {
	if len(events) == 0 {
		return nil
	}
	// Repeats inside one input are duplicates of their first occurrence.
	seen := make(map[string]bool, len(events))
	rows := make([]EventRow, 0, len(events))
	for _, e := range events {
		if seen[e.UUID] {
			continue
		}
		seen[e.UUID] = true
		payload := string(e.Payload)
		if payload == "" {
			payload = "null"
		}
		rows = append(rows, EventRow{Key: eventKey(e.UUID), UUID: e.UUID, Type: text(e.Type), Source: string(source),
			DeliveryID: deliveryID, Published: nanos(e.Published), Received: nanos(received), Payload: text(payload),
			UserID: text(e.User.ID), UserLogin: text(strings.ToLower(e.User.Login)), Queue: !e.NoDispatch})
	}
	slices.SortFunc(rows, func(a, b EventRow) int { return strings.Compare(a.Key, b.Key) })
	keys, err := s.drv.InsertEvents(ctx, tx, rows)
	if err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	inserted := make(map[string]bool, len(keys))
	for _, k := range keys {
		inserted[k] = true
	}

	// The first occurrence of a uuid inserted now is new; every other occurrence is a duplicate.
	dupCount := map[string]int{}
	reported := make(map[string]bool, len(inserted))
	for _, e := range events {
		k := eventKey(e.UUID)
		if inserted[k] && !reported[k] {
			reported[k] = true
			res.New = append(res.New, e.UUID)
			res.dispatch = res.dispatch || !e.NoDispatch
			continue
		}
		res.Duplicates = append(res.Duplicates, e.UUID)
		dupCount[k]++
	}
	if len(dupCount) == 0 {
		return nil
	}
	dups := make([]string, 0, len(dupCount))
	for k := range dupCount {
		dups = append(dups, k)
	}
	slices.Sort(dups)
	for _, k := range dups {
		if _, err := tx.ExecContext(ctx, `UPDATE events SET duplicates = duplicates + $1 WHERE ukey = $2`, dupCount[k], k); err != nil {
			return fmt.Errorf("count duplicates: %w", err)
		}
		if deliveryID == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_deliveries (event_uuid, delivery_id)
			SELECT uuid, $1 FROM events WHERE ukey = $2 AND delivery_id IS DISTINCT FROM $1
			ON CONFLICT DO NOTHING`, deliveryID, k); err != nil {
			return fmt.Errorf("link duplicate events to delivery: %w", err)
		}
	}
	return nil
}

// quarantine keeps each quarantined event of a delivery (deliveryID "" for polled events).
func (s *Store) quarantine(ctx context.Context, tx *sql.Tx, deliveryID string, received time.Time, qs []QuarantinedEvent) error {
	var dlv any
	if deliveryID != "" {
		dlv = deliveryID
	}
	for _, q := range qs {
		p := q.Payload
		if len(p) > MaxQuarantinedBytes {
			p = p[:MaxQuarantinedBytes]
		}
		if p == nil {
			p = []byte{}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO quarantine (delivery_id, idx, reason, payload, received_at)
			VALUES ($1, $2, $3, $4, $5)`, dlv, q.Index, text(q.Reason), p, nanos(received)); err != nil {
			return fmt.Errorf("quarantine event %d: %w", q.Index, err)
		}
		if deliveryID != "" {
			if err := alertQuarantine(ctx, tx, deliveryID, q.Index, q.Reason); err != nil {
				return err
			}
		}
	}
	return nil
}

// totals are increments of the running totals Counts reads.
type totals struct {
	deliveries, malformed, events, duplicates, quarantined int
}

// addTotals keeps the running totals in the ingest transaction, so they never drift. Each transaction
// adds to one shard picked at random (see Dialect.TotalShards).
func (s *Store) addTotals(ctx context.Context, tx *sql.Tx, t totals) error {
	_, err := tx.ExecContext(ctx, `UPDATE totals SET deliveries = deliveries + $2, malformed = malformed + $3,
		events = events + $4, duplicates = duplicates + $5, quarantined = quarantined + $6 WHERE shard = $1`,
		rand.IntN(s.dialect.TotalShards), t.deliveries, t.malformed, t.events, t.duplicates, t.quarantined)
	if err != nil {
		return fmt.Errorf("update totals: %w", err)
	}
	return nil
}

// GetCursor returns the named polling cursor, or "" when it was never set.
func (s *Store) GetCursor(ctx context.Context, name string) (string, error) {
	var v string
	err := s.read.QueryRowContext(ctx, `SELECT value FROM cursors WHERE name = $1`, text(name)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get cursor %q: %w", name, err)
	}
	return v, nil
}

// SetCursor stores the named polling cursor.
func (s *Store) SetCursor(ctx context.Context, name, value string) error {
	return s.inTx(ctx, false, func(tx *sql.Tx) error { return setCursor(ctx, tx, name, value) })
}

func setCursor(ctx context.Context, tx *sql.Tx, name, value string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO cursors (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, text(name), text(value)); err != nil {
		return fmt.Errorf("set cursor %q: %w", name, err)
	}
	return nil
}
