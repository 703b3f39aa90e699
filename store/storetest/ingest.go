package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

var ingestTests = []test{
	{"Dedup", testIngestDedup},
	{"Malformed", testIngestMalformed},
	{"QuarantinesBadEvents", testIngestQuarantine},
	{"StrangeText", testIngestStrangeText},
	{"PolledCursor", testPolledCursor},
	{"DurableAcrossReopen", testIngestDurable},
}

func testIngestDedup(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	r1 := Ingest(t, s, Delivery("d1", Events("a", "b", "a")...))
	equal(t, "first delivery new", r1.New, []string{"a", "b"})
	equal(t, "first delivery duplicates", r1.Duplicates, []string{"a"})
	if r1.DeliveryID == "" {
		t.Fatal("IngestDelivery returned no delivery id")
	}
	// Okta retries with the same envelope; a different delivery may carry the same event too.
	r2 := Ingest(t, s, Delivery("d2", Events("b", "c")...))
	equal(t, "second delivery new", r2.New, []string{"c"})
	equal(t, "second delivery duplicates", r2.Duplicates, []string{"b"})
	r3, err := s.IngestPolled(ctx, "logs", "cursor-1", Events("c", "d", "d"))
	if err != nil {
		t.Fatalf("IngestPolled: %v", err)
	}
	equal(t, "polled new", r3.New, []string{"d"})
	equal(t, "polled duplicates", r3.Duplicates, []string{"c", "d"})
	if r3.DeliveryID != "" {
		t.Errorf("polled ingest has delivery id %q", r3.DeliveryID)
	}

	b, err := s.GetEvent(ctx, "b")
	if err != nil {
		t.Fatalf("GetEvent(b): %v", err)
	}
	equal(t, "deliveries of b", b.DeliveryIDs, []string{r1.DeliveryID, r2.DeliveryID})
	if b.Source != store.SourceHook || b.Duplicates != 1 || b.Type != "user.mfa.factor.activate" {
		t.Errorf("event b = source %q, duplicates %d, type %q; want hook, 1, user.mfa.factor.activate",
			b.Source, b.Duplicates, b.Type)
	}
	if got := b.Headers["Content-Type"]; len(got) != 1 || got[0] != "application/json" {
		t.Errorf("event b headers = %v, want the first delivery's", b.Headers)
	}
	var payload map[string]any
	if err := json.Unmarshal(b.Payload, &payload); err != nil || payload["uuid"] != "b" {
		t.Errorf("event b payload = %s (%v), want the LogEvent", b.Payload, err)
	}
	if !b.Published.Equal(time.Date(2026, 11, 1, 10, 0, 0, 123e6, time.UTC)) {
		t.Errorf("event b published = %v", b.Published)
	}
	if b.Dispatched != -1 {
		t.Errorf("event b dispatched = %d, want -1 (waiting for dispatch)", b.Dispatched)
	}
	a, err := s.GetEvent(ctx, "a")
	if err != nil {
		t.Fatalf("GetEvent(a): %v", err)
	}
	if a.Duplicates != 1 {
		t.Errorf("event a duplicates = %d, want 1 (repeated inside its delivery)", a.Duplicates)
	}
	d, err := s.GetEvent(ctx, "d")
	if err != nil {
		t.Fatalf("GetEvent(d): %v", err)
	}
	if d.Source != store.SourcePoll || len(d.DeliveryIDs) != 0 || d.Headers != nil || d.Duplicates != 1 {
		t.Errorf("polled event d = source %q, deliveries %v, headers %v, duplicates %d", d.Source, d.DeliveryIDs,
			d.Headers, d.Duplicates)
	}
	dl, err := s.GetDelivery(ctx, r2.DeliveryID)
	if err != nil {
		t.Fatalf("GetDelivery: %v", err)
	}
	if dl.EventID != "d2" || dl.Hook != "okta" || dl.Events != 2 || dl.NewEvents != 1 || dl.Size != 1234 || dl.Error != "" {
		t.Errorf("delivery = %+v", dl)
	}
	if !dl.EventTime.Equal(time.Date(2026, 11, 22, 7, 0, 1, 93e6, time.UTC)) || dl.Source != "https://org.example/api/v1/eventHooks/who1" {
		t.Errorf("the envelope's eventTime and source are kept: %v %q", dl.EventTime, dl.Source)
	}
}

func testIngestMalformed(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	d := Delivery("", Events("x")...)
	d.Error, d.Body = "invalid character '}' looking for beginning of value", []byte(`{"data":}`)
	res := Ingest(t, s, d)
	if len(res.New) != 0 || len(res.Duplicates) != 0 {
		t.Errorf("malformed delivery ingested events: %+v", res)
	}
	got, err := s.GetDelivery(ctx, res.DeliveryID)
	if err != nil {
		t.Fatalf("GetDelivery: %v", err)
	}
	if got.Error != d.Error || string(got.Body) != `{"data":}` {
		t.Errorf("malformed delivery kept error %q body %q", got.Error, got.Body)
	}
	if _, err := s.GetEvent(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event of a malformed delivery stored: %v", err)
	}
	Ingest(t, s, Delivery("ok", Events("y")...))
	list, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{Malformed: true})
	if err != nil {
		t.Fatalf("ListDeliveries: %v", err)
	}
	if len(list) != 1 || list[0].ID != res.DeliveryID || list[0].Body != nil {
		t.Errorf("malformed listing = %+v, want only %s without body", list, res.DeliveryID)
	}
}

// testIngestQuarantine: one bad event never costs the good ones of its delivery, and distinct bad uuids
// stay distinct.
func testIngestQuarantine(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	long := strings.Repeat("x", store.MaxUUIDLen+1)
	bad := []store.NewEvent{Event("", "t"), Event("\xff\xfe", "t"), Event("\xff\xfd", "t"), Event(long, "t"), Event("a\x00b", "t")}
	for i := range bad {
		bad[i].Index = i + 1
	}
	evs := append([]store.NewEvent{Event("good-1", "t")}, bad...)
	evs = append(evs, Event("good-2", "t"))
	d := Delivery("mixed", evs...)
	d.Quarantined = []store.QuarantinedEvent{{Index: 7, Reason: "published: not a date", Payload: []byte(`{"published":"yesterday"}`)}}
	res := Ingest(t, s, d)
	equal(t, "new", res.New, []string{"good-1", "good-2"})
	if res.Quarantined != 6 {
		t.Errorf("quarantined = %d, want 6", res.Quarantined)
	}
	got, err := s.GetDelivery(ctx, res.DeliveryID)
	if err != nil {
		t.Fatalf("GetDelivery: %v", err)
	}
	if got.Quarantined != 6 || len(got.QuarantinedEvents) != 6 || got.Events != 8 {
		t.Fatalf("delivery quarantined %d (%d listed) of %d events: %+v", got.Quarantined, len(got.QuarantinedEvents), got.Events, got.QuarantinedEvents)
	}
	reasons := map[int]string{}
	for _, q := range got.QuarantinedEvents {
		reasons[q.Index] = q.Reason
		if len(q.Payload) == 0 {
			t.Errorf("quarantined event %d kept no payload", q.Index)
		}
	}
	for idx, want := range map[int]string{1: "no uuid", 2: "UTF-8", 3: "UTF-8", 4: "longer than", 5: "control character", 7: "not a date"} {
		if !strings.Contains(reasons[idx], want) {
			t.Errorf("event %d quarantined for %q, want %q", idx, reasons[idx], want)
		}
	}
	list, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{Quarantined: true})
	if err != nil || len(list) != 1 || list[0].Quarantined != 6 {
		t.Errorf("ListDeliveries(quarantined) = %+v, %v", list, err)
	}
	c, err := s.Counts(ctx)
	if err != nil || c.Quarantined != 6 || c.Events != 2 {
		t.Errorf("Counts = %+v, %v", c, err)
	}
	// Polled events go through the same screen.
	if res, err := s.IngestPolled(ctx, "logs", "c", []store.NewEvent{Event("p", "t"), Event("", "t")}); err != nil || res.Quarantined != 1 || len(res.New) != 1 {
		t.Errorf("IngestPolled with a bad event = %+v, %v", res, err)
	}
}

// testIngestStrangeText: values PostgreSQL text cannot hold are stored (replaced), never fail the
// acknowledgement.
func testIngestStrangeText(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	e := Event("strange", "user.\x00type\xff")
	e.Payload = []byte(`{"uuid":"strange","displayMessage":"nul \u0000 inside"}`)
	d := Delivery("id\x00\xff", e)
	d.Hook = "hook\x00"
	res := Ingest(t, s, d)
	equal(t, "new", res.New, []string{"strange"})
	got, err := s.GetEvent(ctx, "strange")
	if err != nil {
		t.Fatalf("GetEvent: %v", err)
	}
	if got.Type != "user.\uFFFDtype\uFFFD" {
		t.Errorf("type = %q, want NUL and invalid bytes replaced", got.Type)
	}
	if !json.Valid(got.Payload) {
		t.Errorf("payload %q is not JSON", got.Payload)
	}
}

func testPolledCursor(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	if c, err := s.GetCursor(ctx, "logs"); err != nil || c != "" {
		t.Fatalf("GetCursor of unset cursor = %q, %v; want empty", c, err)
	}
	if err := s.SetCursor(ctx, "logs", "2026-11-01T00:00:00.000Z"); err != nil {
		t.Fatalf("SetCursor: %v", err)
	}
	if _, err := s.IngestPolled(ctx, "logs", "after-abc", Events("p1")); err != nil {
		t.Fatalf("IngestPolled: %v", err)
	}
	if c, err := s.GetCursor(ctx, "logs"); err != nil || c != "after-abc" {
		t.Errorf("cursor after IngestPolled = %q, %v; want after-abc", c, err)
	}
	if c, err := s.GetCursor(ctx, "other"); err != nil || c != "" {
		t.Errorf("cursors are not independent: other = %q, %v", c, err)
	}
}

func testIngestDurable(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	for i := range 3 {
		Ingest(t, s, Delivery(fmt.Sprint(i), Events(fmt.Sprintf("e%d", i), "shared")...))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = Open(t, newDriver)
	for _, u := range []string{"e0", "e1", "e2", "shared"} {
		if _, err := s.GetEvent(ctx, u); err != nil {
			t.Errorf("event %s lost across reopen: %v", u, err)
		}
	}
	res := Ingest(t, s, Delivery("again", Events("shared", "e3")...))
	equal(t, "duplicates after reopen", res.Duplicates, []string{"shared"})
	// Dispatch work survives too.
	if runs := DispatchAll(t, s, "welcome"); len(runs) != 5 {
		t.Errorf("%d runs after reopen, want 5", len(runs))
	}
}
