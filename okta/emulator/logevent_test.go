package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trama-dev/trama/okta"
)

func TestFactorActivateEventShape(t *testing.T) {
	o := newTestOrg(t, Options{})
	uid := o.createUser("shape@example.com")
	f := o.enroll(uid, map[string]any{"factorType": "token:software:totp", "provider": "OKTA"}, "")
	fid := f["id"].(string)
	r := o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/lifecycle/activate", map[string]string{"passCode": o.passcode(uid, fid)})
	wantStatus(t, r, 200)
	reqID := r.header.Get("X-Okta-Request-Id")

	logs := o.do("GET", "/api/v1/logs?filter="+url.QueryEscape(`eventType eq "user.mfa.factor.activate"`), nil)
	wantStatus(t, logs, 200)
	var evs []okta.LogEvent
	logs.json(t, &evs)
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[0]
	id, err := uuid.Parse(ev.UUID)
	if err != nil || id.Version() != 1 {
		t.Errorf("uuid %q is not a v1 uuid", ev.UUID)
	}
	raw := map[string]any{}
	var arr []map[string]any
	logs.json(t, &arr)
	raw = arr[0]
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(raw["published"].(string)) {
		t.Errorf("published %v", raw["published"])
	}
	admin := o.do("GET", "/api/v1/users/me", nil).obj(t)
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", raw["version"], "0"},
		{"displayMessage", ev.DisplayMessage, "Activate factor for user"},
		{"reason", ev.Outcome.Reason, "User set up OKTA_SOFT_TOKEN factor"},
		{"result", ev.Outcome.Result, "SUCCESS"},
		{"legacyEventType", ev.LegacyEventType, "core.user.factor.activate"},
		{"actor", ev.Actor.ID, admin["id"]},
		{"target", ev.Target[0].ID, uid},
		{"target type", ev.Target[0].Type, "User"},
		{"transaction.id", ev.Transaction.ID, reqID},
		{"transaction.type", ev.Transaction.Type, "WEB"},
		{"debugData.requestId", ev.DebugContext.DebugData["requestId"], reqID},
		{"debugData.requestUri", ev.DebugContext.DebugData["requestUri"], "/api/v1/users/" + uid + "/factors/" + fid + "/lifecycle/activate"},
		{"client.zone", ev.Client.Zone, "null"},
		{"client.ipAddress", ev.Client.IPAddress, "127.0.0.1"},
		{"severity", ev.Severity, "INFO"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if tok, _ := ev.Transaction.Detail["requestApiTokenId"].(string); !strings.HasPrefix(tok, "00T") || strings.Contains(string(logs.body), o.token) {
		t.Errorf("token id %q (and the token itself must never appear)", tok)
	}
}

func TestLogsPagination(t *testing.T) {
	o := newTestOrg(t, Options{})
	since := o.e.Clock().Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	for i := range 5 {
		o.createUser("p" + string(rune('a'+i)) + "@example.com") // create + activate: two events each
	}
	nextOf := func(r response) string {
		for _, l := range r.header.Values("Link") {
			if strings.HasSuffix(l, `rel="next"`) {
				u, _ := url.Parse(strings.Trim(strings.SplitN(l, ";", 2)[0], "<>"))
				return u.RequestURI()
			}
		}
		return ""
	}
	// Polling (since, no until): pages of 3, and a next link even on the empty last page.
	path := "/api/v1/logs?since=" + url.QueryEscape(since) + "&limit=3"
	total := 0
	for range 10 {
		r := o.do("GET", path, nil)
		wantStatus(t, r, 200)
		var evs []map[string]any
		r.json(t, &evs)
		total += len(evs)
		path = nextOf(r)
		if path == "" {
			t.Fatal("polling page without rel=next")
		}
		if len(evs) == 0 {
			break
		}
	}
	if total != 10 {
		t.Fatalf("polled %d events, want 10", total)
	}
	// Bounded (since and until): the last page has no next link.
	until := o.e.Clock().Now().Add(time.Minute).UTC().Format(time.RFC3339)
	path = "/api/v1/logs?since=" + url.QueryEscape(since) + "&until=" + url.QueryEscape(until) + "&limit=4"
	pages := 0
	for path != "" {
		r := o.do("GET", path, nil)
		wantStatus(t, r, 200)
		path = nextOf(r)
		pages++
		if pages > 5 {
			t.Fatal("bounded query does not end")
		}
	}
	if pages != 3 {
		t.Fatalf("%d pages, want 3", pages)
	}
	wantError(t, o.do("GET", "/api/v1/logs?filter="+url.QueryEscape(`eventType eq`), nil), 400, "E0000053")
	wantError(t, o.do("GET", "/api/v1/logs?since=yesterday", nil), 400, "E0000001")
}

// receiver is an event-hook endpoint: it answers the verification GET and records deliveries.
type receiver struct {
	mu         sync.Mutex
	deliveries []okta.Delivery
	auth       []string
	status     int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		json.NewEncoder(w).Encode(okta.VerificationResponse{Verification: r.Header.Get(okta.VerificationHeader)})
		return
	}
	body, _ := io.ReadAll(r.Body)
	var d okta.Delivery
	json.Unmarshal(body, &d)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.deliveries = append(rc.deliveries, d)
	rc.auth = append(rc.auth, r.Header.Get("Authorization"))
	if rc.status != 0 {
		w.WriteHeader(rc.status)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) events(eventType string) []okta.LogEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []okta.LogEvent
	for _, d := range rc.deliveries {
		for _, ev := range d.Data.Events {
			if ev.EventType == eventType {
				out = append(out, ev)
			}
		}
	}
	return out
}

func TestEventHookDelivery(t *testing.T) {
	rc := &receiver{}
	hookSrv := httptest.NewServer(rc)
	t.Cleanup(hookSrv.Close)
	o := newTestOrg(t, Options{AllowHTTPHooks: true, HookBatchWindow: 20 * time.Millisecond})

	create := o.do("POST", "/api/v1/eventHooks", map[string]any{
		"name":   "factor activations",
		"events": map[string]any{"type": "EVENT_TYPE", "items": []string{"user.mfa.factor.activate"}},
		"channel": map[string]any{"type": "HTTP", "version": "1.0.0", "config": map[string]any{
			"uri":        hookSrv.URL + "/okta",
			"authScheme": map[string]any{"type": "HEADER", "key": "Authorization", "value": "hook-secret"},
		}},
	})
	wantStatus(t, create, 200)
	hook := create.obj(t)
	if hook["status"] != "ACTIVE" || hook["verificationStatus"] != "UNVERIFIED" || strings.Contains(string(create.body), "hook-secret") {
		t.Fatalf("created hook %s", create.body)
	}
	hid := hook["id"].(string)

	// Unverified hooks get nothing.
	uid := o.createUser("hooked@example.com")
	activateTOTP := func() {
		f := o.enroll(uid, map[string]any{"factorType": "token:software:totp", "provider": "OKTA"}, "")
		fid := f["id"].(string)
		wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/lifecycle/activate", map[string]string{"passCode": o.passcode(uid, fid)}), 200)
	}
	activateTOTP()
	flush(t, o)
	if n := len(rc.events("user.mfa.factor.activate")); n != 0 {
		t.Fatalf("unverified hook received %d events", n)
	}

	v := o.do("POST", "/api/v1/eventHooks/"+hid+"/lifecycle/verify", nil)
	wantStatus(t, v, 200)
	if v.obj(t)["verificationStatus"] != "VERIFIED" {
		t.Fatalf("verify: %s", v.body)
	}
	wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/lifecycle/reset_factors", nil), 200)
	activateTOTP()
	flush(t, o)
	got := rc.events("user.mfa.factor.activate")
	if len(got) != 1 || got[0].Target[0].ID != uid || got[0].Outcome.Reason != "User set up OKTA_SOFT_TOKEN factor" {
		t.Fatalf("delivered %+v", got)
	}
	rc.mu.Lock()
	d, auth := rc.deliveries[0], rc.auth[0]
	rc.mu.Unlock()
	if d.EventType != okta.EventHookEventType || d.CloudEventsVersion != "0.1" || d.Source != o.e.BaseURL()+"/api/v1/eventHooks/"+hid || auth != "hook-secret" {
		t.Fatalf("envelope %+v auth %q", d, auth)
	}
	var attempts []map[string]any
	o.do("GET", "/emulator/v1/deliveries", nil).json(t, &attempts)
	if len(attempts) != 1 || attempts[0]["success"] != true {
		t.Fatalf("deliveries %v", attempts)
	}
	for _, typ := range []string{"event_hook.created", "event_hook.verified"} {
		evs := o.events(typ)
		if len(evs) != 1 {
			t.Fatalf("%d %s events", len(evs), typ)
		}
		if evs[0]["actor"].(map[string]any)["alternateId"] != "admin@example.com" {
			t.Errorf("%s actor %v", typ, evs[0]["actor"])
		}
	}

	// A receiver failing with 500 gets one retry, then the failure is logged.
	rc.mu.Lock()
	rc.status = http.StatusInternalServerError
	rc.mu.Unlock()
	wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/lifecycle/reset_factors", nil), 200)
	activateTOTP()
	flush(t, o)
	o.do("GET", "/emulator/v1/deliveries", nil).json(t, &attempts)
	if len(attempts) != 3 {
		t.Fatalf("want 1 success + 2 failed attempts, got %v", attempts)
	}
	if n := len(o.events("event_hook.delivery")); n != 1 {
		t.Fatalf("%d event_hook.delivery events", n)
	}

	// Hooks are deleted only when INACTIVE.
	if r := o.do("DELETE", "/api/v1/eventHooks/"+hid, nil); r.status < 400 {
		t.Fatalf("deleted an active hook: %d", r.status)
	}
	wantStatus(t, o.do("POST", "/api/v1/eventHooks/"+hid+"/lifecycle/deactivate", nil), 200)
	wantStatus(t, o.do("DELETE", "/api/v1/eventHooks/"+hid, nil), 204)
	wantError(t, o.do("GET", "/api/v1/eventHooks/"+hid, nil), 404, "E0000007")
}

func flush(t *testing.T, o *testOrg) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	time.Sleep(50 * time.Millisecond) // let the batch window open before waiting on it
	if err := o.e.hooks.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// newHookServer starts rc on loopback and returns its URL.
func newHookServer(t *testing.T, rc *receiver) string {
	t.Helper()
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv.URL
}
