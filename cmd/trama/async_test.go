package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// pushExample is the example that enrolls Okta Verify push and waits for its activation event.
const pushExample = "../../examples/enroll-okta-verify-push.arazzo.yaml"

// approvePush plays the user's phone: it waits for the user's pending push factor and approves it.
func approvePush(t *testing.T, base, token, userID string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", base+"/api/v1/users/"+userID+"/factors", nil)
		req.Header.Set("Authorization", "SSWS "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		var factors []struct{ ID, FactorType, Status string }
		json.NewDecoder(resp.Body).Decode(&factors)
		resp.Body.Close()
		for _, f := range factors {
			if f.FactorType == "push" && f.Status == "PENDING_ACTIVATION" {
				resp, err := http.Post(base+"/emulator/v1/push/"+f.ID, "application/json", strings.NewReader(`{"result":"APPROVE"}`))
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("approve push: %v %v", err, resp)
				}
				resp.Body.Close()
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Error("no pending push factor appeared")
}

// TestRunReceivesOktaEvent (Arazzo 1.1 "Defining Success for Asynchronous Steps": a receive step
// completes on the first correlated message within its timeout): the example enrolls Okta Verify push
// and waits for user.mfa.factor.activate of that user, read from the System Log, until the emulator's
// phone approves. An activation of another user does not end the wait.
func TestRunReceivesOktaEvent(t *testing.T) {
	const token = "canaryTok-async-7e6d5c"
	_, base := startEmulator(t, token)
	userID := createUser(t, base, token, "push.user@example.com")
	other := createUser(t, base, token, "someone.else@example.com")

	done := make(chan struct{})
	go func() {
		defer close(done)
		// Another user's push activation comes first; it does not correlate.
		_, _, _ = trama(t, "run", pushExample, "--server", "okta="+base, "--server", "oktaEvents="+base, "--input", "oktaApiToken="+token,
			"--input", "userId="+other, "--timeout", "200ms")
		approvePush(t, base, token, other)
		time.Sleep(300 * time.Millisecond)
		approvePush(t, base, token, userID)
	}()
	code, out, errOut := trama(t, "run", pushExample, "--server", "okta="+base, "--server", "oktaEvents="+base,
		"--input", "oktaApiToken="+token, "--input", "userId=push.user@example.com", "-o", "json")
	<-done
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:%s\nstderr:%s", code, out, errOut)
	}
	var res struct {
		Outputs map[string]string
		Steps   []struct {
			StepID  string
			Request struct{ Method, URL string }
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res.Outputs["factorId"] == "" || res.Outputs["eventUuid"] == "" || res.Outputs["activatedAt"] == "" {
		t.Errorf("outputs %v", res.Outputs)
	}
	// The event received is this user's activation, as the System Log has it.
	ev := systemLogEvent(t, base, token, res.Outputs["eventUuid"])
	if ev.EventType != "user.mfa.factor.activate" || len(ev.Target) == 0 || ev.Target[0].ID != userID {
		t.Errorf("received %+v, want the activation of %s", ev, userID)
	}
	if last := res.Steps[len(res.Steps)-1]; last.StepID != "waitForActivation" || last.Request.Method != "RECEIVE" ||
		!strings.HasSuffix(last.Request.URL, "/okta/events/user.mfa.factor.activate") {
		t.Errorf("the receive step shows %+v", last)
	}
	if strings.Contains(out+errOut, token) {
		t.Errorf("the token leaked:\n%s%s", out, errOut)
	}
}

// TestRunReceiveTimesOut: without an approval the receive step fails when its timeout passes, saying what
// it waited for, and the run fails (exit 1).
func TestRunReceiveTimesOut(t *testing.T) {
	const token = "canaryTok-async-timeout"
	_, base := startEmulator(t, token)
	createUser(t, base, token, "never.approves@example.com")
	doc := shortTimeoutExample(t, 800)
	start := time.Now()
	code, out, errOut := trama(t, "run", doc, "--server", "okta="+base, "--server", "oktaEvents="+base,
		"--input", "oktaApiToken="+token, "--input", "userId=never.approves@example.com")
	if code != exitFailed || !strings.Contains(out, "no matching message arrived") || !strings.Contains(out, "user.mfa.factor.activate") {
		t.Fatalf("exit %d\nstdout:%s\nstderr:%s", code, out, errOut)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the run took %s with a step timeout of 800 ms", took)
	}
}

// shortTimeoutExample copies the push example and its sources to a temporary directory with the receive
// step's timeout set to ms.
func shortTimeoutExample(t *testing.T, ms int) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"enroll-okta-verify-push.arazzo.yaml", "okta-events.asyncapi.yaml", "okta-mfa.openapi.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../examples", name))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Replace(string(b), "timeout: 300000", "timeout: "+itoa(ms), 1)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "enroll-okta-verify-push.arazzo.yaml")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

type logEvent struct {
	UUID      string
	EventType string
	Target    []struct{ ID string }
}

// systemLogEvent reads one event by uuid through Okta's API.
func systemLogEvent(t *testing.T, base, token, uuid string) logEvent {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/logs?limit=1000", nil)
	req.Header.Set("Authorization", "SSWS "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var evs []logEvent
	json.NewDecoder(resp.Body).Decode(&evs)
	for _, ev := range evs {
		if ev.UUID == uuid {
			return ev
		}
	}
	t.Fatalf("the System Log has no event %s", uuid)
	return logEvent{}
}

// TestRunSendsAndReceivesOnNATS: an AsyncAPI 3.0 workflow against a real NATS server with JetStream sends
// an order (payload and correlation header), and its receive step skips a confirmation for another
// order and takes the one that carries its correlation id at the message's declared location
// ($message.header#/correlationId), with $message.payload and $message.header in its criteria and
// outputs.
func TestRunSendsAndReceivesOnNATS(t *testing.T) {
	u := os.Getenv("TRAMA_TEST_NATS_URL")
	if u == "" {
		u = "nats://127.0.0.1:4222"
	}
	nc, err := nats.Connect(u, nats.Timeout(2*time.Second))
	if err != nil {
		t.Skipf("no NATS server at %s (%v): start one with `nats-server -js` or set TRAMA_TEST_NATS_URL", u, err)
	}
	defer nc.Close()
	run := fmt.Sprintf("r%d", time.Now().UnixNano())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stream := "TRAMA_TEST_" + run
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{"trama.test." + run + ".>"},
		Storage: jetstream.MemoryStorage}); err != nil {
		t.Skipf("JetStream is not available at %s (%v): start the server with -js", u, err)
	}
	t.Cleanup(func() { js.DeleteStream(context.Background(), stream) })

	// The order service: confirms each order placed, first someone else's, then this one.
	placed := make(chan *nats.Msg, 1)
	sub, err := nc.Subscribe("trama.test."+run+".orders.placed", func(m *nats.Msg) {
		placed <- m
		for _, c := range []struct{ corr, body string }{
			{"someone-else", `{"orderId":"o-0","status":"rejected"}`},
			{m.Header.Get("correlationId"), `{"orderId":"o-42","status":"confirmed"}`},
		} {
			reply := nats.NewMsg("trama.test." + run + ".orders.confirmed")
			reply.Header.Set("correlationId", c.corr)
			reply.Header.Set("X-Confirmed-By", "order-service")
			reply.Data = []byte(c.body)
			if _, err := js.PublishMsg(context.Background(), reply); err != nil {
				t.Error(err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	code, out, errOut := trama(t, "run", "testdata/orders.arazzo.yaml", "--server", "orders="+u, "--input", "run="+run,
		"--input", "correlationId=c-7", "--input", "petId=7", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:%s\nstderr:%s", code, out, errOut)
	}
	var res struct{ Outputs map[string]string }
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Outputs["orderId"] != "o-42" || res.Outputs["confirmedBy"] != "order-service" {
		t.Errorf("outputs %v", res.Outputs)
	}
	m := <-placed
	var order map[string]any
	json.Unmarshal(m.Data, &order)
	if m.Header.Get("correlationId") != "c-7" || m.Header.Get("Content-Type") != "application/json" || order["petId"] != 7.0 {
		t.Errorf("the service got %v %s", m.Header, m.Data)
	}

	// Nobody confirms: the receive step fails at its timeout.
	sub.Unsubscribe()
	dir := t.TempDir()
	for _, name := range []string{"orders.arazzo.yaml", "orders.asyncapi.yaml"} {
		b, _ := os.ReadFile(filepath.Join("testdata", name))
		os.WriteFile(filepath.Join(dir, name), []byte(strings.Replace(string(b), "timeout: 5000", "timeout: 300", 1)), 0o600)
	}
	code, out, _ = trama(t, "run", filepath.Join(dir, "orders.arazzo.yaml"), "--server", "orders="+u, "--input", "run="+run,
		"--input", "correlationId=c-8", "--input", "petId=8")
	if code != exitFailed || !strings.Contains(out, "no matching message arrived") {
		t.Errorf("without a confirmation: exit %d\n%s", code, out)
	}
}

// TestRunReceivesOnOktasOwnDescription: Okta's AsyncAPI description of event hooks works as the source of
// a receive step: on its delivery channel each event comes in a delivery envelope, and with no declared
// correlation location an event correlates by its targets' ids, here the push factor's enrollment.
func TestRunReceivesOnOktasOwnDescription(t *testing.T) {
	if _, err := os.Stat("../../../shared/okta/okta-events-asyncapi.yml"); err != nil {
		t.Skip("Okta's AsyncAPI description is not in ../shared/okta")
	}
	const token = "canaryTok-hooks-desc"
	_, base := startEmulator(t, token)
	userID := createUser(t, base, token, "hooks.desc@example.com")
	go approvePush(t, base, token, userID)
	code, out, errOut := trama(t, "run", "testdata/okta-hooks.arazzo.yaml", "--server", "okta="+base, "--server", "oktaHooks="+base,
		"--input", "oktaApiToken="+token, "--input", "userId="+userID)
	if code != exitOK || !strings.Contains(out, "reason: User set up OKTA_VERIFY_PUSH factor") {
		t.Fatalf("exit %d\nstdout:%s\nstderr:%s", code, out, errOut)
	}
}
