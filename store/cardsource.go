package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// CardSource is what an event's card is made of: the event as Okta sent it, and the envelope and
// headers of the delivery that first brought it (none for a polled event).
type CardSource struct {
	UUID       string
	Type       string
	Source     Source
	ReceivedAt time.Time
	Payload    json.RawMessage
	// Headers, EventID, EventTime and HookSource come from the first delivery; empty for a polled event.
	Headers    map[string][]string
	EventID    string
	EventTime  time.Time
	HookSource string
}

// CardSources reads the card sources of several events, by uuid, in two queries: the events, then the
// deliveries that first brought them; an event that does not exist is missing from the map. Dispatch
// reads a batch of events this way, instead of an event, its deliveries and its first delivery one query
// each. They are two lookups by key, each planned for its keys every time (Dialect.PlanEach), not one
// join: PostgreSQL planned the join, while the inbox was small, as a hash join over every delivery, and
// the events by sequential scan, and kept those plans as the inbox grew.
func (s *Store) CardSources(ctx context.Context, uuids []string) (map[string]CardSource, error) {
	out := make(map[string]CardSource, len(uuids))
	if len(uuids) == 0 {
		return out, nil
	}
	byDelivery, err := s.readCardEvents(ctx, uuids, out)
	if err != nil {
		return nil, err
	}
	if err := s.readCardDeliveries(ctx, byDelivery, out); err != nil {
		return nil, err
	}
	return out, nil
}

// lookupArgs are the arguments of a lookup by key: the dialect's PlanEach first, where it has one.
func (s *Store) lookupArgs(args []any) []any {
	if s.dialect.PlanEach == nil {
		return args
	}
	return append([]any{s.dialect.PlanEach}, args...)
}

// readCardEvents reads the events of uuids into out, and returns the uuids of each delivery's events.
func (s *Store) readCardEvents(ctx context.Context, uuids []string, out map[string]CardSource) (map[string][]string, error) {
	args := make([]any, len(uuids))
	for i, u := range uuids {
		args[i] = eventKey(u)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT uuid, type, source, received_at, payload, delivery_id
		FROM events WHERE ukey IN (`+placeholders(0, len(uuids))+`)`, s.lookupArgs(args)...)
	if err != nil {
		return nil, fmt.Errorf("read %d events: %w", len(uuids), err)
	}
	defer rows.Close()
	byDelivery := map[string][]string{} // delivery id → uuids of the events it first brought
	for rows.Next() {
		var c CardSource
		var source, payload string
		var received int64
		var delivery sql.NullString
		if err := rows.Scan(&c.UUID, &c.Type, &source, &received, &payload, &delivery); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		c.Source, c.ReceivedAt, c.Payload = Source(source), fromNanos(received), json.RawMessage(payload)
		out[c.UUID] = c
		if delivery.Valid {
			byDelivery[delivery.String] = append(byDelivery[delivery.String], c.UUID)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return byDelivery, nil
}

// readCardDeliveries adds to the events in out the envelope and headers of the delivery that first
// brought each.
func (s *Store) readCardDeliveries(ctx context.Context, byDelivery map[string][]string, out map[string]CardSource) error {
	if len(byDelivery) == 0 {
		return nil
	}
	ids := make([]any, 0, len(byDelivery))
	for id := range byDelivery {
		ids = append(ids, id)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, headers, event_id, event_time, source
		FROM deliveries WHERE id IN (`+placeholders(0, len(ids))+`)`, s.lookupArgs(ids)...)
	if err != nil {
		return fmt.Errorf("read %d deliveries: %w", len(ids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, headers, eventID, hookSource string
		var eventTime int64
		if err := rows.Scan(&id, &headers, &eventID, &eventTime, &hookSource); err != nil {
			return fmt.Errorf("read deliveries: %w", err)
		}
		var h map[string][]string
		if err := json.Unmarshal([]byte(headers), &h); err != nil {
			return fmt.Errorf("delivery %s: headers: %w", id, err)
		}
		for _, u := range byDelivery[id] {
			c := out[u]
			c.Headers, c.EventID, c.HookSource, c.EventTime = h, eventID, hookSource, fromNanos(eventTime)
			out[u] = c
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read deliveries: %w", err)
	}
	return nil
}

// EventUsers reads the Okta user of several events in one query, by uuid: what a list of runs shows
// beside each run without reading the events' payloads. Events without a recorded user, and events that
// do not exist, are missing from the map.
func (s *Store) EventUsers(ctx context.Context, uuids []string) (map[string]EventUser, error) {
	out := make(map[string]EventUser, len(uuids))
	if len(uuids) == 0 {
		return out, nil
	}
	args := make([]any, len(uuids))
	for i, u := range uuids {
		args[i] = eventKey(u)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT uuid, user_id, user_login FROM events
		WHERE ukey IN (`+placeholders(0, len(uuids))+`) AND (user_id <> '' OR user_login <> '')`, args...)
	if err != nil {
		return nil, fmt.Errorf("read the users of %d events: %w", len(uuids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var uuid string
		var u EventUser
		if err := rows.Scan(&uuid, &u.ID, &u.Login); err != nil {
			return nil, fmt.Errorf("read the users of events: %w", err)
		}
		out[uuid] = u
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the users of events: %w", err)
	}
	return out, nil
}
