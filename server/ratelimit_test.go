package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestBurstWithinOktasRateLimit: a burst of 1 000 events, each running a workflow that reads the event's
// user, against an org that allows 200 such reads a second: every run succeeds, because the runs share
// what Okta's rate-limit headers say is left and wait for the reset instead of drawing 429s into their
// results; the waits show in the metrics.
func TestBurstWithinOktasRateLimit(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: getUserTrigger("audit-factor", ""), rateLimit: 200, rateWindow: time.Second})
	userID := s.createUser("burst@example.com")
	const events, batch = 1000, 50
	for d := range events / batch {
		uuids := make([]string, batch)
		for i := range uuids {
			uuids[i] = fmt.Sprintf("%08x-0000-11ef-8000-%012x", d, i)
		}
		if code, body := s.post(envelope(fmt.Sprintf("burst-%d", d), "00uadmin", userID, uuids...), "application/json", hookSecret); code != 200 {
			t.Fatalf("delivery %d: %d %s", d, code, body)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for ; ; time.Sleep(50 * time.Millisecond) {
		c, err := s.srv.Store().Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.Runs["succeeded"]+c.Runs["failed"] == events {
			if c.Runs["failed"] != 0 {
				t.Fatalf("%d of %d runs failed: %+v\n%s", c.Runs["failed"], events, c.Runs, tail(s.logs.String(), 3000))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs after a minute: %+v", c.Runs)
		}
	}
	if waits := s.metric(`trama_rate_limit_waits_total{endpoint=`); waits <= 0 {
		t.Errorf("no run waited for Okta's rate-limit window (%v)", waits)
	}
}
