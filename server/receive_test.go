package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/queue"
	"github.com/trama-dev/trama/server"
	"github.com/trama-dev/trama/store"
)

// pushTrigger runs the push example (enroll Okta Verify push, then receive user.mfa.factor.activate) for
// the user of each user.lifecycle.activate event. file is the example or a copy of it.
func pushTrigger(file string) string {
	return `  - name: enroll-push
    on: user.lifecycle.activate
    run: { file: ` + file + `, workflow: enroll-okta-verify-push }
    inputs:
      userId: $event.oktaUser.id
      oktaApiToken: $env.OKTA_API_TOKEN
`
}

// lifecycleDelivery is an event-hook delivery of user.lifecycle.activate for userID.
func lifecycleDelivery(eventID, userID, uuid string) []byte {
	return oktatest.Delivery(eventID, oktatest.Event{UUID: uuid, Type: "user.lifecycle.activate", UserID: userID,
		Published: time.Now().UTC()})
}

// approvePush approves the user's pending push factor on the emulator's phone and returns its id.
func (s *setup) approvePush(userID string) string {
	s.t.Helper()
	var factors []struct{ ID, FactorType, Status string }
	s.okta("GET", "/api/v1/users/"+userID+"/factors", nil, &factors)
	for _, f := range factors {
		if f.FactorType == "push" && f.Status == "PENDING_ACTIVATION" {
			resp, err := http.Post(s.orgURL+"/emulator/v1/push/"+f.ID, "application/json", strings.NewReader(`{"result":"APPROVE"}`))
			if err != nil || resp.StatusCode != 200 {
				s.t.Fatalf("approve push: %v %v", err, resp)
			}
			resp.Body.Close()
			return f.ID
		}
	}
	s.t.Fatalf("user %s has no pending push factor: %+v", userID, factors)
	return ""
}

// TestServeReceivesOktaEvent: in trama serve the push example's receive step waits durably (the run is
// waiting, with what for, holding no worker), and the activation event Okta delivers by event hook —
// not another user's — resumes it at that step: the run succeeds with the event as $message.
func TestServeReceivesOktaEvent(t *testing.T) {
	example, err := filepath.Abs("../examples/enroll-okta-verify-push.arazzo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := newSetup(t, setupOptions{triggers: pushTrigger(example), servers: "  oktaEvents: ${OKTA_ORG_URL}\n"})
	s.registerHook()
	userID := s.createUser("push.serve@example.com")
	other := s.createUser("other.serve@example.com")
	uuid, otherUUID := "0d0d0d0d-0000-11ef-8000-000000000001", "0d0d0d0d-0000-11ef-8000-000000000002"
	for _, d := range [][]byte{lifecycleDelivery("push-1", userID, uuid), lifecycleDelivery("push-2", other, otherUUID)} {
		if code, body := s.post(d, "application/json", hookSecret); code != 200 {
			t.Fatalf("delivery: %d %s", code, body)
		}
	}
	run := s.waitStatus(uuid, "waiting")
	s.waitStatus(otherUUID, "waiting")
	var shown struct {
		WaitingFor struct {
			StepID  string
			Message struct{ Channel, EventType, Correlation string }
		}
	}
	if code := s.api("GET", "/api/v1/runs/"+run.ID, apiToken, &shown); code != 200 {
		t.Fatalf("get run: %d", code)
	}
	var factors []struct{ ID, FactorType string }
	s.okta("GET", "/api/v1/users/"+userID+"/factors", nil, &factors)
	if w := shown.WaitingFor; w.StepID != "waitForActivation" || w.Message.EventType != "user.mfa.factor.activate" ||
		len(factors) != 1 || w.Message.Correlation != factors[0].ID {
		t.Fatalf("the waiting run shows %+v", shown)
	}

	// A message wait takes no input: resuming it says what it waits for.
	if code, body := s.resume(run.ID, `{"inputs":{"x":"1"}}`); code != http.StatusConflict || !strings.Contains(body, "waits for a message on okta/events/user.mfa.factor.activate") {
		t.Errorf("resume of a message wait: %d %s", code, body)
	}

	// The other user approves first: their run resumes, this one keeps waiting.
	s.approvePush(other)
	s.waitStatus(otherUUID, "succeeded")
	if r := s.runsOf(uuid); r[0].Status != "waiting" {
		t.Fatalf("another user's activation moved the run to %s", r[0].Status)
	}
	factorID := s.approvePush(userID)
	done := s.waitStatus(uuid, "succeeded")
	var outputs map[string]string
	json.Unmarshal(done.Outputs, &outputs)
	if outputs["factorId"] != factorID || outputs["eventUuid"] == "" {
		t.Errorf("outputs %v", outputs)
	}
	// The history keeps the message the step received, as its response.
	var final struct {
		Steps []struct {
			StepID   string
			Method   string
			Response json.RawMessage
		}
	}
	s.api("GET", "/api/v1/runs/"+done.ID, apiToken, &final)
	last := final.Steps[len(final.Steps)-1]
	var received struct {
		Payload struct {
			EventType string
			UUID      string
		}
	}
	if err := json.Unmarshal(last.Response, &received); err != nil || last.StepID != "waitForActivation" || last.Method != "RECEIVE" ||
		received.Payload.EventType != "user.mfa.factor.activate" || received.Payload.UUID != outputs["eventUuid"] {
		t.Errorf("the receive step's history: %s %s %s (%v)", last.StepID, last.Method, last.Response, err)
	}
	var activation struct {
		Type    string `json:"eventType"`
		Payload struct{ Target []struct{ ID string } }
	}
	if code := s.api("GET", "/api/v1/events/"+outputs["eventUuid"], apiToken, &activation); code != 200 ||
		activation.Type != "user.mfa.factor.activate" || activation.Payload.Target[0].ID != userID {
		t.Errorf("the run received event %s: %d %+v", outputs["eventUuid"], code, activation)
	}
}

// TestServeReceiveTimesOut: a receive step whose event never comes fails at its timeout, saying what it
// waited for; the run does not stay waiting.
func TestServeReceiveTimesOut(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"enroll-okta-verify-push.arazzo.yaml", "okta-events.asyncapi.yaml", "okta-mfa.openapi.yaml"} {
		b, err := os.ReadFile(filepath.Join("../examples", name))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Replace(string(b), "timeout: 300000", "timeout: 1000", 1)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := newSetup(t, setupOptions{triggers: pushTrigger(filepath.Join(dir, "enroll-okta-verify-push.arazzo.yaml"))})
	userID := s.createUser("push.timeout@example.com")
	uuid := "0d0d0d0d-0000-11ef-8000-000000000003"
	if code, body := s.post(lifecycleDelivery("push-3", userID, uuid), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	s.waitStatus(uuid, "waiting")
	failed := s.waitStatus(uuid, "failed")
	if !strings.Contains(failed.Error, "step waitForActivation") || !strings.Contains(failed.Error, "no matching message arrived") {
		t.Errorf("error %q", failed.Error)
	}
}

// TestServeReceiveSurvivesRestart: a run waiting for Okta's event holds nothing in the process; trama
// stops, starts again on the same store, and the activation Okta then delivers resumes the run there.
func TestServeReceiveSurvivesRestart(t *testing.T) {
	example, err := filepath.Abs("../examples/enroll-okta-verify-push.arazzo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := newSetup(t, setupOptions{triggers: pushTrigger(example)})
	s.registerHook()
	userID := s.createUser("push.restart@example.com")
	uuid := "0d0d0d0d-0000-11ef-8000-000000000004"
	if code, body := s.post(lifecycleDelivery("push-4", userID, uuid), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	run := s.waitStatus(uuid, "waiting")
	if err := s.srv.Stop(); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"OKTA_API_TOKEN": oktaToken, "OKTA_ORG_URL": s.orgURL}[k]
		return v, ok
	}
	srv, err := server.Start(context.Background(), s.srvConfig(), server.Options{Env: env,
		Queue: queue.Options{RetryBase: 50 * time.Millisecond, ShutdownTimeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	s.proxy.mu.Lock()
	s.proxy.target = srv.URL
	s.proxy.mu.Unlock()

	s.approvePush(userID)
	deadline := time.Now().Add(15 * time.Second)
	for {
		r, err := srv.Store().GetRun(context.Background(), run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == store.RunSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart the run is %s: %s", r.Status, r.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
