package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/internal/syncbuf"
	"github.com/trama-dev/trama/okta/emulator"
	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/queue"
	"github.com/trama-dev/trama/server"
	"github.com/trama-dev/trama/store"
)

// The secrets of a test deployment. No page, URL or stream of the console may ever contain one.
const (
	hookSecret = "hook-secret-console-5e1d"
	apiToken   = "api-token-console-canary-8c2b7f"
	oktaToken  = "00okta-token-console-canary-3a9"
)

// checkTrigger fails until the event's user is in the Security department; approveTrigger waits for an
// approval nobody configured.
const (
	checkTrigger = `  - name: check-department
    on: user.mfa.factor.activate
    run: { file: {{flow}}, workflow: check-department }
    inputs:
      userId: $event.oktaUser.id
      oktaApiToken: $env.OKTA_API_TOKEN
`
	approveTrigger = `  - name: approve-factor
    on: user.mfa.factor.activate
    run: { file: {{flow}}, workflow: approve-factor }
    inputs:
      userId: $event.oktaUser.id
      oktaApiToken: $env.OKTA_API_TOKEN
`
)

// env is an emulated Okta org and one trama serve with the console, on loopback.
type env struct {
	t      testing.TB
	orgURL string
	srv    *server.Server
	url    string
	logs   *syncBuffer

	mu   sync.Mutex
	seen []string // every console answer, for the secrets check
}

type syncBuffer = syncbuf.Buffer

func newEnv(t testing.TB, triggers string) *env {
	t.Helper()
	e := &env{t: t, logs: &syncBuffer{}}
	emuSrv := httptest.NewUnstartedServer(nil)
	emuSrv.Start()
	t.Cleanup(emuSrv.Close)
	emu, err := emulator.New(emulator.Options{BaseURL: emuSrv.URL, Token: oktaToken, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	emuSrv.Config.Handler = emu
	e.orgURL = emuSrv.URL

	flow, err := filepath.Abs("testdata/console.arazzo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgText := `store: sqlite:./trama.db
hooks:
  okta:
    path: /hooks/okta
    auth: { value: ${TRAMA_HOOK_SECRET} }
api:
  token: ${TRAMA_API_TOKEN}
console:
  user: ann.operator
servers:
  okta: ${OKTA_ORG_URL}
triggers:
` + strings.ReplaceAll(triggers, "{{flow}}", flow)
	path := filepath.Join(dir, "trama.yaml")
	if err := os.WriteFile(path, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"TRAMA_HOOK_SECRET": hookSecret, "TRAMA_API_TOKEN": apiToken,
		"OKTA_API_TOKEN": oktaToken, "OKTA_ORG_URL": e.orgURL}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	cfg, err := config.Load(path, lookup)
	if err != nil {
		t.Fatalf("configuration:\n%s\n%v", cfgText, err)
	}
	srv, err := server.Start(context.Background(), cfg, server.Options{
		Logger: slog.New(slog.NewJSONHandler(e.logs, nil)), Env: lookup,
		Queue: queue.Options{RetryBase: 50 * time.Millisecond, ShutdownTimeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	e.srv, e.url = srv, srv.URL
	return e
}

// okta calls the emulator's API as an admin script would.
func (e *env) okta(method, path string, body, out any) int {
	e.t.Helper()
	var rdr io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rdr = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.orgURL+path, rdr)
	req.Header.Set("Authorization", "SSWS "+oktaToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// createUser makes a user in the emulator and returns its id. department "" leaves it out.
func (e *env) createUser(login, department string) string {
	e.t.Helper()
	profile := map[string]any{"login": login, "email": login, "firstName": "Ann", "lastName": "Lee"}
	if department != "" {
		profile["department"] = department
	}
	var u struct{ ID string }
	if code := e.okta("POST", "/api/v1/users?activate=true", map[string]any{"profile": profile}, &u); code != 200 || u.ID == "" {
		e.t.Fatalf("create user: %d", code)
	}
	return u.ID
}

// setDepartment changes a user's department, as an admin fixing the user would.
func (e *env) setDepartment(userID, department string) {
	e.t.Helper()
	if code := e.okta("POST", "/api/v1/users/"+userID, map[string]any{"profile": map[string]any{"department": department}}, nil); code != 200 {
		e.t.Fatalf("update user: %d", code)
	}
}

// deliver posts one user.mfa.factor.activate event about userID to the hook, as Okta would.
func (e *env) deliver(uuid, userID string) {
	e.t.Helper()
	body := oktatest.Delivery("delivery-"+uuid, oktatest.Event{UUID: uuid, UserID: userID,
		Published: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)})
	req, _ := http.NewRequest("POST", e.url+"/hooks/okta", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", hookSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("delivery: %d", resp.StatusCode)
	}
}

// waitRun waits until the event has a run (of replay) with one of the statuses and returns it.
func (e *env) waitRun(uuid string, replay int, statuses ...store.RunStatus) store.Run {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		runs, _, err := e.srv.Store().ListRuns(context.Background(), store.RunFilter{EventUUID: uuid})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, r := range runs {
			for _, s := range statuses {
				if r.Replay == replay && r.Status == s {
					return r
				}
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no run of %s (replay %d) is %v: %+v\nlogs:\n%s", uuid, replay, statuses, runs, e.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// browser is a signed-in HTTP client of the console.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) client() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// signIn signs the client in with the API token.
func (e *env) signIn() *browser {
	e.t.Helper()
	b := e.client()
	_, page := b.get("/console/signin")
	resp := b.post("/console/signin", url.Values{"csrf": {field(page, "csrf")}, "token": {apiToken}, "next": {"/console/runs"}}, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/runs" {
		e.t.Fatalf("sign in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return b
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.e.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.e.mu.Lock()
	b.e.seen = append(b.e.seen, req.URL.String()+"\n"+fmt.Sprint(resp.Header)+"\n"+string(body))
	b.e.mu.Unlock()
	return resp, string(body)
}

// get fetches a console path and returns the status and the page.
func (b *browser) get(path string) (int, string) {
	b.e.t.Helper()
	req, _ := http.NewRequest("GET", b.e.url+path, nil)
	resp, body := b.do(req)
	return resp.StatusCode, body
}

// post sends a form as the browser would (with its Origin, unless origin says otherwise).
func (b *browser) post(path string, form url.Values, origin string) *http.Response {
	b.e.t.Helper()
	req, _ := http.NewRequest("POST", b.e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin == "" {
		origin = b.e.url
	}
	if origin != "-" {
		req.Header.Set("Origin", origin)
	}
	resp, body := b.do(req)
	resp.Body = io.NopCloser(strings.NewReader(body))
	return resp
}

// field returns the value of the first hidden input named name in a page.
func field(page, name string) string {
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

func bodyOf(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
