package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
	"github.com/trama-dev/trama/store/storetest"
)

// TestEnrollSeedRunsWithTOTPHelper: the enroll-and-activate seed, whose passCode exists only after
// enrolment, runs without a terminal: the totp helper computes the code from the enrollment's shared
// secret and the emulator checks it as Okta would (RFC 6238).
func TestEnrollSeedRunsWithTOTPHelper(t *testing.T) {
	const token = "canaryTok-totp-5a4b3c"
	_, base := startEmulator(t, token)
	userID := createUser(t, base, token, "svc-account@example.com")
	seed := filepath.Join(catalog, "okta-enroll-and-activate-factor-workflow.yml")
	run := func(userID string, extra ...string) (int, string, string) {
		return trama(t, append([]string{"run", seed, "--server", "oktaApi=" + base, "--input", "oktaApiToken=" + token,
			"--input", "userId=" + userID, "--input", "factorType=token:software:totp", "--input", "provider=GOOGLE"}, extra...)...)
	}

	code, out, errOut := run(userID, "--input-helper", "totp")
	if code != exitOK || !strings.Contains(out, "activatedStatus: ACTIVE") {
		t.Fatalf("exit %d\nstdout:%s\nstderr:%s", code, out, errOut)
	}
	if n := countEvents(t, base, token, "user.mfa.factor.activate"); n != 1 {
		t.Errorf("%d user.mfa.factor.activate events", n)
	}
	if strings.Contains(out+errOut, token) {
		t.Errorf("the token leaked:\n%s%s", out, errOut)
	}

	// A command helper sees the request with secrets masked; what it prints is the input. A wrong code
	// fails the activation with Okta's own error.
	dir := t.TempDir()
	reqFile := filepath.Join(dir, "request.json")
	code, out, errOut = run(createUser(t, base, token, "second@example.com"), "--input-helper", "cat > '"+reqFile+"'; echo 000000")
	if code != exitFailed || !strings.Contains(out, "E0000068") {
		t.Errorf("a wrong code from the helper: exit %d\nstdout:%s\nstderr:%s", code, out, errOut)
	}
	req, err := os.ReadFile(reqFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"input":"passCode"`, `"stepId":"activateFactor"`, `"oktaApiToken":"****"`, `"sharedSecret":"****"`} {
		if !strings.Contains(string(req), want) {
			t.Errorf("the helper's request lacks %s:\n%s", want, req)
		}
	}
	if strings.Contains(string(req), token) {
		t.Errorf("the helper was shown the API token:\n%s", req)
	}

	// A helper that refuses says so, with its own words, and the run fails before activating.
	code, out, errOut = run(createUser(t, base, token, "third@example.com"), "--input-helper", "echo 'no phone on the desk' >&2; exit 3")
	if code == exitOK || !strings.Contains(out, `refused "passCode": exit status 3: no phone on the desk`) {
		t.Errorf("a refusing helper: exit %d\n%s%s", code, out, errOut)
	}
	// Without a helper and without a terminal, the error says how to supply it.
	code, out, errOut = run(createUser(t, base, token, "fourth@example.com"))
	if code == exitOK || !strings.Contains(out+errOut, "--input-helper") {
		t.Errorf("no helper: exit %d\n%s%s", code, out, errOut)
	}
}

// countEvents counts the System Log events of one type, read through Okta's API.
func countEvents(t *testing.T, base, token, eventType string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/logs?filter="+url.QueryEscape(`eventType eq "`+eventType+`"`), nil)
	req.Header.Set("Authorization", "SSWS "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var events []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&events); err != nil {
		t.Fatal(err)
	}
	return len(events)
}

// TestRunsResumeCommand: a waiting run shows what it waits for in runs show, and runs resume gives it
// the input; a run that is not waiting, or an input it does not wait for, is a usage error.
func TestRunsResumeCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "trama.db")
	st := storetest.Open(t, func(testing.TB) store.Driver { return sqlite.New(db, sqlite.Options{}) })
	storetest.Ingest(t, st, storetest.Delivery("d1", storetest.Events("7f0e4a2c-0000-11ef-8000-0000000000aa")...))
	storetest.DispatchAll(t, st, "enroll")
	c := storetest.ClaimOne(t, st, "w1", time.Minute)
	if err := st.HoldWaiting(context.Background(), c.Lease, store.Waiting{Input: "passCode", WorkflowID: "wf", StepID: "activateFactor",
		Description: "the code the app shows", Since: time.Now(), Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	id := c.Lease.RunID

	code, out, errOut := trama(t, "runs", "show", id, "--db", db)
	if code != exitOK || !strings.Contains(out, "waiting:  for input passCode of step activateFactor (the code the app shows)") ||
		!strings.Contains(out, "trama runs resume "+id+" --input passCode=VALUE") {
		t.Errorf("runs show: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := trama(t, "runs", "resume", id, "--input", "pass=1", "--db", db); code != exitUsage || !strings.Contains(errOut, `waits for input "passCode"`) {
		t.Errorf("resume with the wrong input: exit %d %s", code, errOut)
	}
	code, out, errOut = trama(t, "runs", "resume", id, "--input", "passCode=123456", "--db", db, "--by", "ann")
	if code != exitOK || !strings.Contains(out, "run "+id+" resumed by ann: now retrying") {
		t.Errorf("resume: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := trama(t, "runs", "resume", id, "--input", "passCode=1", "--db", db); code != exitUsage || !strings.Contains(errOut, "not waiting") {
		t.Errorf("resume twice: exit %d %s", code, errOut)
	}
	code, out, _ = trama(t, "runs", "show", id, "--db", db)
	if strings.Contains(out, "123456") || !strings.Contains(out, "ann") {
		t.Errorf("runs show after resume shows the code or not who supplied it:\n%s", out)
	}
}
