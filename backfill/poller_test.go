package backfill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trama-dev/trama/metrics"
	"github.com/trama-dev/trama/okta/emulator"
	"github.com/trama-dev/trama/store"
)

func TestFirstPollPicksUpEventsWithinLookback(t *testing.T) {
	o := newOrg(t, emulator.Options{}, nil)
	old := o.createUser("old@example.com")
	o.activateTOTP(old)
	o.e.Clock().Advance(2 * time.Hour) // the events above fall outside the one-hour lookback
	recent := o.createUser("recent@example.com")
	o.activateTOTP(recent)
	created, activated := o.logged(typeCreate), o.logged(typeActivate)
	if len(created) != 2 || len(activated) != 2 {
		t.Fatalf("emulator logged %d creations and %d activations, want 2 and 2", len(created), len(activated))
	}

	st := tempStore(t)
	p := newPoller(o, st)
	n, err := p.Poll(context.Background())
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	want := []string{uuidOf(t, created[1]), uuidOf(t, activated[1])}
	if got := storedUUIDs(t, st); !slices.Equal(got, want) || n != 2 {
		t.Fatalf("Poll ingested %d events %v, want the 2 recent ones %v", n, got, want)
	}
	// The payload is the event exactly as Okta sent it, and it is marked as polled.
	ev, err := st.GetEvent(context.Background(), want[1])
	if err != nil {
		t.Fatal(err)
	}
	if ev.Source != store.SourcePoll || ev.Type != typeActivate || !bytes.Equal(ev.Payload, activated[1]) {
		t.Errorf("stored event: source %q type %q payload %s\nwant poll, %s, %s", ev.Source, ev.Type, ev.Payload, typeActivate, activated[1])
	}
	var sent struct{ Published time.Time }
	if err := json.Unmarshal(activated[1], &sent); err != nil {
		t.Fatal(err)
	}
	if ev.Published.IsZero() || !ev.Published.Equal(sent.Published) {
		t.Errorf("published %v, want the event's time %v", ev.Published, sent.Published)
	}
	cursor, err := st.GetCursor(context.Background(), DefaultCursorName)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cursor, o.srv.URL+"/api/v1/logs?") || !strings.Contains(cursor, "after=") {
		t.Errorf("cursor %q: want the next link of the org's System Log", cursor)
	}
}

func TestPollsResumeFromTheCursor(t *testing.T) {
	var requests atomic.Int64
	o := newOrg(t, emulator.Options{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			next.ServeHTTP(w, r)
		})
	})
	for _, login := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"} {
		o.createUser(login)
	}
	st := tempStore(t)
	p := newPoller(o, st)
	p.PageSize = 2
	ctx := context.Background()

	// 5 events in pages of 2, 2, 1, then the empty page that ends the round.
	n, err := p.Poll(ctx)
	if err != nil || n != 5 || requests.Load() != 4 {
		t.Fatalf("first Poll: %d events in %d requests, err %v; want 5 in 4", n, requests.Load(), err)
	}
	first, _ := st.GetCursor(ctx, DefaultCursorName)

	// Nothing new: one request, nothing ingested.
	requests.Store(0)
	if n, err := p.Poll(ctx); err != nil || n != 0 || requests.Load() != 1 {
		t.Fatalf("idle Poll: %d events in %d requests, err %v; want 0 in 1", n, requests.Load(), err)
	}

	// Only the new events come back, not the ones already polled.
	u := o.createUser("f@example.com")
	o.activateTOTP(u)
	n, err = p.Poll(ctx)
	if err != nil || n != 2 {
		t.Fatalf("second Poll: %d events, err %v; want the 2 new ones", n, err)
	}
	second, _ := st.GetCursor(ctx, DefaultCursorName)
	if second == first {
		t.Errorf("cursor did not advance: %q", second)
	}
	want := uuidsOf(t, o.logged(typeCreate), o.logged(typeActivate))
	if got := storedUUIDs(t, st); !sameSet(got, want) {
		t.Errorf("store holds %v, want %v", got, want)
	}
}

func TestEventDeliveredByHookIsDuplicate(t *testing.T) {
	o := newOrg(t, emulator.Options{}, nil)
	o.activateTOTP(o.createUser("hooked@example.com"))
	raw := o.logged(typeActivate)[0]
	id := uuidOf(t, raw)

	st := tempStore(t)
	ctx := context.Background()
	if _, err := st.IngestDelivery(ctx, store.NewDelivery{Hook: "okta", EventID: "evt-1", Size: len(raw),
		Events: []store.NewEvent{{UUID: id, Type: typeActivate, Published: time.Now(), Payload: raw}}}); err != nil {
		t.Fatalf("IngestDelivery: %v", err)
	}
	m := metrics.New(nil)
	p := newPoller(o, st)
	p.Metrics = m
	p.EventTypes = []string{typeActivate}
	if n, err := p.Poll(ctx); err != nil || n != 1 {
		t.Fatalf("Poll: %d, %v; want the 1 event", n, err)
	}
	ev, err := st.GetEvent(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Source != store.SourceHook || ev.Duplicates != 1 {
		t.Errorf("event source %q, duplicates %d; want hook, 1", ev.Source, ev.Duplicates)
	}
	scrape := scrapeMetrics(t, m)
	for _, line := range []string{
		`trama_events_total{kind="duplicate",source="poll"} 1`,
		`trama_events_total{kind="new",source="poll"} 0`,
	} {
		if !strings.Contains(scrape, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
}

func scrapeMetrics(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func TestRestartContinuesFromCursor(t *testing.T) {
	o := newOrg(t, emulator.Options{}, nil)
	o.createUser("before@example.com")
	path := filepath.Join(t.TempDir(), "trama.db")
	ctx := context.Background()

	st := openStore(t, path)
	if n, err := newPoller(o, st).Poll(ctx); err != nil || n != 1 {
		t.Fatalf("Poll before restart: %d, %v", n, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	o.createUser("during@example.com")
	o.createUser("after@example.com")
	st = openStore(t, path)
	p := newPoller(o, st)
	// A longer lookback would re-read the first event if the cursor were ignored.
	p.Lookback = 24 * time.Hour
	n, err := p.Poll(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Poll after restart: %d events, %v; want only the 2 new ones", n, err)
	}
	if got, want := storedUUIDs(t, st), uuidsOf(t, o.logged(typeCreate)); !slices.Equal(got, want) {
		t.Errorf("store holds %v, want %v", got, want)
	}
}

func TestRateLimitWaitsUntilReset(t *testing.T) {
	clock := pinnedClock()
	o := newOrg(t, emulator.Options{Clock: clock, RateLimit: 1}, nil)
	for _, login := range []string{"r1@example.com", "r2@example.com", "r3@example.com"} {
		o.createUser(login) // one user a minute: user creation is rate limited too
		clock.Advance(time.Minute)
	}
	want := uuidsOf(t, o.logged(typeCreate))
	clock.Advance(time.Minute) // a fresh window for the poller
	st := tempStore(t)
	p := newPoller(o, st)
	p.EventTypes = []string{typeCreate}
	p.PageSize = 1
	p.Interval = 5 * time.Minute

	// The window allows one request; the second answers 429 and says when the window ends.
	now := clock.Now()
	wantWait := now.Truncate(time.Minute).Add(time.Minute).Sub(now.Truncate(time.Second))
	n, err := p.Poll(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusTooManyRequests || ae.ErrorCode != "E0000047" {
		t.Fatalf("Poll: %d, %v; want a 429 E0000047 after the first page", n, err)
	}
	if n != 1 || ae.RetryAfter != wantWait {
		t.Fatalf("Poll: %d events, retry after %s; want 1 event and X-Rate-Limit-Reset - Date = %s", n, ae.RetryAfter, wantWait)
	}

	// Run waits as told (here by moving the org's clock) and catches up without further help.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	p.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		if d == p.Interval || len(waits) > 20 {
			cancel() // caught up
			return ctx.Err()
		}
		clock.Advance(d)
		return nil
	}
	if err := p.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Run's first request is still in the exhausted window; after that each window serves one page.
	wantWaits := []time.Duration{wantWait, time.Minute, time.Minute, p.Interval}
	if !slices.Equal(waits, wantWaits) {
		t.Errorf("waits %v, want %v", waits, wantWaits)
	}
	if got := storedUUIDs(t, st); !slices.Equal(got, want) {
		t.Errorf("store holds %v, want %v", got, want)
	}
}

func TestChangedEventTypesApplyToStoredCursor(t *testing.T) {
	o := newOrg(t, emulator.Options{}, nil)
	o.createUser("first@example.com")
	st := tempStore(t)
	ctx := context.Background()
	p := newPoller(o, st)
	p.EventTypes = []string{typeCreate}
	if n, err := p.Poll(ctx); err != nil || n != 1 {
		t.Fatalf("Poll: %d, %v", n, err)
	}

	// A trigger for factor activations is added: the next poll resumes at the cursor and asks for both.
	o.activateTOTP(o.createUser("second@example.com"))
	p = newPoller(o, st)
	p.EventTypes = []string{typeCreate, typeActivate}
	if n, err := p.Poll(ctx); err != nil || n != 2 {
		t.Fatalf("Poll after the change: %d, %v; want the new creation and activation", n, err)
	}
	if got, want := storedUUIDs(t, st), uuidsOf(t, o.logged(typeCreate), o.logged(typeActivate)); !sameSet(got, want) {
		t.Errorf("store holds %v, want %v", got, want)
	}
	cursor, _ := st.GetCursor(ctx, DefaultCursorName)
	if !strings.Contains(cursor, url.QueryEscape(typeActivate)) {
		t.Errorf("cursor %q does not carry the new filter", cursor)
	}
}
