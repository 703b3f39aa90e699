package eventhook

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/trama-dev/trama/okta"
)

// maxAttempts bounds the delivery log kept for Deliveries; older attempts are forgotten so a long
// emulator run does not grow without limit.
const maxAttempts = 10_000

// DeliveryAttempt is one POST of a delivery envelope to a hook, for GET /emulator/v1/deliveries.
type DeliveryAttempt struct {
	HookID string `json:"hookId"`
	// EventID is the envelope's eventId; a retry repeats it.
	EventID    string   `json:"eventId"`
	EventUUIDs []string `json:"eventUuids"`
	// Time is when the attempt started, on the registry's clock.
	Time time.Time `json:"time"`
	// Retry is 0 for the first attempt and 1 for Okta's single retry.
	Retry int `json:"retry"`
	// StatusCode is the receiver's HTTP status, 0 when no response came.
	StatusCode int `json:"statusCode,omitempty"`
	// Error says why the attempt failed when no response came (timeout, connection refused).
	Error      string        `json:"error,omitempty"`
	Success    bool          `json:"success"`
	Duration   time.Duration `json:"-"`
	DurationMs float64       `json:"durationMs"`
}

// queue holds the events waiting for one hook. One goroutine at a time drains it, which keeps each
// hook's deliveries in order.
type queue struct {
	events  []okta.LogEvent
	running bool
}

// Publish queues events, in the order the System Log persisted them, for every ACTIVE and VERIFIED
// hook that subscribes to their eventType and whose filter lets them through. It does not block on
// the network.
func (r *Registry) Publish(events ...okta.LogEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	for _, id := range r.order {
		h := r.hooks[id]
		if !h.Active() {
			continue
		}
		q := r.queues[id]
		n := 0
		for i := range events {
			if h.receives(&events[i]) {
				if q == nil {
					q = &queue{}
					r.queues[id] = q
				}
				q.events = append(q.events, events[i])
				n++
			}
		}
		if n == 0 {
			continue
		}
		if r.pending == 0 {
			r.idle = make(chan struct{})
		}
		r.pending += n
		if !q.running {
			q.running = true
			r.workers.Add(1)
			go r.drain(id, q)
		}
	}
}

// drain delivers a hook's queue until it is empty. It first waits BatchWindow so that events
// published close together travel in one envelope.
func (r *Registry) drain(id string, q *queue) {
	defer r.workers.Done()
	if w := r.cfg.BatchWindow; w > 0 {
		t := time.NewTimer(w)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
		}
	}
	for {
		r.mu.Lock()
		if len(q.events) == 0 || r.ctx.Err() != nil {
			r.donePendingLocked(len(q.events))
			q.events = nil
			q.running = false
			r.mu.Unlock()
			return
		}
		n := min(len(q.events), r.cfg.MaxBatch)
		// Re-slicing instead of shifting keeps a long queue linear; the backing array is released
		// once the queue drains.
		batch := q.events[:n:n]
		q.events = q.events[n:]
		hook, ok := r.hooks[id]
		var h Hook
		if ok {
			h = hook.clone()
		}
		r.mu.Unlock()

		// A hook deactivated, unverified or deleted after Publish gets nothing more.
		if ok && h.Active() {
			r.deliver(h, batch)
		}
		r.mu.Lock()
		r.donePendingLocked(n)
		r.mu.Unlock()
	}
}

func (r *Registry) donePendingLocked(n int) {
	if n == 0 {
		return
	}
	r.pending -= n
	if r.pending == 0 {
		close(r.idle)
	}
}

// deliver POSTs one envelope, retrying once on a timeout, a transport error or a 5xx answer, never on
// a 4xx. A delivery that fails for good emits event_hook.delivery.
func (r *Registry) deliver(h Hook, events []okta.LogEvent) {
	d := okta.Delivery{
		EventType:          okta.EventHookEventType,
		EventTypeVersion:   "1.0",
		CloudEventsVersion: "0.1",
		Source:             r.cfg.BaseURL + "/api/v1/eventHooks/" + h.ID,
		EventID:            uuid.NewString(),
		Data:               okta.DeliveryData{Events: events},
		EventTime:          okta.Time{Time: r.now()},
		ContentType:        "application/json",
	}
	body, err := json.Marshal(d)
	if err != nil {
		r.cfg.Logger.Error("event hook delivery not encodable", "hook", h.ID, "eventId", d.EventID, "err", err)
		return
	}
	ids := make([]string, len(events))
	for i := range events {
		ids[i] = events[i].UUID
	}
	var last outcome
	for try := 0; try < 2; try++ {
		at := r.now()
		last = r.send(r.ctx, h, http.MethodPost, body, nil)
		ok := last.err == "" && last.status >= 200 && last.status < 300
		r.record(DeliveryAttempt{
			HookID: h.ID, EventID: d.EventID, EventUUIDs: ids, Time: at, Retry: try,
			StatusCode: last.status, Error: last.err, Success: ok,
			Duration: last.duration, DurationMs: float64(last.duration.Microseconds()) / 1000,
		})
		if ok {
			return
		}
		if !last.retryable || r.ctx.Err() != nil {
			break
		}
	}
	if r.ctx.Err() != nil {
		return // closing: not the receiver's fault
	}
	reason := last.err
	if reason == "" {
		reason = fmt.Sprintf("HTTP %d", last.status)
	}
	r.cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, "event hook delivery failed",
		slog.String("hook", h.ID), slog.String("eventId", d.EventID), slog.String("reason", reason))
	r.cfg.Emit(r.hookEvent("event_hook.delivery", "Event hook delivery failed", h, "FAILURE",
		"Event hook delivery failed: "+reason, map[string]any{"eventId": d.EventID, "errorMessage": reason}))
}

func (r *Registry) record(a DeliveryAttempt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.attempts) >= maxAttempts {
		r.attempts = slices.Delete(r.attempts, 0, len(r.attempts)-maxAttempts+1)
	}
	r.attempts = append(r.attempts, a)
}

// Deliveries returns the recorded delivery attempts, oldest first (at most the last 10 000).
func (r *Registry) Deliveries() []DeliveryAttempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]DeliveryAttempt, len(r.attempts))
	for i, a := range r.attempts {
		a.EventUUIDs = slices.Clone(a.EventUUIDs)
		out[i] = a
	}
	return out
}

// ResetDeliveries forgets the recorded delivery attempts, for POST /emulator/v1/reset.
func (r *Registry) ResetDeliveries() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = nil
}

// Flush waits until every event queued so far has been delivered or given up on, or ctx ends.
func (r *Registry) Flush(ctx context.Context) error {
	r.mu.Lock()
	idle := r.idle
	r.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush event hook deliveries: %w", ctx.Err())
	}
}

// Close stops delivering: queued events are dropped, requests in flight are cancelled, and Close
// returns when the delivery goroutines have ended. Publish does nothing afterwards.
func (r *Registry) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.workers.Wait()
	return nil
}
