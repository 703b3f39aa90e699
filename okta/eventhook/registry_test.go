package eventhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/okta"
)

const (
	secret  = "Basic c2VjcmV0LXZhbHVlLTQy"
	baseURL = "https://trama-test.okta.example"
)

// received is one request a test receiver got.
type received struct {
	method string
	header http.Header
	body   []byte
}

// receiver is an event-hook endpoint on loopback. answer decides the response to the n-th request
// (0-based); the default echoes verification challenges and answers deliveries 200.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []received
	answer func(n int, w http.ResponseWriter, r *http.Request, body []byte)
}

func newReceiver(t testing.TB, answer func(n int, w http.ResponseWriter, r *http.Request, body []byte)) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.reqs)
		rc.reqs = append(rc.reqs, received{method: r.Method, header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(n, w, r, body)
			return
		}
		echo(w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// echo is a correct receiver: it answers the verification GET and accepts deliveries.
func echo(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		_ = json.NewEncoder(w).Encode(okta.VerificationResponse{Verification: r.Header.Get(okta.VerificationHeader)})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) requests(method string) []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []received
	for _, r := range rc.reqs {
		if r.method == method {
			out = append(out, r)
		}
	}
	return out
}

func (rc *receiver) deliveries(t *testing.T) []okta.Delivery {
	t.Helper()
	var out []okta.Delivery
	for _, r := range rc.requests(http.MethodPost) {
		var d okta.Delivery
		if err := json.Unmarshal(r.body, &d); err != nil {
			t.Fatalf("delivery body is not JSON: %v", err)
		}
		out = append(out, d)
	}
	return out
}

// emitted collects the events a Registry emits.
type emitted struct {
	mu     sync.Mutex
	events []okta.LogEvent
}

func (e *emitted) emit(ev okta.LogEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, ev)
}

func (e *emitted) ofType(typ string) []okta.LogEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []okta.LogEvent
	for _, ev := range e.events {
		if ev.EventType == typ {
			out = append(out, ev)
		}
	}
	return out
}

func newTestRegistry(t testing.TB, cfg Config) (*Registry, *emitted) {
	t.Helper()
	em := &emitted{}
	cfg.AllowHTTP = true
	cfg.BaseURL = baseURL + "/"
	cfg.Emit = em.emit
	if cfg.Timeout == 0 {
		cfg.Timeout = 300 * time.Millisecond
	}
	if cfg.BatchWindow == 0 {
		cfg.BatchWindow = 30 * time.Millisecond
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	r := NewRegistry(cfg)
	t.Cleanup(func() { _ = r.Close() })
	return r, em
}

func input(uri string, items ...string) Input {
	if len(items) == 0 {
		items = []string{"user.mfa.factor.activate"}
	}
	return Input{
		Name:   "Factor hook",
		Events: Events{Type: "EVENT_TYPE", Items: items},
		Channel: Channel{Type: "HTTP", Version: "1.0.0", Config: ChannelConfig{
			URI:        uri,
			Headers:    []Header{{Key: "X-Other-Header", Value: "my-header-value"}},
			AuthScheme: &AuthScheme{Type: "HEADER", Key: "Authorization", Value: secret},
		}},
	}
}

func oktaCode(t *testing.T, err error) *okta.Error {
	t.Helper()
	var oe *okta.Error
	if !errors.As(err, &oe) {
		t.Fatalf("error = %v, want *okta.Error", err)
	}
	return oe
}

// verifiedHook creates a hook on rc and verifies it.
func verifiedHook(t *testing.T, r *Registry, rc *receiver, items ...string) Hook {
	t.Helper()
	h, err := r.Create(context.Background(), input(rc.URL+"/hook", items...), "00uadmin")
	if err != nil {
		t.Fatal(err)
	}
	h, err = r.Verify(context.Background(), h.ID)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return h
}

func logEvent(uuid, typ string) okta.LogEvent {
	return okta.LogEvent{UUID: uuid, EventType: typ, Version: "0", Published: okta.Time{Time: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}}
}

func flush(t *testing.T, r *Registry) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDefaults(t *testing.T) {
	r := NewRegistry(Config{})
	defer r.Close()
	if r.cfg.Timeout != 3*time.Second || r.cfg.BatchWindow != DefaultBatchWindow || r.cfg.MaxBatch != DefaultMaxBatch {
		t.Fatalf("defaults: timeout %v, window %v, max batch %d", r.cfg.Timeout, r.cfg.BatchWindow, r.cfg.MaxBatch)
	}
	id := r.cfg.NewID()
	if !regexp.MustCompile(`^who[0-9A-Za-z]{17}$`).MatchString(id) {
		t.Fatalf("hook id %q does not look like Okta's", id)
	}
	// Real Okta refuses http:// endpoints, loopback or not.
	_, err := r.Create(context.Background(), input("http://127.0.0.1:9/hook"), "00uadmin")
	if oe := oktaCode(t, err); oe.ErrorCode != "E0000001" || oe.ErrorSummary != "Api validation failed: channel.config.uri" {
		t.Fatalf("http URI without AllowHTTP: %+v", oe)
	}
}

func TestLifecycle(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 123e6, time.UTC)
	r, em := newTestRegistry(t, Config{Now: func() time.Time { return now }})
	ctx := context.Background()
	h, err := r.Create(ctx, input("https://receiver.example/hook"), "00uadmin")
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != StatusActive || h.VerificationStatus != Unverified || h.CreatedBy != "00uadmin" ||
		!h.Created.Equal(now.Truncate(time.Second)) {
		t.Fatalf("created hook = %+v, want ACTIVE, UNVERIFIED, createdBy, created at the second", h)
	}
	if got, _ := r.Get(h.ID); got.Name != "Factor hook" {
		t.Fatalf("Get = %+v", got)
	}
	if err := r.Delete(h.ID); oktaCode(t, err).ErrorCode != "E0000001" {
		t.Fatalf("deleting an ACTIVE hook: %v", err)
	}
	if h, err = r.Deactivate(h.ID); err != nil || h.Status != StatusInactive {
		t.Fatalf("Deactivate = %+v, %v", h, err)
	}
	if h, err = r.Activate(h.ID); err != nil || h.Status != StatusActive {
		t.Fatalf("Activate = %+v, %v", h, err)
	}
	if _, err = r.Deactivate(h.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(h.ID); err != nil {
		t.Fatalf("Delete INACTIVE: %v", err)
	}
	_, err = r.Get(h.ID)
	if oe := oktaCode(t, err); oe.ErrorCode != "E0000007" || oe.ErrorSummary != "Not found: Resource not found: "+h.ID+" (EventHook)" {
		t.Fatalf("Get deleted = %+v", oe)
	}
	for _, f := range []func() error{
		func() error { _, err := r.Activate("whoNope"); return err },
		func() error { _, err := r.Verify(ctx, "whoNope"); return err },
		func() error { _, err := r.Replace(ctx, "whoNope", input("https://x.example")); return err },
		func() error { return r.Delete("whoNope") },
	} {
		if oe := oktaCode(t, f()); oe.ErrorCode != "E0000007" {
			t.Fatalf("unknown id: %+v", oe)
		}
	}
	if len(r.List()) != 0 {
		t.Fatalf("List after delete = %v", r.List())
	}
	var types []string
	for _, ev := range em.events {
		types = append(types, ev.EventType)
		if ev.Target[0].ID != h.ID || ev.Version != "0" || ev.Published.IsZero() || ev.Outcome.Result != "SUCCESS" {
			t.Errorf("emitted %s is incomplete: %+v", ev.EventType, ev)
		}
	}
	want := []string{"event_hook.created", "event_hook.deactivated", "event_hook.activated", "event_hook.deactivated", "event_hook.deleted"}
	if !slices.Equal(types, want) {
		t.Fatalf("emitted %v, want %v", types, want)
	}
}

func TestReplace(t *testing.T) {
	rc := newReceiver(t, nil)
	r, _ := newTestRegistry(t, Config{})
	h := verifiedHook(t, r, rc)

	// Same channel, auth value omitted as a client that read the hook would: stays VERIFIED and keeps
	// the secret.
	in := input(rc.URL+"/hook", "user.mfa.factor.activate", "user.lifecycle.create")
	in.Name = "Renamed"
	in.Channel.Config.AuthScheme.Value = ""
	got, err := r.Replace(context.Background(), h.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Renamed" || got.VerificationStatus != Verified || got.Channel.Config.AuthScheme.Value != secret ||
		len(got.Events.Items) != 2 {
		t.Fatalf("Replace same channel = %+v", got)
	}
	in.Channel.Config.URI = rc.URL + "/other"
	if got, err = r.Replace(context.Background(), h.ID, in); err != nil || got.VerificationStatus != Unverified {
		t.Fatalf("Replace new URI = %+v, %v; want UNVERIFIED", got, err)
	}
}

func TestRender(t *testing.T) {
	r, _ := newTestRegistry(t, Config{Now: func() time.Time { return time.Date(2026, 11, 20, 10, 0, 5, 0, time.UTC) }})
	h, err := r.Create(context.Background(), input("https://receiver.example/hook"), "00uadmin")
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{StatusActive, StatusInactive} {
		h.Status = status
		m := h.Render("https://org.example")
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "c2VjcmV0") || strings.Contains(string(b), `"value":"Basic`) {
			t.Fatalf("Render leaks the auth value: %s", b)
		}
		var got struct {
			Description *string `json:"description"`
			Created     string  `json:"created"`
			Events      struct {
				Filter any `json:"filter"`
			} `json:"events"`
			Channel struct {
				Config struct {
					Method     string            `json:"method"`
					AuthScheme map[string]string `json:"authScheme"`
					Headers    []Header          `json:"headers"`
				} `json:"config"`
			} `json:"channel"`
			Links map[string]struct {
				Href  string `json:"href"`
				Hints struct {
					Allow []string `json:"allow"`
				} `json:"hints"`
			} `json:"_links"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Description != nil || got.Created != "2026-11-20T10:00:05.000Z" || got.Events.Filter != nil ||
			got.Channel.Config.Method != "POST" || got.Channel.Config.AuthScheme["key"] != "Authorization" ||
			got.Channel.Config.AuthScheme["type"] != "HEADER" || len(got.Channel.Config.Headers) != 1 {
			t.Fatalf("Render = %s", b)
		}
		var rels []string
		for rel := range got.Links {
			rels = append(rels, rel)
		}
		slices.Sort(rels)
		self := "https://org.example/api/v1/eventHooks/" + h.ID
		switch status {
		case StatusActive:
			if !slices.Equal(rels, []string{"deactivate", "self", "verify"}) || got.Links["verify"].Href != self+"/lifecycle/verify" ||
				!slices.Equal(got.Links["verify"].Hints.Allow, []string{"POST"}) {
				t.Fatalf("ACTIVE links = %s", b)
			}
		case StatusInactive:
			if !slices.Equal(rels, []string{"activate", "delete", "self"}) || got.Links["delete"].Href != self ||
				!slices.Equal(got.Links["delete"].Hints.Allow, []string{"DELETE"}) {
				t.Fatalf("INACTIVE links = %s", b)
			}
		}
	}
	// Snapshot keeps the secret for --state.
	snap := r.Snapshot()
	r2, _ := newTestRegistry(t, Config{})
	r2.Restore(snap)
	if got, err := r2.Get(h.ID); err != nil || got.Channel.Config.AuthScheme.Value != secret {
		t.Fatalf("restored hook = %+v, %v", got, err)
	}
}

func TestVerify(t *testing.T) {
	slow := func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}
	tests := []struct {
		name     string
		answer   func(n int, w http.ResponseWriter, r *http.Request, body []byte)
		ok       bool
		requests int
	}{
		{"echo", nil, true, 1},
		{"wrong value", func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
			fmt.Fprint(w, `{"verification":"not-the-challenge"}`)
		}, false, 1},
		{"not JSON", func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
			fmt.Fprint(w, `OK`)
		}, false, 1},
		{"404 is not retried", func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
			http.NotFound(w, r)
		}, false, 1},
		{"500 then echo", func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
			if n == 0 {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			echo(w, r)
		}, true, 2},
		{"timeout twice", slow, false, 2},
		{"timeout then echo", func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
			if n == 0 {
				slow(n, w, r, body)
				return
			}
			echo(w, r)
		}, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, tt.answer)
			r, em := newTestRegistry(t, Config{Timeout: 150 * time.Millisecond})
			h, err := r.Create(context.Background(), input(rc.URL+"/hook"), "00uadmin")
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Verify(context.Background(), h.ID)
			gets := rc.requests(http.MethodGet)
			if len(gets) != tt.requests {
				t.Fatalf("receiver got %d GETs, want %d", len(gets), tt.requests)
			}
			for _, g := range gets {
				if g.header.Get("X-Okta-Verification-Challenge") == "" || g.header.Get("Authorization") != secret ||
					g.header.Get("X-Other-Header") != "my-header-value" {
					t.Fatalf("verification GET headers = %v", g.header)
				}
			}
			verified := em.ofType("event_hook.verified")
			if len(verified) != 1 {
				t.Fatalf("emitted %d event_hook.verified, want 1 either way", len(verified))
			}
			stored, _ := r.Get(h.ID)
			if tt.ok {
				if err != nil || got.VerificationStatus != Verified || stored.VerificationStatus != Verified ||
					verified[0].Outcome.Result != "SUCCESS" {
					t.Fatalf("Verify = %+v, %v; want VERIFIED", got, err)
				}
				return
			}
			oe := oktaCode(t, err)
			if oe.ErrorCode != "E0000001" || stored.VerificationStatus != Unverified || verified[0].Outcome.Result != "FAILURE" ||
				verified[0].DebugContext.DebugData["errorMessage"] == nil {
				t.Fatalf("failed Verify = %+v, stored %s, emitted %+v", oe, stored.VerificationStatus, verified[0])
			}
			if strings.Contains(oe.Error(), secret) {
				t.Fatalf("error leaks the secret: %v", oe)
			}
		})
	}
}

func TestDeliveryEnvelopeHeadersAndBatching(t *testing.T) {
	rc := newReceiver(t, nil)
	now := time.Date(2026, 11, 20, 10, 0, 1, 0, time.UTC)
	// A generous window: both Publish calls must land in it even on a loaded machine.
	r, _ := newTestRegistry(t, Config{Now: func() time.Time { return now }, BatchWindow: 300 * time.Millisecond})
	h := verifiedHook(t, r, rc, "user.mfa.factor.activate", "user.lifecycle.create")
	other := verifiedHook(t, r, rc, "user.lifecycle.suspend")

	r.Publish(logEvent("e1", "user.mfa.factor.activate"), logEvent("skip", "user.session.start"),
		logEvent("e2", "user.lifecycle.create"))
	r.Publish(logEvent("e3", "user.mfa.factor.activate"))
	flush(t, r)

	ds := rc.deliveries(t)
	if len(ds) != 1 {
		t.Fatalf("got %d deliveries, want 1 batch for events published within the window", len(ds))
	}
	d := ds[0]
	if d.EventType != "com.okta.event_hook" || d.EventTypeVersion != "1.0" || d.CloudEventsVersion != "0.1" ||
		d.ContentType != "application/json" || d.Source != baseURL+"/api/v1/eventHooks/"+h.ID ||
		!d.EventTime.Equal(now) {
		t.Fatalf("envelope = %+v", d)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(d.EventID) {
		t.Fatalf("eventId %q is not a v4 UUID", d.EventID)
	}
	var got []string
	for _, ev := range d.Data.Events {
		got = append(got, ev.UUID)
	}
	if !slices.Equal(got, []string{"e1", "e2", "e3"}) {
		t.Fatalf("delivered %v, want [e1 e2 e3] in persistence order without the unsubscribed type", got)
	}
	hdr := rc.requests(http.MethodPost)[0].header
	for k, want := range map[string]string{
		"Accept": "application/json", "Content-Type": "application/json", "Authorization": secret,
		"X-Other-Header": "my-header-value", "User-Agent": UserAgent,
	} {
		if hdr.Get(k) != want {
			t.Errorf("header %s = %q, want %q", k, hdr.Get(k), want)
		}
	}
	attempts := r.Deliveries()
	if len(attempts) != 1 || attempts[0].HookID != h.ID || attempts[0].EventID != d.EventID || !attempts[0].Success ||
		attempts[0].StatusCode != http.StatusNoContent || attempts[0].Retry != 0 || len(attempts[0].EventUUIDs) != 3 {
		t.Fatalf("Deliveries = %+v", attempts)
	}
	_ = other
}

func TestOnlyActiveVerifiedHooksReceive(t *testing.T) {
	rc := newReceiver(t, nil)
	r, _ := newTestRegistry(t, Config{BatchWindow: -1})
	unverified, err := r.Create(context.Background(), input(rc.URL+"/unverified"), "00uadmin")
	if err != nil {
		t.Fatal(err)
	}
	inactive := verifiedHook(t, r, rc)
	if _, err := r.Deactivate(inactive.ID); err != nil {
		t.Fatal(err)
	}
	r.Publish(logEvent("e1", "user.mfa.factor.activate"))
	flush(t, r)
	if n := len(rc.requests(http.MethodPost)); n != 0 {
		t.Fatalf("%d deliveries to UNVERIFIED (%s) or INACTIVE (%s) hooks, want 0", n, unverified.ID, inactive.ID)
	}
	if _, err := r.Activate(inactive.ID); err != nil {
		t.Fatal(err)
	}
	r.Publish(logEvent("e2", "user.mfa.factor.activate"))
	flush(t, r)
	if ds := rc.deliveries(t); len(ds) != 1 || ds[0].Data.Events[0].UUID != "e2" {
		t.Fatalf("deliveries after activation = %+v", ds)
	}
}

func TestDeliveryRetry(t *testing.T) {
	statusThenOK := func(codes ...int) func(int, http.ResponseWriter, *http.Request, []byte) {
		return func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
			if r.Method == http.MethodGet {
				echo(w, r)
				return
			}
			posts := n - 1 // request 0 is the verification GET
			if posts < len(codes) {
				if codes[posts] == 0 {
					<-r.Context().Done() // never answers: a timeout
					return
				}
				w.WriteHeader(codes[posts])
				return
			}
			w.WriteHeader(http.StatusOK)
		}
	}
	tests := []struct {
		name     string
		answer   func(int, http.ResponseWriter, *http.Request, []byte)
		attempts int
		success  bool
	}{
		{"500 then OK", statusThenOK(500), 2, true},
		{"503 twice", statusThenOK(503, 503), 2, false},
		{"400 is not retried", statusThenOK(400), 1, false},
		{"410 is not retried", statusThenOK(410), 1, false},
		{"timeout then OK", statusThenOK(0), 2, true},
		{"timeout twice", statusThenOK(0, 0), 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, tt.answer)
			r, em := newTestRegistry(t, Config{Timeout: 100 * time.Millisecond, BatchWindow: -1})
			h := verifiedHook(t, r, rc)
			r.Publish(logEvent("e1", "user.mfa.factor.activate"))
			flush(t, r)
			ds := rc.deliveries(t)
			attempts := r.Deliveries()
			if len(ds) != tt.attempts || len(attempts) != tt.attempts {
				t.Fatalf("receiver got %d POSTs, %d attempts recorded; want %d", len(ds), len(attempts), tt.attempts)
			}
			for i := range ds {
				if ds[i].EventID != ds[0].EventID || attempts[i].Retry != i || attempts[i].EventID != ds[0].EventID {
					t.Fatalf("attempt %d: eventId %s (first %s), retry %d", i, ds[i].EventID, ds[0].EventID, attempts[i].Retry)
				}
			}
			last := attempts[len(attempts)-1]
			failures := em.ofType("event_hook.delivery")
			if last.Success != tt.success || (len(failures) == 1) == tt.success {
				t.Fatalf("last attempt %+v, %d event_hook.delivery events", last, len(failures))
			}
			if !tt.success {
				f := failures[0]
				if f.Outcome.Result != "FAILURE" || f.Target[0].ID != h.ID || f.DebugContext.DebugData["eventId"] != ds[0].EventID {
					t.Fatalf("event_hook.delivery = %+v", f)
				}
			}
		})
	}
}

func TestDeliveryOrderAcrossBatches(t *testing.T) {
	rc := newReceiver(t, nil)
	r, _ := newTestRegistry(t, Config{MaxBatch: 2})
	verifiedHook(t, r, rc)
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("e%d", i)
		want = append(want, id)
		r.Publish(logEvent(id, "user.mfa.factor.activate"))
	}
	flush(t, r)
	var got []string
	ds := rc.deliveries(t)
	for _, d := range ds {
		if len(d.Data.Events) > 2 {
			t.Fatalf("delivery of %d events exceeds MaxBatch 2", len(d.Data.Events))
		}
		for _, ev := range d.Data.Events {
			got = append(got, ev.UUID)
		}
	}
	if !slices.Equal(got, want) || len(ds) != 4 {
		t.Fatalf("delivered %v in %d deliveries, want %v in 4", got, len(ds), want)
	}
}

func TestActiveVerifiedLimit(t *testing.T) {
	rc := newReceiver(t, nil)
	r, _ := newTestRegistry(t, Config{})
	for range maxActive {
		verifiedHook(t, r, rc)
	}
	h, err := r.Create(context.Background(), input(rc.URL+"/26"), "00uadmin")
	if err != nil {
		t.Fatalf("creating a 26th (unverified) hook: %v", err)
	}
	if _, err := r.Verify(context.Background(), h.ID); oktaCode(t, err).ErrorCode != "E0000001" {
		t.Fatalf("verifying a 26th active hook: %v", err)
	}
	first := r.List()[0]
	if _, err := r.Deactivate(first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(context.Background(), h.ID); err != nil {
		t.Fatalf("verify after freeing a slot: %v", err)
	}
	if _, err := r.Activate(first.ID); oktaCode(t, err).ErrorCode != "E0000001" {
		t.Fatalf("activating a 26th verified hook: %v", err)
	}
}

func TestCloseStopsDelivery(t *testing.T) {
	rc := newReceiver(t, nil)
	r, _ := newTestRegistry(t, Config{BatchWindow: time.Hour})
	verifiedHook(t, r, rc)
	r.Publish(logEvent("e1", "user.mfa.factor.activate"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush with a pending hour-long window = %v, want deadline exceeded", err)
	}
	done := make(chan struct{})
	go func() { _ = r.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not stop the delivery goroutine")
	}
	r.Publish(logEvent("e2", "user.mfa.factor.activate"))
	flush(t, r)
	if n := len(rc.requests(http.MethodPost)); n != 0 {
		t.Fatalf("%d deliveries after Close", n)
	}
}
