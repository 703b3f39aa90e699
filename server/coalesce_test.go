package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/okta/oktatest"
)

// TestCoalesceResetAllFactors: Okta's "reset all factors" delivers three distinct
// user.mfa.factor.deactivate events for one user, milliseconds apart; a trigger that coalesces on the
// user runs once for them, and once for another user's event. The events that joined the
// run say so in the history, and the metrics count them.
func TestCoalesceResetAllFactors(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: `  - name: on-reset
    on: user.mfa.factor.deactivate
    run: { file: {{flow}}, workflow: get-user }
    inputs:
      userId: $event.oktaUser.id
      oktaApiToken: $env.OKTA_API_TOKEN
    coalesce: {key: $event.oktaUser.id, window: 30s}
`})
	ann, bob := s.createUser("ann.coalesce@example.com"), s.createUser("bob.coalesce@example.com")
	deactivate := func(uuid, user string, at time.Time) oktatest.Event {
		return oktatest.Event{UUID: uuid, Type: "user.mfa.factor.deactivate", UserID: user, Published: at,
			Reason: "User reset all factors"}
	}
	at := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	annEvents := []string{"0d0d0d0d-0000-11ef-8000-000000000001", "0d0d0d0d-0000-11ef-8000-000000000002", "0d0d0d0d-0000-11ef-8000-000000000003"}
	var evs []oktatest.Event
	for i, u := range annEvents {
		evs = append(evs, deactivate(u, ann, at.Add(time.Duration(i)*7*time.Millisecond)))
	}
	if code, body := s.post(oktatest.Delivery("reset-1", evs...), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	bobEvent := "0d0d0d0d-0000-11ef-8000-000000000004"
	if code, body := s.post(oktatest.Delivery("reset-2", deactivate(bobEvent, bob, at)), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	c := s.settle()
	if c.Runs["succeeded"] != 2 {
		t.Fatalf("runs %+v, want one for ann's three events and one for bob's", c.Runs)
	}
	// One of ann's events has the run — the earliest, unless a later one's run started before the
	// earlier was dispatched (a delivery's events are dispatched in parallel) — and the other two say
	// they were coalesced into it.
	var runID string
	for _, u := range annEvents {
		if runs := s.runsOf(u); len(runs) == 1 {
			if runID != "" {
				t.Fatalf("two of ann's events have runs")
			}
			runID = runs[0].ID
		}
	}
	coalesced := 0
	for _, u := range annEvents {
		var ev struct {
			Skipped []struct{ Trigger, Reason, Detail string }
		}
		s.api("GET", "/api/v1/events/"+u, apiToken, &ev)
		if len(ev.Skipped) == 1 && ev.Skipped[0].Reason == "coalesced" && runID != "" && strings.Contains(ev.Skipped[0].Detail, runID) {
			coalesced++
		}
	}
	if runID == "" || coalesced != 2 {
		t.Errorf("ann's events: run %q, %d coalesced into it, want 2", runID, coalesced)
	}
	time.Sleep(1100 * time.Millisecond) // the metrics read the store's totals at most once a second
	if n := s.metric("trama_events_coalesced_total"); n != 2 {
		t.Errorf("trama_events_coalesced_total = %v, want 2", n)
	}
}

// TestConcurrencyOnePerUser: with concurrency 1 keyed on the user, a burst of one user's events runs
// one at a time (no run starts before the previous one finished), while another user's run is not held
// back behind them. Without the limit, 19 of the 20 runs overlap.
func TestConcurrencyOnePerUser(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: getUserTrigger("per-user", "    concurrency: {key: $event.oktaUser.id, limit: 1}\n")})
	ann, bob := s.createUser("ann.serial@example.com"), s.createUser("bob.serial@example.com")
	var annEvents []string
	for i := range 20 {
		annEvents = append(annEvents, fmt.Sprintf("0e0e0e0e-0000-11ef-8000-%012d", i))
	}
	if code, body := s.post(envelope("serial-1", "00uadmin", ann, annEvents...), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	if code, body := s.post(envelope("serial-2", "00uadmin", bob, "0e0e0e0e-0000-11ef-8000-0000000000bb"), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	c := s.settle()
	if c.Runs["succeeded"] != 21 {
		t.Fatalf("runs %+v", c.Runs)
	}
	type span struct{ start, end time.Time }
	var spans []span
	for _, u := range annEvents {
		var page struct {
			Items []struct {
				StartedAt, FinishedAt time.Time
			}
		}
		s.api("GET", "/api/v1/runs?event="+u, apiToken, &page)
		if len(page.Items) != 1 {
			t.Fatalf("event %s: %d runs", u, len(page.Items))
		}
		spans = append(spans, span{page.Items[0].StartedAt, page.Items[0].FinishedAt})
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start.Before(spans[i-1].end) {
			t.Errorf("ann's runs overlap: one started at %s, before the previous finished at %s",
				spans[i].start.Format(time.RFC3339Nano), spans[i-1].end.Format(time.RFC3339Nano))
		}
	}
}
