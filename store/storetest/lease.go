package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

var leaseTests = []test{
	{"ClaimOldestFirst", testLeaseClaimOrder},
	{"ExpiredLeaseIsTakenOver", testLeaseTakeover},
	{"StaleAttemptCannotWrite", testLeaseFencing},
	{"RenewKeepsAndReportsLost", testLeaseRenew},
	{"RetryWaitsUntilDue", testLeaseRetry},
	{"ReleaseIsImmediate", testLeaseRelease},
	{"ExpireAll", testLeaseExpireAll},
	{"ConcurrentClaimsNeverShare", testLeaseConcurrentClaims},
	{"BusyUntilDrained", testLeaseBusy},
	{"FinishAndClaim", testLeaseFinishAndClaim},
}

// testLeaseFinishAndClaim: FinishRunsAndClaim records its finishes, each fenced on its own, and claims in
// the same transaction, where the slot a finish frees is already free; a transaction that fails records
// nothing and claims nothing.
func testLeaseFinishAndClaim(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	dispatchPerUser(t, s, func(uuid string) string {
		if uuid[0] == 'k' {
			return "00uAnn"
		}
		return ""
	}, "k1", "k2", "o1", "o2")
	first, err := s.ClaimRuns(ctx, "w1", 1, time.Minute)
	if err != nil || len(first) != 1 || first[0].Run.EventUUID != "k1" {
		t.Fatalf("ClaimRuns(1) = %+v, %v; want k1's run", first, err)
	}
	k1 := first[0]

	// A finish whose step cannot be stored (its key is taken twice) fails the transaction: k1 stays
	// running and nothing is claimed.
	dup := store.Step{Seq: 1, StepID: "enroll", Status: "succeeded"}
	_, claims, err := s.FinishRunsAndClaim(ctx, []store.Finish{{Lease: k1.Lease, Result: store.RunResult{Status: store.RunSucceeded},
		Steps: []store.Step{dup, dup}}}, "w1", 3, time.Minute)
	if err == nil || len(claims) != 0 {
		t.Fatalf("a failed transaction: %d claims, err %v; want none and an error", len(claims), err)
	}
	if r := runOf(t, s, "k1"); r.Status != store.RunRunning {
		t.Fatalf("k1 after a failed transaction: %s, want running", r.Status)
	}
	for _, u := range []string{"k2", "o1", "o2"} {
		if r := runOf(t, s, u); r.Status != store.RunQueued || r.Attempts != 0 {
			t.Fatalf("run of %s after a failed transaction: %s, %d attempts; want queued, none", u, r.Status, r.Attempts)
		}
	}

	// k1 finishes, a lease o2 does not hold is refused, and the claim takes k2 (whose slot k1 freed in
	// this very transaction) and o1, oldest first.
	stale := store.Lease{RunID: runOf(t, s, "o2").ID, Token: 7, Attempt: 1}
	errs, claims, err := s.FinishRunsAndClaim(ctx, []store.Finish{
		{Lease: k1.Lease, Result: store.RunResult{Status: store.RunSucceeded}, Steps: []store.Step{dup}},
		{Lease: stale, Result: store.RunResult{Status: store.RunFailed, Error: "late"}},
	}, "w2", 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || !errors.Is(errs[1], store.ErrLeaseLost) {
		t.Fatalf("errs = %v; want k1 recorded and o2's finish refused", errs)
	}
	if len(claims) != 2 || claims[0].Run.EventUUID != "k2" || claims[1].Run.EventUUID != "o1" {
		t.Fatalf("claimed %+v; want k2 then o1", claims)
	}
	for _, c := range claims {
		if c.Run.Status != store.RunRunning || c.Run.LeaseOwner != "w2" || c.Lease.Attempt != 1 {
			t.Errorf("claim %+v", c)
		}
		if as, err := s.Attempts(ctx, c.Run.ID); err != nil || len(as) != 1 || as[0].Owner != "w2" {
			t.Errorf("attempts of %s: %+v, %v", c.Run.EventUUID, as, err)
		}
	}
	if r := runOf(t, s, "k1"); r.Status != store.RunSucceeded || r.Error != "" {
		t.Errorf("k1 = %s %q; want succeeded, as its live lease recorded it", r.Status, r.Error)
	}
	if steps, err := s.Steps(ctx, k1.Run.ID); err != nil || len(steps) != 1 {
		t.Errorf("k1's steps = %+v, %v", steps, err)
	}

	// With n = 0 it is FinishRuns.
	errs, claims, err = s.FinishRunsAndClaim(ctx, []store.Finish{{Lease: claims[0].Lease, Result: store.RunResult{Status: store.RunSucceeded}}}, "w2", 0, time.Minute)
	if err != nil || errs[0] != nil || len(claims) != 0 {
		t.Fatalf("n = 0: errs %v, %d claims, %v", errs, len(claims), err)
	}
	if r := runOf(t, s, "o2"); r.Status != store.RunQueued {
		t.Errorf("o2 = %s, want still queued", r.Status)
	}
}

// testLeaseBusy: the store is busy while an event waits for dispatch and while a run is unfinished.
func testLeaseBusy(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	busy := func() bool {
		t.Helper()
		b, err := s.Busy(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if busy() {
		t.Fatal("an empty store is busy")
	}
	Ingest(t, s, Delivery("d", Events("e")...))
	if !busy() {
		t.Fatal("an event waiting for dispatch is not work")
	}
	DispatchAll(t, s, "welcome")
	if !busy() {
		t.Fatal("a queued run is not work")
	}
	c := ClaimOne(t, s, "w1", time.Minute)
	if !busy() {
		t.Fatal("a running run is not work")
	}
	if err := s.FinishRun(ctx, c.Lease, store.RunResult{Status: store.RunSucceeded}); err != nil {
		t.Fatal(err)
	}
	if busy() {
		t.Fatal("a drained store is busy")
	}
}

func testLeaseClaimOrder(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("a", "b", "c")...))
	runs := DispatchAll(t, s, "welcome")
	cs, err := s.ClaimRuns(ctx, "w1", 2, time.Minute)
	if err != nil || len(cs) != 2 {
		t.Fatalf("ClaimRuns(2) = %d, %v", len(cs), err)
	}
	if cs[0].Run.ID != runs[0].ID || cs[1].Run.ID != runs[1].ID {
		t.Errorf("claimed %s %s, want the two oldest %s %s", cs[0].Run.ID, cs[1].Run.ID, runs[0].ID, runs[1].ID)
	}
	c := cs[0]
	if c.Run.Status != store.RunRunning || c.Run.Attempts != 1 || c.Lease.Attempt != 1 || c.Lease.Token < 1 ||
		c.Run.LeaseOwner != "w1" || c.Run.StartedAt.IsZero() || c.Run.LeaseExpires.Before(time.Now().Add(50*time.Second)) ||
		string(c.Run.Plan) != `{"trigger":"welcome"}` || len(c.Steps) != 0 {
		t.Errorf("claim = %+v", c)
	}
	rest, err := s.ClaimRuns(ctx, "w2", 10, time.Minute)
	if err != nil || len(rest) != 1 || rest[0].Run.ID != runs[2].ID {
		t.Errorf("second claimer got %d runs, %v; want only the third", len(rest), err)
	}
}

func testLeaseTakeover(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("a")...))
	DispatchAll(t, s, "welcome")
	first := ClaimOne(t, s, "w1", 300*time.Millisecond)
	if err := s.SaveStep(ctx, first.Lease, store.Step{Seq: 1, StepID: "enroll", Status: "succeeded"}); err != nil {
		t.Fatalf("SaveStep: %v", err)
	}
	if none, _ := s.ClaimRuns(ctx, "w2", 1, time.Minute); len(none) != 0 {
		t.Fatal("a run was claimed while its lease was live")
	}
	if ok, _ := s.Pending(ctx, store.RunWork); ok {
		t.Error("Pending reports work while the only run is leased")
	}
	time.Sleep(400 * time.Millisecond)
	if ok, _ := s.Pending(ctx, store.RunWork); !ok {
		t.Error("Pending does not report a run whose lease expired")
	}
	second := ClaimOne(t, s, "w2", time.Minute)
	if second.Lease.Token <= first.Lease.Token || second.Lease.Attempt != 2 || second.Run.LeaseOwner != "w2" {
		t.Errorf("takeover lease %+v after %+v: want a larger token and attempt 2", second.Lease, first.Lease)
	}
	if len(second.Steps) != 1 || second.Steps[0].StepID != "enroll" || second.Steps[0].RunAttempt != 1 {
		t.Errorf("takeover sees steps %+v, want the first attempt's checkpoint", second.Steps)
	}
	as, err := s.Attempts(ctx, first.Run.ID)
	if err != nil || len(as) != 2 || as[0].Attempt != 1 || as[0].Owner != "w1" || as[0].Token != first.Lease.Token ||
		as[1].Attempt != 2 || as[1].Owner != "w2" || as[1].Token != second.Lease.Token ||
		time.Since(as[0].ClaimedAt) > time.Minute || !as[1].ClaimedAt.After(as[0].ClaimedAt) {
		t.Errorf("Attempts = %+v, %v; want w1 then w2", as, err)
	}
}

func testLeaseFencing(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("a")...))
	DispatchAll(t, s, "welcome")
	stale := ClaimOne(t, s, "paused", 200*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	current := ClaimOne(t, s, "alive", time.Minute)
	lost := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("%s by a stale attempt: %v, want ErrLeaseLost", what, err)
		}
	}
	lost("RecordIntent", s.RecordIntent(ctx, stale.Lease, store.Intent{Seq: 1, StepID: "enroll", Method: "POST"}))
	lost("SaveStep", s.SaveStep(ctx, stale.Lease, store.Step{Seq: 1, StepID: "enroll", Status: "succeeded"}))
	lost("FinishRun", s.FinishRun(ctx, stale.Lease, store.RunResult{Status: store.RunSucceeded},
		store.Step{Seq: 2, StepID: "notify", Status: "succeeded"}))
	lost("RetryRun", s.RetryRun(ctx, stale.Lease, 0, "x"))
	lost("ReleaseRun", s.ReleaseRun(ctx, stale.Lease, "x"))
	lost("HoldUncertain", s.HoldUncertain(ctx, stale.Lease, "x"))
	if err := s.RecordIntent(ctx, current.Lease, store.Intent{Seq: 1, StepID: "enroll", Method: "POST"}); err != nil {
		t.Fatalf("RecordIntent by the current attempt: %v", err)
	}
	if err := s.FinishRun(ctx, current.Lease, store.RunResult{Status: store.RunSucceeded}); err != nil {
		t.Fatalf("FinishRun by the current attempt: %v", err)
	}
	// Once finished, even the attempt that finished it cannot change the outcome people saw.
	lost("a second FinishRun", s.FinishRun(ctx, current.Lease, store.RunResult{Status: store.RunFailed, Error: "late"},
		store.Step{Seq: 3, StepID: "late", Status: "succeeded"}))
	r, err := s.GetRun(ctx, current.Lease.RunID)
	if err != nil || r.Status != store.RunSucceeded || r.Error != "" || r.Intent != nil || r.LeaseOwner != "" {
		t.Errorf("run = %+v, %v", r, err)
	}
	if steps, _ := s.Steps(ctx, r.ID); len(steps) != 0 {
		t.Errorf("steps of attempts that did not hold the run were saved: %+v", steps)
	}
}

func testLeaseRenew(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("a", "b")...))
	DispatchAll(t, s, "welcome")
	cs, err := s.ClaimRuns(ctx, "w1", 2, 300*time.Millisecond)
	if err != nil || len(cs) != 2 {
		t.Fatalf("ClaimRuns = %d, %v", len(cs), err)
	}
	for range 4 {
		time.Sleep(150 * time.Millisecond)
		held, err := s.RenewLeases(ctx, "w1", 300*time.Millisecond, []string{cs[0].Run.ID, cs[1].Run.ID})
		if err != nil || len(held) != 2 || held[cs[0].Run.ID] != cs[0].Lease.Token {
			t.Fatalf("RenewLeases = %v, %v; want both runs with their tokens", held, err)
		}
	}
	if none, _ := s.ClaimRuns(ctx, "w2", 2, time.Minute); len(none) != 0 {
		t.Fatal("a renewed lease was taken over")
	}
	// Finishing one run ends its lease; the other stops being renewed and is taken over.
	if err := s.FinishRun(ctx, cs[0].Lease, store.RunResult{Status: store.RunSucceeded}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	taken := ClaimOne(t, s, "w2", time.Minute)
	held, err := s.RenewLeases(ctx, "w1", time.Minute, []string{cs[0].Run.ID, cs[1].Run.ID})
	if err != nil || len(held) != 0 {
		t.Errorf("RenewLeases after the takeover of %s = %v, %v; want nothing held", taken.Run.ID, held, err)
	}
	// Only the named runs are renewed: a run whose attempt this worker abandoned is left to expire.
	Ingest(t, s, Delivery("d2", Events("c")...))
	DispatchAll(t, s, "welcome")
	c := ClaimOne(t, s, "w3", 200*time.Millisecond)
	if held, err := s.RenewLeases(ctx, "w3", time.Minute, []string{"another-run"}); err != nil || len(held) != 0 {
		t.Errorf("RenewLeases of other runs = %v, %v", held, err)
	}
	time.Sleep(300 * time.Millisecond)
	if again := ClaimOne(t, s, "w4", time.Minute); again.Run.ID != c.Run.ID {
		t.Errorf("claimed %s, want the run whose lease was not renewed", again.Run.ID)
	}
}

func testLeaseRetry(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("a")...))
	DispatchAll(t, s, "welcome")
	c := ClaimOne(t, s, "w1", time.Minute)
	if err := s.RetryRun(ctx, c.Lease, 300*time.Millisecond, "HTTP 503 from Okta"); err != nil {
		t.Fatalf("RetryRun: %v", err)
	}
	r, _ := s.GetRun(ctx, c.Lease.RunID)
	if r.Status != store.RunRetrying || r.Error != "HTTP 503 from Okta" || r.LeaseOwner != "" {
		t.Errorf("retrying run = %+v", r)
	}
	if none, _ := s.ClaimRuns(ctx, "w1", 1, time.Minute); len(none) != 0 {
		t.Fatal("a retrying run was claimed before it was due")
	}
	time.Sleep(350 * time.Millisecond)
	again := ClaimOne(t, s, "w1", time.Minute)
	if again.Lease.Attempt != 2 || again.Lease.Token <= c.Lease.Token {
		t.Errorf("retry claim = %+v", again.Lease)
	}
}

func testLeaseRelease(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("a")...))
	DispatchAll(t, s, "welcome")
	c := ClaimOne(t, s, "stopping", time.Hour)
	if err := s.ReleaseRun(ctx, c.Lease, "the worker shut down"); err != nil {
		t.Fatalf("ReleaseRun: %v", err)
	}
	again := ClaimOne(t, s, "other", time.Minute)
	if again.Run.ID != c.Run.ID || again.Lease.Attempt != 2 {
		t.Errorf("claim after release = %+v", again.Lease)
	}
}

func testLeaseExpireAll(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("a", "b")...))
	DispatchAll(t, s, "welcome")
	if _, err := s.ClaimRuns(ctx, "crashed", 2, time.Hour); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = Open(t, newDriver)
	n, err := s.ExpireAllLeases(ctx)
	if err != nil || n != 2 {
		t.Fatalf("ExpireAllLeases = %d, %v", n, err)
	}
	cs, err := s.ClaimRuns(ctx, "restarted", 10, time.Minute)
	if err != nil || len(cs) != 2 {
		t.Errorf("claims after a restart = %d, %v; want both runs at once", len(cs), err)
	}
	for _, c := range cs {
		if c.Run.Error == "" {
			t.Errorf("a taken-over run does not say its attempt was interrupted: %+v", c.Run)
		}
	}
}

// testLeaseConcurrentClaims: many claimers at once never hold one run together.
func testLeaseConcurrentClaims(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	var evs []store.NewEvent
	for i := range 40 {
		evs = append(evs, Event(string(rune('a'+i%26))+string(rune('a'+i/26)), "t"))
	}
	Ingest(t, s, Delivery("d", evs...))
	DispatchAll(t, s, "welcome")
	type got struct {
		owner string
		ids   []string
		err   error
	}
	ch := make(chan got)
	for w := range 4 {
		go func() {
			owner := string(rune('A' + w))
			var g got
			g.owner = owner
			for range 20 {
				cs, err := s.ClaimRuns(ctx, owner, 3, time.Minute)
				if err != nil {
					g.err = err
					break
				}
				for _, c := range cs {
					g.ids = append(g.ids, c.Run.ID)
				}
			}
			ch <- g
		}()
	}
	seen := map[string]string{}
	for range 4 {
		g := <-ch
		if g.err != nil {
			t.Errorf("%s: %v", g.owner, g.err)
		}
		for _, id := range g.ids {
			if prev, ok := seen[id]; ok {
				t.Errorf("run %s claimed by %s and %s", id, prev, g.owner)
			}
			seen[id] = g.owner
		}
	}
	if len(seen) != 40 {
		t.Errorf("%d runs claimed, want 40", len(seen))
	}
}
