package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/credential"
	"github.com/trama-dev/trama/inputhelper"
	"github.com/trama-dev/trama/okta/emulator"
	"github.com/trama-dev/trama/runner"
)

// serviceApp makes an RSA key pair: the private key as PEM (what trama is given) and the app with its
// public JWK (what Okta keeps).
func serviceApp(t *testing.T, dpop bool, scopes ...string) (emulator.ServiceApp, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "trama-test", Algorithm: "RS256", Use: "sig"}}})
	app := emulator.ServiceApp{ClientID: "0oatrama0test0app01", Label: "trama", PublicJWKS: jwks, Scopes: scopes, RequireDPoP: dpop}
	return app, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// jwtLike finds anything shaped like a JWT (an access token, an assertion, a DPoP proof).
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.`)

// TestSeedsRunWithAServiceApp runs both seed workflows, unchanged, with an OAuth 2.0 service app instead
// of an API token, with and without DPoP: the reset seed through `trama run --credentials`, the enroll
// seed through the runner with the emulator's virtual authenticator supplying the passcode. No output
// holds the private key, an assertion, an access token or a proof.
func TestSeedsRunWithAServiceApp(t *testing.T) {
	for _, dpop := range []bool{false, true} {
		t.Run(map[bool]string{false: "bearer", true: "dpop"}[dpop], func(t *testing.T) {
			const adminToken = "00admin-token-for-setup"
			app, keyPEM := serviceApp(t, dpop, "okta.users.manage", "okta.users.read")
			_, base := startEmulatorWith(t, emulator.Options{Token: adminToken, ServiceApps: []emulator.ServiceApp{app}})
			userID := createUser(t, base, adminToken, "oauth@example.com")

			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "app.pem"), []byte(keyPEM), 0o600)
			creds := filepath.Join(dir, "creds.yaml")
			os.WriteFile(creds, []byte("oktaApi:\n  orgUrl: "+base+"\n  clientId: "+app.ClientID+"\n  privateKey: app.pem\n  keyId: trama-test\n"), 0o600)
			har, junit := filepath.Join(dir, "run.har"), filepath.Join(dir, "run.xml")
			code, out, errOut := trama(t, "run", filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml"),
				"--credentials", creds, "--server", "oktaApi="+base, "--input", "userId="+userID,
				"--input", "factorType=token:software:totp", "--input", "provider=GOOGLE",
				"--output", "json", "--har", har, "--junit", junit)
			if code != exitOK {
				t.Fatalf("reset seed: exit %d\n%s%s", code, out, errOut)
			}
			var res runner.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil || res.Status != runner.StatusSucceeded || len(res.Steps) != 2 {
				t.Fatalf("reset seed: %v %+v", err, res)
			}
			if auth := res.Steps[0].Request.Auth; !strings.Contains(auth, "Okta service app "+app.ClientID) || !strings.Contains(auth, "replaced the step's Authorization header") {
				t.Errorf("the report does not say how the request was authenticated: %q", auth)
			}
			harData, _ := os.ReadFile(har)
			junitData, _ := os.ReadFile(junit)
			if wantScheme := map[bool]string{false: `"Bearer ****"`, true: `"DPoP ****"`}[dpop]; !strings.Contains(string(harData), wantScheme) {
				t.Errorf("the HAR does not show the %s scheme, masked", wantScheme)
			}
			keyBody := strings.Split(keyPEM, "\n")[3]
			for name, text := range map[string]string{"stdout": out, "stderr": errOut, "HAR": string(harData), "JUnit": string(junitData)} {
				if jwtLike.MatchString(text) || strings.Contains(text, keyBody) {
					t.Errorf("%s holds a token, an assertion, a proof or the private key:\n%s", name, jwtLike.FindString(text))
				}
			}

			// The enroll seed, through the runner, with the passcode from the virtual authenticator.
			b, err := (&arazzo.Loader{}).Load(context.Background(), filepath.Join(catalog, "okta-enroll-and-activate-factor-workflow.yml"))
			if err != nil {
				t.Fatal(err)
			}
			cs, err := config.LoadCredentials(creds, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			a, err := credential.New(*cs["oktaApi"], credential.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := runner.New(b, runner.Options{Servers: map[string]string{"oktaApi": base},
				Authenticators: map[string]runner.Authenticator{"oktaApi": a}, InputProvider: &inputhelper.EmulatorDevice{BaseURL: base}})
			// The reset seed enrolled a Google TOTP factor; this enrolls and activates Okta Verify TOTP.
			enroll, err := r.Run(context.Background(), "enroll-and-activate-factor", map[string]any{
				"userId": userID, "factorType": "token:software:totp", "provider": "OKTA"})
			if err != nil {
				t.Fatal(err)
			}
			if enroll.Status != runner.StatusSucceeded {
				b, _ := json.Marshal(enroll)
				t.Errorf("enroll seed: %s", b)
			}
		})
	}
}

// TestServiceAppRefusals: what goes wrong with a service app is said in Okta's terms with what to do —
// a key Okta does not know, a scope the app was not granted, a token without the scope an operation
// needs — and a token the server expired early is replaced without failing the step.
func TestServiceAppRefusals(t *testing.T) {
	const adminToken = "00admin-token-for-setup"
	app, keyPEM := serviceApp(t, false, "okta.users.read")
	emu, base := startEmulatorWith(t, emulator.Options{Token: adminToken, ServiceApps: []emulator.ServiceApp{app}})
	userID := createUser(t, base, adminToken, "refusals@example.com")
	_, otherKey := serviceApp(t, false)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.pem"), []byte(keyPEM), 0o600)
	os.WriteFile(filepath.Join(dir, "other.pem"), []byte(otherKey), 0o600)
	seed := filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml")
	run := func(extra ...string) (int, string) {
		args := append([]string{"run", seed, "--server", "oktaApi=" + base, "--input", "userId=" + userID,
			"--input", "factorType=sms", "--input", "provider=OKTA",
			"--credential", "oktaApi.orgUrl=" + base, "--credential", "oktaApi.clientId=" + app.ClientID}, extra...)
		code, out, errOut := trama(t, args...)
		if jwtLike.MatchString(out + errOut) {
			t.Errorf("%v: the output holds a JWT", extra)
		}
		return code, out + errOut
	}

	// A key Okta does not have for the app.
	if code, out := run("--credential", "oktaApi.privateKey="+filepath.Join(dir, "other.pem")); code != exitFailed ||
		!strings.Contains(out, "invalid_client") || !strings.Contains(out, "public keys include the one for this private key") {
		t.Errorf("wrong key: exit %d\n%s", code, out)
	}
	// reset_factors needs okta.users.manage, which the app was not granted.
	if code, out := run("--credential", "oktaApi.privateKey="+filepath.Join(dir, "app.pem")); code != exitFailed ||
		!strings.Contains(out, "invalid_scope") || !strings.Contains(out, "okta.users.manage") {
		t.Errorf("scope not granted: exit %d\n%s", code, out)
	}
	// Asking only for what was granted gets a token, and the operation says which scope it lacks.
	if code, out := run("--credential", "oktaApi.privateKey="+filepath.Join(dir, "app.pem"), "--credential", "oktaApi.scopes=okta.users.read"); code != exitFailed ||
		!strings.Contains(out, "403") || !strings.Contains(out, "lacks the scope okta.users.manage") {
		t.Errorf("insufficient scope: exit %d\n%s", code, out)
	}

	// A client secret, which Okta's org authorization server does not accept for service apps, is refused
	// and never shown.
	const secretCanary = "cl1ent-s3cret-canary-77"
	code, out, errOut := trama(t, "run", seed, "--server", "oktaApi="+base, "--input", "userId="+userID,
		"--input", "factorType=sms", "--input", "provider=OKTA", "--har", filepath.Join(dir, "secret.har"),
		"--credential", "oktaApi.type=oauth2", "--credential", "oktaApi.tokenUrl="+base+"/oauth2/v1/token",
		"--credential", "oktaApi.clientId="+app.ClientID, "--credential", "oktaApi.clientSecret="+secretCanary,
		"--credential", "oktaApi.scopes=okta.users.manage")
	har, _ := os.ReadFile(filepath.Join(dir, "secret.har"))
	if code != exitFailed || !strings.Contains(out, "invalid_client") || strings.Contains(out+errOut+string(har), secretCanary) {
		t.Errorf("client secret: exit %d\n%s%s", code, out, errOut)
	}

	// A token that expires between two runs is renewed, not sent: the client follows the org's clock.
	cs, err := config.LoadCredentials("", map[string]map[string]string{"oktaApi": {
		"orgUrl": base, "clientId": app.ClientID, "privateKey": filepath.Join(dir, "app.pem"), "scopes": "okta.users.read"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := credential.New(*cs["oktaApi"], credential.Options{Now: emu.Clock().Now})
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := filepath.Abs(filepath.Join("..", "..", "examples", "okta-mfa.openapi.yaml"))
	wf := filepath.Join(dir, "read.arazzo.yaml")
	os.WriteFile(wf, []byte(`arazzo: 1.0.1
info: { title: read a user, version: "1" }
sourceDescriptions: [{ name: okta, url: "`+spec+`", type: openapi }]
workflows:
  - workflowId: read
    inputs: { type: object, required: [userId], properties: { userId: { type: string } } }
    steps:
      - stepId: getUser
        operationId: getUser
        parameters: [{ name: userId, in: path, value: $inputs.userId }]
        successCriteria: [{ condition: $statusCode == 200 }]
`), 0o644)
	b, err := (&arazzo.Loader{}).Load(context.Background(), wf)
	if err != nil {
		t.Fatal(err)
	}
	r := runner.New(b, runner.Options{Servers: map[string]string{"okta": base}, Authenticators: map[string]runner.Authenticator{"okta": a}})
	in := map[string]any{"userId": userID}
	for i := range 2 {
		res, err := r.Run(context.Background(), "read", in)
		if err != nil || res.Status != runner.StatusSucceeded {
			out, _ := json.Marshal(res)
			t.Fatalf("run %d: %v %s", i, err, out)
		}
		emu.Clock().Advance(2 * time.Hour) // past the token's hour
	}
}
