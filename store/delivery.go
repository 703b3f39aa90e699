package store

import (
	"encoding/json"
	"time"
)

// NewDelivery is one event-hook request as the receiver accepted it, ready to be stored.
type NewDelivery struct {
	// Hook is the name of the configured hook that received the request.
	Hook string
	// EventID is the envelope's eventId; Okta reuses it when it retries a delivery. Empty when the
	// body could not be parsed.
	EventID string
	// EventTime and Source are the envelope's eventTime (when Okta sent the delivery) and source (the
	// hook's management URL); the event card shows them.
	EventTime time.Time
	Source    string
	// ReceivedAt defaults to the time of the call.
	ReceivedAt time.Time
	// Headers are the request headers, already masked by the caller: the store keeps what it is given.
	Headers map[string][]string
	// Size is the body size in bytes.
	Size int
	// Events are the delivery's events in envelope order. A uuid may repeat; it is stored once.
	Events []NewEvent
	// Quarantined are events of the delivery that cannot be stored as events (no usable uuid, an
	// unreadable published time, …): each is kept on its own with its reason, while the rest of the
	// delivery is stored and acknowledged.
	Quarantined []QuarantinedEvent
	// Error, when not empty, marks the delivery malformed: it is kept with Body for inspection and its
	// Events are ignored.
	Error string
	// Body is the raw request body, kept only for a malformed delivery (a well-formed one lives on in
	// its events).
	Body []byte
}

// Delivery is a stored event-hook request.
type Delivery struct {
	ID         string
	Hook       string
	EventID    string
	EventTime  time.Time
	Source     string
	ReceivedAt time.Time
	Headers    map[string][]string
	Size       int
	// Events is how many events the delivery carried; NewEvents how many of them were first seen here.
	Events    int
	NewEvents int
	// Quarantined counts the delivery's quarantined events; GetDelivery also returns them.
	Quarantined       int
	QuarantinedEvents []QuarantinedEvent
	// Error and Body are set for a malformed delivery.
	Error string
	Body  []byte
}

// NewEvent is one Okta System Log event to ingest.
type NewEvent struct {
	// UUID is the LogEvent's uuid, the permanent de-duplication key.
	UUID string
	// Type is the LogEvent's eventType, e.g. "user.mfa.factor.activate".
	Type      string
	Published time.Time
	// Payload is the whole LogEvent as JSON. It must be valid JSON (the receiver has just decoded it);
	// the store does not re-check it on the acknowledgement path.
	Payload json.RawMessage
	// NoDispatch stores the event for history and de-duplication only, without dispatch work: the
	// receiver sets it for event types no trigger listens to, since dispatching them could start no run
	// (dispatch matches against the configuration of the moment; Replay still dispatches them).
	NoDispatch bool
	// Index is the event's position in the delivery, recorded if the event has to be quarantined.
	Index int
	// User is the Okta user the event is about (UserOfTarget), so the history finds a user's events;
	// the store keeps the login in lower case.
	User EventUser
}

// QuarantinedEvent is one event of a delivery that could not be stored as an event.
type QuarantinedEvent struct {
	// Index is the event's position in the delivery's data.events.
	Index int
	// Reason says what is wrong with it.
	Reason string
	// Payload is the event as received, cut to MaxQuarantinedBytes.
	Payload []byte
}

// MaxQuarantinedBytes caps the bytes kept of one quarantined event.
const MaxQuarantinedBytes = 64 << 10

// IngestResult reports which of the ingested events were new (and got dispatch work unless NoDispatch)
// and which had already been stored.
type IngestResult struct {
	// DeliveryID is the stored delivery's id; empty for polled events.
	DeliveryID string
	// New lists the uuids stored for the first time, in input order.
	New []string
	// Duplicates lists the uuids that were already stored (including repeats within the input).
	Duplicates []string
	// Quarantined counts the events kept apart because they cannot be stored as events.
	Quarantined int

	dispatch bool // some new event waits for dispatch
}

// DeliveryFilter selects deliveries for ListDeliveries, newest first.
type DeliveryFilter struct {
	// Hook, when set, keeps only deliveries to that hook.
	Hook string
	// Malformed keeps only deliveries that could not be parsed.
	Malformed bool
	// Quarantined keeps only deliveries with quarantined events.
	Quarantined bool
	Page
}
