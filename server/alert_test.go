package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/server"
)

// alertHook is a chat webhook: it keeps every alert body; while down it answers 503.
type alertHook struct {
	mu     sync.Mutex
	down   bool
	bodies []map[string]any
}

func (h *alertHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	h.bodies = append(h.bodies, m)
}

func (h *alertHook) received() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.bodies...)
}

// TestAlertOncePerFailedRun: a run that fails sends one alert to the trigger's webhook, with a body chat
// tools show ("text"); the alert is queued with the failure, so a webhook that is down when the run fails,
// and a restart of trama meanwhile, still end in exactly one alert.
func TestAlertOncePerFailedRun(t *testing.T) {
	hook := &alertHook{down: true}
	hookSrv := httptest.NewServer(hook)
	defer hookSrv.Close()
	s := newSetup(t, setupOptions{triggers: getUserTrigger("audit-factor", "    alertWebhook: "+hookSrv.URL+"/services/T0/B0/secret-part\n")})
	// The event is about a user Okta does not have: the workflow's getUser answers 404 and the run fails.
	uuid := "0f0f0f0f-0000-11ef-8000-000000000001"
	if code, body := s.post(envelope("alert-1", "00uadmin", "00uNoSuchUser0000001", uuid), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	if c := s.settle(); c.Runs["failed"] != 1 {
		t.Fatalf("runs %+v", c.Runs)
	}
	// The sender tries and fails against the webhook that is down; the failure is recorded for a retry.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if as, _ := s.srv.Store().Alerts(context.Background(), ""); len(as) == 1 && as[0].Error != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sender never tried the alert")
		}
	}
	if err := s.srv.Stop(); err != nil {
		t.Fatal(err)
	}

	// trama restarts on the same store; the webhook is back.
	hook.mu.Lock()
	hook.down = false
	hook.mu.Unlock()
	srv, err := server.Start(context.Background(), s.srvConfig(), server.Options{AlertEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	deadline := time.Now().Add(15 * time.Second) // the first retry waits 5 s
	for len(hook.received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show
	got := hook.received()
	if len(got) != 1 {
		t.Fatalf("%d alerts, want exactly 1: %v", len(got), got)
	}
	text, _ := got[0]["text"].(string)
	if !strings.Contains(text, "of trigger audit-factor failed") || !strings.Contains(text, uuid) || strings.Contains(text, oktaToken) {
		t.Errorf("alert text %q", text)
	}
	if strings.Contains(s.logs.String(), "secret-part") {
		t.Error("the webhook's secret path is in the logs")
	}
}
