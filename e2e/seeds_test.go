package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/inputhelper"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/okta/emulator"
	"github.com/trama-dev/trama/runner"
)

const (
	catalog = "../../shared/okta/arazzo/"
	token   = "00e2e-token-5b7c2d"
)

// org is an emulated Okta org on loopback.
type org struct {
	t   *testing.T
	url string
	emu *emulator.Emulator
}

func newOrg(t *testing.T) *org {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	emu, err := emulator.New(emulator.Options{BaseURL: srv.URL, Token: token, AllowHTTPHooks: true, HookBatchWindow: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	srv.Config.Handler = emu
	return &org{t: t, url: srv.URL, emu: emu}
}

func (o *org) call(method, path string, body any, out any) int {
	o.t.Helper()
	var rdr io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rdr = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, o.url+path, rdr)
	req.Header.Set("Authorization", "SSWS "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func (o *org) createUser(login string) string {
	var u struct{ ID string }
	if code := o.call("POST", "/api/v1/users?activate=true", map[string]any{"profile": map[string]any{
		"login": login, "email": login, "firstName": "Ann", "lastName": "Lee"}}, &u); code != 200 {
		o.t.Fatalf("create user: %d", code)
	}
	return u.ID
}

// receiver is an event-hook endpoint that verifies and records deliveries.
type receiver struct {
	mu     sync.Mutex
	events []okta.LogEvent
	got    chan struct{}
	srv    *httptest.Server
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{got: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Authorization") != secret {
			w.WriteHeader(401)
			return
		}
		if c := req.Header.Get(okta.VerificationHeader); c != "" {
			json.NewEncoder(w).Encode(okta.VerificationResponse{Verification: c})
			return
		}
		var d okta.Delivery
		if err := json.NewDecoder(req.Body).Decode(&d); err != nil {
			w.WriteHeader(400)
			return
		}
		r.mu.Lock()
		r.events = append(r.events, d.Data.Events...)
		r.mu.Unlock()
		r.got <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) waitFor(t *testing.T, eventType, userID string) okta.LogEvent {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		for _, e := range r.events {
			if u, ok := e.UserTarget(); ok && e.EventType == eventType && u.ID == userID {
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("no %s delivery for %s", eventType, userID)
		}
	}
}

func (o *org) hookTo(r *receiver, secret string, types ...string) {
	o.t.Helper()
	var h struct{ ID string }
	o.call("POST", "/api/v1/eventHooks", map[string]any{
		"name":   "e2e",
		"events": map[string]any{"type": "EVENT_TYPE", "items": types},
		"channel": map[string]any{"type": "HTTP", "version": "1.0.0", "config": map[string]any{
			"uri": r.srv.URL + "/hook", "authScheme": map[string]any{"type": "HEADER", "key": "Authorization", "value": secret}}},
	}, &h)
	var v struct{ VerificationStatus string }
	if code := o.call("POST", "/api/v1/eventHooks/"+h.ID+"/lifecycle/verify", nil, &v); code != 200 || v.VerificationStatus != "VERIFIED" {
		o.t.Fatalf("verify hook: %d %s", code, v.VerificationStatus)
	}
}

func runSeed(t *testing.T, o *org, file, workflow string, inputs map[string]any, provider runner.InputProvider) *runner.Result {
	t.Helper()
	b, err := (&arazzo.Loader{}).Load(context.Background(), catalog+file)
	if err != nil {
		t.Fatal(err)
	}
	if diags := b.Validate(arazzo.ValidateOptions{}); arazzo.HasErrors(diags) {
		t.Fatalf("seed does not validate: %v", diags)
	}
	r := runner.New(b, runner.Options{Servers: map[string]string{"oktaApi": o.url}, InputProvider: provider})
	res, err := r.Run(context.Background(), workflow, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != runner.StatusSucceeded {
		out, _ := json.MarshalIndent(res, "", "  ")
		t.Fatalf("%s failed:\n%s", workflow, out)
	}
	return res
}

// TestSeedWorkflowsAgainstTheEmulator runs the two seed workflows as published in Okta's catalog: enroll and
// activate a TOTP factor (the passCode, which exists only after enrollment, comes from the emulator's
// virtual authenticator when the activation step first needs it), then reset all factors and re-enroll.
// The activation must reach the System Log and a verified event hook.
func TestSeedWorkflowsAgainstTheEmulator(t *testing.T) {
	o := newOrg(t)
	const secret = "hook-secret-e2e"
	rcv := newReceiver(t, secret)
	o.hookTo(rcv, secret, "user.mfa.factor.activate", "user.mfa.factor.reset_all")
	userID := o.createUser("ann.lee@example.com")

	asked := 0
	auth := &inputhelper.EmulatorDevice{BaseURL: o.url, OnCode: func(string, string) { asked++ }}
	res := runSeed(t, o, "okta-enroll-and-activate-factor-workflow.yml", "enroll-and-activate-factor", map[string]any{
		"oktaApiToken": token, "userId": userID, "factorType": "token:software:totp", "provider": "GOOGLE",
	}, auth)
	if asked != 1 {
		t.Errorf("the passcode was asked for %d times, want once", asked)
	}
	factorID, _ := res.Outputs["factorId"].(string)
	if res.Outputs["activatedStatus"] != "ACTIVE" || factorID == "" {
		t.Errorf("outputs = %v", res.Outputs)
	}

	// The System Log has the activation, with Okta's shape.
	var logs []okta.LogEvent
	q := url.Values{"filter": {`eventType eq "user.mfa.factor.activate" and target.id eq "` + userID + `"`}}
	if code := o.call("GET", "/api/v1/logs?"+q.Encode(), nil, &logs); code != 200 || len(logs) != 1 {
		t.Fatalf("logs: %d, %d events", code, len(logs))
	}
	ev := logs[0]
	if ev.Version != "0" || ev.Actor == nil || ev.Actor.AlternateID == "" || ev.Outcome == nil ||
		!strings.HasPrefix(ev.Outcome.Reason, "User set up ") || ev.DebugContext == nil ||
		ev.Transaction == nil || ev.Transaction.ID != ev.DebugContext.DebugData["requestId"] {
		t.Errorf("LogEvent shape: %+v", ev)
	}
	// …and the verified hook received it.
	delivered := rcv.waitFor(t, "user.mfa.factor.activate", userID)
	if delivered.UUID != ev.UUID {
		t.Errorf("delivered uuid %s, logged %s", delivered.UUID, ev.UUID)
	}

	res = runSeed(t, o, "okta-reset-and-reenroll-factor-workflow.yml", "reset-and-reenroll-factor", map[string]any{
		"oktaApiToken": token, "userId": userID, "factorType": "token:software:totp", "provider": "GOOGLE",
	}, nil)
	if res.Outputs["userId"] != userID || res.Outputs["factorId"] == factorID || res.Outputs["factorId"] == "" {
		t.Errorf("reset outputs = %v (old factor %s)", res.Outputs, factorID)
	}
	rcv.waitFor(t, "user.mfa.factor.reset_all", userID)
	var factors []map[string]any
	o.call("GET", "/api/v1/users/"+userID+"/factors", nil, &factors)
	if len(factors) != 1 || factors[0]["status"] != "PENDING_ACTIVATION" {
		t.Errorf("after reset and re-enroll the user has %v", factors)
	}
}
