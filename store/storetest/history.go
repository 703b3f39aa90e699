package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

var historyTests = []test{
	{"NotFound", testHistoryNotFound},
	{"Pagination", testHistoryPagination},
	{"Counts", testHistoryCounts},
	{"CountsAreOneMoment", testHistoryCountsOneMoment},
	{"Documents", testHistoryDocuments},
	{"ReadOnlyNeverCreates", testHistoryReadOnly},
}

func testHistoryNotFound(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	if _, err := s.GetRun(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRun: %v", err)
	}
	if _, err := s.GetEvent(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetEvent: %v", err)
	}
	if _, err := s.GetDelivery(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDelivery: %v", err)
	}
	if _, err := s.GetDocument(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDocument: %v", err)
	}
}

func testHistoryPagination(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	var want []string
	for i := range 7 {
		u := fmt.Sprintf("ev-%d", i)
		typ := "user.mfa.factor.activate"
		if i%2 == 1 {
			typ = "user.session.start"
		}
		Ingest(t, s, Delivery(u, Event(u, typ)))
		DispatchAll(t, s, "t")
		want = append([]string{u}, want...) // newest first
	}
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		page, next, err := s.ListEvents(ctx, store.EventFilter{Page: store.Page{Limit: 3, After: after}})
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		if len(page) > 3 || pages > 3 {
			t.Fatalf("page %d has %d events", pages, len(page))
		}
		for _, e := range page {
			got = append(got, e.UUID)
			if e.Payload != nil {
				t.Errorf("ListEvents returned a payload for %s", e.UUID)
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	equal(t, "events, all pages", got, want)

	odd, _, err := s.ListEvents(ctx, store.EventFilter{Type: "user.session.start"})
	if err != nil || len(odd) != 3 || odd[0].UUID != "ev-5" {
		t.Errorf("ListEvents(type) = %v, %v", odd, err)
	}

	var runEvents []string
	after = ""
	for {
		page, next, err := s.ListRuns(ctx, store.RunFilter{Page: store.Page{Limit: 4, After: after}})
		if err != nil {
			t.Fatalf("ListRuns: %v", err)
		}
		for _, r := range page {
			runEvents = append(runEvents, r.EventUUID)
		}
		if next == "" {
			break
		}
		after = next
	}
	equal(t, "runs, all pages", runEvents, want)
	if queued, _, err := s.ListRuns(ctx, store.RunFilter{Status: store.RunQueued, Trigger: "t", EventUUID: "ev-3"}); err != nil || len(queued) != 1 {
		t.Errorf("ListRuns(status, trigger, event) = %v, %v", queued, err)
	}

	var deliveries []string
	after = ""
	for {
		page, next, err := s.ListDeliveries(ctx, store.DeliveryFilter{Page: store.Page{Limit: 5, After: after}})
		if err != nil {
			t.Fatalf("ListDeliveries: %v", err)
		}
		for _, d := range page {
			deliveries = append(deliveries, d.EventID)
		}
		if next == "" {
			break
		}
		after = next
	}
	equal(t, "deliveries, all pages", deliveries, want)

	_, next, err := s.ListRuns(ctx, store.RunFilter{Page: store.Page{Limit: 1}})
	if err != nil || next == "" {
		t.Fatalf("ListRuns(limit 1) next = %q, %v", next, err)
	}
	if _, _, err := s.ListEvents(ctx, store.EventFilter{Page: store.Page{After: next}}); !errors.Is(err, store.ErrInvalidCursor) {
		t.Errorf("a runs cursor on events: %v, want ErrInvalidCursor", err)
	}
	if _, _, err := s.ListRuns(ctx, store.RunFilter{Page: store.Page{After: "garbage!"}}); !errors.Is(err, store.ErrInvalidCursor) {
		t.Errorf("a garbage cursor: %v, want ErrInvalidCursor", err)
	}
}

// testHistoryCountsOneMoment: Counts reads its totals at one moment. While dispatches record runs and
// delete the events' queue rows in one transaction, every event is either waiting for dispatch or has
// its queued run; totals read at two moments would miss the events dispatched in between, and a caller
// waiting for the queue to drain would see it empty before it is.
func testHistoryCountsOneMoment(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	const n = 300
	var uuids []string
	for i := range n {
		uuids = append(uuids, fmt.Sprintf("m%03d", i))
	}
	Ingest(t, s, Delivery("d", Events(uuids...)...))
	done := make(chan error, 1)
	go func() {
		for {
			ds, err := s.ClaimDispatches(ctx, 5, time.Minute)
			if err != nil || len(ds) == 0 {
				done <- err
				return
			}
			os := make([]store.Outcome, len(ds))
			for i := range os {
				os[i] = store.Outcome{Runs: []store.NewRun{NewRun("welcome", 0)}}
			}
			if _, err := s.CompleteDispatches(ctx, ds, os); err != nil {
				done <- err
				return
			}
		}
	}()
	for reads := 0; ; reads++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if c, err := s.Counts(ctx); err != nil || c.QueueDepth != n || c.Runs[store.RunQueued] != n {
				t.Errorf("Counts after every dispatch = %+v, %v; want %d queued runs", c, err, n)
			}
			return
		default:
		}
		c, err := s.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.QueueDepth != n {
			t.Fatalf("read %d: queue depth %d (%d runs queued), want %d: an event was neither waiting nor dispatched", reads, c.QueueDepth, c.Runs[store.RunQueued], n)
		}
	}
}

func testHistoryCounts(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	c, err := s.Counts(ctx)
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if c.Events != 0 || c.Deliveries != 0 || len(c.Runs) != len(store.RunStatuses) {
		t.Errorf("Counts of an empty store = %+v", c)
	}
	Ingest(t, s, Delivery("d1", Events("a", "b", "a")...))
	Ingest(t, s, Delivery("d2", Events("b")...))
	bad := Delivery("")
	bad.Error = "malformed"
	Ingest(t, s, bad)
	if _, err := s.IngestPolled(ctx, "logs", "c", Events("c", "a")); err != nil {
		t.Fatalf("IngestPolled: %v", err)
	}
	c, err = s.Counts(ctx)
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if c.QueueDepth != 3 {
		t.Errorf("queue depth %d before dispatch, want the 3 events waiting", c.QueueDepth)
	}
	runs := DispatchAll(t, s, "t1", "t2")
	claim := ClaimOne(t, s, "w", time.Minute)
	if err := s.FinishRun(ctx, claim.Lease, store.RunResult{Status: store.RunFailed, Error: "boom"}); err != nil {
		t.Fatalf("FinishRun: %v", err)
	}
	ClaimOne(t, s, "w", time.Minute)
	c, err = s.Counts(ctx)
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	want := store.Counts{Deliveries: 3, Malformed: 1, Events: 3, Duplicates: 3, QueueDepth: int64(len(runs) - 2), QueueRunning: 1,
		Runs: map[store.RunStatus]int64{store.RunQueued: int64(len(runs) - 2), store.RunRunning: 1, store.RunRetrying: 0,
			store.RunUncertain: 0, store.RunWaiting: 0, store.RunSucceeded: 0, store.RunFailed: 1}}
	if c.Deliveries != want.Deliveries || c.Malformed != want.Malformed || c.Events != want.Events ||
		c.Duplicates != want.Duplicates || fmt.Sprint(c.Runs) != fmt.Sprint(want.Runs) ||
		c.QueueDepth != want.QueueDepth || c.QueueRunning != want.QueueRunning {
		t.Errorf("Counts = %+v, want %+v", c, want)
	}
}

func testHistoryDocuments(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	doc := []byte("arazzo: 1.0.1\n\x00binary-safe\xff")
	for range 2 {
		if err := s.PutDocument(ctx, "sha256:1", doc); err != nil {
			t.Fatalf("PutDocument: %v", err)
		}
	}
	got, err := s.GetDocument(ctx, "sha256:1")
	if err != nil || string(got) != string(doc) {
		t.Errorf("GetDocument = %q, %v", got, err)
	}
	if ok, err := s.HasDocument(ctx, "sha256:1"); err != nil || !ok {
		t.Errorf("HasDocument = %v, %v", ok, err)
	}
	if ok, err := s.HasDocument(ctx, "sha256:2"); err != nil || ok {
		t.Errorf("HasDocument(missing) = %v, %v", ok, err)
	}
}

func testHistoryReadOnly(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	for _, mode := range []store.OpenMode{store.OpenReadOnly, store.OpenExisting, store.OpenReadOnly} {
		if s, err := store.Open(ctx, newDriver(t), store.Options{Mode: mode}); !errors.Is(err, store.ErrNoDatabase) {
			if s != nil {
				s.Close()
			}
			t.Fatalf("Open(mode %d) of a missing store: %v, want ErrNoDatabase", mode, err)
		}
	}
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("a")...))
	ro, err := store.Open(ctx, newDriver(t), store.Options{Mode: store.OpenReadOnly})
	if err != nil {
		t.Fatalf("read-only Open: %v", err)
	}
	defer ro.Close()
	if _, err := ro.GetEvent(ctx, "a"); err != nil {
		t.Errorf("read-only store cannot read: %v", err)
	}
	if _, err := ro.IngestDelivery(ctx, Delivery("d2", Events("b")...)); err == nil {
		t.Error("a read-only store accepted a write")
	}
	rw, err := store.Open(ctx, newDriver(t), store.Options{Mode: store.OpenExisting})
	if err != nil {
		t.Fatalf("Open of an existing store: %v", err)
	}
	defer rw.Close()
	if _, err := rw.Replay(ctx, "a", "test"); err != nil {
		t.Errorf("an existing store opened for writing cannot write: %v", err)
	}
}
