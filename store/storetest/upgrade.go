package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

// UpgradeEvents are the events a driver's migration test stores before it takes its schema back to the
// one before dispatch_queue and sets their old dispatch state: "held" and "backing-off" held for an hour
// (one and three attempts, "backing-off" with the error "boom"), "free" with a lapsed hold after two
// attempts, "done" dispatched with its user cleared (as an event stored without dispatch work had it),
// and "replayed" with replays 1–2 not dispatched.
var UpgradeEvents = []string{"held", "backing-off", "free", "done", "replayed"}

// UpgradeState are the statements that set UpgradeEvents' old dispatch state, once a driver's test has
// made the old schema (events.dispatched, events_pending and dispatch_holds).
var UpgradeState = []string{
	fmt.Sprintf(`INSERT INTO dispatch_holds SELECT seq, %d, 1 FROM events WHERE uuid = 'held'`, time.Now().Add(time.Hour).UnixNano()),
	fmt.Sprintf(`INSERT INTO dispatch_holds SELECT seq, %d, 3 FROM events WHERE uuid = 'backing-off'`, time.Now().Add(time.Hour).UnixNano()),
	`UPDATE events SET dispatch_error = 'boom' WHERE uuid = 'backing-off'`,
	`INSERT INTO dispatch_holds SELECT seq, 1, 2 FROM events WHERE uuid = 'free'`,
	`UPDATE events SET dispatched = 0, user_id = '', user_login = '' WHERE uuid = 'done'`,
	`UPDATE events SET dispatched = 0, replays = 2 WHERE uuid = 'replayed'`,
}

// CheckUpgradedDispatches checks the store s after that migration: the events that waited for dispatch
// still wait, with their holds, attempts, errors and replays; "done" does not wait, and has its user back
// from its payload.
func CheckUpgradedDispatches(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	ds, err := s.ClaimDispatches(ctx, 10, time.Minute)
	if err != nil || len(ds) != 2 || ds[0].UUID != "free" || ds[0].Attempts != 3 || ds[0].From != 0 || ds[0].To != 0 ||
		ds[1].UUID != "replayed" || ds[1].Attempts != 1 || ds[1].From != 1 || ds[1].To != 2 {
		t.Fatalf("after the upgrade, claim = %+v, %v; want the event whose hold lapsed, on its third attempt, and the replays 1–2", ds, err)
	}
	if e, err := s.GetEvent(ctx, "backing-off"); err != nil || e.Dispatched != -1 || e.DispatchError != "boom" {
		t.Errorf("the event backing off: dispatched %d, error %q, %v", e.Dispatched, e.DispatchError, err)
	}
	e, err := s.GetEvent(ctx, "done")
	if err != nil || e.Dispatched != 0 || e.DispatchError != "" || e.User != (store.EventUser{ID: "00uann", Login: "ann@example.com"}) {
		t.Errorf("the dispatched event: dispatched %d, error %q, user %+v, %v", e.Dispatched, e.DispatchError, e.User, err)
	}
	if evs, _, err := s.ListEvents(ctx, store.EventFilter{Outcome: store.OutcomePending}); err != nil || len(evs) != 4 {
		t.Errorf("pending events after the upgrade: %d, %v; want 4", len(evs), err)
	}
}

// TakenOver makes a run with two attempts, for a driver's migration test: w1 claims it for a moment, its
// lease lapses, and w2 takes it over and finishes it. It returns the run's id and both leases.
func TakenOver(t *testing.T, s *store.Store) (runID string, first, second store.Lease) {
	t.Helper()
	Ingest(t, s, Delivery("d-taken-over", Events("taken-over")...))
	DispatchAll(t, s, "welcome")
	c1 := ClaimOne(t, s, "w1", 50*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	c2 := ClaimOne(t, s, "w2", time.Minute)
	if c2.Run.ID != c1.Run.ID || c2.Lease.Attempt != 2 {
		t.Fatalf("the takeover claimed %+v, want the second attempt of %s", c2.Lease, c1.Run.ID)
	}
	if err := s.FinishRun(context.Background(), c2.Lease, store.RunResult{Status: store.RunSucceeded}); err != nil {
		t.Fatal(err)
	}
	return c1.Run.ID, c1.Lease, c2.Lease
}

// FirstAttemptDowngrade are the statements that take a store's runs back to the schema before a run
// kept its first attempt in its own row: the first attempts move into the attempts table, and the
// columns go.
var FirstAttemptDowngrade = []string{
	`INSERT INTO attempts (run_id, attempt, owner, token, claimed_at)
		SELECT id, 1, first_owner, first_token, first_claimed_at FROM runs WHERE first_token > 0`,
	`ALTER TABLE runs DROP COLUMN first_owner`,
	`ALTER TABLE runs DROP COLUMN first_token`,
	`ALTER TABLE runs DROP COLUMN first_claimed_at`,
	`DELETE FROM schema_migrations WHERE name LIKE '%first_attempt%'`,
}

// CheckUpgradedAttempts checks the store s after that migration: the run TakenOver made still shows both
// attempts, once each, and a run claimed now has its first attempt.
func CheckUpgradedAttempts(t *testing.T, s *store.Store, runID string, first, second store.Lease) {
	t.Helper()
	ctx := context.Background()
	as, err := s.Attempts(ctx, runID)
	if err != nil || len(as) != 2 || as[0].Attempt != 1 || as[0].Owner != "w1" || as[0].Token != first.Token ||
		as[1].Attempt != 2 || as[1].Owner != "w2" || as[1].Token != second.Token {
		t.Fatalf("attempts of the upgraded run = %+v, %v; want w1's (token %d), then w2's (token %d)", as, err, first.Token, second.Token)
	}
	Ingest(t, s, Delivery("d-after", Events("after")...))
	DispatchAll(t, s, "welcome")
	c := ClaimOne(t, s, "w3", time.Minute)
	if as, err := s.Attempts(ctx, c.Run.ID); err != nil || len(as) != 1 || as[0].Owner != "w3" || as[0].Token != c.Lease.Token {
		t.Errorf("attempts of a run claimed after the upgrade = %+v, %v; want w3's", as, err)
	}
}
