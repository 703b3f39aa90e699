package credential_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/credential"
	"github.com/trama-dev/trama/runner"
)

const description = `openapi: 3.0.3
info: { title: echo, version: "1" }
servers: [{ url: https://api.example.com }]
paths:
  /header:
    get:
      operationId: inHeader
      security: [{ headerKey: [] }]
      responses: { "200": { description: ok } }
  /query:
    get:
      operationId: inQuery
      security: [{ queryKey: [] }]
      responses: { "200": { description: ok } }
  /cookie:
    get:
      operationId: inCookie
      security: [{ cookieKey: [] }]
      responses: { "200": { description: ok } }
components:
  securitySchemes:
    headerKey: { type: apiKey, in: header, name: X-Api-Key }
    queryKey: { type: apiKey, in: query, name: api_key }
    cookieKey: { type: apiKey, in: cookie, name: session }
`

const workflows = `arazzo: 1.0.1
info: { title: t, version: "1" }
sourceDescriptions: [{ name: echo, url: echo.openapi.yaml, type: openapi }]
workflows:
  - workflowId: keys
    inputs:
      type: object
      required: [apiKey, who]
      properties: { apiKey: { type: string }, who: { type: string } }
    steps:
      - stepId: header
        operationId: inHeader
        parameters:
          - { name: X-Api-Key, in: header, value: $inputs.apiKey }
          - { name: who, in: query, value: $inputs.who }
        outputs: { seen: $response.body }
      - stepId: query
        operationId: inQuery
        outputs: { seen: $response.body }
      - stepId: cookie
        operationId: inCookie
        outputs: { seen: $response.body }
`

// echo answers every request with what authenticates it.
func echo(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie("session")
		val := ""
		if c != nil {
			val = c.Value
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"header": r.Header.Get("X-Api-Key"), "query": r.URL.Query().Get("api_key"), "cookie": val})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func load(t *testing.T) *arazzo.Bundle {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "echo.openapi.yaml"), []byte(description), 0o644)
	os.WriteFile(filepath.Join(dir, "wf.arazzo.yaml"), []byte(workflows), 0o644)
	b, err := (&arazzo.Loader{}).Load(context.Background(), filepath.Join(dir, "wf.arazzo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAPIKeyGoesWhereTheSchemeSays: one API key credential is sent in a header, a query parameter or a
// cookie as each operation's apiKey scheme says; it replaces the header the step writes, and the input
// that existed only for that header is no longer required. The key is masked in the report.
func TestAPIKeyGoesWhereTheSchemeSays(t *testing.T) {
	const key = "k3y-canary-5150"
	srv := echo(t)
	a, err := credential.New(credential.Credential{Type: credential.TypeAPIKey, Value: key}, credential.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := runner.New(load(t), runner.Options{Servers: map[string]string{"echo": srv.URL},
		Authenticators: map[string]runner.Authenticator{"echo": a}})
	res, err := r.Run(context.Background(), "keys", map[string]any{"who": "ann"})
	if err != nil {
		t.Fatalf("Run without apiKey: %v", err)
	}
	if res.Status != runner.StatusSucceeded {
		t.Fatalf("status %s: %+v", res.Status, res.Error)
	}
	want := map[string]string{"header": "header", "query": "query", "cookie": "cookie"}
	for _, s := range res.Steps {
		seen := s.Outputs["seen"].(map[string]any)
		if seen[want[s.StepID]] != "****" {
			t.Errorf("step %s: the server saw %v; want the key (masked as ****) in the %s", s.StepID, seen, want[s.StepID])
		}
	}
	if auth := res.Steps[0].Request.Auth; !strings.Contains(auth, "API key") || !strings.Contains(auth, "replaced the step's X-Api-Key header") {
		t.Errorf("step header: auth %q", auth)
	}
	if b, _ := json.Marshal(res); strings.Contains(string(b), key) {
		t.Errorf("the key reached the result: %s", b)
	}
}

// TestInputStillRequiredWhenUsedElsewhere: an input the credential's header does not cover entirely is
// still required.
func TestInputStillRequiredWhenUsedElsewhere(t *testing.T) {
	srv := echo(t)
	a, _ := credential.New(credential.Credential{Type: credential.TypeAPIKey, Value: "k"}, credential.Options{})
	r := runner.New(load(t), runner.Options{Servers: map[string]string{"echo": srv.URL},
		Authenticators: map[string]runner.Authenticator{"echo": a}})
	_, err := r.Run(context.Background(), "keys", map[string]any{"apiKey": "k"})
	if err == nil || !strings.Contains(err.Error(), "/who") {
		t.Errorf("Run without who: %v; want who reported missing", err)
	}
}
