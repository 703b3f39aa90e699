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

// CardSources reads the card sources of several events in one query, by uuid; an event that does not
// exist is missing from the map. Dispatch reads a batch of events this way, instead of an event, its
// deliveries and its first delivery one query each.
func (s *Store) CardSources(ctx context.Context, uuids []string) (map[string]CardSource, error) {
	out := make(map[string]CardSource, len(uuids))
	if len(uuids) == 0 {
		return out, nil
	}
	args := make([]any, len(uuids))
	for i, u := range uuids {
		args[i] = eventKey(u)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT e.uuid, e.type, e.source, e.received_at, e.payload,
		d.headers, d.event_id, d.event_time, d.source
		FROM events e LEFT JOIN deliveries d ON d.id = e.delivery_id
		WHERE e.ukey IN (`+placeholders(0, len(uuids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read %d events: %w", len(uuids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var c CardSource
		var source, payload string
		var received int64
		var headers, eventID, hookSource sql.NullString
		var eventTime sql.NullInt64
		if err := rows.Scan(&c.UUID, &c.Type, &source, &received, &payload, &headers, &eventID, &eventTime, &hookSource); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		c.Source, c.ReceivedAt, c.Payload = Source(source), fromNanos(received), json.RawMessage(payload)
		c.EventID, c.HookSource = eventID.String, hookSource.String
		if eventTime.Valid {
			c.EventTime = fromNanos(eventTime.Int64)
		}
		if headers.Valid {
			if err := json.Unmarshal([]byte(headers.String), &c.Headers); err != nil {
				return nil, fmt.Errorf("event %s: headers: %w", c.UUID, err)
			}
		}
		out[c.UUID] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return out, nil
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
