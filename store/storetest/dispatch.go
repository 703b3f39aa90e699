package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

var dispatchTests = []test{
	{"ClaimOncePerHold", testDispatchClaimOnce},
	{"CompleteIdempotent", testDispatchIdempotent},
	{"NoDispatch", testDispatchNoDispatch},
	{"Replay", testDispatchReplay},
	{"ReplayDuringDispatch", testDispatchReplayDuring},
	{"RecordsSkips", testDispatchSkips},
	{"CompleteBatch", testDispatchBatch},
	{"CompleteAndClaim", testDispatchCompleteAndClaim},
	{"FailAndGiveUp", testDispatchFail},
	{"SignalsReady", testDispatchSignals},
	{"CoalesceFirst", testDispatchCoalesceFirst},
	{"CoalesceLast", testDispatchCoalesceLast},
}

// dispatchCoalescing dispatches the waiting events, each to one run of trigger "reset" that coalesces
// on key within a minute, in order, one batch per event, and returns the runs created.
func dispatchCoalescing(t *testing.T, s *store.Store, keep string) []store.Run {
	t.Helper()
	ctx := context.Background()
	var created []store.Run
	for {
		ds, err := s.ClaimDispatches(ctx, 1, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			return created
		}
		nr := NewRun("reset", ds[0].To)
		nr.Coalesce = &store.Coalescing{Key: "00u1", Window: time.Minute, Keep: keep}
		c, err := s.CompleteDispatch(ctx, ds[0], store.Outcome{Runs: []store.NewRun{nr}})
		if err != nil {
			t.Fatalf("CompleteDispatch(%s): %v", ds[0].UUID, err)
		}
		created = append(created, c...)
	}
}

// Okta's "reset all factors" is three user.mfa.factor.deactivate events: coalesced on the user, the
// first starts the one run and the others are recorded as coalesced into it.
func testDispatchCoalesceFirst(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("c1", "c2", "c3")...))
	created := dispatchCoalescing(t, s, "first")
	if len(created) != 1 || created[0].EventUUID != "c1" {
		t.Fatalf("created %+v, want one run for the first event", created)
	}
	for _, u := range []string{"c2", "c3"} {
		ev, err := s.GetEvent(ctx, u)
		if err != nil || len(ev.Skipped) != 1 || ev.Skipped[0].Reason != "coalesced" ||
			!strings.Contains(ev.Skipped[0].Detail, "into run "+created[0].ID) {
			t.Errorf("event %s: %+v %v", u, ev.Skipped, err)
		}
	}
	// A replay is asked for on purpose: it gets its run.
	if _, err := s.Replay(ctx, "c2", "ann"); err != nil {
		t.Fatal(err)
	}
	if again := dispatchCoalescing(t, s, "first"); len(again) != 1 || again[0].EventUUID != "c2" || again[0].Replay != 1 {
		t.Errorf("replay: %+v", again)
	}
}

// With keep last, the run waits for the window and takes each newer event in place of the one it had.
func testDispatchCoalesceLast(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("l1", "l2", "l3")...))
	created := dispatchCoalescing(t, s, "last")
	if len(created) != 1 {
		t.Fatalf("created %+v, want one run", created)
	}
	r, err := s.GetRun(ctx, created[0].ID)
	if err != nil || r.EventUUID != "l3" || r.Status != store.RunQueued || time.Until(r.AvailableAt) < 50*time.Second {
		t.Fatalf("the run %+v (%v): want it queued for l3 a window from now", r, err)
	}
	if claims, _ := s.ClaimRuns(ctx, "w", 4, time.Minute); len(claims) != 0 {
		t.Error("a run claimed before its coalescing window closed")
	}
	for _, u := range []string{"l1", "l2"} {
		ev, _ := s.GetEvent(ctx, u)
		if len(ev.Skipped) != 1 || ev.Skipped[0].Reason != "coalesced" || !strings.Contains(ev.Skipped[0].Detail, created[0].ID) {
			t.Errorf("event %s: %+v", u, ev.Skipped)
		}
	}
}

func testDispatchClaimOnce(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("a", "b", "c")...))
	first, err := s.ClaimDispatches(ctx, 2, 300*time.Millisecond)
	if err != nil || len(first) != 2 || first[0].UUID != "a" || first[1].UUID != "b" {
		t.Fatalf("ClaimDispatches(2) = %+v, %v; want a and b, oldest first", first, err)
	}
	if first[0].From != 0 || first[0].To != 0 || first[0].Attempts != 1 || first[0].Type != "user.mfa.factor.activate" {
		t.Errorf("claimed dispatch = %+v", first[0])
	}
	rest, err := s.ClaimDispatches(ctx, 10, 300*time.Millisecond)
	if err != nil || len(rest) != 1 || rest[0].UUID != "c" {
		t.Fatalf("second claim = %+v, %v; want only c while a and b are held", rest, err)
	}
	if none, err := s.ClaimDispatches(ctx, 10, time.Minute); err != nil || len(none) != 0 {
		t.Fatalf("third claim = %+v, %v; want nothing", none, err)
	}
	// A dispatch whose worker died is handed out again once its hold passed.
	if _, err := s.CompleteDispatch(ctx, rest[0], store.Outcome{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	again, err := s.ClaimDispatches(ctx, 10, time.Minute)
	if err != nil || len(again) != 2 || again[0].Attempts != 2 {
		t.Fatalf("claim after the hold = %+v, %v; want a and b again, attempt 2", again, err)
	}
}

func testDispatchIdempotent(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("e1")...))
	ds := claimDispatches(t, s, 1, 1)
	runs, err := s.CompleteDispatch(ctx, ds[0], store.Outcome{Runs: []store.NewRun{NewRun("welcome", 0), NewRun("audit", 0)}})
	if err != nil {
		t.Fatalf("CompleteDispatch: %v", err)
	}
	if len(runs) != 2 || runs[0].ID == runs[1].ID || runs[0].Status != store.RunQueued {
		t.Fatalf("CompleteDispatch = %+v, want two distinct queued runs", runs)
	}
	// A dispatch completed twice (its first worker was presumed dead) creates nothing twice.
	again, err := s.CompleteDispatch(ctx, ds[0], store.Outcome{Runs: []store.NewRun{NewRun("welcome", 0), NewRun("audit", 0)}})
	if err != nil || len(again) != 0 {
		t.Errorf("CompleteDispatch again = %+v, %v; want nothing new", again, err)
	}
	got, err := s.GetRun(ctx, runs[0].ID)
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	if got.EventUUID != "e1" || got.Trigger != "welcome" || got.WorkflowFile != "flows/notify.arazzo.yaml" ||
		got.WorkflowID != "notify-security" || string(got.Inputs) != `{"userId":"00u1"}` ||
		string(got.Plan) != `{"trigger":"welcome"}` || got.Version != "sha256:abc" ||
		got.Status != store.RunQueued || got.CreatedAt.IsZero() || !got.StartedAt.IsZero() || got.Intent != nil {
		t.Errorf("GetRun = %+v", got)
	}
	e, err := s.GetEvent(ctx, "e1")
	if err != nil || e.Dispatched != 0 {
		t.Errorf("event after dispatch: dispatched %d, %v; want 0", e.Dispatched, err)
	}
	if _, err := s.CompleteDispatch(ctx, store.Dispatch{UUID: "no-such-event"}, store.Outcome{Runs: []store.NewRun{NewRun("welcome", 0)}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CompleteDispatch for a missing event: err = %v, want ErrNotFound", err)
	}
}

func testDispatchNoDispatch(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	quiet := Event("quiet", "user.session.start")
	quiet.NoDispatch = true
	Ingest(t, s, Delivery("d", quiet, Event("loud", "user.mfa.factor.activate")))
	ds, err := s.ClaimDispatches(ctx, 10, time.Minute)
	if err != nil || len(ds) != 1 || ds[0].UUID != "loud" {
		t.Fatalf("ClaimDispatches = %+v, %v; want only loud", ds, err)
	}
	// A replay dispatches it.
	if n, err := s.Replay(ctx, "quiet", "ann"); err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v", n, err)
	}
	ds, err = s.ClaimDispatches(ctx, 10, time.Minute)
	if err != nil || len(ds) != 1 || ds[0].UUID != "quiet" || ds[0].From != 1 || ds[0].To != 1 {
		t.Fatalf("after replay ClaimDispatches = %+v, %v; want quiet replay 1", ds, err)
	}
}

func testDispatchReplay(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("e")...))
	DispatchAll(t, s, "welcome")
	if n, err := s.Replay(ctx, "e", "ann@example.com"); err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v; want 1", n, err)
	}
	if n, err := s.Replay(ctx, "e", "bob@example.com"); err != nil || n != 2 {
		t.Fatalf("second Replay = %d, %v; want 2", n, err)
	}
	// Both replays asked for before the dispatch ran are dispatched, each with its own runs.
	runs := DispatchAll(t, s, "welcome")
	var replays []int
	for _, r := range runs {
		replays = append(replays, r.Replay)
	}
	slices.Sort(replays)
	equal(t, "replayed runs", replays, []int{1, 2})
	e, err := s.GetEvent(ctx, "e")
	if err != nil || e.Replays != 2 || e.Dispatched != 2 {
		t.Errorf("event = replays %d dispatched %d, %v", e.Replays, e.Dispatched, err)
	}
	trail, err := s.Audit(ctx, "", "e")
	if err != nil || len(trail) != 2 || trail[0].Actor != "ann@example.com" || trail[1].Action != "replay" {
		t.Errorf("audit = %+v, %v; want both replays with who asked", trail, err)
	}
	if _, err := s.Replay(ctx, "nope", "ann"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Replay of a missing event: %v", err)
	}
}

// testDispatchReplayDuring: a replay asked for while the event's dispatch runs is dispatched after it,
// and a late record of that first dispatch (its hold lapsed and another worker recorded it) neither
// loses the replay nor records anything again.
func testDispatchReplayDuring(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("e")...))
	ds, err := s.ClaimDispatches(ctx, 10, time.Minute)
	if err != nil || len(ds) != 1 || ds[0].From != 0 || ds[0].To != 0 {
		t.Fatalf("ClaimDispatches = %+v, %v", ds, err)
	}
	first := ds[0]
	if _, err := s.Replay(ctx, "e", "ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteDispatch(ctx, first, store.Outcome{Runs: []store.NewRun{NewRun("welcome", 0)}}); err != nil {
		t.Fatal(err)
	}
	if e, err := s.GetEvent(ctx, "e"); err != nil || e.Dispatched != 0 || e.Replays != 1 {
		t.Errorf("after the first dispatch: dispatched %d of %d replays, %v; want replay 1 still waiting", e.Dispatched, e.Replays, err)
	}
	ds, err = s.ClaimDispatches(ctx, 10, time.Minute)
	if err != nil || len(ds) != 1 || ds[0].From != 1 || ds[0].To != 1 {
		t.Fatalf("ClaimDispatches after the replay = %+v, %v; want replay 1 alone", ds, err)
	}
	// The first dispatch recorded again, late, while the replay's dispatch runs.
	if runs, err := s.CompleteDispatch(ctx, first, store.Outcome{Skipped: []store.Skip{{Trigger: "t", Reason: "when-false"}}}); err != nil || len(runs) != 0 {
		t.Fatalf("a late record of the first dispatch = %+v, %v", runs, err)
	}
	if e, err := s.GetEvent(ctx, "e"); err != nil || e.Dispatched != 0 || e.Skipped != nil {
		t.Errorf("after the late record: dispatched %d, skipped %+v, %v; want replay 1 waiting, no skip recorded", e.Dispatched, e.Skipped, err)
	}
	if _, err := s.CompleteDispatch(ctx, ds[0], store.Outcome{Runs: []store.NewRun{NewRun("welcome", 1)}}); err != nil {
		t.Fatal(err)
	}
	if e, err := s.GetEvent(ctx, "e"); err != nil || e.Dispatched != 1 || e.Runs != 2 {
		t.Errorf("after the replay's dispatch: dispatched %d, %d runs, %v; want 1 and 2", e.Dispatched, e.Runs, err)
	}
	if ds, err := s.ClaimDispatches(ctx, 10, 0); err != nil || len(ds) != 0 {
		t.Errorf("nothing waits for dispatch: %+v, %v", ds, err)
	}
}

// testDispatchSkips: the triggers a dispatch skipped are kept on the event with why, shown in listings
// with the event's run count, and replaced by the next dispatch's.
func testDispatchSkips(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("e", "quiet")...))
	ds := claimDispatches(t, s, 10, 2)
	skip := store.Skip{Trigger: "welcome", Reason: "loop-guard", Detail: "actor 00uTrama is ignored (ignoreActor: self)"}
	if _, err := s.CompleteDispatch(ctx, ds[0], store.Outcome{Runs: []store.NewRun{NewRun("audit", 0)}, Skipped: []store.Skip{skip}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteDispatch(ctx, ds[1], store.Outcome{}); err != nil {
		t.Fatal(err)
	}
	e, err := s.GetEvent(ctx, "e")
	if err != nil || e.Runs != 1 || len(e.Skipped) != 1 || e.Skipped[0] != skip {
		t.Errorf("GetEvent = runs %d skipped %+v, %v; want 1 run and the loop-guard skip", e.Runs, e.Skipped, err)
	}
	listed, _, err := s.ListEvents(ctx, store.EventFilter{})
	if err != nil || len(listed) != 2 {
		t.Fatalf("ListEvents = %+v, %v", listed, err)
	}
	for _, e := range listed {
		want := map[string]int{"e": 1, "quiet": 0}[e.UUID]
		if e.Runs != want || (e.UUID == "quiet") != (e.Skipped == nil) {
			t.Errorf("listed %s: runs %d skipped %+v", e.UUID, e.Runs, e.Skipped)
		}
	}
	// A replay whose triggers all fire clears the skips of the dispatch before.
	if _, err := s.Replay(ctx, "e", "ann"); err != nil {
		t.Fatal(err)
	}
	DispatchAll(t, s, "audit", "welcome")
	if e, err := s.GetEvent(ctx, "e"); err != nil || e.Runs != 3 || e.Skipped != nil {
		t.Errorf("after the replay: runs %d skipped %+v, %v; want 3 runs and no skips", e.Runs, e.Skipped, err)
	}
}

// testDispatchBatch: a batch of dispatches completes in one transaction, each with its own runs; when one
// of them cannot be recorded, none is.
func testDispatchBatch(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("a", "b", "c")...))
	ds := claimDispatches(t, s, 10, 3)
	missing := store.Dispatch{UUID: "no-such-event"}
	_, err := s.CompleteDispatches(ctx, []store.Dispatch{ds[0], missing}, []store.Outcome{{Runs: []store.NewRun{NewRun("welcome", 0)}}, {}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a batch with a missing event: %v, want ErrNotFound", err)
	}
	if runs, _, _ := s.ListRuns(ctx, store.RunFilter{}); len(runs) != 0 {
		t.Fatalf("a refused batch created %d runs", len(runs))
	}
	created, err := s.CompleteDispatches(ctx, ds, []store.Outcome{
		{Runs: []store.NewRun{NewRun("welcome", 0)}}, {}, {Runs: []store.NewRun{NewRun("welcome", 0), NewRun("audit", 0)}}})
	if err != nil || len(created) != 3 || len(created[0]) != 1 || len(created[1]) != 0 || len(created[2]) != 2 ||
		created[2][0].EventUUID != "c" {
		t.Fatalf("CompleteDispatches = %+v, %v", created, err)
	}
	for _, u := range []string{"a", "b", "c"} {
		if e, err := s.GetEvent(ctx, u); err != nil || e.Dispatched != 0 {
			t.Errorf("event %s: dispatched %d, %v", u, e.Dispatched, err)
		}
	}
}

// testDispatchCompleteAndClaim: CompleteDispatchesAndClaim records a batch and claims the next events in
// one transaction, never the events it just recorded; a refused batch claims nothing.
func testDispatchCompleteAndClaim(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d1", Events("a", "b")...))
	ds := claimDispatches(t, s, 2, 2)
	Ingest(t, s, Delivery("d2", Events("c", "d", "e")...))
	welcome := func(n int) []store.Outcome {
		os := make([]store.Outcome, n)
		for i := range os {
			os[i] = store.Outcome{Runs: []store.NewRun{NewRun("welcome", 0)}}
		}
		return os
	}
	missing := store.Dispatch{UUID: "no-such-event"}
	if _, next, err := s.CompleteDispatchesAndClaim(ctx, []store.Dispatch{ds[0], missing}, welcome(2), 10, time.Minute); !errors.Is(err, store.ErrNotFound) || len(next) != 0 {
		t.Fatalf("a batch with a missing event: claimed %+v, %v; want nothing and ErrNotFound", next, err)
	}
	created, next, err := s.CompleteDispatchesAndClaim(ctx, ds, welcome(2), 2, time.Minute)
	if err != nil || len(created) != 2 || len(created[0]) != 1 || len(created[1]) != 1 {
		t.Fatalf("CompleteDispatchesAndClaim = %+v, %v", created, err)
	}
	var got []string
	for _, d := range next {
		got = append(got, d.UUID)
	}
	equal(t, "claimed with the record", got, []string{"c", "d"})
	// The two claimed are held like any claim: only e is left for another worker.
	rest, err := s.ClaimDispatches(ctx, 10, time.Minute)
	if err != nil || len(rest) != 1 || rest[0].UUID != "e" {
		t.Fatalf("ClaimDispatches after = %+v, %v; want only e", rest, err)
	}
	// With n = 0 it is CompleteDispatches.
	if _, next, err := s.CompleteDispatchesAndClaim(ctx, next, welcome(2), 0, time.Minute); err != nil || len(next) != 0 {
		t.Fatalf("n = 0: claimed %+v, %v", next, err)
	}
	for _, u := range []string{"a", "b", "c", "d"} {
		if e, err := s.GetEvent(ctx, u); err != nil || e.Dispatched != 0 {
			t.Errorf("event %s: dispatched %d, %v", u, e.Dispatched, err)
		}
	}
}

func testDispatchFail(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("a", "b")...))
	ds := claimDispatches(t, s, 10, 2)
	if err := s.FailDispatch(ctx, ds[0], "database is busy", 200*time.Millisecond, false); err != nil {
		t.Fatalf("FailDispatch: %v", err)
	}
	if err := s.FailDispatch(ctx, ds[1], "stored payload is not a LogEvent", 0, true); err != nil {
		t.Fatalf("FailDispatch(give up): %v", err)
	}
	if none, _ := s.ClaimDispatches(ctx, 10, time.Minute); len(none) != 0 {
		t.Fatalf("claimed %+v before the retry time", none)
	}
	time.Sleep(250 * time.Millisecond)
	again, err := s.ClaimDispatches(ctx, 10, time.Minute)
	if err != nil || len(again) != 1 || again[0].UUID != "a" || again[0].Attempts != 2 {
		t.Fatalf("retry claim = %+v, %v; want a, attempt 2, and never b again", again, err)
	}
	b, err := s.GetEvent(ctx, "b")
	if err != nil || b.DispatchError != "stored payload is not a LogEvent" || b.Dispatched != 0 {
		t.Errorf("given-up event = %+v, %v", b, err)
	}
	a, err := s.GetEvent(ctx, "a")
	if err != nil || a.DispatchError != "database is busy" {
		t.Errorf("retried event dispatch error = %q, %v", a.DispatchError, err)
	}
	if _, err := s.CompleteDispatch(ctx, again[0], store.Outcome{}); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.GetEvent(ctx, "a"); a.DispatchError != "" {
		t.Errorf("a completed dispatch keeps the old error %q", a.DispatchError)
	}
}

func testDispatchSignals(t *testing.T, newDriver NewDriver) {
	s := Open(t, newDriver)
	drain := func(w store.Work) {
		select {
		case <-s.Ready(w):
		default:
		}
	}
	drain(store.DispatchWork)
	drain(store.RunWork)
	quiet := Event("q", "x")
	quiet.NoDispatch = true
	Ingest(t, s, Delivery("d0", quiet))
	select {
	case <-s.Ready(store.DispatchWork):
		t.Error("an ingest without dispatch work signalled dispatch work")
	default:
	}
	Ingest(t, s, Delivery("d1", Events("a")...))
	select {
	case <-s.Ready(store.DispatchWork):
	default:
		t.Error("an ingest with dispatch work did not signal it")
	}
	if ok, err := s.Pending(context.Background(), store.DispatchWork); err != nil || !ok {
		t.Errorf("Pending(dispatch) = %v, %v", ok, err)
	}
	DispatchAll(t, s, "welcome")
	select {
	case <-s.Ready(store.RunWork):
	default:
		t.Error("creating runs did not signal run work")
	}
	if ok, err := s.Pending(context.Background(), store.RunWork); err != nil || !ok {
		t.Errorf("Pending(runs) = %v, %v", ok, err)
	}
	if ok, err := s.Pending(context.Background(), store.DispatchWork); err != nil || ok {
		t.Errorf("Pending(dispatch) after dispatch = %v, %v", ok, err)
	}
}
