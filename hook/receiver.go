// Package hook receives Okta event hooks: it answers Okta's one-time verification, authenticates each
// delivery, and stores the delivery and its events durably before acknowledging, so an acknowledged event
// is never lost and a redelivered one is never run twice.
package hook

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/trama-dev/trama/tracing"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/trama-dev/trama/metrics"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/secret"
	"github.com/trama-dev/trama/store"
)

// DefaultMaxBodyBytes caps a delivery's body. Okta batches events into one delivery, each a few KB; 4 MiB
// leaves room for hundreds while stopping a client that streams forever.
const DefaultMaxBodyBytes = 4 << 20

// keptBodyBytes is how much of a rejected body is kept for inspection.
const keptBodyBytes = 64 << 10

// Ingester stores deliveries; store.Store implements it.
type Ingester interface {
	IngestDelivery(ctx context.Context, d store.NewDelivery) (store.IngestResult, error)
}

// Auth is the header every request of a hook must carry, as configured in the Okta event hook's
// authScheme. A zero Auth accepts any request (for local experiments only; `trama serve` warns).
type Auth struct {
	Header string
	Value  string
}

// Receiver is the http.Handler of one configured event hook. It answers GET (verification) and POST
// (deliveries) on its path.
type Receiver struct {
	// Name is the hook's name in the configuration; deliveries are stored under it.
	Name string
	Auth Auth
	// Store keeps deliveries and events; required.
	Store Ingester
	// Listens reports whether some trigger listens to an event type; events of other types are stored
	// for the history and de-duplication without dispatch work. Nil dispatches every event.
	Listens func(eventType string) bool
	// MaxBodyBytes caps a delivery's body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Metrics and Logger may be nil.
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// OnAck, when set, is told how long each accepted delivery took to acknowledge, as the ack metric
	// measures it: from its headers to its events stored (trama bench runs reports it).
	OnAck func(time.Duration)
	// Now is the clock for received times; nil means time.Now.
	Now func() time.Time
}

func (rc *Receiver) now() time.Time {
	if rc.Now != nil {
		return rc.Now()
	}
	return time.Now()
}

func (rc *Receiver) logger() *slog.Logger {
	if rc.Logger != nil {
		return rc.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// ServeHTTP handles the verification GET and delivery POSTs.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		rc.verify(w, r)
	case http.MethodPost:
		rc.deliver(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		httpError(w, http.StatusMethodNotAllowed, "an Okta event hook answers GET (verification) and POST (deliveries)")
	}
}

// authorized compares the configured header in constant time, so response timing does not reveal how
// much of a guessed secret was right.
func (rc *Receiver) authorized(r *http.Request) bool {
	if rc.Auth.Header == "" {
		return true
	}
	got := r.Header.Get(rc.Auth.Header)
	return subtle.ConstantTimeCompare([]byte(got), []byte(rc.Auth.Value)) == 1
}

func (rc *Receiver) verify(w http.ResponseWriter, r *http.Request) {
	challenge := r.Header.Get(okta.VerificationHeader)
	if challenge == "" {
		httpError(w, http.StatusBadRequest, "missing header "+okta.VerificationHeader+": Okta sends a GET only to verify the hook")
		return
	}
	if !rc.authorized(r) {
		rc.Metrics.Delivery(rc.Name, "unauthorized")
		httpError(w, http.StatusUnauthorized, "missing or wrong "+rc.Auth.Header+" header")
		return
	}
	rc.Metrics.Delivery(rc.Name, "verification")
	rc.logger().Info("event hook verified by Okta", "hook", rc.Name)
	writeJSON(w, http.StatusOK, okta.VerificationResponse{Verification: challenge})
}

func (rc *Receiver) deliver(w http.ResponseWriter, r *http.Request) {
	start := rc.now()
	if !rc.authorized(r) {
		rc.Metrics.Delivery(rc.Name, "unauthorized")
		httpError(w, http.StatusUnauthorized, "missing or wrong "+rc.Auth.Header+" header")
		return
	}
	max := rc.MaxBodyBytes
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	headers := rc.maskedHeaders(r.Header)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			rc.reject(r.Context(), w, headers, body, http.StatusRequestEntityTooLarge, "too_large",
				fmt.Sprintf("body exceeds %d bytes", max), start)
			return
		}
		httpError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	d, err := Parse(r.Header.Get("Content-Type"), body)
	if err != nil {
		rc.reject(r.Context(), w, headers, body, http.StatusBadRequest, "malformed", err.Error(), start)
		return
	}
	d.Hook = rc.Name
	d.ReceivedAt = start
	if rc.Listens != nil {
		for i := range d.Events {
			d.Events[i].NoDispatch = !rc.Listens(d.Events[i].Type)
		}
	}
	d.Headers = headers
	d.Size = len(body)
	res, err := rc.Store.IngestDelivery(r.Context(), d)
	if err != nil {
		// Nothing was stored: a 5xx makes Okta retry the delivery once.
		rc.Metrics.Delivery(rc.Name, "error")
		rc.logger().Error("storing an event-hook delivery failed; answering 500 so Okta retries", "hook", rc.Name, "eventId", d.EventID, "err", err)
		httpError(w, http.StatusInternalServerError, "the delivery could not be stored; retry")
		return
	}
	w.WriteHeader(http.StatusOK)
	rc.traceEvents(r.Context(), d, res, start)
	elapsed := rc.now().Sub(start)
	rc.Metrics.Delivery(rc.Name, "accepted")
	rc.Metrics.Ack(elapsed)
	if rc.OnAck != nil {
		rc.OnAck(elapsed)
	}
	rc.Metrics.Events("hook", len(res.New), len(res.Duplicates), res.Quarantined)
	rc.logger().Debug("event-hook delivery stored", "hook", rc.Name, "eventId", d.EventID,
		"events", len(d.Events), "new", len(res.New), "duplicates", len(res.Duplicates), "ack", elapsed)
}

// reject answers a delivery that cannot be accepted and keeps it, with the start of its body, for
// inspection (`trama events` shows malformed deliveries). If even that cannot be stored, the answer is
// still the client's error: the request was wrong either way.
func (rc *Receiver) reject(ctx context.Context, w http.ResponseWriter, headers map[string][]string, body []byte, status int, result, reason string, start time.Time) {
	kept := body
	if len(kept) > keptBodyBytes {
		kept = kept[:keptBodyBytes]
	}
	_, err := rc.Store.IngestDelivery(ctx, store.NewDelivery{
		Hook: rc.Name, ReceivedAt: start, Headers: headers, Size: len(body), Error: reason, Body: kept,
	})
	if err != nil {
		rc.logger().Error("keeping a rejected delivery failed", "hook", rc.Name, "err", err)
	}
	rc.Metrics.Delivery(rc.Name, result)
	rc.logger().Warn("event-hook delivery rejected", "hook", rc.Name, "status", status, "reason", reason)
	httpError(w, status, reason)
}

// maskedHeaders copies the request headers with credentials masked: the standard secret headers and the
// hook's own authentication header, whatever its name.
func (rc *Receiver) maskedHeaders(h http.Header) map[string][]string {
	out := secret.RedactHeaders(h)
	if rc.Auth.Header != "" {
		if vs, ok := out[http.CanonicalHeaderKey(rc.Auth.Header)]; ok {
			for i := range vs {
				vs[i] = secret.Mask
			}
		}
	}
	return out
}

// envelope is the part of an event-hook body the receiver reads; events stay raw so the store keeps
// exactly what Okta sent.
type envelope struct {
	EventType          string    `json:"eventType"`
	EventTypeVersion   string    `json:"eventTypeVersion"`
	CloudEventsVersion string    `json:"cloudEventsVersion"`
	Source             string    `json:"source"`
	EventID            string    `json:"eventId"`
	EventTime          okta.Time `json:"eventTime"`
	Data               *struct {
		Events []json.RawMessage `json:"events"`
	} `json:"data"`
}

// eventHead is what the receiver needs of each event.
type eventHead struct {
	UUID      string    `json:"uuid"`
	EventType string    `json:"eventType"`
	Published okta.Time `json:"published"`
	// target is the event's target member as JSON, from which the store records the user the event is
	// about.
	target json.RawMessage
}

// Parse checks and decodes an event-hook request body into a delivery to store. Its errors say what is
// wrong with the body, for the 400 answer and the stored record.
func Parse(contentType string, body []byte) (store.NewDelivery, error) {
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return store.NewDelivery{}, fmt.Errorf("content type %q: an Okta event hook sends application/json", contentType)
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return store.NewDelivery{}, errors.New("empty body: want an Okta event-hook JSON envelope")
	}
	env, err := readEnvelope(body)
	if err != nil {
		return store.NewDelivery{}, fmt.Errorf("malformed JSON: %v", err)
	}
	if env.EventType != okta.EventHookEventType {
		return store.NewDelivery{}, fmt.Errorf("eventType %q: an Okta event hook sends %q", env.EventType, okta.EventHookEventType)
	}
	if env.Data == nil {
		return store.NewDelivery{}, errors.New(`missing "data.events"`)
	}
	d := store.NewDelivery{EventID: env.EventID, EventTime: env.EventTime.Time, Source: env.Source, Events: make([]store.NewEvent, 0, len(env.Data.Events))}
	for i, raw := range env.Data.Events {
		h, reason := eventHeadOf(raw)
		if reason != "" {
			// One bad event costs only itself: it is kept apart with the reason, and the rest of the
			// delivery is stored and acknowledged (Okta does not retry a 4xx, so rejecting the delivery
			// would lose its good events).
			d.Quarantined = append(d.Quarantined, store.QuarantinedEvent{Index: i, Reason: fmt.Sprintf("data.events[%d]: %s", i, reason), Payload: raw})
			continue
		}
		d.Events = append(d.Events, store.NewEvent{UUID: h.UUID, Type: h.EventType, Published: h.Published.Time, Payload: raw, Index: i,
			User: store.UserOfTarget(h.target)})
	}
	return d, nil
}

// eventHeadOf reads what the receiver needs of one event of a delivery, or says why it cannot be stored
// as an event.
func eventHeadOf(raw json.RawMessage) (eventHead, string) {
	h, err := readHead(raw)
	switch {
	case err != nil:
		return h, err.Error()
	case store.ValidUUID(h.UUID) != "":
		return h, store.ValidUUID(h.UUID)
	case h.EventType == "":
		return h, fmt.Sprintf("the event (uuid %s) has no eventType", h.UUID)
	}
	return h, ""
}

func httpError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// traceEvents starts and ends the root span of each event stored for the first time: the trace every
// later span of the event (dispatch, runs, steps, requests) joins, from this receipt to the ack.
func (rc *Receiver) traceEvents(ctx context.Context, d store.NewDelivery, res store.IngestResult, start time.Time) {
	if !tracing.Recording() {
		return
	}
	types := make(map[string]string, len(d.Events))
	for _, e := range d.Events {
		types[e.UUID] = e.Type
	}
	for _, uuid := range res.New {
		_, span := tracing.StartEvent(ctx, uuid, "okta event "+types[uuid], trace.WithTimestamp(start),
			trace.WithAttributes(attribute.String("okta.event.type", types[uuid]), attribute.String("trama.hook", rc.Name),
				attribute.String("trama.delivery", res.DeliveryID)))
		span.End()
	}
}
