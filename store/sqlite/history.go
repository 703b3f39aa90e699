package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/internal/jobs"
)

// prepare prepares the statements of the dispatch hot path on the read pool.
func (s *Store) prepare(ctx context.Context) error {
	var err error
	s.getEvent, err = s.read.PrepareContext(ctx, `SELECT e.uuid, e.type, e.published, e.received_at, e.source,
		e.replays, e.duplicates, e.payload, e.delivery_id, d.headers
		FROM events e LEFT JOIN deliveries d ON d.id = e.delivery_id WHERE e.ukey = ?`)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	s.eventDeliveries, err = s.read.PrepareContext(ctx, `SELECT delivery_id FROM event_deliveries WHERE event_uuid = ?
		ORDER BY delivery_id`)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	return nil
}

// GetEvent implements store.Store.
func (s *Store) GetEvent(ctx context.Context, uuid string) (store.Event, error) {
	var e store.Event
	var published, received int64
	var source, payload string
	var headers, first sql.NullString
	err := s.getEvent.QueryRowContext(ctx, eventKey(uuid)).
		Scan(&e.UUID, &e.Type, &published, &received, &source, &e.Replays, &e.Duplicates, &payload, &first, &headers)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("event %s: %w", uuid, store.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("event %s: %w", uuid, err)
	}
	e.Published, e.ReceivedAt, e.Source = fromNanos(published), fromNanos(received), store.Source(source)
	e.Payload = json.RawMessage(payload)
	if headers.Valid {
		if err := json.Unmarshal([]byte(headers.String), &e.Headers); err != nil {
			return e, fmt.Errorf("event %s: headers: %w", uuid, err)
		}
	}
	if first.Valid {
		e.DeliveryIDs = append(e.DeliveryIDs, first.String)
	}
	// Delivery ids are UUIDv7, so sorting them sorts by arrival.
	rows, err := s.eventDeliveries.QueryContext(ctx, uuid)
	if err != nil {
		return e, fmt.Errorf("event %s: deliveries: %w", uuid, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return e, fmt.Errorf("event %s: deliveries: %w", uuid, err)
		}
		e.DeliveryIDs = append(e.DeliveryIDs, id)
	}
	if err := rows.Err(); err != nil {
		return e, fmt.Errorf("event %s: deliveries: %w", uuid, err)
	}
	return e, nil
}

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) ([]store.Event, string, error) {
	var where []string
	var args []any
	if f.After != "" {
		key, err := store.DecodeCursor("events", f.After)
		if err != nil {
			return nil, "", err
		}
		seq, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("%w %q for events", store.ErrInvalidCursor, f.After)
		}
		where, args = append(where, "seq < ?"), append(args, seq)
	}
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, f.Type)
	}
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, string(f.Source))
	}
	limit := f.Size()
	rows, err := s.read.QueryContext(ctx, `SELECT seq, uuid, type, published, received_at, source, replays,
		duplicates FROM events`+whereClause(where)+` ORDER BY seq DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var events []store.Event
	var seqs []int64
	for rows.Next() {
		var e store.Event
		var seq, published, received int64
		var source string
		if err := rows.Scan(&seq, &e.UUID, &e.Type, &published, &received, &source, &e.Replays, &e.Duplicates); err != nil {
			return nil, "", fmt.Errorf("list events: %w", err)
		}
		e.Published, e.ReceivedAt, e.Source = fromNanos(published), fromNanos(received), store.Source(source)
		events, seqs = append(events, e), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	next := ""
	if len(events) > limit {
		events = events[:limit]
		next = store.EncodeCursor("events", strconv.FormatInt(seqs[limit-1], 10))
	}
	return events, next, nil
}

const deliveryColumns = `id, hook, event_id, received_at, headers, size, events, new_events, error, event_time, source`

func scanDelivery(sc interface{ Scan(...any) error }, extra ...any) (store.Delivery, error) {
	var d store.Delivery
	var received, eventTime int64
	var headers string
	if err := sc.Scan(append([]any{&d.ID, &d.Hook, &d.EventID, &received, &headers, &d.Size, &d.Events,
		&d.NewEvents, &d.Error, &eventTime, &d.Source}, extra...)...); err != nil {
		return d, err
	}
	d.ReceivedAt = fromNanos(received)
	if eventTime != 0 {
		d.EventTime = fromNanos(eventTime)
	}
	if err := json.Unmarshal([]byte(headers), &d.Headers); err != nil {
		return d, fmt.Errorf("headers: %w", err)
	}
	return d, nil
}

// GetDelivery implements store.Store.
func (s *Store) GetDelivery(ctx context.Context, id string) (store.Delivery, error) {
	var body []byte
	d, err := scanDelivery(s.read.QueryRowContext(ctx, `SELECT `+deliveryColumns+`, body FROM deliveries
		WHERE id = ?`, id), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("delivery %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("delivery %s: %w", id, err)
	}
	d.Body = body
	return d, nil
}

// ListDeliveries implements store.Store.
func (s *Store) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, string, error) {
	var where []string
	var args []any
	if f.After != "" {
		key, err := store.DecodeCursor("deliveries", f.After)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, "id < ?"), append(args, key)
	}
	if f.Hook != "" {
		where, args = append(where, "hook = ?"), append(args, f.Hook)
	}
	if f.Malformed {
		where = append(where, "error <> ''")
	}
	limit := f.Size()
	rows, err := s.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries`+whereClause(where)+
		` ORDER BY id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.EncodeCursor("deliveries", out[limit-1].ID)
	}
	return out, next, nil
}

// Replay implements store.Store.
func (s *Store) Replay(ctx context.Context, eventUUID string) (int, error) {
	var replay int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE events SET replays = replays + 1 WHERE ukey = ? RETURNING replays`,
			eventKey(eventUUID)).Scan(&replay)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return s.enqueueDispatch(ctx, tx, []string{eventUUID}, replay)
	})
	if err != nil {
		return 0, fmt.Errorf("replay event %s: %w", eventUUID, err)
	}
	s.wake(ctx, jobs.QueueDispatch)
	return replay, nil
}

// Counts implements store.Store.
func (s *Store) Counts(ctx context.Context) (store.Counts, error) {
	c := store.Counts{Runs: map[store.RunStatus]int64{
		store.RunQueued: 0, store.RunRunning: 0, store.RunSucceeded: 0, store.RunFailed: 0,
	}}
	rows, err := s.read.QueryContext(ctx, `SELECT name, value FROM totals`)
	if err != nil {
		return c, fmt.Errorf("counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return c, fmt.Errorf("counts: %w", err)
		}
		switch name {
		case "deliveries":
			c.Deliveries = v
		case "malformed":
			c.Malformed = v
		case "events":
			c.Events = v
		case "duplicates":
			c.Duplicates = v
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("counts: %w", err)
	}
	// runs_status makes this an index-only count per status.
	for status := range c.Runs {
		var n int64
		if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE status = ?`, string(status)).Scan(&n); err != nil {
			return c, fmt.Errorf("counts: runs %s: %w", status, err)
		}
		c.Runs[status] = n
	}
	if err := s.read.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE state IN ('available', 'scheduled', 'retryable', 'pending')),
		count(*) FILTER (WHERE state = 'running')
		FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'pending', 'running')`).
		Scan(&c.QueueDepth, &c.QueueRunning); err != nil {
		return c, fmt.Errorf("counts: queue: %w", err)
	}
	return c, nil
}
