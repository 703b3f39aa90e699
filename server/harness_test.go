package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/internal/syncbuf"
	"github.com/trama-dev/trama/okta/emulator"
	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/queue"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/server"
	"github.com/trama-dev/trama/store"
)

// The three secrets of a deployment. Tests check that none of them is ever written to the logs, the
// history or an API answer.
const (
	hookSecret = "hook-secret-7f3a9c1e5b"
	apiToken   = "api-token-2d8e4b6a0c9f1e37"
	oktaToken  = "00okta-token-4c1d9e7b2a"
)

// configHead is the part of every test configuration before its triggers. The Okta token is the
// emulator's, owned by its seeded admin, who is the actor of every event an API call causes.
const configHead = `store: sqlite:./trama.db
hooks:
  okta:
    path: /hooks/okta
    auth: { header: Authorization, value: ${TRAMA_HOOK_SECRET} }
api:
  token: ${TRAMA_API_TOKEN}
okta:
  orgUrl: ${OKTA_ORG_URL}
  token: ${OKTA_API_TOKEN}
servers:
  okta: ${OKTA_ORG_URL}
`

// getUserTrigger binds the test workflow, which reads the event's user from the emulator.
func getUserTrigger(name, extra string) string {
	return fmt.Sprintf(`  - name: %s
    on: user.mfa.factor.activate
    run: { file: {{flow}}, workflow: get-user }
    inputs:
      userId: $event.oktaUser.id
      oktaApiToken: $env.OKTA_API_TOKEN
%s`, name, extra)
}

// syncBuffer collects output written from many goroutines.
type syncBuffer = syncbuf.Buffer

// hookProxy stands between the emulator and trama's hook path, as a load balancer would, and keeps every
// delivery body so a test can send the same envelope again. With loseAcks > 0 it forwards that many
// deliveries to trama but answers the emulator 502, as if the acknowledgement got lost: Okta then
// retries the same envelope.
type hookProxy struct {
	target string

	mu       sync.Mutex
	bodies   [][]byte
	loseAcks int
}

func (p *hookProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	if r.Method == http.MethodPost {
		p.bodies = append(p.bodies, body)
	}
	target := p.target // a test may point it at a restarted trama
	p.mu.Unlock()
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	lose := false
	if r.Method == http.MethodPost {
		p.mu.Lock()
		if p.loseAcks > 0 && resp.StatusCode == http.StatusOK {
			p.loseAcks--
			lose = true
		}
		p.mu.Unlock()
	}
	if lose {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

// delivered waits up to a few seconds for n delivery bodies whose events include uuid and returns
// those the proxy saw.
func (p *hookProxy) delivered(uuid string, n int) [][]byte {
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		var out [][]byte
		for _, b := range p.bodies {
			if bytes.Contains(b, []byte(`"uuid":"`+uuid+`"`)) {
				out = append(out, b)
			}
		}
		p.mu.Unlock()
		if len(out) >= n || time.Now().After(deadline) {
			return out
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// setup is one emulated Okta org and one trama serve on loopback, with a real SQLite file.
type setup struct {
	t        *testing.T
	orgURL   string
	emu      *emulator.Emulator
	srv      *server.Server
	url      string
	proxy    *hookProxy
	proxyURL string
	dir      string // holds the configuration and the SQLite files
	keyBody  string // a line of the service app's private key, when there is one
	cfg      *config.Config
	logs     *syncBuffer
	finished chan store.Run

	mu   sync.Mutex
	seen []string // every API answer, for the secrets check
}

type setupOptions struct {
	triggers string
	// serviceApp makes trama's okta connection an OAuth 2.0 service app of the emulator (requiring DPoP)
	// instead of the API token.
	serviceApp bool
	// backfill, when set, is appended to the configuration and polling runs every pollEvery.
	backfill  string
	pollEvery time.Duration
	// servers are more lines of the servers: mapping, e.g. "  oktaApi: ${OKTA_ORG_URL}\n".
	servers string
	// rateLimit and rateWindow set the emulator's limit per endpoint (default Okta's 600 a minute).
	rateLimit  int
	rateWindow time.Duration
}

func newSetup(t *testing.T, o setupOptions) *setup {
	t.Helper()
	s := &setup{t: t, logs: &syncBuffer{}, finished: make(chan store.Run, 1000)}

	emuSrv := httptest.NewUnstartedServer(nil)
	emuSrv.Start()
	t.Cleanup(emuSrv.Close)
	eopts := emulator.Options{
		BaseURL: emuSrv.URL, Token: oktaToken, AllowHTTPHooks: true, HookBatchWindow: time.Millisecond,
		Logger: slog.New(slog.DiscardHandler), RateLimit: o.rateLimit, RateLimitWindow: o.rateWindow,
	}
	head := configHead
	var keyPEM string
	if o.serviceApp {
		var app emulator.ServiceApp
		app, keyPEM = testServiceApp(t)
		eopts.ServiceApps = []emulator.ServiceApp{app}
		head = strings.Replace(configHead, "  token: ${OKTA_API_TOKEN}\n",
			"  clientId: "+app.ClientID+"\n  privateKey: ${OKTA_PRIVATE_KEY}\n", 1)
	}
	emu, err := emulator.New(eopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	emuSrv.Config.Handler = emu
	s.emu, s.orgURL = emu, emuSrv.URL

	flow, err := filepath.Abs("testdata/get-user.arazzo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s.dir = dir
	head = strings.Replace(head, "servers:\n  okta: ${OKTA_ORG_URL}\n", "servers:\n  okta: ${OKTA_ORG_URL}\n"+o.servers, 1)
	cfgText := head + o.backfill + "triggers:\n" + strings.ReplaceAll(o.triggers, "{{flow}}", flow)
	cfgPath := filepath.Join(dir, "trama.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"TRAMA_HOOK_SECRET": hookSecret, "TRAMA_API_TOKEN": apiToken,
		"OKTA_API_TOKEN": oktaToken, "OKTA_ORG_URL": s.orgURL, "OKTA_PRIVATE_KEY": keyPEM,
	}
	env := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	cfg, err := config.Load(cfgPath, env)
	if err != nil {
		t.Fatalf("configuration:\n%s\n%v", cfgText, err)
	}
	s.cfg = cfg
	if o.pollEvery > 0 {
		// The configuration allows 5 s at least, sensible against a real org; the emulator can take more.
		cfg.Backfill.Interval = o.pollEvery
	}

	logger := slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.Start(context.Background(), cfg, server.Options{
		Logger: logger, Env: env,
		Queue:      queue.Options{RetryBase: 50 * time.Millisecond, ShutdownTimeout: 5 * time.Second},
		AlertEvery: 50 * time.Millisecond,
		OnRunFinished: func(r store.Run, _ *runner.Result) {
			select {
			case s.finished <- r:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.srv, s.url = srv, srv.URL
	if keyPEM != "" {
		s.keyBody = strings.Split(keyPEM, "\n")[2]
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})

	s.proxy = &hookProxy{target: s.url}
	proxySrv := httptest.NewServer(s.proxy)
	t.Cleanup(proxySrv.Close)
	s.proxyURL = proxySrv.URL
	return s
}

// srvConfig is the configuration trama serve runs with.
func (s *setup) srvConfig() *config.Config { return s.cfg }

// serviceAppID is the client id of the test's service app.
const serviceAppID = "0oaTramaServe0000001"

// testServiceApp is an OAuth 2.0 service app that requires DPoP, granted what the tests' workflows and
// backfill need, and its private key in PEM.
func testServiceApp(t *testing.T) (emulator.ServiceApp, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	app := emulator.ServiceApp{ClientID: serviceAppID, Label: "trama", PublicJWKS: jwks, RequireDPoP: true,
		Scopes: []string{"okta.users.read", "okta.users.manage", "okta.logs.read"}}
	return app, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// okta calls the emulator's API as an admin script would, with the admin's token.
func (s *setup) okta(method, path string, body, out any) int {
	s.t.Helper()
	var rdr io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rdr = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.orgURL+path, rdr)
	req.Header.Set("Authorization", "SSWS "+oktaToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// registerHook creates an event hook for user.mfa.factor.activate in the emulator, pointing at trama
// through the proxy, and has the emulator verify it: trama must answer the challenge.
func (s *setup) registerHook() {
	s.t.Helper()
	var h struct{ ID string }
	if code := s.okta("POST", "/api/v1/eventHooks", map[string]any{
		"name":   "trama",
		"events": map[string]any{"type": "EVENT_TYPE", "items": []string{"user.mfa.factor.activate"}},
		"channel": map[string]any{"type": "HTTP", "version": "1.0.0", "config": map[string]any{
			"uri":        s.proxyURL + "/hooks/okta",
			"authScheme": map[string]any{"type": "HEADER", "key": "Authorization", "value": hookSecret}}},
	}, &h); code != 200 {
		s.t.Fatalf("create event hook: %d", code)
	}
	var v struct{ VerificationStatus string }
	if code := s.okta("POST", "/api/v1/eventHooks/"+h.ID+"/lifecycle/verify", nil, &v); code != 200 || v.VerificationStatus != "VERIFIED" {
		s.t.Fatalf("verify event hook: %d %q", code, v.VerificationStatus)
	}
}

func (s *setup) createUser(login string) string {
	s.t.Helper()
	var u struct{ ID string }
	if code := s.okta("POST", "/api/v1/users?activate=true", map[string]any{"profile": map[string]any{
		"login": login, "email": login, "firstName": "Ann", "lastName": "Lee"}}, &u); code != 200 || u.ID == "" {
		s.t.Fatalf("create user: %d", code)
	}
	return u.ID
}

// activateTOTP enrolls a TOTP factor for the user and activates it with the code the user's
// authenticator app shows (the emulator's passcode affordance), as the user would. Okta then logs and
// delivers user.mfa.factor.activate.
func (s *setup) activateTOTP(userID string) string {
	s.t.Helper()
	var f struct{ ID, Status string }
	if code := s.okta("POST", "/api/v1/users/"+userID+"/factors", map[string]any{
		"factorType": "token:software:totp", "provider": "GOOGLE"}, &f); code != 200 || f.ID == "" {
		s.t.Fatalf("enroll factor: %d", code)
	}
	var pc struct{ PassCode string }
	resp, err := http.Get(s.orgURL + "/emulator/v1/users/" + userID + "/factors/" + f.ID + "/passcode")
	if err != nil {
		s.t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&pc)
	resp.Body.Close()
	if pc.PassCode == "" {
		s.t.Fatalf("no passcode for factor %s", f.ID)
	}
	var act struct{ Status string }
	if code := s.okta("POST", "/api/v1/users/"+userID+"/factors/"+f.ID+"/lifecycle/activate",
		map[string]any{"passCode": pc.PassCode}, &act); code != 200 || act.Status != "ACTIVE" {
		s.t.Fatalf("activate factor: %d %s", code, act.Status)
	}
	return f.ID
}

// waitRuns waits for n runs to finish and returns them.
func (s *setup) waitRuns(n int) []store.Run {
	s.t.Helper()
	var out []store.Run
	deadline := time.After(15 * time.Second)
	for len(out) < n {
		select {
		case r := <-s.finished:
			out = append(out, r)
		case <-deadline:
			s.t.Fatalf("%d of %d runs finished in time; logs:\n%s", len(out), n, tail(s.logs.String(), 4000))
		}
	}
	return out
}

// settle waits until the queue is empty and no job runs: every event stored so far has been dispatched
// and every run it created has finished.
func (s *setup) settle() store.Counts {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := s.srv.Store().Counts(context.Background())
		if err != nil {
			s.t.Fatal(err)
		}
		if c.QueueDepth == 0 && c.QueueRunning == 0 && c.Runs[store.RunQueued] == 0 && c.Runs[store.RunRunning] == 0 {
			return c
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the queue did not drain: %+v", c)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// post sends a body to trama's hook path.
func (s *setup) post(body []byte, contentType, auth string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.url+"/hooks/okta", bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// api calls trama's HTTP API with a bearer token ("" for none) and decodes a 2xx answer into out.
func (s *setup) api(method, path, token string, out any) int {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	s.mu.Lock()
	s.seen = append(s.seen, string(b))
	s.mu.Unlock()
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// get fetches an unauthenticated endpoint (/metrics, /healthz).
func (s *setup) get(path string) (int, string) {
	s.t.Helper()
	resp, err := http.Get(s.url + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric returns the value of the sample whose name and labels start with prefix (labels in the
// exposition's sorted order), or -1 when there is none.
func (s *setup) metric(prefix string) float64 {
	s.t.Helper()
	_, body := s.get("/metrics")
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(prefix) + `[^\n]* ([0-9.e+-]+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// runsOf lists every run of an event through the API.
func (s *setup) runsOf(eventUUID string) []apiRun {
	s.t.Helper()
	var page struct{ Items []apiRun }
	if code := s.api("GET", "/api/v1/runs?limit=200&event="+eventUUID, apiToken, &page); code != 200 {
		s.t.Fatalf("list runs: %d", code)
	}
	return page.Items
}

type apiRun struct {
	ID        string          `json:"id"`
	Trigger   string          `json:"trigger"`
	EventUUID string          `json:"eventUuid"`
	Replay    int             `json:"replay"`
	Status    string          `json:"status"`
	Inputs    json.RawMessage `json:"inputs"`
	Outputs   json.RawMessage `json:"outputs"`
	Error     string          `json:"error"`
	Steps     []struct {
		StepID     string          `json:"stepId"`
		Status     string          `json:"status"`
		Method     string          `json:"method"`
		URL        string          `json:"url"`
		StatusCode int             `json:"statusCode"`
		Attempts   int             `json:"attempts"`
		Response   json.RawMessage `json:"response"`
	} `json:"steps"`
}

// envelope builds an event-hook delivery of user.mfa.factor.activate events, one per uuid, about userID.
func envelope(eventID, actorID, userID string, uuids ...string) []byte {
	events := make([]oktatest.Event, len(uuids))
	for i, u := range uuids {
		events[i] = oktatest.Event{UUID: u, ActorID: actorID, UserID: userID,
			Published: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	}
	return oktatest.Delivery(eventID, events...)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
