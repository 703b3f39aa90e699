package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trama-dev/trama/credential"
	"github.com/trama-dev/trama/oauth"
)

// ecPEM returns a fresh P-256 private key in SEC 1 PEM.
func ecPEM(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
}

func TestParseCredentials(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.pem"), []byte(ecPEM(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "creds.yaml")
	data := `oktaApi:
  type: okta
  orgUrl: https://example.okta.com/
  clientId: 0oa1b2c3d4e5f6g7h8i9
  privateKey: app.pem
  keyId: k1
  scopes: okta.users.read okta.users.manage
  dpop: "true"
pets:
  value: ${PET_KEY}
  header: X-Api-Key
legacy:
  orgUrl: https://example.okta.com
  token: ${OKTA_API_TOKEN}
inline:
  type: oauth2
  tokenUrl: https://auth.example.com/token
  clientId: c1
  privateKey: ${INLINE_KEY}
`
	env := map[string]string{"PET_KEY": "pk-123", "OKTA_API_TOKEN": "00tok", "INLINE_KEY": ecPEM(t)}
	creds, err := ParseCredentials([]byte(data), file, nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	o := creds["oktaApi"]
	if o.Type != credential.TypeOkta || o.OrgURL != "https://example.okta.com" || o.Key == nil || o.Key.ID != "k1" ||
		o.Key.Algorithm() != "ES256" || o.DPoP != oauth.DPoPAlways || strings.Join(o.Scopes, ",") != "okta.users.read,okta.users.manage" {
		t.Errorf("oktaApi = %+v", o)
	}
	if p := creds["pets"]; p.Type != credential.TypeAPIKey || p.Value != "pk-123" || p.Header != "X-Api-Key" {
		t.Errorf("pets = %+v (the type is inferred from value)", p)
	}
	if l := creds["legacy"]; l.Type != credential.TypeOkta || l.Token != "00tok" {
		t.Errorf("legacy = %+v", l)
	}
	if in := creds["inline"]; in.Key == nil || in.TokenURL != "https://auth.example.com/token" {
		t.Errorf("inline = %+v", in)
	}

	// Flags override the file's keys and add sources.
	creds, err = ParseCredentials([]byte(data), file, map[string]map[string]string{
		"oktaApi": {"dpop": "false"}, "extra": {"token": "bt-1"},
	}, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if creds["oktaApi"].DPoP != oauth.DPoPNever || creds["extra"].Type != credential.TypeBearer {
		t.Errorf("overrides: %+v %+v", creds["oktaApi"], creds["extra"])
	}
}

// TestCredentialErrors: mistakes are reported at their line with what to write, and no secret appears
// in any message.
func TestCredentialErrors(t *testing.T) {
	const canary = "s3cr3t-canary-9f8e"
	env := func(k string) (string, bool) { return canary, k == "SECRET" }
	for _, tt := range []struct{ name, data, want string }{
		{"unknown key", "a:\n  type: bearer\n  tokn: x\n", `3:3: a: unknown key "tokn"; did you mean "token"?`},
		{"no type", "a:\n  keyId: k\n", "has no type"},
		{"both", "a:\n  orgUrl: https://o.okta.com\n  token: ${SECRET}\n  clientId: c\n", "either token"},
		{"service app without key", "a:\n  orgUrl: https://o.okta.com\n  clientId: c\n", "set privateKey"},
		{"http org", "a:\n  orgUrl: http://o.okta.com\n  token: ${SECRET}\n", "must use https"},
		{"missing key file", "a:\n  orgUrl: https://o.okta.com\n  clientId: c\n  privateKey: nope.pem\n", "4:15: a.privateKey: cannot read the key file \"nope.pem\""},
		{"not a key", "a:\n  type: oauth2\n  tokenUrl: https://x/t\n  clientId: c\n  privateKey: ${SECRET}\n", "nope"},
		{"field of another type", "a:\n  type: bearer\n  token: ${SECRET}\n  username: u\n", "username does not apply to a bearer credential"},
		{"bad dpop", "a:\n  type: bearer\n  token: t\n  dpop: maybe\n", "auto"},
		{"not a mapping", "- a\n", "must be a mapping of source description names"},
	} {
		_, err := ParseCredentials([]byte(tt.data), "creds.yaml", nil, env)
		if err == nil || strings.Contains(err.Error(), canary) {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if tt.want != "nope" && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want %q", tt.name, err, tt.want)
		}
	}
	// A flag with a broken value names the flag and the key, not the value.
	_, err := ParseCredentials(nil, "", map[string]map[string]string{"a": {"privateKey": canary}}, env)
	if err == nil || !strings.Contains(err.Error(), "--credential") || strings.Contains(err.Error(), canary) {
		t.Errorf("flags: %v", err)
	}
}

// TestConnections: the okta section may be a service app, connections add named credentials, and a
// trigger names one; a connection name that matches nothing is an error with a suggestion.
func TestConnections(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.pem"), []byte(ecPEM(t)), 0o600)
	os.MkdirAll(filepath.Join(dir, "flows"), 0o755)
	os.WriteFile(filepath.Join(dir, "flows", "wf.arazzo.yaml"), []byte("arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nsourceDescriptions: [{name: okta, url: x.yaml}]\nworkflows: [{workflowId: w, steps: [{stepId: s, operationId: o}]}]\n"), 0o644)
	base := `hooks: { okta: { auth: { value: hook-secret-value-1234 } } }
okta:
  orgUrl: https://example.okta.com
  clientId: 0oa1b2c3d4e5f6g7h8i9
  privateKey: app.pem
connections:
  partner: { type: bearer, token: partner-token }
triggers:
  - name: a
    on: user.mfa.factor.activate
    run: { file: flows/wf.arazzo.yaml, workflow: w }
    connection: %s
    ignoreActor: self
`
	cfg, err := Parse([]byte(strings.Replace(base, "%s", "okta", 1)), filepath.Join(dir, "trama.yaml"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Okta == nil || cfg.Okta.Type != credential.TypeOkta || cfg.Okta.Key == nil || cfg.Connection("okta") != cfg.Okta ||
		cfg.Connection("partner") == nil || cfg.Triggers[0].Connection != "okta" {
		t.Errorf("okta %+v, connections %+v, trigger %+v", cfg.Okta, cfg.Connections, cfg.Triggers[0])
	}
	_, err = Parse([]byte(strings.Replace(base, "%s", "partnr", 1)), filepath.Join(dir, "trama.yaml"), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), `12:17: triggers[0].connection: no connection is named "partnr"; did you mean "partner"?`) {
		t.Errorf("misspelt connection: %v", err)
	}
	_, err = Parse([]byte(strings.Replace(strings.Replace(base, "partner: {", "okta: {", 1), "%s", "okta", 1)), filepath.Join(dir, "trama.yaml"), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "give this one another name") {
		t.Errorf("a connection named okta: %v", err)
	}
}

func FuzzParseCredentials(f *testing.F) {
	f.Add([]byte("a:\n  type: bearer\n  token: t\n"), "b.token", "x")
	f.Add([]byte("a: {orgUrl: https://o.okta.com, token: ${T}}\n"), "a.dpop", "true")
	f.Add([]byte("- [\n"), "", "")
	f.Fuzz(func(t *testing.T, data []byte, flag, value string) {
		overrides := map[string]map[string]string{}
		if src, key, ok := strings.Cut(flag, "."); ok {
			overrides[src] = map[string]string{key: value}
		}
		creds, err := ParseCredentials(data, "creds.yaml", overrides, func(string) (string, bool) { return "s3cr3t-fuzz", true })
		if err != nil {
			if strings.Contains(err.Error(), "s3cr3t-fuzz") {
				t.Fatalf("an error holds a value from the environment: %v", err)
			}
			return
		}
		for name, c := range creds {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("credential %q parsed but invalid: %v", name, verr)
			}
		}
	})
}
