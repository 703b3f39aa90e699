package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// enrollTrigger runs the catalog's enroll-and-activate seed for the user of each factor activation: it
// needs a passCode that exists only once the factor is enrolled. extra adds trigger settings.
func enrollTrigger(t *testing.T, extra string) string {
	seed, err := filepath.Abs("../../shared/okta/arazzo/okta-enroll-and-activate-factor-workflow.yml")
	if err != nil {
		t.Fatal(err)
	}
	return `  - name: enroll-totp
    on: user.mfa.factor.activate
    run: { file: ` + seed + `, workflow: enroll-and-activate-factor }
    inputs:
      userId: $event.oktaUser.id
      oktaApiToken: $env.OKTA_API_TOKEN
      factorType: token:software:totp
      provider: GOOGLE
` + extra
}

// waitStatus polls the API until the run of eventUUID has status, and returns it.
func (s *setup) waitStatus(eventUUID, status string) apiRun {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if runs := s.runsOf(eventUUID); len(runs) == 1 && runs[0].Status == status {
			return runs[0]
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %s run for event %s: %+v\nlogs:\n%s", status, eventUUID, s.runsOf(eventUUID), tail(s.logs.String(), 3000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// resume posts a resume request and returns the status code and body.
func (s *setup) resume(runID, body string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.url+"/api/v1/runs/"+runID+"/resume", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// TestServeRunWaitsForAnInput: the enroll seed in trama serve stops at activateFactor, waiting for the
// passCode (no goroutine, no lease), says so in the API, and resumes when someone supplies the code: the
// factor is enrolled once and activated. The code never appears in the history or the logs.
func TestServeRunWaitsForAnInput(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: enrollTrigger(t, ""), servers: "  oktaApi: ${OKTA_ORG_URL}\n"})
	userID := s.createUser("wait.for.me@example.com")
	uuid := "0c0c0c0c-0000-11ef-8000-000000000001"
	if code, body := s.post(envelope("wait-1", "00uadmin", userID, uuid), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	run := s.waitStatus(uuid, "waiting")

	var shown struct {
		WaitingFor struct{ Input, StepID, Description string }
		Steps      []struct {
			StepID  string
			Outputs map[string]any
		}
	}
	if code := s.api("GET", "/api/v1/runs/"+run.ID, apiToken, &shown); code != 200 {
		t.Fatalf("get run: %d", code)
	}
	if shown.WaitingFor.Input != "passCode" || shown.WaitingFor.StepID != "activateFactor" || len(shown.Steps) != 1 {
		t.Fatalf("the waiting run shows %+v", shown)
	}
	factorID, _ := shown.Steps[0].Outputs["factorId"].(string)

	// A resume without the input it waits for, or of a run that does not exist, is refused.
	if code, body := s.resume(run.ID, `{"inputs":{"pass":"1"}}`); code != http.StatusConflict || !strings.Contains(body, `waits for input \"passCode\"`) {
		t.Errorf("resume without passCode: %d %s", code, body)
	}
	if code, _ := s.resume("no-such-run", `{"inputs":{"passCode":"1"}}`); code != http.StatusNotFound {
		t.Errorf("resume of an unknown run: %d", code)
	}

	resp, err := http.Get(s.orgURL + "/emulator/v1/users/" + userID + "/factors/" + factorID + "/passcode")
	if err != nil {
		t.Fatal(err)
	}
	var pc struct{ PassCode string }
	json.NewDecoder(resp.Body).Decode(&pc)
	resp.Body.Close()
	if code, body := s.resume(run.ID, `{"inputs":{"passCode":"`+pc.PassCode+`"},"by":"ann"}`); code != 200 {
		t.Fatalf("resume: %d %s", code, body)
	}
	done := s.waitStatus(uuid, "succeeded")
	var factors []struct{ ID, Status string }
	s.okta("GET", "/api/v1/users/"+userID+"/factors", nil, &factors)
	if len(factors) != 1 || factors[0].ID != factorID || factors[0].Status != "ACTIVE" {
		t.Errorf("factors after the resumed run: %+v", factors)
	}
	var final struct {
		Inputs map[string]any
		Steps  []struct{ StepID string }
		Audit  []struct{ Actor, Action, Detail string }
	}
	s.api("GET", "/api/v1/runs/"+done.ID, apiToken, &final)
	if final.Inputs["passCode"] != "****" || len(final.Steps) != 2 || len(final.Audit) != 1 || final.Audit[0].Actor != "ann" {
		t.Errorf("the finished run shows %+v", final)
	}
	for name, text := range map[string]string{"logs": s.logs.String(), "API answers": strings.Join(s.seen, "\n")} {
		if strings.Contains(text, `"`+pc.PassCode+`"`) {
			t.Errorf("the passcode appears in the %s", name)
		}
	}
}

// TestServeWaitTimesOut: a run nobody resumes fails when its inputTimeout passes, saying what it waited
// for; a trigger with the totp helper needs nobody.
func TestServeWaitTimesOut(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: enrollTrigger(t, "    inputTimeout: 1s\n"), servers: "  oktaApi: ${OKTA_ORG_URL}\n"})
	userID := s.createUser("nobody.answers@example.com")
	uuid := "0c0c0c0c-0000-11ef-8000-000000000002"
	if code, body := s.post(envelope("wait-2", "00uadmin", userID, uuid), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	s.waitStatus(uuid, "waiting")
	failed := s.waitStatus(uuid, "failed")
	if !strings.HasPrefix(failed.Error, `timed out waiting for input "passCode" of step "activateFactor"`) {
		t.Errorf("error %q", failed.Error)
	}
}

func TestServeInputHelper(t *testing.T) {
	s := newSetup(t, setupOptions{triggers: enrollTrigger(t, "    inputHelpers: [totp]\n"), servers: "  oktaApi: ${OKTA_ORG_URL}\n"})
	userID := s.createUser("service.account@example.com")
	uuid := "0c0c0c0c-0000-11ef-8000-000000000003"
	if code, body := s.post(envelope("wait-3", "00uadmin", userID, uuid), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	s.waitStatus(uuid, "succeeded")
}
