// Package configtest lays out configuration files and environments for the tests of trama's
// configuration and of the packages that read it.
package configtest

import (
	"os"
	"path/filepath"
	"testing"
)

// FlowDoc is the workflow file Write lays out as flows/notify.arazzo.yaml.
const FlowDoc = `arazzo: 1.0.1
info: {title: Notify, version: "1"}
sourceDescriptions:
- {name: okta, url: okta.yaml, type: openapi}
workflows:
- workflowId: notify-security
  inputs: {type: object, properties: {userId: {type: string}}}
  steps:
  - stepId: get
    operationId: getUser
`

// Secrets used by the tests; every one is long enough for secret.Set to mask it.
const (
	HookSecret = "hook-secret-value-71"
	APIToken   = "api-token-0123456789abcdef"
	OktaToken  = "00okta-token-SECRET-42"
)

// Env looks up the test secrets, and extra, as environment variables.
func Env(extra map[string]string) func(string) (string, bool) {
	vars := map[string]string{
		"TRAMA_HOOK_SECRET": HookSecret,
		"TRAMA_API_TOKEN":   APIToken,
		"OKTA_API_TOKEN":    OktaToken,
	}
	for k, v := range extra {
		vars[k] = v
	}
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// Write lays out a configuration directory with the workflow file and returns the config path.
func Write(t testing.TB, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flows", "notify.arazzo.yaml"), []byte(FlowDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "trama.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
