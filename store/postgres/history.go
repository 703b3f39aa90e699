package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/trama-dev/trama/store"
)

// GetEvent implements store.Store.
func (s *Store) GetEvent(ctx context.Context, uuid string) (store.Event, error) {
	var e store.Event
	var published, received int64
	var source, payload string
	var headers, first *string
	err := s.pool.QueryRow(ctx, `SELECT e.uuid, e.type, e.published, e.received_at, e.source, e.replays,
		e.duplicates, e.payload::text, e.delivery_id, d.headers::text
		FROM events e LEFT JOIN deliveries d ON d.id = e.delivery_id WHERE e.uuid = $1`, pgText(uuid)).
		Scan(&e.UUID, &e.Type, &published, &received, &source, &e.Replays, &e.Duplicates, &payload, &first, &headers)
	if errNoRows(err) {
		return e, fmt.Errorf("event %s: %w", uuid, store.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("event %s: %w", uuid, err)
	}
	e.Published, e.ReceivedAt, e.Source = fromNanos(published), fromNanos(received), store.Source(source)
	e.Payload = json.RawMessage(payload)
	if headers != nil {
		if err := json.Unmarshal([]byte(*headers), &e.Headers); err != nil {
			return e, fmt.Errorf("event %s: headers: %w", uuid, err)
		}
	}
	if first != nil {
		e.DeliveryIDs = append(e.DeliveryIDs, *first)
	}
	// Delivery ids are UUIDv7, so sorting them sorts by arrival.
	rows, err := s.pool.Query(ctx, `SELECT delivery_id FROM event_deliveries WHERE event_uuid = $1
		ORDER BY delivery_id`, pgText(uuid))
	if err != nil {
		return e, fmt.Errorf("event %s: deliveries: %w", uuid, err)
	}
	later, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return e, fmt.Errorf("event %s: deliveries: %w", uuid, err)
	}
	e.DeliveryIDs = append(e.DeliveryIDs, later...)
	return e, nil
}

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) ([]store.Event, string, error) {
	var w where
	if f.After != "" {
		key, err := store.DecodeCursor("events", f.After)
		if err != nil {
			return nil, "", err
		}
		seq, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("%w %q for events", store.ErrInvalidCursor, f.After)
		}
		w.add("seq < ", seq)
	}
	if f.Type != "" {
		w.add("type = ", f.Type)
	}
	if f.Source != "" {
		w.add("source = ", string(f.Source))
	}
	limit := f.Size()
	rows, err := s.pool.Query(ctx, `SELECT seq, uuid, type, published, received_at, source, replays,
		duplicates FROM events`+w.clause()+` ORDER BY seq DESC LIMIT `+strconv.Itoa(limit+1), w.args...)
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

const deliveryColumns = `id, hook, event_id, received_at, headers::text, size, events, new_events, error, event_time, source`

func scanDelivery(sc pgx.Row, extra ...any) (store.Delivery, error) {
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
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+`, body FROM deliveries
		WHERE id = $1`, pgText(id)), &body)
	if errNoRows(err) {
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
	var w where
	if f.After != "" {
		key, err := store.DecodeCursor("deliveries", f.After)
		if err != nil {
			return nil, "", err
		}
		w.add("id < ", key)
	}
	if f.Hook != "" {
		w.add("hook = ", f.Hook)
	}
	if f.Malformed {
		w.conds = append(w.conds, "error <> ''")
	}
	limit := f.Size()
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries`+w.clause()+
		` ORDER BY id DESC LIMIT `+strconv.Itoa(limit+1), w.args...)
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE events SET replays = replays + 1 WHERE uuid = $1 RETURNING replays`,
			pgText(eventUUID)).Scan(&replay)
		if errNoRows(err) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return s.enqueueDispatch(ctx, tx, []string{pgText(eventUUID)}, replay)
	})
	if err != nil {
		return 0, fmt.Errorf("replay event %s: %w", eventUUID, err)
	}
	return replay, nil
}

// Counts implements store.Store.
func (s *Store) Counts(ctx context.Context) (store.Counts, error) {
	c := store.Counts{Runs: map[store.RunStatus]int64{
		store.RunQueued: 0, store.RunRunning: 0, store.RunSucceeded: 0, store.RunFailed: 0,
	}}
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(deliveries), 0), coalesce(sum(malformed), 0),
		coalesce(sum(events), 0), coalesce(sum(duplicates), 0) FROM totals`).
		Scan(&c.Deliveries, &c.Malformed, &c.Events, &c.Duplicates); err != nil {
		return c, fmt.Errorf("counts: %w", err)
	}
	// runs_status makes this an index-only count per status.
	for status := range c.Runs {
		var n int64
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM runs WHERE status = $1`, string(status)).Scan(&n); err != nil {
			return c, fmt.Errorf("counts: runs %s: %w", status, err)
		}
		c.Runs[status] = n
	}
	if err := s.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE state IN ('available', 'scheduled', 'retryable', 'pending')),
		count(*) FILTER (WHERE state = 'running')
		FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'pending', 'running')
		AND kind <> $1`, sweepArgs{}.Kind()).
		Scan(&c.QueueDepth, &c.QueueRunning); err != nil {
		return c, fmt.Errorf("counts: queue: %w", err)
	}
	return c, nil
}
