// Package storetest is the conformance suite of store.Driver: every driver runs it, so that SQLite and
// PostgreSQL behave the same for the receiver, the queue and the history. It is split by concern —
// ingestion, dispatch, leases, run writes, history — as the store's own files are.
package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/store"
)

// NewDriver returns a driver for a subtest. The first call for a given t must reach a fresh, empty
// database; a later call with the same t must reach the same database, which is how the suite checks
// durability across a reopen. Each call returns a new Driver value.
type NewDriver func(t testing.TB) store.Driver

// Run runs the whole conformance suite against the drivers newDriver returns.
func Run(t *testing.T, newDriver NewDriver) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Ingest", ingestTests},
		{"Dispatch", dispatchTests},
		{"Lease", leaseTests},
		{"Runs", runTests},
		{"History", historyTests},
		{"Filters", filterTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) { tt.fn(t, newDriver) })
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, newDriver NewDriver)
}

// Open opens a store on newDriver's database for t and closes it when t ends.
func Open(t testing.TB, newDriver NewDriver) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), newDriver(t), store.Options{})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Event builds a System Log event as the receiver would pass it.
func Event(uuid, typ string) store.NewEvent {
	published := time.Date(2026, 11, 1, 10, 0, 0, 123e6, time.UTC)
	return store.NewEvent{UUID: uuid, Type: typ, Published: published,
		Payload: oktatest.Event{UUID: uuid, Type: typ, Published: published}.JSON()}
}

// Events builds user.mfa.factor.activate events with the given uuids.
func Events(uuids ...string) []store.NewEvent {
	var out []store.NewEvent
	for _, u := range uuids {
		out = append(out, Event(u, "user.mfa.factor.activate"))
	}
	return out
}

// Delivery builds an event-hook delivery of evs.
func Delivery(eventID string, evs ...store.NewEvent) store.NewDelivery {
	return store.NewDelivery{
		Hook: "okta", EventID: eventID, ReceivedAt: time.Now(), Size: 1234, Events: evs,
		EventTime: time.Date(2026, 11, 22, 7, 0, 1, 93e6, time.UTC), Source: "https://org.example/api/v1/eventHooks/who1",
		Headers: map[string][]string{"Content-Type": {"application/json"}, "Authorization": {"****"}},
	}
}

// Ingest stores d and fails the test on error.
func Ingest(t testing.TB, s *store.Store, d store.NewDelivery) store.IngestResult {
	t.Helper()
	res, err := s.IngestDelivery(context.Background(), d)
	if err != nil {
		t.Fatalf("IngestDelivery(%s): %v", d.EventID, err)
	}
	return res
}

// NewRun is a run request for trigger and replay.
func NewRun(trigger string, replay int) store.NewRun {
	return store.NewRun{Trigger: trigger, Replay: replay, WorkflowFile: "flows/notify.arazzo.yaml",
		WorkflowID: "notify-security", Inputs: json.RawMessage(`{"userId":"00u1"}`),
		Plan: json.RawMessage(`{"trigger":"` + trigger + `"}`), Version: "sha256:abc"}
}

// DispatchAll claims every waiting dispatch and completes it with one run per trigger and replay, and
// returns the runs created.
func DispatchAll(t testing.TB, s *store.Store, triggers ...string) []store.Run {
	t.Helper()
	ctx := context.Background()
	var created []store.Run
	for {
		ds, err := s.ClaimDispatches(ctx, 100, time.Minute)
		if err != nil {
			t.Fatalf("ClaimDispatches: %v", err)
		}
		if len(ds) == 0 {
			return created
		}
		for _, d := range ds {
			var runs []store.NewRun
			for r := d.From; r <= d.To; r++ {
				for _, tr := range triggers {
					runs = append(runs, NewRun(tr, r))
				}
			}
			c, err := s.CompleteDispatch(ctx, d, store.Outcome{Runs: runs})
			if err != nil {
				t.Fatalf("CompleteDispatch(%s): %v", d.UUID, err)
			}
			created = append(created, c...)
		}
	}
}

// claimDispatches claims up to limit events waiting for dispatch, each for a minute, and fails the test
// unless it gets want of them.
func claimDispatches(t testing.TB, s *store.Store, limit, want int) []store.Dispatch {
	t.Helper()
	ds, err := s.ClaimDispatches(context.Background(), limit, time.Minute)
	if err != nil || len(ds) != want {
		t.Fatalf("ClaimDispatches(%d) = %+v, %v; want %d", limit, ds, err, want)
	}
	return ds
}

// ClaimOne claims one run for owner and fails the test if none is ready.
func ClaimOne(t testing.TB, s *store.Store, owner string, lease time.Duration) store.Claim {
	t.Helper()
	cs, err := s.ClaimRuns(context.Background(), owner, 1, lease)
	if err != nil {
		t.Fatalf("ClaimRuns: %v", err)
	}
	if len(cs) != 1 {
		t.Fatalf("ClaimRuns = %d runs, want 1", len(cs))
	}
	return cs[0]
}

func equal[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
