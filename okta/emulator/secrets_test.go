package emulator

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// teeWriter keeps a copy of every error body the emulator writes.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   *bytes.Buffer
}

func (w *teeWriter) WriteHeader(status int) { w.status = status; w.ResponseWriter.WriteHeader(status) }
func (w *teeWriter) Write(p []byte) (int, error) {
	if w.status >= 400 {
		w.body.Write(p)
		w.body.WriteByte('\n')
	}
	return w.ResponseWriter.Write(p)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestCredentialsNeverLeak is a canary: client assertions, access tokens and DPoP proofs, accepted or
// refused, must not reach the emulator's log, an error body, the System Log or the state file.
func TestCredentialsNeverLeak(t *testing.T) {
	var logs lockedBuffer
	var errBodies lockedBuffer
	path := filepath.Join(t.TempDir(), "org.json")
	k := rsaClientKey(0, "k1")
	o := newTestOrg(t, Options{StatePath: path, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ServiceApps: []ServiceApp{
			{ClientID: "0oacanary00000000001", Label: "Canary", PublicJWKS: jwksOf(k), Scopes: []string{"okta.users.read"}},
			{ClientID: "0oacanarydpop0000001", Label: "Canary DPoP", PublicJWKS: jwksOf(k), Scopes: []string{"okta.users.read"}, RequireDPoP: true},
		}})
	o.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w, status: 200, body: &bytes.Buffer{}}
		o.e.ServeHTTP(tw, r)
		errBodies.Write(tw.body.Bytes())
	})
	var secrets []string
	keep := func(s string) string { secrets = append(secrets, s); return s }
	now := o.e.Clock().Now()
	tokenURL := o.e.BaseURL() + "/oauth2/v1/token"
	proofKey := ecClientKey("")

	// Accepted and refused client assertions.
	good := keep(o.assertion(k, "0oacanary00000000001", now, nil))
	r := o.tokenRequest(clientCredentials(good, "okta.users.read"), "")
	wantStatus(t, r, http.StatusOK)
	var tr tokenResponse
	r.json(t, &tr)
	bearer := keep(tr.AccessToken)
	o.tokenRequest(clientCredentials(good, "okta.users.read"), "") // replay
	o.tokenRequest(clientCredentials(keep(o.assertion(rsaClientKey(2, "k1"), "0oacanary00000000001", now, nil)), "okta.users.read"), "")
	o.tokenRequest(clientCredentials(keep(o.assertion(k, "0oacanary00000000001", now, func(c map[string]any) {
		c["exp"] = now.Add(-time.Minute).Unix()
	})), "okta.users.manage"), "")
	o.tokenRequest(clientCredentials(keep("CANARYassertion.not.ajwt"), "okta.users.read"), "")
	o.tokenRequest(url2(map[string]string{"grant_type": "client_credentials", "client_id": "0oacanary00000000001",
		"client_secret": keep("CANARYclientsecret0123456789")}), "")

	// DPoP proofs: refused, challenged, accepted, replayed.
	o.tokenRequest(clientCredentials(o.assertion(k, "0oacanarydpop0000001", now, nil), "okta.users.read"),
		keep(o.proof(proofKey, "GET", tokenURL, "", "", nil)))
	token, _ := o.dpopToken(k, proofKey, "0oacanarydpop0000001", "okta.users.read")
	keep(token)
	proof := keep(o.proof(proofKey, "GET", o.e.BaseURL()+"/api/v1/users", "", token, nil))
	wantStatus(t, o.doHeader("GET", "/api/v1/users", nil, withProof("DPoP "+token, proof)), http.StatusOK)
	o.doHeader("GET", "/api/v1/users", nil, withProof("DPoP "+token, proof))
	o.doHeader("GET", "/api/v1/users", nil, withProof("Bearer "+token, ""))
	o.doHeader("GET", "/api/v1/logs", nil, withProof("DPoP "+token, keep(o.proof(proofKey, "GET", o.e.BaseURL()+"/api/v1/logs", "", token, nil))))

	// Access tokens: accepted, out of scope, garbage, expired.
	wantStatus(t, o.doAuth("GET", "/api/v1/users", nil, "Bearer "+bearer), http.StatusOK)
	o.doAuth("POST", "/api/v1/users", map[string]any{}, "Bearer "+bearer)
	o.doAuth("GET", "/api/v1/users", nil, "Bearer "+keep("CANARYaccesstoken0123456789"))
	o.doAuth("GET", "/api/v1/users", nil, "SSWS "+keep("CANARYapitoken0123456789"))
	o.advance(2 * time.Hour)
	o.doAuth("GET", "/api/v1/users", nil, "Bearer "+bearer)

	events := o.do("GET", "/api/v1/logs?limit=1000", nil)
	wantStatus(t, events, http.StatusOK)
	if err := o.e.Close(); err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errBodies.String(), "invalid_client") || !strings.Contains(logs.String(), "token request refused") {
		t.Fatalf("the canary saw no refusals: bodies %q, logs %q", errBodies.String(), logs.String())
	}
	for _, s := range secrets {
		// A JWT's signature is its secret-bearing part; tokens may legitimately share header or claims.
		needle := s
		if parts := strings.Split(s, "."); len(parts) == 3 && parts[2] != "" {
			needle = parts[2]
		}
		for where, text := range map[string]string{"log": logs.String(), "error body": errBodies.String(),
			"System Log": string(events.body), "state file": string(state)} {
			if strings.Contains(text, needle) {
				t.Errorf("the %s holds a credential (%.12s...)", where, s)
			}
		}
	}
}

func url2(m map[string]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range m {
		out[k] = []string{v}
	}
	return out
}

// TestPasswordsAndTokensNeverLeak is the canary for sign-in secrets: passwords, set or tried, and the
// one-time session and state tokens must not reach the log, the System Log, the state file or (for
// passwords) any error body; the state file holds password verifiers and token hashes only.
func TestPasswordsAndTokensNeverLeak(t *testing.T) {
	var logs, errBodies lockedBuffer
	path := filepath.Join(t.TempDir(), "org.json")
	o := newTestOrg(t, Options{StatePath: path, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Users: []SeedUser{{Login: "seed.canary@example.com", Password: "CANARYseedPassword-1"}}})
	o.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w, status: 200, body: &bytes.Buffer{}}
		o.e.ServeHTTP(tw, r)
		errBodies.Write(tw.body.Bytes())
	})
	passwords := []string{"CANARYseedPassword-1", "CANARYcreatePassword-2", "CANARYupdatePassword-3", "CANARYwrongPassword-4"}
	r := o.do("POST", "/api/v1/users", map[string]any{
		"profile":     map[string]any{"login": "canary@example.com", "email": "canary@example.com", "firstName": "C", "lastName": "Y"},
		"credentials": map[string]any{"password": map[string]any{"value": passwords[1]}}})
	wantStatus(t, r, http.StatusOK)
	uid := r.obj(t)["id"].(string)
	wantStatus(t, o.do("PUT", "/api/v1/users/"+uid, map[string]any{
		"profile":     map[string]any{"login": "canary@example.com", "email": "canary@example.com", "firstName": "C", "lastName": "Y"},
		"credentials": map[string]any{"password": map[string]any{"value": passwords[2]}}}), http.StatusOK)
	wantError(t, o.signIn("canary@example.com", passwords[3]), http.StatusUnauthorized, "E0000004")
	wantError(t, o.signIn("canary@example.com", passwords[1]), http.StatusUnauthorized, "E0000004")
	var tokens []string
	for _, login := range []string{"canary@example.com", "seed.canary@example.com"} {
		pw := passwords[2]
		if login == "seed.canary@example.com" {
			pw = passwords[0]
		}
		r := o.signIn(login, pw)
		wantStatus(t, r, http.StatusOK)
		tokens = append(tokens, r.obj(t)["sessionToken"].(string))
	}
	wantStatus(t, o.do("POST", "/api/v1/sessions", map[string]any{"sessionToken": tokens[0]}), http.StatusOK)
	wantError(t, o.do("POST", "/api/v1/sessions", map[string]any{"sessionToken": tokens[0]}), http.StatusUnauthorized, "E0000004")
	// A state token, from a rule that requires a factor.
	pid := defaultPolicy(t, o, "OKTA_SIGN_ON")["id"].(string)
	o.createPolicyRule(pid, map[string]any{"type": "SIGN_ON", "name": "MFA", "actions": map[string]any{"signon": map[string]any{
		"access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS"}}})
	r = o.signIn("seed.canary@example.com", passwords[0])
	wantStatus(t, r, http.StatusOK)
	tokens = append(tokens, r.obj(t)["stateToken"].(string))

	events := o.do("GET", "/api/v1/logs?limit=1000", nil)
	wantStatus(t, events, http.StatusOK)
	if err := o.e.Close(); err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(state), "pbkdf2-sha256$") || !strings.Contains(errBodies.String(), "E0000004") {
		t.Fatalf("the canary saw no verifiers or no refusals")
	}
	places := map[string]string{"log": logs.String(), "System Log": string(events.body), "state file": string(state)}
	for _, pw := range passwords {
		places["error body"] = errBodies.String()
		for where, text := range places {
			if strings.Contains(text, pw) {
				t.Errorf("the %s holds password %s", where, pw)
			}
		}
	}
	delete(places, "error body")
	for _, tok := range tokens {
		for where, text := range places {
			if strings.Contains(text, tok) {
				t.Errorf("the %s holds a token (%.8s...)", where, tok)
			}
		}
	}
}
