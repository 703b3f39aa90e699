package okta

// EventHookEventType is the envelope eventType of every event-hook delivery.
const EventHookEventType = "com.okta.event_hook"

// VerificationHeader is the header of the one-time verification GET; the receiver echoes its value as
// {"verification": value}.
const VerificationHeader = "X-Okta-Verification-Challenge"

// Delivery is the body of an event-hook POST: a CloudEvents 0.1 envelope around one or more LogEvents.
// Okta amalgamates events that happen close together into one delivery, and a retry resends the same
// envelope (same EventID).
type Delivery struct {
	EventType          string       `json:"eventType"`
	EventTypeVersion   string       `json:"eventTypeVersion"`
	CloudEventsVersion string       `json:"cloudEventsVersion"`
	Source             string       `json:"source"`
	EventID            string       `json:"eventId"`
	Data               DeliveryData `json:"data"`
	EventTime          Time         `json:"eventTime"`
	ContentType        string       `json:"contentType"`
}

// DeliveryData holds the events of a delivery, in the order Okta persisted them.
type DeliveryData struct {
	Events []LogEvent `json:"events"`
}

// VerificationResponse is the body a receiver returns to the verification GET.
type VerificationResponse struct {
	Verification string `json:"verification"`
}
