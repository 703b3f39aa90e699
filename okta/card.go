package okta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trama-dev/trama/internal/jsonscan"
)

// DeliveryMeta is what a card needs to know about how an event reached trama, beyond the LogEvent itself.
//
// For an event-hook delivery it is the envelope and the request: EventID and EventTime are the envelope's
// eventId and eventTime, Source is its source (the hook's management URL), and Headers are the request
// headers, already masked by the caller so that the hook secret never reaches a card, the history or a log.
//
// An event fetched by System Log polling has no envelope; SystemLogMeta builds its DeliveryMeta.
type DeliveryMeta struct {
	EventID   string
	EventTime Time
	Source    string
	Headers   http.Header
}

// SystemLogMeta is the DeliveryMeta of an event that trama fetched from GET {orgURL}/api/v1/logs at
// fetched instead of receiving it by event hook. Its card has an empty uuid (there is no delivery, so no
// delivery id), eventTime = fetched (the moment the event reached trama, which is what the card's "Event
// Time" means), source = the System Log URL, and no headers. Triggers therefore fire the same way for
// both paths as long as they read the event's own fields.
func SystemLogMeta(orgURL string, fetched time.Time) DeliveryMeta {
	return DeliveryMeta{
		EventTime: Time{fetched},
		Source:    strings.TrimRight(orgURL, "/") + "/api/v1/logs",
	}
}

// CardEntity is the four fields the Okta API returns for a user (or any actor or target) on a card:
// the card documentation says no other user field is ever filled.
type CardEntity struct {
	ID          string `json:"id"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
	Type        string `json:"type"`
}

// CardDebugContext holds the event's debugContext.debugData, the only member the card exposes.
type CardDebugContext struct {
	DebugData map[string]any `json:"debugData"`
}

// Card is the output of an Okta Workflows event card for one event of a delivery, the shape triggers see
// as $event. JSON field names are the camelCase form of the card's field labels; CardFields lists the
// labels, and docs/triggers.md where each field comes from and how sure the mapping is.
//
// For user.mfa.factor.activate, .deactivate, .reset_all and .update the card is the "User MFA Factor
// Activated" shape: Admin and OktaUser are always present (with empty fields when the event lacks an
// actor or a User target), as the Workflows card always outputs both objects. Every other event type gets
// the generic card: the same fields, except that Admin is nil when the event has no actor and OktaUser is
// nil when no target has type "User", so "$event.oktaUser != null" tells the two apart.
//
// A Card is a value: the maps inside it (EventDetails, DebugContext.DebugData) are shared with Value's
// result and must be treated as read-only.
type Card struct {
	// DateAndTime is the LogEvent's published, in Okta's millisecond layout.
	DateAndTime string `json:"dateAndTime"`
	// Message is the LogEvent's displayMessage.
	Message string `json:"message"`
	// EventID is the LogEvent's uuid, the key trama de-duplicates on.
	EventID string `json:"eventId"`
	// EventType is the LogEvent's eventType, never the envelope's "com.okta.event_hook".
	EventType string `json:"eventType"`
	// EventTime is the envelope's eventTime: when the delivery was sent (or, for a polled event, fetched).
	EventTime string `json:"eventTime"`
	// Version is the LogEvent's version, "0" today.
	Version string `json:"version"`
	// Admin is the LogEvent's actor.
	Admin *CardEntity `json:"admin,omitempty"`
	// OktaUser is the first target of type "User".
	OktaUser *CardEntity `json:"oktaUser,omitempty"`
	// Reason is the LogEvent's outcome.reason, e.g. "User set up OKTA_SOFT_TOKEN factor"; empty when Okta
	// gives none (reset_all).
	Reason string `json:"reason"`
	// UUID is the envelope's eventId, the id of the delivery; empty for a polled event.
	UUID string `json:"uuid"`
	// EventDetails is the whole LogEvent as a JSON object, including members trama's LogEvent type does
	// not know (insertionTimestamp, newer securityContext fields). Numbers are json.Number.
	EventDetails map[string]any `json:"eventDetails"`
	// Headers are the delivery's request headers, lower-case name → value, several values of one name
	// joined with ", ". Empty (never nil) for a polled event.
	Headers map[string]string `json:"headers"`
	// Source is the envelope's source, the hook's management URL
	// (https://{org}/api/v1/eventHooks/{hookId}), or the System Log URL for a polled event.
	Source string `json:"source"`
	// DebugContext carries debugContext.debugData; DebugData is nil when the event has none.
	DebugContext CardDebugContext `json:"debugContext"`
}

// mfaFactorEvents are the event types that get the "User MFA Factor Activated" card shape, with the verb
// their field definitions use.
var mfaFactorEvents = map[string]string{
	"user.mfa.factor.activate":   "activated",
	"user.mfa.factor.deactivate": "deactivated",
	"user.mfa.factor.reset_all":  "reset",
	"user.mfa.factor.update":     "updated",
}

// NewCard maps one event of a delivery to its card. raw is the event's JSON exactly as delivered; it
// becomes EventDetails so nothing Okta sent is lost. When raw is empty or not a JSON object, EventDetails
// is event re-encoded instead.
func NewCard(delivery DeliveryMeta, event LogEvent, raw json.RawMessage) Card {
	return newCard(delivery, event, decodeObject(raw))
}

// CardOfJSON is NewCard for an event known only as JSON (a stored event): the JSON is decoded once, into
// EventDetails, and the card's typed fields are read from that, instead of decoding the same bytes into a
// LogEvent as well. An event that is not a JSON object is an error.
func CardOfJSON(delivery DeliveryMeta, raw json.RawMessage) (Card, error) {
	details := decodeObject(raw)
	if details == nil {
		return Card{}, errors.New("the event is not a JSON object")
	}
	ev, err := eventFields(details)
	if err != nil {
		return Card{}, err
	}
	return newCard(delivery, ev, details), nil
}

// eventFields reads the LogEvent fields a card shows from the decoded event.
func eventFields(m map[string]any) (LogEvent, error) {
	ev := LogEvent{UUID: str(m, "uuid"), EventType: str(m, "eventType"), DisplayMessage: str(m, "displayMessage"),
		Version: str(m, "version")}
	if p, ok := m["published"].(string); ok {
		if err := ev.Published.UnmarshalJSON([]byte(strconv.Quote(p))); err != nil {
			return LogEvent{}, fmt.Errorf("published: %w", err)
		}
	}
	if o, ok := m["outcome"].(map[string]any); ok {
		ev.Outcome = &Outcome{Result: str(o, "result"), Reason: str(o, "reason")}
	}
	if a, ok := m["actor"].(map[string]any); ok {
		ev.Actor = &Actor{ID: str(a, "id"), Type: str(a, "type"), AlternateID: str(a, "alternateId"), DisplayName: str(a, "displayName")}
	}
	ev.Target = targetsOf(m["target"])
	return ev, nil
}

// targetsOf reads a decoded LogEvent's target member as a card does: the entries that are objects, in
// order, with members matched by their exact names.
func targetsOf(v any) []Target {
	ts, _ := v.([]any)
	var out []Target
	for _, t := range ts {
		if t, ok := t.(map[string]any); ok {
			out = append(out, Target{ID: str(t, "id"), Type: str(t, "type"), AlternateID: str(t, "alternateId"),
				DisplayName: str(t, "displayName")})
		}
	}
	return out
}

// str is the string member k of a decoded object, "" when it is missing or not a string.
func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// UserTargetJSON returns the user a LogEvent is about, given its target member as JSON: the first target
// of type User, with its id, type and alternateId as a card's Okta User reads them (entries that are not
// objects passed over, members matched by exact name, the last occurrence winning, a value that is not a
// string read as ""). The store records it when the event arrives, so it walks the JSON instead of
// decoding it: this is on the acknowledgement's path. ok is false when there is none, or target is not
// an array.
func UserTargetJSON(target json.RawMessage) (t Target, ok bool) {
	// The raw values of the target being read, and then of the user target: made strings once it is
	// found, so that reading the others costs no allocation.
	var cur, user struct{ typ, id, alternateID []byte }
	_, err := jsonscan.WalkArray(target, 0, func(v []byte) error {
		if ok || v[0] != '{' {
			return nil
		}
		cur.typ, cur.id, cur.alternateID = nil, nil, nil
		_, err := jsonscan.WalkObject(v, 0, func(key, value []byte) error {
			switch name, _ := jsonscan.MemberName(key); string(name) {
			case "id":
				cur.id = value
			case "type":
				cur.typ = value
			case "alternateId":
				cur.alternateID = value
			}
			return nil
		})
		if err == nil && (string(cur.typ) == `"User"` || stringOf(cur.typ) == "User") {
			user, ok = cur, true
		}
		return err
	})
	if err != nil || !ok {
		return Target{}, false
	}
	return Target{ID: stringOf(user.id), Type: "User", AlternateID: stringOf(user.alternateID)}, true
}

// stringOf is a member's value as a card reads it: the string a JSON string holds, "" for any other
// value or none.
func stringOf(value []byte) string {
	s, _ := jsonscan.String(value)
	return s
}

func newCard(delivery DeliveryMeta, event LogEvent, details map[string]any) Card {
	c := Card{
		DateAndTime: formatTime(event.Published),
		Message:     event.DisplayMessage,
		EventID:     event.UUID,
		EventType:   event.EventType,
		EventTime:   formatTime(delivery.EventTime),
		Version:     event.Version,
		UUID:        delivery.EventID,
		Source:      delivery.Source,
		Headers:     flattenHeaders(delivery.Headers),
	}
	if event.Outcome != nil {
		c.Reason = event.Outcome.Reason
	}
	_, mfa := mfaFactorEvents[event.EventType]
	if a := event.Actor; a != nil {
		c.Admin = &CardEntity{ID: a.ID, AlternateID: a.AlternateID, DisplayName: a.DisplayName, Type: a.Type}
	} else if mfa {
		c.Admin = &CardEntity{}
	}
	if t, ok := event.UserTarget(); ok {
		c.OktaUser = &CardEntity{ID: t.ID, AlternateID: t.AlternateID, DisplayName: t.DisplayName, Type: t.Type}
	} else if mfa {
		c.OktaUser = &CardEntity{}
	}
	c.EventDetails = details
	if c.EventDetails == nil {
		b, err := json.Marshal(event)
		if err == nil {
			c.EventDetails = decodeObject(b)
		}
		if c.EventDetails == nil {
			c.EventDetails = map[string]any{}
		}
	}
	// debugData comes from EventDetails rather than the typed event so that its numbers stay json.Number
	// and expressions compare them exactly.
	if dc, ok := c.EventDetails["debugContext"].(map[string]any); ok {
		if dd, ok := dc["debugData"].(map[string]any); ok {
			c.DebugContext.DebugData = dd
		}
	}
	return c
}

// NewCards decodes an event-hook delivery body and returns one card per event, in delivery order, each
// with the delivery's envelope fields and headers (which the caller masks first). It is the mapping the
// receiver's stored deliveries go through, in one call.
func NewCards(body []byte, headers http.Header) ([]Card, error) {
	var env struct {
		Source    string `json:"source"`
		EventID   string `json:"eventId"`
		EventTime Time   `json:"eventTime"`
		Data      struct {
			Events []json.RawMessage `json:"events"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("decode event-hook delivery: %w", err)
	}
	meta := DeliveryMeta{EventID: env.EventID, EventTime: env.EventTime, Source: env.Source, Headers: headers}
	cards := make([]Card, 0, len(env.Data.Events))
	for i, raw := range env.Data.Events {
		var ev LogEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode data.events[%d] of delivery %q: %w", i, env.EventID, err)
		}
		cards = append(cards, NewCard(meta, ev, raw))
	}
	return cards, nil
}

// Value returns the card as a JSON-like value (map[string]any, []any, string, json.Number, bool, nil) for
// runtime expressions: $event.oktaUser.id, $event.eventDetails#/outcome/result. Absent objects (Admin or
// OktaUser of a generic card) are absent members, so they compare equal to null.
func (c Card) Value() map[string]any {
	headers := make(map[string]any, len(c.Headers))
	for k, v := range c.Headers {
		headers[k] = v
	}
	var debugData any
	if c.DebugContext.DebugData != nil {
		debugData = c.DebugContext.DebugData
	}
	v := map[string]any{
		"dateAndTime":  c.DateAndTime,
		"message":      c.Message,
		"eventId":      c.EventID,
		"eventType":    c.EventType,
		"eventTime":    c.EventTime,
		"version":      c.Version,
		"reason":       c.Reason,
		"uuid":         c.UUID,
		"eventDetails": c.EventDetails,
		"headers":      headers,
		"source":       c.Source,
		"debugContext": map[string]any{"debugData": debugData},
	}
	if c.Admin != nil {
		v["admin"] = c.Admin.value()
	}
	if c.OktaUser != nil {
		v["oktaUser"] = c.OktaUser.value()
	}
	return v
}

func (e *CardEntity) value() map[string]any {
	return map[string]any{"id": e.ID, "alternateId": e.AlternateID, "displayName": e.DisplayName, "type": e.Type}
}

// Lookup returns the value at a dotted card key such as "admin.id" or "debugContext.debugData", the Key of
// a CardField, so printers can walk CardFields without knowing the Card type.
func (c Card) Lookup(key string) (any, bool) {
	var cur any = c.Value()
	for _, seg := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// CardField describes one output field of a card the way the Okta Workflows card documents it, so that
// `trama demo` and `trama events show` print cards with the labels users know.
type CardField struct {
	// Name is the card's label, e.g. "Date and Time".
	Name string
	// Key is the dotted path under $event, e.g. "dateAndTime" or "admin.id".
	Key string
	// Type is the card's type name: "Text" or "Object".
	Type string
	// Definition is the card documentation's definition, adapted to the event type.
	Definition string
	// From says where in the delivery the value comes from, e.g. "data.events[i].published".
	From string
	// Fields are the members of an Object field that the card lists (Admin's ID, Alternate ID…); nil for
	// Text fields and for free-form objects.
	Fields []CardField
}

// CardFields returns the fields of the card for eventType, in the order the card documents them. The four
// user.mfa.factor.* types get the "User MFA Factor Activated" definitions (with their own verb); any other
// type gets the generic card's definitions.
func CardFields(eventType string) []CardField {
	verb, mfa := mfaFactorEvents[eventType]
	adminDef := "Actor of the event: the user, app or Okta itself that performed it; absent when the event has no actor."
	adminWho := "actor"
	userDef := "First target of type User; absent when the event has none."
	userWho := "user"
	reasonDef := "Reason of the event's outcome, when Okta gives one."
	if mfa {
		adminDef = "Okta admin who " + map[string]string{
			"activated":   "enrolled the user in MFA.",
			"deactivated": "reset the user's MFA factor.",
			"reset":       "reset all of the user's MFA factors.",
			"updated":     "updated the user's MFA factor.",
		}[verb]
		adminWho = "Okta admin"
		userDef = "Okta user whose MFA factor was " + verb + "."
		if verb == "activated" {
			userDef = "Okta user who activated a new MFA factor."
		}
		userWho = "Okta user"
		reasonDef = "The outcome of the MFA factor being " + verb + "."
	}
	entity := func(prefix, who, from string) []CardField {
		return []CardField{
			{Name: "ID", Key: prefix + ".id", Type: "Text", Definition: "ID of the " + who + ".", From: from + ".id"},
			{Name: "Alternate ID", Key: prefix + ".alternateId", Type: "Text", Definition: "Email address or login of the " + who + ".", From: from + ".alternateId"},
			{Name: "Display Name", Key: prefix + ".displayName", Type: "Text", Definition: "Display name of the " + who + ".", From: from + ".displayName"},
			{Name: "Type", Key: prefix + ".type", Type: "Text", Definition: "Type of the " + who + ".", From: from + ".type"},
		}
	}
	return []CardField{
		{Name: "Date and Time", Key: "dateAndTime", Type: "Text", Definition: "The date and time when the event was triggered in the Okta API.", From: "data.events[i].published"},
		{Name: "Message", Key: "message", Type: "Text", Definition: "Any message details about the event.", From: "data.events[i].displayMessage"},
		{Name: "Event ID", Key: "eventId", Type: "Text", Definition: "Unique identifier of the event.", From: "data.events[i].uuid"},
		{Name: "Event Type", Key: "eventType", Type: "Text", Definition: "Type of event that was published.", From: "data.events[i].eventType"},
		{Name: "Event Time", Key: "eventTime", Type: "Text", Definition: "Timestamp when the notification was delivered to the service.", From: "eventTime (envelope)"},
		{Name: "Version", Key: "version", Type: "Text", Definition: "Versioning indicator.", From: "data.events[i].version"},
		{Name: "Admin", Key: "admin", Type: "Object", Definition: adminDef, From: "data.events[i].actor", Fields: entity("admin", adminWho, "data.events[i].actor")},
		{Name: "Okta User", Key: "oktaUser", Type: "Object", Definition: userDef, From: `data.events[i].target[type=="User"][0]`, Fields: entity("oktaUser", userWho, `data.events[i].target[type=="User"][0]`)},
		{Name: "Reason", Key: "reason", Type: "Text", Definition: reasonDef, From: "data.events[i].outcome.reason"},
		{Name: "UUID", Key: "uuid", Type: "Text", Definition: "The universal unique identifier of the webhook event.", From: "eventId (envelope)"},
		{Name: "Event Details", Key: "eventDetails", Type: "Object", Definition: "The raw JSON payload returned from the Okta API for this particular event.", From: "data.events[i]"},
		{Name: "Headers", Key: "headers", Type: "Object", Definition: "The headers of the delivery request, lower-case name to value (\"content-type\": \"application/json\"), secrets masked.", From: "HTTP request headers"},
		{Name: "Source", Key: "source", Type: "Text", Definition: "The source of the event: the event hook's management URL.", From: "source (envelope)"},
		{Name: "Debug Context", Key: "debugContext", Type: "Object", Definition: "Debugging information of the event.", From: "data.events[i].debugContext", Fields: []CardField{
			{Name: "Debug Data", Key: "debugContext.debugData", Type: "Object", Definition: "Information on the triggered event that you can use for debugging, for example a URI, an SMS provider or a transaction ID.", From: "data.events[i].debugContext.debugData"},
		}},
	}
}

// CardKeys returns the top-level card keys ("admin", "dateAndTime"…) sorted, for configuration checks
// and typo suggestions.
func CardKeys() []string {
	fields := CardFields("")
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.Key
	}
	sort.Strings(keys)
	return keys
}

func formatTime(t Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

// flattenHeaders lower-cases header names, as the Okta Workflows card does (its verification condition
// reads headers["x-okta-verification-challenge"]), and joins repeated values the way HTTP allows.
func flattenHeaders(h http.Header) map[string]string {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names) // a deterministic order when two spellings of one name are merged
	out := make(map[string]string, len(h))
	for _, name := range names {
		key := strings.ToLower(name)
		v := strings.Join(h[name], ", ")
		if prev, ok := out[key]; ok && prev != "" {
			v = prev + ", " + v
		}
		out[key] = v
	}
	return out
}

// decodeObject decodes raw as a JSON object with json.Number numbers; nil when raw is not an object.
func decodeObject(raw []byte) map[string]any {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil
	}
	return m
}
