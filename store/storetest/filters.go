package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

var filterTests = []test{
	{"RunsByWorkflowUserAndTime", testFilterRuns},
	{"EventsByUserTimeAndOutcome", testFilterEvents},
}

// about sets the Okta user (id, login as Okta writes it) the events are about, as a receiver reads it
// from their targets.
func about(user store.EventUser, evs ...store.NewEvent) []store.NewEvent {
	for i := range evs {
		evs[i].User = user
	}
	return evs
}

// dispatchAs completes every waiting dispatch: events whose uuid starts with "skip" skip trigger t, the
// others run it with workflow wf.
func dispatchAs(t *testing.T, s *store.Store, wf string) []store.Run {
	t.Helper()
	ctx := context.Background()
	var created []store.Run
	ds, err := s.ClaimDispatches(ctx, 100, time.Minute)
	if err != nil {
		t.Fatalf("ClaimDispatches: %v", err)
	}
	for _, d := range ds {
		var o store.Outcome
		if strings.HasPrefix(d.UUID, "skip") {
			o.Skipped = []store.Skip{{Trigger: "t", Reason: "when-false"}}
		} else {
			for r := d.From; r <= d.To; r++ {
				nr := NewRun("t", r)
				nr.WorkflowID = wf
				o.Runs = append(o.Runs, nr)
			}
		}
		c, err := s.CompleteDispatch(ctx, d, o)
		if err != nil {
			t.Fatalf("CompleteDispatch(%s): %v", d.UUID, err)
		}
		created = append(created, c...)
	}
	return created
}

func ids(runs []store.Run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.EventUUID)
	}
	return out
}

func testFilterRuns(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	ann := store.EventUser{ID: "00uann", Login: "Ann.Lee@Example.com"}
	bob := store.EventUser{ID: "00ubob", Login: "bob@example.com"}
	Ingest(t, s, Delivery("d1", about(ann, Events("a1")...)...))
	dispatchAs(t, s, "notify")
	time.Sleep(3 * time.Millisecond)
	mid := time.Now()
	time.Sleep(3 * time.Millisecond)
	Ingest(t, s, Delivery("d2", about(bob, Events("b1")...)...))
	dispatchAs(t, s, "audit")
	Ingest(t, s, Delivery("d3", about(ann, Events("a2")...)...))
	dispatchAs(t, s, "audit")

	for _, tt := range []struct {
		name string
		f    store.RunFilter
		want []string
	}{
		{"all", store.RunFilter{}, []string{"a2", "b1", "a1"}},
		{"workflow", store.RunFilter{Workflow: "audit"}, []string{"a2", "b1"}},
		{"user id", store.RunFilter{User: "00uann"}, []string{"a2", "a1"}},
		{"user login in another case", store.RunFilter{User: "ANN.LEE@example.COM"}, []string{"a2", "a1"}},
		{"unknown user", store.RunFilter{User: "nobody@example.com"}, nil},
		{"since", store.RunFilter{Since: mid}, []string{"a2", "b1"}},
		{"until", store.RunFilter{Until: mid}, []string{"a1"}},
		{"since and until", store.RunFilter{Since: mid, Until: mid.Add(time.Hour)}, []string{"a2", "b1"}},
		{"user and workflow", store.RunFilter{User: "00uann", Workflow: "audit"}, []string{"a2"}},
		{"user, status and time", store.RunFilter{User: "bob@example.com", Status: store.RunQueued, Since: mid}, []string{"b1"}},
	} {
		runs, _, err := s.ListRuns(ctx, tt.f)
		if err != nil {
			t.Fatalf("%s: ListRuns: %v", tt.name, err)
		}
		equal(t, tt.name, ids(runs), tt.want)
	}
	// Paging keeps the filter.
	first, next, err := s.ListRuns(ctx, store.RunFilter{User: "00uann", Page: store.Page{Limit: 1}})
	if err != nil || next == "" {
		t.Fatalf("ListRuns(user, limit 1) = %v, %q, %v", ids(first), next, err)
	}
	rest, next, err := s.ListRuns(ctx, store.RunFilter{User: "00uann", Page: store.Page{Limit: 1, After: next}})
	if err != nil || next != "" {
		t.Fatalf("second page = %v, %q, %v", ids(rest), next, err)
	}
	equal(t, "user's runs, two pages", ids(append(first, rest...)), []string{"a2", "a1"})
}

func testFilterEvents(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	ann := store.EventUser{ID: "00uann", Login: "ann@example.com"}
	early, late := Event("e-early", "user.mfa.factor.activate"), Event("e-late", "user.mfa.factor.activate")
	late.Published = early.Published.Add(time.Hour)
	Ingest(t, s, Delivery("d1", about(ann, early, late, Event("skip-1", "user.mfa.factor.activate"))...))
	dispatchAs(t, s, "notify")
	Ingest(t, s, Delivery("d2", Events("e-late")...)) // a duplicate
	bob := store.EventUser{ID: "00ubob", Login: "Bob@Example.com"}
	Ingest(t, s, Delivery("d3", about(bob, Events("pending-1")...)...))
	noRun := Event("none-1", "user.session.start")
	noRun.NoDispatch = true
	Ingest(t, s, Delivery("d4", noRun))

	uuids := func(evs []store.Event) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.UUID)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		f    store.EventFilter
		want []string
	}{
		{"user", store.EventFilter{User: "ANN@example.com"}, []string{"skip-1", "e-late", "e-early"}},
		{"user id", store.EventFilter{User: "00uann"}, []string{"skip-1", "e-late", "e-early"}},
		{"since", store.EventFilter{User: "00uann", Since: late.Published}, []string{"e-late"}},
		{"until", store.EventFilter{User: "00uann", Until: late.Published}, []string{"skip-1", "e-early"}},
		{"ran", store.EventFilter{Outcome: store.OutcomeRan}, []string{"e-late", "e-early"}},
		{"skipped", store.EventFilter{Outcome: store.OutcomeSkipped}, []string{"skip-1"}},
		{"duplicate", store.EventFilter{Outcome: store.OutcomeDuplicate}, []string{"e-late"}},
		{"pending", store.EventFilter{Outcome: store.OutcomePending}, []string{"pending-1"}},
		// The user is recorded when the event is stored, before its dispatch.
		{"user of an event not dispatched yet", store.EventFilter{User: "bob@EXAMPLE.com"}, []string{"pending-1"}},
		{"none", store.EventFilter{Outcome: store.OutcomeNone}, []string{"none-1"}},
	} {
		evs, _, err := s.ListEvents(ctx, tt.f)
		if err != nil {
			t.Fatalf("%s: ListEvents: %v", tt.name, err)
		}
		equal(t, tt.name, uuids(evs), tt.want)
	}
	ev, err := s.GetEvent(ctx, "e-early")
	if err != nil || ev.User != ann {
		t.Errorf("GetEvent user = %+v, %v; want %+v", ev.User, err, ann)
	}
	users, err := s.EventUsers(ctx, []string{"e-early", "skip-1", "pending-1", "none-1", "no-such-event"})
	wantBob := store.EventUser{ID: "00ubob", Login: "bob@example.com"}
	if err != nil || len(users) != 3 || users["e-early"] != ann || users["skip-1"] != ann || users["pending-1"] != wantBob {
		t.Errorf("EventUsers = %+v, %v; want the users of the three events about one", users, err)
	}
	if _, _, err := s.ListEvents(ctx, store.EventFilter{Outcome: "exploded"}); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown outcome: %v, want an error naming the outcomes", err)
	}
	// A replay keeps the user, and its dispatch clears the skipped triggers an earlier one recorded.
	if _, err := s.Replay(ctx, "skip-1", "test"); err != nil {
		t.Fatal(err)
	}
	if ev, _ := s.GetEvent(ctx, "skip-1"); ev.User != ann || len(ev.Skipped) != 1 || ev.Dispatched != 0 || ev.Replays != 1 {
		t.Errorf("replayed, not dispatched yet: user %+v, skipped %+v, dispatched %d of %d replays", ev.User, ev.Skipped, ev.Dispatched, ev.Replays)
	}
	ds, err := s.ClaimDispatches(ctx, 10, time.Minute)
	if err != nil || len(ds) != 2 || ds[0].UUID != "skip-1" || ds[0].From != 1 || ds[0].To != 1 || ds[1].UUID != "pending-1" {
		t.Fatalf("ClaimDispatches = %+v, %v; want skip-1's replay 1, then pending-1", ds, err)
	}
	if _, err := s.CompleteDispatches(ctx, ds, make([]store.Outcome, len(ds))); err != nil {
		t.Fatal(err)
	}
	if ev, _ := s.GetEvent(ctx, "skip-1"); ev.User != ann || ev.Skipped != nil || ev.Dispatched != 1 {
		t.Errorf("after the replay's dispatch: user %+v, skipped %+v, dispatched %d", ev.User, ev.Skipped, ev.Dispatched)
	}
}
