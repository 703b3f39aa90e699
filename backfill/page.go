package backfill

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/trama-dev/trama/internal/jsonscan"
	"github.com/trama-dev/trama/store"
)

// decodePage reads one System Log page, a JSON array of LogEvents, into events for the store. Each
// payload keeps the event's bytes exactly as Okta sent them, so fields trama does not model survive for
// triggers and for `trama events show`. An event without a uuid or eventType, or with an unreadable
// published time, makes the whole page an error: storing the rest would move the cursor past it.
func decodePage(body []byte) ([]store.NewEvent, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, fmt.Errorf("want a JSON array of System Log events: %w", err)
	}
	events := make([]store.NewEvent, 0, len(raws))
	for i, raw := range raws {
		var head struct {
			UUID      string `json:"uuid"`
			EventType string `json:"eventType"`
			Published string `json:"published"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		if head.UUID == "" {
			return nil, fmt.Errorf("event %d: no uuid", i)
		}
		if head.EventType == "" {
			return nil, fmt.Errorf("event %d (uuid %q): no eventType", i, head.UUID)
		}
		published, err := time.Parse(time.RFC3339Nano, head.Published)
		if err != nil {
			return nil, fmt.Errorf("event %d (uuid %q): published %q: %w", i, head.UUID, head.Published, err)
		}
		events = append(events, store.NewEvent{
			UUID:      head.UUID,
			Type:      head.EventType,
			Published: published,
			Payload:   raw,
			// The target member by its exact name, as the card reads it (a struct field would match any case).
			User: store.UserOfTarget(jsonscan.Member(raw, "target")),
		})
	}
	return events, nil
}
