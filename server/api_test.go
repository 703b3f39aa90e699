package server_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHistoryAPI reads the history of three delivered events through the HTTP API as a dashboard or a
// script would, replays one, and scrapes /metrics and /healthz.
func TestHistoryAPI(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: getUserTrigger("audit-factor", "")})
	userID := s.createUser("history@example.com")
	uuids := []string{
		"1a1a1a1a-0000-11ef-8000-000000000000",
		"2b2b2b2b-0000-11ef-8000-000000000000",
		"3c3c3c3c-0000-11ef-8000-000000000000",
	}
	if code, body := s.post(envelope("history-1", "00uadmin", userID, uuids...), "application/json; charset=utf-8", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	s.waitRuns(3)
	s.settle()

	t.Run("bearer token", func(t *testing.T) {
		for _, path := range []string{"/api/v1/runs", "/api/v1/runs/x", "/api/v1/events", "/api/v1/events/" + uuids[0], "/api/v1/deliveries"} {
			for _, token := range []string{"", apiToken + "x", strings.ToUpper(apiToken)} {
				req, _ := http.NewRequest("GET", s.url+path, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("GET %s with token %q: %d, want 401 with WWW-Authenticate", path, token, resp.StatusCode)
				}
			}
		}
		if code := s.api("POST", "/api/v1/events/"+uuids[0]+"/replay", "", nil); code != http.StatusUnauthorized {
			t.Errorf("replay without a token: %d, want 401", code)
		}
		// The hook secret is not an API token.
		if code := s.api("GET", "/api/v1/runs", hookSecret, nil); code != http.StatusUnauthorized {
			t.Errorf("runs with the hook secret: %d, want 401", code)
		}
	})

	t.Run("runs filters", func(t *testing.T) {
		for _, tt := range []struct {
			query string
			want  int
		}{
			{"", 3},
			{"?status=succeeded", 3},
			{"?status=failed", 0},
			{"?trigger=audit-factor", 3},
			{"?trigger=other", 0},
			{"?event=" + uuids[1], 1},
			{"?event=" + uuids[1] + "&status=failed", 0},
			{"?workflow=get-user", 3},
			{"?workflow=other", 0},
			{"?user=" + userID, 3},
			{"?user=ANN@example.com&status=succeeded", 3},
			{"?user=00unobody", 0},
			{"?since=2000-01-01&until=2100-01-01", 3},
			{"?until=2000-01-01", 0},
		} {
			var page struct{ Items []apiRun }
			if code := s.api("GET", "/api/v1/runs"+tt.query, apiToken, &page); code != 200 || len(page.Items) != tt.want {
				t.Errorf("runs%s: %d, %d items, want %d", tt.query, code, len(page.Items), tt.want)
			}
		}
		for _, q := range []string{"?limit=0", "?limit=x", "?after=not-a-cursor", "?status=lost", "?since=yesterday"} {
			if code := s.api("GET", "/api/v1/runs"+q, apiToken, nil); code != http.StatusBadRequest {
				t.Errorf("runs%s: %d, want 400", q, code)
			}
		}
	})

	t.Run("runs pagination", func(t *testing.T) {
		seen := map[string]bool{}
		next, pages := "", 0
		for {
			var page struct {
				Items []apiRun
				Next  string
			}
			q := "/api/v1/runs?limit=2"
			if next != "" {
				q += "&after=" + next
			}
			if code := s.api("GET", q, apiToken, &page); code != 200 {
				t.Fatalf("%s: %d", q, code)
			}
			pages++
			for _, r := range page.Items {
				if seen[r.ID] {
					t.Errorf("run %s on two pages", r.ID)
				}
				seen[r.ID] = true
			}
			if page.Next == "" {
				break
			}
			next = page.Next
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
		}
		if pages != 2 || len(seen) != 3 {
			t.Errorf("%d pages, %d runs; want 2 pages holding 3 runs", pages, len(seen))
		}
	})

	t.Run("run with steps", func(t *testing.T) {
		runs := s.runsOf(uuids[0])
		if len(runs) != 1 {
			t.Fatalf("runs of %s: %d", uuids[0], len(runs))
		}
		var r apiRun
		if code := s.api("GET", "/api/v1/runs/"+runs[0].ID, apiToken, &r); code != 200 {
			t.Fatalf("get run: %d", code)
		}
		if r.EventUUID != uuids[0] || r.Status != "succeeded" || len(r.Steps) != 1 || r.Steps[0].StatusCode != 200 || r.Steps[0].Attempts != 1 {
			t.Errorf("run = %+v", r)
		}
		var in map[string]any
		json.Unmarshal(r.Inputs, &in)
		if in["userId"] != userID || in["oktaApiToken"] == nil || in["oktaApiToken"] == oktaToken {
			t.Errorf("inputs = %s; want the user id and the token masked", r.Inputs)
		}
		if code := s.api("GET", "/api/v1/runs/no-such-run", apiToken, nil); code != http.StatusNotFound {
			t.Errorf("unknown run: %d, want 404", code)
		}
	})

	t.Run("events", func(t *testing.T) {
		var page struct {
			Items []struct {
				UUID string `json:"uuid"`
				Type string `json:"eventType"`
			}
		}
		if code := s.api("GET", "/api/v1/events?type=user.mfa.factor.activate&source=hook", apiToken, &page); code != 200 || len(page.Items) != 3 {
			t.Errorf("events: %d, %d items", code, len(page.Items))
		}
		if code := s.api("GET", "/api/v1/events?type=user.lifecycle.create", apiToken, &page); code != 200 || len(page.Items) != 0 {
			t.Errorf("events of another type: %d, %d items", code, len(page.Items))
		}
		for q, want := range map[string]int{"user=" + userID: 3, "user=Ann@Example.com&outcome=ran": 3, "outcome=skipped": 0,
			"outcome=duplicate": 0, "until=2026-11-22T08:00": 0, "since=2026-11-22T08:00": 3} {
			if code := s.api("GET", "/api/v1/events?"+q, apiToken, &page); code != 200 || len(page.Items) != want {
				t.Errorf("events?%s: %d, %d items, want %d", q, code, len(page.Items), want)
			}
		}
		if code := s.api("GET", "/api/v1/events?outcome=exploded", apiToken, nil); code != http.StatusBadRequest {
			t.Errorf("events of an unknown outcome: %d, want 400", code)
		}

		var ev struct {
			UUID    string                     `json:"uuid"`
			Card    map[string]json.RawMessage `json:"card"`
			Payload json.RawMessage            `json:"payload"`
			Runs    []apiRun                   `json:"runs"`
		}
		if code := s.api("GET", "/api/v1/events/"+uuids[2], apiToken, &ev); code != 200 {
			t.Fatalf("get event: %d", code)
		}
		for _, key := range []string{"dateAndTime", "message", "eventId", "eventType", "eventTime", "version", "admin",
			"oktaUser", "reason", "uuid", "eventDetails", "headers", "source", "debugContext"} {
			if _, ok := ev.Card[key]; !ok {
				t.Errorf("card lacks %s", key)
			}
		}
		var card struct {
			EventID  string              `json:"eventId"`
			UUID     string              `json:"uuid"`
			Reason   string              `json:"reason"`
			OktaUser struct{ ID string } `json:"oktaUser"`
			Admin    struct{ ID string } `json:"admin"`
			Headers  map[string]string   `json:"headers"`
		}
		b, _ := json.Marshal(ev.Card)
		json.Unmarshal(b, &card)
		if card.EventID != uuids[2] || card.UUID != "history-1" || card.OktaUser.ID != userID || card.Admin.ID != "00uadmin" ||
			card.Reason != "User set up OKTA_SOFT_TOKEN factor" || card.Headers["authorization"] == hookSecret || card.Headers["authorization"] == "" {
			t.Errorf("card = %s", b)
		}
		if len(ev.Runs) != 1 || len(ev.Payload) == 0 {
			t.Errorf("event has %d runs and a payload of %d bytes", len(ev.Runs), len(ev.Payload))
		}
		if code := s.api("GET", "/api/v1/events/no-such-event", apiToken, nil); code != http.StatusNotFound {
			t.Errorf("unknown event: %d, want 404", code)
		}
	})

	t.Run("replay", func(t *testing.T) {
		var out struct {
			UUID   string `json:"uuid"`
			Replay int    `json:"replay"`
		}
		if code := s.api("POST", "/api/v1/events/"+uuids[1]+"/replay", apiToken, &out); code != http.StatusAccepted || out.Replay != 1 {
			t.Fatalf("replay: %d %+v", code, out)
		}
		r := s.waitRuns(1)[0]
		if r.EventUUID != uuids[1] || r.Replay != 1 {
			t.Errorf("replayed run: event %s replay %d", r.EventUUID, r.Replay)
		}
		s.settle()
		replays := map[int]string{}
		for _, r := range s.runsOf(uuids[1]) {
			replays[r.Replay] = r.Status
		}
		if len(replays) != 2 || replays[0] != "succeeded" || replays[1] != "succeeded" {
			t.Errorf("runs of the replayed event by replay number: %v, want 0 and 1 succeeded", replays)
		}
		if code := s.api("POST", "/api/v1/events/no-such-event/replay", apiToken, nil); code != http.StatusNotFound {
			t.Errorf("replay of an unknown event: %d, want 404", code)
		}
	})

	t.Run("metrics and health", func(t *testing.T) {
		if code, body := s.get("/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
			t.Errorf("/healthz: %d %s", code, body)
		}
		for prefix, want := range map[string]float64{
			`trama_hook_deliveries_total{hook="okta",result="accepted"}`:       1,
			`trama_events_total{kind="new",source="hook"}`:                     3,
			`trama_events_total{kind="duplicate",source="hook"}`:               0,
			`trama_runs_total{status="created",trigger="audit-factor"}`:        4,
			`trama_runs_total{status="succeeded",trigger="audit-factor"}`:      4,
			`trama_step_seconds_count{status="succeeded",workflow="get-user"}`: 4,
			`trama_queue_depth`: 0,
		} {
			if got := s.metric(prefix); got != want {
				t.Errorf("%s = %v, want %v", prefix, got, want)
			}
		}
	})
	s.assertNoSecrets()
}

// assertNoSecrets reads the whole history through the API (every run with its steps, every event with
// its card and payload, every delivery) and checks that no secret of the deployment appears there, in
// any API answer so far, or in the logs.
func (s *setup) assertNoSecrets() {
	s.t.Helper()
	var runs struct{ Items []apiRun }
	s.api("GET", "/api/v1/runs?limit=200", apiToken, &runs)
	for _, r := range runs.Items {
		s.api("GET", "/api/v1/runs/"+r.ID, apiToken, nil)
	}
	var events struct{ Items []struct{ UUID string } }
	s.api("GET", "/api/v1/events?limit=200", apiToken, &events)
	for _, e := range events.Items {
		s.api("GET", "/api/v1/events/"+e.UUID, apiToken, nil)
	}
	var deliveries struct{ Items []struct{ ID string } }
	s.api("GET", "/api/v1/deliveries?limit=200", apiToken, &deliveries)
	for _, d := range deliveries.Items {
		s.api("GET", "/api/v1/deliveries/"+d.ID, apiToken, nil)
	}
	_, metrics := s.get("/metrics")

	s.mu.Lock()
	answers := strings.Join(s.seen, "\n")
	s.mu.Unlock()
	logs := s.logs.String()
	// The database itself, write-ahead log included, whatever the API chooses to show.
	var db strings.Builder
	for _, name := range []string{"trama.db", "trama.db-wal"} {
		b, err := os.ReadFile(filepath.Join(s.dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.t.Fatal(err)
		}
		db.Write(b)
	}
	if db.Len() == 0 {
		s.t.Error("no SQLite file to search for secrets")
	}
	secrets := map[string]string{"hook secret": hookSecret, "API token": apiToken, "Okta token": oktaToken}
	if s.keyBody != "" {
		secrets["service app's private key"] = s.keyBody
	}
	for name, secret := range secrets {
		for where, text := range map[string]string{"logs": logs, "history and API answers": answers, "metrics": metrics, "SQLite files": db.String()} {
			if strings.Contains(text, secret) {
				i := strings.Index(text, secret)
				s.t.Errorf("the %s appears in the %s: …%s…", name, where, text[max(0, i-200):min(len(text), i+100)])
			}
		}
	}
	// Access tokens, client assertions and DPoP proofs are JWTs; none may be kept anywhere.
	for where, text := range map[string]string{"logs": logs, "history and API answers": answers, "SQLite files": db.String()} {
		if m := jwtLike.FindString(text); m != "" {
			s.t.Errorf("a JWT appears in the %s: %.40s…", where, m)
		}
	}
}

// jwtLike matches anything shaped like a JWT.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.`)
