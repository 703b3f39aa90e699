package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedCopy copies the catalog's reset-and-reenroll seed next to its OpenAPI description, with edit
// applied to its text, and returns its path.
func seedCopy(t *testing.T, edit func(string) string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml"))
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(filepath.Join(catalog, "../openapi/okta-openapi-original.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), "url: ../openapi/okta-openapi-original.yml", "url: "+abs, 1)
	path := filepath.Join(t.TempDir(), "seed.arazzo.yml")
	if err := os.WriteFile(path, []byte(edit(text)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNamesThatMatchNothingAreRefused: a --server, --server-var or --source name the document does not
// have is refused before any request, with the names it does have; a misspelt --server would otherwise
// send the token to the server the description declares.
func TestNamesThatMatchNothingAreRefused(t *testing.T) {
	seed := filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml")
	inputs := []string{"--input", "userId=00u1", "--input", "oktaApiToken=tok-123456", "--input", "factorType=sms", "--input", "provider=OKTA"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--server", "okta=http://127.0.0.1:9"}, `"oktaApi"`},
		{[]string{"--server-var", "subdomain=x"}, "server variable"},
		{[]string{"--source", "okta=other.yaml"}, `did you mean "oktaApi"`},
		{[]string{"--server", "oktaApi=example.com:8080"}, "https://example.com:8080"},
		{[]string{"--server", "oktaApi=ftp://example.com"}, "http:// or https://"},
	} {
		code, out, errOut := trama(t, append(append([]string{"run", seed}, tt.args...), inputs...)...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d naming %s\n%s", tt.args, code, errOut, exitUsage, tt.want, out)
		}
	}
}

// TestLoopbackHostPortIsHTTP: --server NAME=127.0.0.1:PORT means http:// on loopback.
func TestLoopbackHostPortIsHTTP(t *testing.T) {
	const token = "loopbackTok-1234567"
	_, base := startEmulator(t, token)
	userID := createUser(t, base, token, "ann@example.com")
	code, out, errOut := trama(t, "run", filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml"),
		"--server", "oktaApi="+strings.TrimPrefix(base, "http://"), "--input", "userId="+userID,
		"--input", "oktaApiToken="+token, "--input", "factorType=token:software:totp", "--input", "provider=GOOGLE")
	if code != exitOK {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestTyposFailBeforeAnyRequest: an input the workflow does not declare, or a field its objects do not
// have, stops the run with a suggestion; --allow-unknown runs anyway.
func TestTyposFailBeforeAnyRequest(t *testing.T) {
	const token = "typoTok-1234567890"
	_, base := startEmulator(t, token)
	userID := createUser(t, base, token, "ann@example.com")
	run := func(file string, extra ...string) (int, string) {
		args := append([]string{"run", file, "--server", "oktaApi=" + base, "--input", "userId=" + userID,
			"--input", "oktaApiToken=" + token, "--input", "factorType=token:software:totp", "--input", "provider=GOOGLE"}, extra...)
		code, out, errOut := trama(t, args...)
		return code, out + errOut
	}
	seed := filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml")
	if code, out := run(seed, "--input", "provder=OKTA"); code != exitUsage || !strings.Contains(out, `did you mean "provider"`) {
		t.Errorf("a misspelt input: exit %d\n%s", code, out)
	}
	if code, out := run(seed, "--input", "provder=OKTA", "--allow-unknown"); code != exitOK {
		t.Errorf("--allow-unknown: exit %d\n%s", code, out)
	}
	typo := seedCopy(t, func(s string) string { return strings.Replace(s, "successCriteria:", "successCriterias:", 1) })
	if code, out := run(typo); code != exitUsage || !strings.Contains(out, `did you mean "successCriteria"`) || strings.Contains(out, "✓") {
		t.Errorf("a misspelt field: exit %d\n%s", code, out)
	}
	if code, out := run(typo, "--allow-unknown"); code == exitUsage {
		t.Errorf("--allow-unknown with a misspelt field: exit %d\n%s", code, out)
	}
}
