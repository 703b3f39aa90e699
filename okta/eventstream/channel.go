// Package eventstream makes Okta's event stream an AsyncAPI channel that workflows receive from: a
// receive step waits for a System Log event, such as user.mfa.factor.activate for the user it just
// enrolled. The same step has two transports with the same semantics: in trama run, SystemLog polls
// Okta's System Log API with a filter built from the step; in trama serve, the run waits durably and the
// events that event hooks (and the backfill) put in the inbox are matched against it (package worker).
//
// A channel is Okta's when its address starts with "okta/":
//
//   - "okta/events/<eventType>" carries the events of one type, as LogEvent objects;
//   - "okta/events" carries every event type, as LogEvent objects;
//   - the channels of Okta's own AsyncAPI description of event hooks and log streams:
//     "okta/event-hook/delivery" carries each event in the envelope of an event-hook delivery (data.events
//     holds the one event), and "okta/log-stream/…" carries LogEvent objects.
//
// Correlation: when the AsyncAPI message declares a correlationId location, the step's correlationId is
// compared with the value there; when it declares none, an event correlates when one of its targets has
// the step's correlationId as its id (a user, an app, a group: what the workflow just changed).
package eventstream

import (
	"encoding/json"
	"strings"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/runner"
)

// Prefix starts the address of every channel of Okta's event stream.
const Prefix = "okta/"

// IsOkta reports whether the channel address is one of Okta's event stream.
func IsOkta(address string) bool { return strings.HasPrefix(address, Prefix) }

// EventType is the event type a channel carries: the last segment of "okta/events/<eventType>", or
// "*" for a channel that carries every type.
func EventType(address string) string {
	if t, ok := strings.CutPrefix(address, Prefix+"events/"); ok && t != "" {
		return t
	}
	return "*"
}

// Message is the message an event is on the channel at address: the LogEvent itself, or, on the
// event-hook delivery channel, an envelope holding it. raw is the event as Okta sent it, so fields trama
// does not model reach the workflow too.
func Message(address string, raw json.RawMessage) (runner.Message, error) {
	return MessageOf(address, raw, okta.DeliveryMeta{})
}

// MessageOf is Message for an event that came in an event-hook delivery: the envelope carries the
// delivery's eventId, eventTime and source, as Okta sent them. An event read from the System Log had no
// delivery, and its envelope leaves them out.
func MessageOf(address string, raw json.RawMessage, d okta.DeliveryMeta) (runner.Message, error) {
	var payload any
	if err := decode(raw, &payload); err != nil {
		return runner.Message{}, err
	}
	var ev struct {
		UUID string `json:"uuid"`
	}
	_ = json.Unmarshal(raw, &ev)
	if address == Prefix+"event-hook/delivery" {
		env := map[string]any{
			"eventType":          "com.okta.event_hook",
			"eventTypeVersion":   "1.0",
			"cloudEventsVersion": "0.1",
			"contentType":        "application/json",
			"data":               map[string]any{"events": []any{payload}},
		}
		if d.EventID != "" {
			env["eventId"] = d.EventID
		}
		if !d.EventTime.IsZero() {
			env["eventTime"] = d.EventTime.UTC().Format(okta.TimeLayout)
		}
		if d.Source != "" {
			env["source"] = d.Source
		}
		payload = env
	}
	return runner.Message{Payload: payload, ContentType: "application/json", ID: ev.UUID,
		Header: map[string]string{"Content-Type": "application/json"}}, nil
}

// Correlates reports whether the event (its message m) is one r waits for: of the channel's type, and
// carrying r's correlation id where the message declares it or, without a declared location, as one of
// its targets' ids.
func Correlates(r runner.Receive, ev *okta.LogEvent, m runner.Message) bool {
	if t := EventType(r.Channel.Address); t != "*" && ev.EventType != t {
		return false
	}
	if r.Correlation == "" {
		return true
	}
	if r.CorrelationLocation != "" {
		return r.Correlates(m)
	}
	for _, t := range ev.Target {
		if t.ID == r.Correlation {
			return true
		}
	}
	return false
}

func decode(raw json.RawMessage, v any) error {
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	return d.Decode(v)
}

// Event decodes a stored or fetched event.
func Event(raw json.RawMessage) (*okta.LogEvent, error) {
	var ev okta.LogEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}
