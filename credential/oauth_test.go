package credential_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/credential"
	"github.com/trama-dev/trama/oauth"
	"github.com/trama-dev/trama/okta/emulator"
	"github.com/trama-dev/trama/runner"
)

// org starts an emulator with one service app whose EC key it returns, and a user.
func org(t *testing.T, scopes ...string) (base, clientID, userID string, key *oauth.Key) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "ec1", Algorithm: "ES256", Use: "sig"}}})
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	const token = "00setup-token"
	e, err := emulator.New(emulator.Options{BaseURL: srv.URL, Token: token,
		ServiceApps: []emulator.ServiceApp{{ClientID: "0oaGeneric0000000001", PublicJWKS: jwks, Scopes: scopes}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	srv.Config.Handler = e
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/users?activate=false", strings.NewReader(`{"profile":{"login":"g@example.com","email":"g@example.com","firstName":"G","lastName":"H"}}`))
	req.Header.Set("Authorization", "SSWS "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var u struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&u)
	resp.Body.Close()
	der, _ := x509.MarshalECPrivateKey(k)
	key, err = oauth.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), "ec1")
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, "0oaGeneric0000000001", u.ID, key
}

// TestOAuth2FromTheDescription: a generic oauth2 credential finds its token endpoint where the
// description says — an oauth2 scheme's clientCredentials tokenUrl (relative to the server), or an
// openIdConnect scheme's discovery document — and asks for the scopes the operation's requirement lists.
func TestOAuth2FromTheDescription(t *testing.T) {
	base, clientID, userID, key := org(t, "okta.users.read")
	for _, scheme := range []string{
		"{ type: oauth2, flows: { clientCredentials: { tokenUrl: /oauth2/v1/token, scopes: { okta.users.read: read } } } }",
		"{ type: openIdConnect, openIdConnectUrl: /.well-known/openid-configuration }",
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "users.yaml"), []byte(`openapi: 3.0.3
info: { title: users, version: "1" }
servers: [{ url: https://example.okta.com }]
paths:
  /api/v1/users/{id}:
    get:
      operationId: getUser
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      security: [{ org: [okta.users.read] }]
      responses: { "200": { description: ok } }
components:
  securitySchemes:
    org: `+scheme+"\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "wf.yaml"), []byte(`arazzo: 1.0.1
info: { title: t, version: "1" }
sourceDescriptions: [{ name: users, url: users.yaml, type: openapi }]
workflows:
  - workflowId: read
    steps:
      - stepId: get
        operationId: getUser
        parameters: [{ name: id, in: path, value: `+userID+` }]
        successCriteria: [{ condition: $statusCode == 200 }]
`), 0o644)
		b, err := (&arazzo.Loader{}).Load(context.Background(), filepath.Join(dir, "wf.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		a, err := credential.New(credential.Credential{Type: credential.TypeOAuth2, ClientID: clientID, Key: key}, credential.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := runner.New(b, runner.Options{Servers: map[string]string{"users": base},
			Authenticators: map[string]runner.Authenticator{"users": a}}).Run(context.Background(), "read", nil)
		if err != nil || res.Status != runner.StatusSucceeded {
			out, _ := json.Marshal(res)
			t.Errorf("scheme %s: %v %s", scheme, err, out)
		}
	}
}

// TestBasicAndBearer: fixed credentials set the Authorization header the server sees.
func TestBasicAndBearer(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	for _, c := range []credential.Credential{
		{Type: credential.TypeBasic, Username: "ann", Password: "pw"},
		{Type: credential.TypeBearer, Token: "tok-1"},
		{Type: credential.TypeOkta, OrgURL: "https://o.okta.com", Token: "00abc"},
	} {
		a, err := credential.New(c, credential.Options{})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", srv.URL, nil)
		secrets, err := a.Authenticate(context.Background(), req, runner.Security{})
		if err != nil || len(secrets) == 0 {
			t.Fatalf("%s: %v %v", c.Type, secrets, err)
		}
		resp, _ := http.DefaultClient.Do(req)
		resp.Body.Close()
	}
	want := []string{"Basic YW5uOnB3", "Bearer tok-1", "SSWS 00abc"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
}
