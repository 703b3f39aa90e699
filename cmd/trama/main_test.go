package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trama-dev/trama/okta/emulator"
)

const catalog = "../../../shared/okta/arazzo"

// trama runs the CLI in-process and returns its exit code and output.
func trama(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// startEmulator serves an Okta emulator on loopback with token as its API token.
func startEmulator(t testing.TB, token string) (*emulator.Emulator, string) {
	t.Helper()
	return startEmulatorWith(t, emulator.Options{Token: token})
}

// startEmulatorWith serves an Okta emulator with opts on loopback; BaseURL is set to its address.
func startEmulatorWith(t testing.TB, opts emulator.Options) (*emulator.Emulator, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	opts.BaseURL, opts.AllowHTTPHooks = srv.URL, true
	emu, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	srv.Config.Handler = emu
	return emu, srv.URL
}

// createUser creates an active user through the Okta API and returns its id.
func createUser(t testing.TB, baseURL, token, login string) string {
	t.Helper()
	body := `{"profile":{"firstName":"Ann","lastName":"Lee","email":"` + login + `","login":"` + login + `"}}`
	req, _ := http.NewRequest("POST", baseURL+"/api/v1/users?activate=true", strings.NewReader(body))
	req.Header.Set("Authorization", "SSWS "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var u struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil || resp.StatusCode != 200 || u.ID == "" {
		t.Fatalf("create user: %d %v", resp.StatusCode, err)
	}
	return u.ID
}

func TestValidateCatalog(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(catalog, "*.yml"))
	if len(files) != 21 {
		t.Fatalf("found %d catalog workflows, want 21", len(files))
	}
	code, out, errOut := trama(t, append([]string{"validate"}, files...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "21 files: 0 errors") {
		t.Errorf("summary: %s", errOut)
	}
	if !strings.Contains(out, "[bare-expression]") {
		t.Errorf("the catalog's `SSWS $inputs.oktaApiToken` deserves a warning:\n%s", out)
	}
	// The documents that are wrong against Okta are named, at the field, with what Okta does instead;
	// okta/emulator's catalog tests show each failing with Okta's own answer.
	for _, want := range []string{
		`okta-deactivate-and-delete-user-workflow.yml:63:18: warning: step "deleteUser" expects status 202, but Okta's management API description`,
		`documents 204, 400, 403, 404, 429 for deactivateOrDeleteUser`,
		`okta-create-group-and-add-members-workflow.yml:94:14: warning: step "addSecondaryMember" fills path parameter "userId", which operation addUserToGroup requires, from input "secondaryUserId", which is optional and has no default`,
		`okta-create-policy-with-rule-workflow.yml:83:9: warning: step "createRule" sends a body without "type", which Okta's management API description 2026.06.3 requires of createPolicyRule`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate does not say %q:\n%s", want, out)
		}
	}
}

func TestValidateReportsPositionsAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.arazzo.yaml")
	os.WriteFile(bad, []byte(`arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: []
workflows:
  - workflowId: w
    steps:
      - stepId: s
        workflowId: w
        onSuccess:
          - name: jump
            type: goto
            stepId: nowhere
`), 0o644)
	code, out, _ := trama(t, "validate", bad)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, out)
	}
	if !strings.Contains(out, bad+":12:") || !strings.Contains(out, "nowhere") {
		t.Errorf("want a file:line:col diagnostic naming the goto target:\n%s", out)
	}
	code, out, _ = trama(t, "validate", "--format", "json", bad)
	var diags []map[string]any
	if err := json.Unmarshal([]byte(out), &diags); err != nil || len(diags) == 0 || code != exitFailed {
		t.Errorf("--format json: exit %d, %v\n%s", code, err, out)
	}
	if code, _, _ := trama(t, "validate", filepath.Join(dir, "missing.yaml")); code != exitUsage {
		t.Errorf("unreadable file: exit %d, want %d", code, exitUsage)
	}
}

func TestRunSeedResetWorkflowAgainstEmulator(t *testing.T) {
	const token = "canaryTok-9f8e7d6c5b4a"
	_, base := startEmulator(t, token)
	userID := createUser(t, base, token, "ann@example.com")
	dir := t.TempDir()
	harPath, junitPath := filepath.Join(dir, "run.har"), filepath.Join(dir, "run.xml")
	code, out, errOut := trama(t, "run", filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml"),
		"--workflow", "reset-and-reenroll-factor",
		"--server", "oktaApi="+base,
		"--input", "userId="+userID, "--input", "oktaApiToken="+token,
		"--input", "factorType=token:software:totp", "--input", "provider=GOOGLE",
		"--output", "json", "--har", harPath, "--junit", junitPath)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:%s\nstderr:%s", code, out, errOut)
	}
	var res struct {
		WorkflowID string
		Status     string
		Outputs    map[string]any
		Steps      []struct {
			StepID   string
			Status   string
			Attempts int
			Request  struct{ Method, URL string }
			Response struct{ StatusCode int }
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	if res.Status != "succeeded" || res.Outputs["userId"] != userID || res.Outputs["factorId"] == "" {
		t.Errorf("result: %+v", res)
	}
	if len(res.Steps) != 2 || res.Steps[0].StepID != "resetFactors" || res.Steps[1].Response.StatusCode != 200 ||
		!strings.HasSuffix(res.Steps[0].Request.URL, "/api/v1/users/"+userID+"/lifecycle/reset_factors") {
		t.Errorf("steps: %+v", res.Steps)
	}
	har, _ := os.ReadFile(harPath)
	junit, _ := os.ReadFile(junitPath)
	if !bytes.Contains(har, []byte(`"version": "1.2"`)) && !bytes.Contains(har, []byte(`"version":"1.2"`)) {
		t.Errorf("HAR 1.2 expected:\n%.300s", har)
	}
	if !bytes.Contains(junit, []byte(`<testcase name="enrollFactor"`)) {
		t.Errorf("JUnit expected one test case per step:\n%s", junit)
	}
	for name, text := range map[string]string{"stdout": out, "stderr": errOut, "HAR": string(har), "JUnit": string(junit)} {
		if strings.Contains(text, token) {
			t.Errorf("%s contains the API token", name)
		}
	}
}

func TestRunFailedWorkflowExitsOneWithoutLeakingTheToken(t *testing.T) {
	_, base := startEmulator(t, "the-real-token")
	const wrong = "wrongTok-1234567890"
	code, out, errOut := trama(t, "run", filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml"),
		"--server", "oktaApi="+base, "--input", "userId=00u1", "--input", "oktaApiToken="+wrong,
		"--input", "factorType=sms", "--input", "provider=OKTA")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	if !strings.Contains(out, "E0000011") || !strings.Contains(out, "✗ resetFactors") {
		t.Errorf("the failure should show the step and Okta's error code:\n%s", out)
	}
	if strings.Contains(out+errOut, wrong) {
		t.Errorf("output contains the token:\n%s%s", out, errOut)
	}
}

func TestRunTextOutputMasksTheToken(t *testing.T) {
	const token = "canaryText-5e6f7a8b9c"
	_, base := startEmulator(t, token)
	userID := createUser(t, base, token, "ann@example.com")
	code, out, errOut := trama(t, "run", filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml"),
		"--server", "oktaApi="+base, "--input", "userId="+userID, "--input", "oktaApiToken="+token,
		"--input", "factorType=sms", "--input", "provider=OKTA")
	// SMS enrollment without a phone number fails at enrollFactor: the failure text must not leak either.
	if code != exitFailed || !strings.Contains(out, "✓ resetFactors") || !strings.Contains(out, "✗ enrollFactor") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, token) {
		t.Errorf("text output contains the token:\n%s%s", out, errOut)
	}
}

func TestRunUsageErrors(t *testing.T) {
	seed := filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml")
	for _, args := range [][]string{
		{"run", seed, "--workflow", "nope"},
		{"run", seed, "--input", "novalue"},
		{"run", seed, "--output", "xml"},
		{"run", seed}, // required inputs missing, no terminal to ask
		{"run", "does-not-exist.yaml"},
	} {
		code, out, errOut := trama(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s%s", args, code, exitUsage, out, errOut)
		}
		if errOut == "" {
			t.Errorf("%v: no message says what to fix", args)
		}
	}
}

func TestGraphPrintsMermaid(t *testing.T) {
	code, out, errOut := trama(t, "graph", filepath.Join(catalog, "okta-enroll-and-activate-factor-workflow.yml"))
	if code != exitOK || !strings.Contains(out, "flowchart") || !strings.Contains(out, "enrollFactor") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestRemoteSourcesAreFetchedUnlessRefused(t *testing.T) {
	spec, err := os.ReadFile("../../examples/okta-mfa.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(spec) }))
	defer srv.Close()
	doc := filepath.Join(t.TempDir(), "wf.arazzo.yaml")
	os.WriteFile(doc, []byte(`arazzo: 1.0.1
info: {title: remote source, version: "1"}
sourceDescriptions:
  - {name: okta, url: `+srv.URL+`/okta.yaml, type: openapi}
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: getUser
        parameters:
          - {name: userId, in: path, value: 00u1}
`), 0o644)
	if code, out, errOut := trama(t, "validate", doc); code != exitOK {
		t.Errorf("a document's remote source is fetched by default: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := trama(t, "validate", "--no-remote-sources", doc); code != exitFailed || !strings.Contains(out, "remote sources are not allowed") {
		t.Errorf("--no-remote-sources: exit %d\n%s", code, out)
	}
}
