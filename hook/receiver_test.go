package hook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/hook"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
)

const secretValue = "hook-secret-canary-77a1"

func newReceiver(t testing.TB) (*hook.Receiver, *store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "trama.db"), sqlite.Options{}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &hook.Receiver{Name: "okta", Auth: hook.Auth{Header: "Authorization", Value: secretValue}, Store: st, MaxBodyBytes: 64 << 10}, st
}

func delivery(eventID string, uuids ...string) string {
	evs := make([]oktatest.Event, len(uuids))
	for i, u := range uuids {
		evs[i] = oktatest.Event{UUID: u}
	}
	return string(oktatest.Delivery(eventID, evs...))
}

func post(rc http.Handler, body, auth, contentType string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/hooks/okta", strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, req)
	return w
}

func TestVerificationEchoesTheChallenge(t *testing.T) {
	rc, _ := newReceiver(t)
	req := httptest.NewRequest("GET", "/hooks/okta", nil)
	req.Header.Set(okta.VerificationHeader, "chal-123")
	req.Header.Set("Authorization", secretValue)
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, req)
	var v okta.VerificationResponse
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &v) != nil || v.Verification != "chal-123" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	req.Header.Set("Authorization", "wrong")
	w = httptest.NewRecorder()
	rc.ServeHTTP(w, req)
	if w.Code != 401 {
		t.Errorf("verification with a wrong secret: %d", w.Code)
	}
}

// TestEventsAreFoundByTheirUserOnArrival: the receiver reads the user an event is about from its target
// (the card's Okta User), so the history finds a user's events before any dispatch.
func TestEventsAreFoundByTheirUserOnArrival(t *testing.T) {
	rc, st := newReceiver(t)
	body := string(oktatest.Delivery("d1", oktatest.Event{UUID: "e1", UserID: "00uzed"}, oktatest.Event{UUID: "e2", UserID: "00uyan"}))
	if w := post(rc, body, secretValue, "application/json"); w.Code != 200 {
		t.Fatalf("delivery: %d %s", w.Code, w.Body)
	}
	evs, _, err := st.ListEvents(context.Background(), store.EventFilter{User: "00uzed"})
	if err != nil || len(evs) != 1 || evs[0].UUID != "e1" || evs[0].User != (store.EventUser{ID: "00uzed", Login: "ann@example.com"}) {
		t.Fatalf("events of user 00uzed = %+v, %v", evs, err)
	}
	if evs, _, err := st.ListEvents(context.Background(), store.EventFilter{User: "ANN@example.com"}); err != nil || len(evs) != 2 {
		t.Errorf("events of login ANN@example.com = %d, %v; want both", len(evs), err)
	}
}

func TestDeliveryIsStoredAndDeduplicated(t *testing.T) {
	rc, st := newReceiver(t)
	ctx := context.Background()
	if w := post(rc, delivery("d1", "u1", "u2", "u1"), secretValue, "application/json"); w.Code != 200 {
		t.Fatalf("first delivery: %d %s", w.Code, w.Body)
	}
	// Okta's retry of the same envelope, and another delivery carrying u2 again.
	post(rc, delivery("d1", "u1", "u2"), secretValue, "application/json; charset=utf-8")
	post(rc, delivery("d2", "u2", "u3"), secretValue, "application/json")
	events, _, err := st.ListEvents(ctx, store.EventFilter{})
	if err != nil || len(events) != 3 {
		t.Fatalf("want 3 distinct events, got %d (%v)", len(events), err)
	}
	ev, err := st.GetEvent(ctx, "u2")
	if err != nil || ev.Duplicates != 2 || len(ev.DeliveryIDs) != 3 {
		t.Errorf("u2: duplicates %d, deliveries %v, %v", ev.Duplicates, ev.DeliveryIDs, err)
	}
	if got := ev.Headers["Authorization"]; len(got) != 1 || got[0] == secretValue {
		t.Errorf("stored headers must mask the hook secret: %v", ev.Headers)
	}
	d, err := st.GetDelivery(ctx, ev.DeliveryIDs[0])
	if err != nil || d.EventID != "d1" || d.Source != "https://example.okta.com/api/v1/eventHooks/who1" || d.EventTime.IsZero() {
		t.Errorf("delivery envelope not kept: %+v %v", d, err)
	}
}

func TestRejectedRequests(t *testing.T) {
	rc, st := newReceiver(t)
	for _, tc := range []struct {
		name, body, auth, ct string
		want                 int
	}{
		{"no auth", delivery("d", "u"), "", "application/json", 401},
		{"wrong auth", delivery("d", "u"), secretValue + "x", "application/json", 401},
		{"not json", "hello", secretValue, "application/json", 400},
		{"wrong content type", delivery("d", "u"), secretValue, "text/plain", 400},
		{"not an event hook", `{"eventType":"something.else","data":{"events":[]}}`, secretValue, "application/json", 400},
		{"too large", `{"x":"` + strings.Repeat("a", 70<<10) + `"}`, secretValue, "application/json", 413},
	} {
		if w := post(rc, tc.body, tc.auth, tc.ct); w.Code != tc.want {
			t.Errorf("%s: %d, want %d (%s)", tc.name, w.Code, tc.want, w.Body)
		} else if strings.Contains(w.Body.String(), secretValue) {
			t.Errorf("%s: the answer echoes the secret", tc.name)
		}
	}
	events, _, _ := st.ListEvents(context.Background(), store.EventFilter{})
	if len(events) != 0 {
		t.Errorf("rejected deliveries created events: %v", events)
	}
	bad, _, err := st.ListDeliveries(context.Background(), store.DeliveryFilter{Malformed: true})
	if err != nil || len(bad) != 4 {
		t.Fatalf("malformed deliveries kept for inspection: %d (%v)", len(bad), err)
	}
	for _, d := range bad {
		if d.Error == "" {
			t.Errorf("a kept delivery says why it was rejected: %+v", d)
		}
	}
}

// TestBadEventsAreQuarantinedAlone: events that cannot be stored — an unreadable published time, an
// invalid-UTF-8 uuid, a uuid longer than any Okta id, no uuid — are kept apart each with its reason, and
// the good events of the same delivery are stored and acknowledged.
func TestBadEventsAreQuarantinedAlone(t *testing.T) {
	rc, st := newReceiver(t)
	good := func(u string) string {
		return fmt.Sprintf(`{"uuid":%q,"eventType":"user.mfa.factor.activate","published":"2026-11-22T07:00:00.000Z"}`, u)
	}
	events := []string{
		good("good-1"),
		`{"uuid":"bad-published","eventType":"user.mfa.factor.activate","published":"yesterday"}`,
		`{"uuid":"\udcff\udcfe","eventType":"user.mfa.factor.activate"}`,
		"{\"uuid\":\"\xff\xfe\",\"eventType\":\"t\"}",
		fmt.Sprintf(`{"uuid":%q,"eventType":"t"}`, strings.Repeat("x", 200)),
		`{"eventType":"t"}`,
		good("good-2"),
	}
	body := `{"eventType":"com.okta.event_hook","eventId":"mixed","data":{"events":[` + strings.Join(events, ",") + `]}}`
	w := post(rc, body, secretValue, "application/json")
	if w.Code != 200 {
		t.Fatalf("a delivery with bad events: %d %s; want 200 for its good ones", w.Code, w.Body)
	}
	ctx := context.Background()
	for _, u := range []string{"good-1", "good-2"} {
		if _, err := st.GetEvent(ctx, u); err != nil {
			t.Errorf("good event %s lost: %v", u, err)
		}
	}
	ds, _, err := st.ListDeliveries(ctx, store.DeliveryFilter{Quarantined: true})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries with quarantined events = %v, %v", ds, err)
	}
	d, err := st.GetDelivery(ctx, ds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.QuarantinedEvents) != 5 {
		t.Fatalf("quarantined %d events, want 5: %+v", len(d.QuarantinedEvents), d.QuarantinedEvents)
	}
	var reasons []string
	for _, q := range d.QuarantinedEvents {
		reasons = append(reasons, q.Reason)
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{"data.events[1]", "published", "UTF-8", "longer than", "no uuid"} {
		if !strings.Contains(all, want) {
			t.Errorf("reasons %q do not mention %q", reasons, want)
		}
	}
}

// FuzzReceiver sends arbitrary bodies and content types: the receiver never panics, answers 200 only for
// bodies Parse accepts, and answers every other body with a 4xx.
func FuzzReceiver(f *testing.F) {
	f.Add(delivery("d1", "u1", "u2"), "application/json")
	f.Add(`{"eventType":"com.okta.event_hook","data":{"events":[{}]}}`, "application/json")
	f.Add(`[]`, "application/json")
	f.Add(`{"eventType":"com.okta.event_hook","data":null}`, "text/html")
	rc, _ := newReceiver(f)
	f.Fuzz(func(t *testing.T, body, ct string) {
		w := post(rc, body, secretValue, ct)
		_, perr := hook.Parse(ct, []byte(body))
		switch {
		case w.Code == 200 && perr != nil:
			t.Fatalf("accepted a body Parse rejects (%v)", perr)
		case w.Code != 200 && w.Code != 400 && w.Code != 413:
			t.Fatalf("status %d for %q", w.Code, body)
		case w.Code == 400 && perr == nil:
			t.Fatalf("rejected a body Parse accepts")
		}
	})
}

func TestEventsNoTriggerListensToAreStoredButNotDispatched(t *testing.T) {
	rc, st := newReceiver(t)
	rc.Listens = func(eventType string) bool { return eventType == "user.mfa.factor.activate" }
	body := string(oktatest.Delivery("d1", oktatest.Event{UUID: "wanted"}, oktatest.Event{UUID: "other", Type: "user.session.start"}))
	if w := post(rc, body, secretValue, "application/json"); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	ds, err := st.ClaimDispatches(context.Background(), 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].UUID != "wanted" {
		t.Errorf("waiting for dispatch: %+v; only the type a trigger listens to is dispatched", ds)
	}
	if _, err := st.GetEvent(context.Background(), "other"); err != nil {
		t.Errorf("the other event is still stored for the history: %v", err)
	}
}
