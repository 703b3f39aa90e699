package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/credential"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/store"
)

// TestFactorActivationRunsOnce follows the story with the emulator playing Okta: the hook is
// verified by trama answering the challenge, a user activates a TOTP factor with the code from their
// authenticator app, Okta delivers user.mfa.factor.activate, and the bound workflow runs once and reads
// the user back from Okta. The acknowledgement of the first delivery is lost on the way (Okta retries
// the same envelope at once) and the test redelivers it once more: the workflow still ran once.
func TestFactorActivationRunsOnce(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: getUserTrigger("audit-factor", "")})
	s.proxy.mu.Lock()
	s.proxy.loseAcks = 1
	s.proxy.mu.Unlock()
	s.registerHook()
	userID := s.createUser("ann.lee@example.com")
	s.activateTOTP(userID)

	run := s.waitRuns(1)[0]
	if run.Status != store.RunSucceeded || run.Trigger != "audit-factor" {
		t.Fatalf("run %s of %s: %s %s", run.ID, run.Trigger, run.Status, run.Error)
	}
	uuid := run.EventUUID

	// Okta's retry after the lost acknowledgement: the same envelope twice, both answered by trama.
	bodies := s.proxy.delivered(uuid, 2)
	if len(bodies) != 2 || !bytes.Equal(bodies[0], bodies[1]) {
		t.Fatalf("the proxy saw %d deliveries of event %s, want the original and Okta's identical retry", len(bodies), uuid)
	}
	var attempts []struct {
		Retry      int  `json:"retry"`
		StatusCode int  `json:"statusCode"`
		Success    bool `json:"success"`
	}
	for deadline := time.Now().Add(5 * time.Second); len(attempts) < 2 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		resp, err := http.Get(s.orgURL + "/emulator/v1/deliveries")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&attempts)
		resp.Body.Close()
	}
	if len(attempts) != 2 || attempts[0].StatusCode != http.StatusBadGateway || !attempts[1].Success || attempts[1].Retry != 1 {
		t.Errorf("emulator delivery attempts = %+v, want a failed attempt and a successful retry", attempts)
	}

	// A redelivery days later, as Okta may send: acknowledged, recorded, not run.
	if code, body := s.post(bodies[0], "application/json", hookSecret); code != http.StatusOK {
		t.Fatalf("redelivery: %d %s", code, body)
	}
	s.settle()
	runs := s.runsOf(uuid)
	if len(runs) != 1 {
		t.Fatalf("event %s has %d runs, want 1: %+v", uuid, len(runs), runs)
	}
	var ev struct {
		Duplicates  int      `json:"duplicates"`
		DeliveryIDs []string `json:"deliveryIds"`
		Source      string   `json:"source"`
	}
	if code := s.api("GET", "/api/v1/events/"+uuid, apiToken, &ev); code != 200 {
		t.Fatalf("get event: %d", code)
	}
	if ev.Duplicates != 2 || len(ev.DeliveryIDs) != 3 || ev.Source != "hook" {
		t.Errorf("event: duplicates %d, deliveries %v, source %q; want 2 duplicates of 3 deliveries by hook", ev.Duplicates, ev.DeliveryIDs, ev.Source)
	}
	if n := s.metric(`trama_events_total{kind="new",source="hook"}`); n != 1 {
		t.Errorf("new events metric = %v, want 1", n)
	}
	if n := s.metric(`trama_events_total{kind="duplicate",source="hook"}`); n != 2 {
		t.Errorf("duplicate events metric = %v, want 2", n)
	}

	// The run read the user back from Okta; its history shows the call.
	var shown apiRun
	if code := s.api("GET", "/api/v1/runs/"+runs[0].ID, apiToken, &shown); code != 200 {
		t.Fatalf("get run: %d", code)
	}
	if len(shown.Steps) != 1 {
		t.Fatalf("run steps = %+v, want getUser", shown.Steps)
	}
	st := shown.Steps[0]
	if st.StepID != "getUser" || st.Method != "GET" || st.StatusCode != 200 || st.Status != "succeeded" ||
		st.URL != s.orgURL+"/api/v1/users/"+userID || !bytes.Contains(st.Response, []byte("ann.lee@example.com")) {
		t.Errorf("step = %+v", st)
	}
	var outputs map[string]any
	if json.Unmarshal(shown.Outputs, &outputs); outputs["login"] != "ann.lee@example.com" {
		t.Errorf("outputs = %s", shown.Outputs)
	}
	if !strings.Contains(s.logs.String(), `"level":"DEBUG"`) {
		t.Error("the logs were not captured at debug level")
	}
	s.assertNoSecrets()
}

// TestBatchOf50 sends one delivery carrying 50 events, as Okta batches events that happen together:
// each event is its own run.
func TestBatchOf50(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: getUserTrigger("audit-factor", "")})
	userID := s.createUser("batch@example.com")
	uuids := make([]string, 50)
	for i := range uuids {
		uuids[i] = fmt.Sprintf("b47c%04d-0000-11ef-8000-000000000000", i)
	}
	if code, body := s.post(envelope("batch-delivery-1", "00uadmin", userID, uuids...), "application/json", hookSecret); code != 200 {
		t.Fatalf("batch: %d %s", code, body)
	}
	runs := s.waitRuns(50)
	c := s.settle()
	if c.Events != 50 || c.Runs[store.RunSucceeded] != 50 || c.Runs[store.RunFailed] != 0 {
		t.Errorf("counts = %+v, want 50 events and 50 succeeded runs", c)
	}
	per := map[string]int{}
	for _, r := range runs {
		per[r.EventUUID]++
	}
	for _, u := range uuids {
		if per[u] != 1 {
			t.Errorf("event %s ran %d times", u, per[u])
		}
	}
}

// TestHookAndPollRunOnce enables System Log backfill against the emulator: the activation arrives by
// hook and by polling, whichever first, and runs once.
func TestHookAndPollRunOnce(t *testing.T) {
	s := newSetup(t, setupOptions{
		triggers:  getUserTrigger("audit-factor", ""),
		backfill:  "backfill: { enabled: true }\n",
		pollEvery: 50 * time.Millisecond,
	})
	s.registerHook()
	userID := s.createUser("polled@example.com")
	s.activateTOTP(userID)
	uuid := s.waitRuns(1)[0].EventUUID

	// Wait for the second arrival, then let several more polls pass: the cursor has moved on, so the
	// event is not fetched again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev, err := s.srv.Store().GetEvent(context.Background(), uuid)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Duplicates >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %s arrived only once (source %s); backfill logs:\n%s", uuid, ev.Source, tail(s.logs.String(), 3000))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	s.settle()

	ev, err := s.srv.Store().GetEvent(context.Background(), uuid)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Duplicates != 1 {
		t.Errorf("event %s arrived %d times, want twice (hook and poll)", uuid, ev.Duplicates+1)
	}
	newHook, newPoll := s.metric(`trama_events_total{kind="new",source="hook"}`), s.metric(`trama_events_total{kind="new",source="poll"}`)
	dupHook, dupPoll := s.metric(`trama_events_total{kind="duplicate",source="hook"}`), s.metric(`trama_events_total{kind="duplicate",source="poll"}`)
	if newHook+newPoll != 1 || dupHook+dupPoll != 1 || newHook+dupHook != 1 || newPoll+dupPoll != 1 {
		t.Errorf("events metric: new hook %v poll %v, duplicate hook %v poll %v; want one arrival each way, one new", newHook, newPoll, dupHook, dupPoll)
	}
	if runs := s.runsOf(uuid); len(runs) != 1 {
		t.Errorf("event %s has %d runs, want 1", uuid, len(runs))
	}
	s.assertNoSecrets()
}

// TestReceiverRefuses sends what Okta never would: every refusal has its status, nothing runs, and the
// bodies trama could not read are kept for inspection.
func TestReceiverRefuses(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: getUserTrigger("audit-factor", "")})
	good := envelope("refused-1", "00uadmin", "00uann", "0a0a0a0a-0000-11ef-8000-000000000000")
	huge := append(append([]byte(`{"eventType":"com.okta.event_hook","data":{"events":[],"pad":"`),
		bytes.Repeat([]byte("x"), 4<<20)...), `"}}`...)
	tests := []struct {
		name        string
		body        []byte
		contentType string
		auth        string
		want        int
		kept        string // start of the kept body, "" when nothing is kept
	}{
		{"no auth header", good, "application/json", "", http.StatusUnauthorized, ""},
		{"wrong secret", good, "application/json", hookSecret + "x", http.StatusUnauthorized, ""},
		{"oversized", huge, "application/json", hookSecret, http.StatusRequestEntityTooLarge, `{"eventType":"com.okta.event_hook"`},
		{"malformed JSON", []byte(`{"eventType":"com.okta.event_hook","data":{"events":[{"uuid":`), "application/json", hookSecret, http.StatusBadRequest, `{"eventType":"com.okta.event_hook","data":{"events":[{"uuid":`},
		{"wrong content type", good, "text/plain", hookSecret, http.StatusBadRequest, `{"eventType":"com.okta.event_hook"`},
		{"not an event hook", []byte(`{"eventType":"com.example.other","data":{"events":[]}}`), "application/json", hookSecret, http.StatusBadRequest, `{"eventType":"com.example.other"`},
		// An event that cannot be stored costs only itself: the delivery is acknowledged, the event quarantined.
		{"event without uuid", []byte(`{"eventType":"com.okta.event_hook","data":{"events":[{"eventType":"user.mfa.factor.activate"}]}}`), "application/json", hookSecret, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.post(tt.body, tt.contentType, tt.auth)
			if code != tt.want {
				t.Errorf("status %d, want %d (%s)", code, tt.want, body)
			}
		})
	}

	// The one-time verification needs the secret too.
	for _, auth := range []string{"", "wrong"} {
		req, _ := http.NewRequest("GET", s.url+"/hooks/okta", nil)
		req.Header.Set("x-okta-verification-challenge", "challenge-1")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("verification with auth %q: %d, want 401", auth, resp.StatusCode)
		}
	}

	type delivery struct {
		ID      string              `json:"id"`
		Error   string              `json:"error"`
		Body    string              `json:"body"`
		Size    int                 `json:"size"`
		Headers map[string][]string `json:"headers"`
	}
	var page struct{ Items []delivery }
	if code := s.api("GET", "/api/v1/deliveries?malformed=true&limit=100", apiToken, &page); code != 200 {
		t.Fatalf("list malformed deliveries: %d", code)
	}
	for i, d := range page.Items {
		if code := s.api("GET", "/api/v1/deliveries/"+d.ID, apiToken, &page.Items[i]); code != 200 {
			t.Fatalf("get delivery %s: %d", d.ID, code)
		}
	}
	var kept []string
	for _, tt := range tests {
		if tt.kept != "" {
			kept = append(kept, tt.kept)
		}
	}
	if len(page.Items) != len(kept) {
		t.Errorf("%d deliveries kept, want %d", len(page.Items), len(kept))
	}
	for _, want := range kept {
		found := false
		for _, d := range page.Items {
			if strings.HasPrefix(d.Body, want) && d.Error != "" {
				found = true
				if d.Headers["Authorization"] == nil || d.Headers["Authorization"][0] == hookSecret {
					t.Errorf("kept delivery headers: %v", d.Headers)
				}
			}
		}
		if !found {
			t.Errorf("no kept delivery starts with %.40q", want)
		}
	}
	for _, d := range page.Items {
		if len(d.Body) > 64<<10 || d.Size > 4<<20 && len(d.Body) == d.Size {
			t.Errorf("kept body of %d bytes (size %d) is not truncated", len(d.Body), d.Size)
		}
	}

	c := s.settle()
	if c.Events != 0 || c.Runs[store.RunSucceeded]+c.Runs[store.RunFailed] != 0 {
		t.Errorf("refused deliveries stored events or ran: %+v", c)
	}
	var quarantined struct{ Items []struct{ ID string } }
	if code := s.api("GET", "/api/v1/deliveries?quarantined=true", apiToken, &quarantined); code != 200 || len(quarantined.Items) != 1 {
		t.Fatalf("list deliveries with quarantined events: %d %+v", code, quarantined)
	}
	var qd struct {
		Quarantined       int
		QuarantinedEvents []struct{ Reason string }
	}
	if code := s.api("GET", "/api/v1/deliveries/"+quarantined.Items[0].ID, apiToken, &qd); code != 200 || qd.Quarantined != 1 ||
		len(qd.QuarantinedEvents) != 1 || !strings.Contains(qd.QuarantinedEvents[0].Reason, "no uuid") {
		t.Errorf("the quarantined event and its reason: %d %+v", code, qd)
	}
	for result, want := range map[string]float64{"unauthorized": 4, "too_large": 1, "malformed": 3} {
		if got := s.metric(`trama_hook_deliveries_total{hook="okta",result="` + result + `"}`); got != want {
			t.Errorf("deliveries metric %s = %v, want %v", result, got, want)
		}
	}
	s.assertNoSecrets()
}

// TestTriggerConditionsAndLoopGuard binds four triggers to the activation. The user's own activation is
// caused by an API call with trama's token, so its actor is trama itself: ignoreActor: self skips it,
// ignoreActor naming someone else does not, and a when that is false skips; the skips are logged
// with their reasons. An activation by another actor passes the self guard.
func TestTriggerConditionsAndLoopGuard(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: getUserTrigger("always", "") +
		getUserTrigger("sms-only", "    when: $event.reason == 'User set up SMS_FACTOR factor'\n") +
		getUserTrigger("not-self", "    ignoreActor: self\n") +
		getUserTrigger("not-someone-else", "    ignoreActor: 00uSomeoneElse1\n")})
	s.registerHook()
	userID := s.createUser("guarded@example.com")
	s.activateTOTP(userID)
	first := s.waitRuns(2)
	uuid := first[0].EventUUID
	s.settle()

	byTrigger := map[string]int{}
	for _, r := range s.runsOf(uuid) {
		byTrigger[r.Trigger]++
	}
	want := map[string]int{"always": 1, "not-someone-else": 1}
	if fmt.Sprint(byTrigger) != fmt.Sprint(want) {
		t.Errorf("runs by trigger = %v, want %v", byTrigger, want)
	}
	var me struct{ ID string }
	s.okta("GET", "/api/v1/users/me", nil, &me)
	logs := s.logs.String()
	for _, skip := range []struct{ trigger, reason string }{{"sms-only", "when-false"}, {"not-self", "loop-guard"}} {
		if !skipLogged(logs, uuid, skip.trigger, skip.reason) {
			t.Errorf("no log says trigger %s was skipped for %s (%s):\n%s", skip.trigger, uuid, skip.reason, tail(logs, 3000))
		}
	}
	if me.ID == "" || !strings.Contains(logs, "actor "+me.ID+" is ignored") {
		t.Errorf("the loop-guard skip does not name trama's own identity %q", me.ID)
	}
	// The skips are in the history too, where people look when a run they expected is missing.
	var ev struct {
		RunCount int          `json:"runCount"`
		Skipped  []store.Skip `json:"skipped"`
	}
	if code := s.api("GET", "/api/v1/events/"+uuid, apiToken, &ev); code != 200 {
		t.Fatalf("GET event: %d", code)
	}
	got := map[string]string{}
	for _, sk := range ev.Skipped {
		got[sk.Trigger] = sk.Reason
		if sk.Reason == "loop-guard" && !strings.Contains(sk.Detail, me.ID) {
			t.Errorf("the stored loop-guard skip does not name trama's identity: %q", sk.Detail)
		}
	}
	if ev.RunCount != 2 || fmt.Sprint(got) != fmt.Sprint(map[string]string{"not-self": "loop-guard", "sms-only": "when-false"}) {
		t.Errorf("the event's history: %d runs, skipped %v", ev.RunCount, ev.Skipped)
	}

	// The same activation by an administrator other than trama fires the self-guarded trigger.
	other := "0b0b0b0b-0000-11ef-8000-000000000000"
	if code, body := s.post(envelope("other-actor-1", "00uOtherAdmin1", userID, other), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	s.waitRuns(3)
	s.settle()
	byTrigger = map[string]int{}
	for _, r := range s.runsOf(other) {
		byTrigger[r.Trigger]++
	}
	want = map[string]int{"always": 1, "not-self": 1, "not-someone-else": 1}
	if fmt.Sprint(byTrigger) != fmt.Sprint(want) {
		t.Errorf("runs by trigger for another actor = %v, want %v", byTrigger, want)
	}
	s.assertNoSecrets()
}

// skipLogged reports whether the JSON logs hold a "trigger skipped" record for the event, trigger and
// reason.
func skipLogged(logs, uuid, trigger, reason string) bool {
	for _, line := range strings.Split(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		if rec["msg"] == "trigger skipped" && rec["event"] == uuid && rec["trigger"] == trigger && rec["reason"] == reason {
			return true
		}
	}
	return false
}

// TestPolledEventRuns has no event hook at all, as when Okta's deliveries fail for good: System Log
// polling alone finds the activation, and it runs once, with the card of a polled event.
func TestPolledEventRuns(t *testing.T) {
	s := newSetup(t, setupOptions{
		triggers:  getUserTrigger("audit-factor", ""),
		backfill:  "backfill: { enabled: true }\n",
		pollEvery: 50 * time.Millisecond,
	})
	userID := s.createUser("missed@example.com")
	s.activateTOTP(userID)
	run := s.waitRuns(1)[0]
	if run.Status != store.RunSucceeded {
		t.Fatalf("run: %s %s", run.Status, run.Error)
	}
	time.Sleep(200 * time.Millisecond) // more polls: the event is not fetched again
	s.settle()
	var ev struct {
		Source     string `json:"source"`
		Duplicates int    `json:"duplicates"`
		Card       struct {
			UUID      string              `json:"uuid"`
			EventID   string              `json:"eventId"`
			EventTime string              `json:"eventTime"`
			Headers   map[string]string   `json:"headers"`
			OktaUser  struct{ ID string } `json:"oktaUser"`
		} `json:"card"`
	}
	if code := s.api("GET", "/api/v1/events/"+run.EventUUID, apiToken, &ev); code != 200 {
		t.Fatalf("get event: %d", code)
	}
	if ev.Source != "poll" || ev.Duplicates != 0 || ev.Card.UUID != "" || ev.Card.EventID != run.EventUUID ||
		ev.Card.EventTime == "" || len(ev.Card.Headers) != 0 || ev.Card.OktaUser.ID != userID {
		t.Errorf("polled event = %+v", ev)
	}
	if runs := s.runsOf(run.EventUUID); len(runs) != 1 {
		t.Errorf("event %s has %d runs, want 1", run.EventUUID, len(runs))
	}
}

// TestDeepEventRendersLinearly: an event nested thousands deep (a few kilobytes) is stored, and the API
// answers with it in about its own size, not the square of its depth.
func TestDeepEventRendersLinearly(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: getUserTrigger("audit-factor", "")})
	deep := strings.Repeat(`{"a":`, 3000) + "1" + strings.Repeat("}", 3000)
	body := fmt.Sprintf(`{"eventType":"com.okta.event_hook","eventId":"deep","data":{"events":[`+
		`{"uuid":"deep-1","published":"2026-11-22T08:00:00.000Z","eventType":"user.session.start","debugContext":%s}]}}`, deep)
	if code, resp := s.post([]byte(body), "application/json", hookSecret); code != 200 {
		t.Fatalf("deep event: %d %s", code, resp)
	}
	req, _ := http.NewRequest("GET", s.url+"/api/v1/events/deep-1", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 || n > int64(10*len(body)) {
		t.Errorf("GET the event: %d, %d bytes for a %d-byte event", resp.StatusCode, n, len(body))
	}
}

// TestResolveAPI: the resolve endpoint refuses a run that is not uncertain (409), an unknown run (404),
// a body it cannot read (400), and a request without the token (401).
func TestResolveAPI(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: getUserTrigger("audit-factor", "")})
	uuid := "0b0b0b0b-0000-11ef-8000-000000000000"
	if code, body := s.post(envelope("resolve-1", "00uadmin", "00uann", uuid), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	s.settle()
	runs := s.runsOf(uuid)
	if len(runs) != 1 || runs[0].Status == "uncertain" {
		t.Fatalf("runs = %+v, want one finished run", runs)
	}
	post := func(path, token, body string) int {
		req, _ := http.NewRequest("POST", s.url+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tt := range []struct {
		path, token, body string
		want              int
	}{
		{"/api/v1/runs/" + runs[0].ID + "/resolve", apiToken, `{"action":"resend"}`, http.StatusConflict},
		{"/api/v1/runs/no-such-run/resolve", apiToken, `{"action":"fail"}`, http.StatusNotFound},
		{"/api/v1/runs/" + runs[0].ID + "/resolve", apiToken, `{"action":"perhaps"}`, http.StatusBadRequest},
		{"/api/v1/runs/" + runs[0].ID + "/resolve", "", `{"action":"fail"}`, http.StatusUnauthorized},
	} {
		if got := post(tt.path, tt.token, tt.body); got != tt.want {
			t.Errorf("POST %s %s: %d, want %d", tt.path, tt.body, got, tt.want)
		}
	}
}

// TestServeWithAServiceApp: trama serve's okta connection is an OAuth 2.0 service app that requires
// DPoP. An activation is received through the hook and found again by backfill (polled with the app's
// token): it runs once, the workflow's Authorization header replaced by the connection, without the
// oktaApiToken input it would otherwise need. An event the app itself caused is skipped by
// ignoreActor: self, since the app is its actor. No key, token, assertion or proof is kept anywhere.
func TestServeWithAServiceApp(t *testing.T) {
	s := newSetup(t, setupOptions{serviceApp: true,
		triggers: `  - name: audit-factor
    on: user.mfa.factor.activate
    run: { file: {{flow}}, workflow: get-user }
    connection: okta
    inputs: { userId: $event.oktaUser.id }
    ignoreActor: self
  - name: on-deactivate
    on: user.lifecycle.deactivate
    run: { file: {{flow}}, workflow: get-user }
    connection: okta
    inputs:
      userId: $event.oktaUser.id
    ignoreActor: self
`,
		backfill:  "backfill: { enabled: true }\n",
		pollEvery: 50 * time.Millisecond,
	})
	s.registerHook()
	userID := s.createUser("service-app@example.com")
	s.activateTOTP(userID)
	run := s.waitRuns(1)[0]
	if run.Status != store.RunSucceeded || run.Trigger != "audit-factor" {
		t.Fatalf("run: %s %s %s", run.Trigger, run.Status, run.Error)
	}
	time.Sleep(200 * time.Millisecond) // a few polls: backfill finds the event too
	s.settle()
	if runs := s.runsOf(run.EventUUID); len(runs) != 1 {
		t.Errorf("event %s has %d runs, want exactly 1", run.EventUUID, len(runs))
	}
	var ev struct {
		Duplicates int `json:"duplicates"`
	}
	s.api("GET", "/api/v1/events/"+run.EventUUID, apiToken, &ev)
	if ev.Duplicates == 0 {
		t.Errorf("backfill did not find the event the hook delivered (no duplicate recorded)")
	}
	var detail struct {
		Steps []struct {
			Auth string `json:"auth"`
		} `json:"steps"`
	}
	s.api("GET", "/api/v1/runs/"+run.ID, apiToken, &detail)
	if len(detail.Steps) != 1 || !strings.Contains(detail.Steps[0].Auth, "Okta service app "+serviceAppID) {
		t.Errorf("the run's step does not say the connection authenticated it: %s", detail.Steps)
	}

	// The app deactivates the user: the event's actor is the app, which is trama itself.
	a, err := credential.New(*s.srvConfig().Okta, credential.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", s.orgURL+"/api/v1/users/"+userID+"/lifecycle/deactivate", nil)
	sec := runner.Security{Method: "POST", Path: "/api/v1/users/{id}/lifecycle/deactivate", ServerURL: s.orgURL}
	if err := a.Prepare(context.Background(), []runner.Security{sec}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(context.Background(), req, sec); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("deactivate as the app: %v %v", err, resp)
	}
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var events struct {
			Items []struct {
				Type    string       `json:"eventType"`
				Skipped []store.Skip `json:"skipped"`
			} `json:"items"`
		}
		s.api("GET", "/api/v1/events?type=user.lifecycle.deactivate", apiToken, &events)
		if len(events.Items) == 1 && len(events.Items[0].Skipped) == 1 {
			if sk := events.Items[0].Skipped[0]; sk.Reason != "loop-guard" || !strings.Contains(sk.Detail, serviceAppID) {
				t.Errorf("the app's own event: %+v", sk)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deactivate event was not polled and skipped: %+v", events)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.assertNoSecrets()
}
