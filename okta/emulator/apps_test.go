package emulator

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serviceAppBody is the POST /api/v1/apps body for a service app, as Okta's guides show it.
func serviceAppBody(jwks []byte, dpop bool) map[string]any {
	var set map[string]any
	json.Unmarshal(jwks, &set)
	return map[string]any{
		"name": "oidc_client", "label": "Nightly Sync", "signOnMode": "OPENID_CONNECT",
		"credentials": map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": "private_key_jwt"}},
		"settings": map[string]any{"oauthClient": map[string]any{
			"application_type": "service", "grant_types": []string{"client_credentials"}, "response_types": []string{"token"},
			"jwks": set, "dpop_bound_access_tokens": dpop,
		}},
	}
}

func TestAppsAPICreatesServiceApps(t *testing.T) {
	o := newTestOrg(t, Options{})
	k := rsaClientKey(0, "nightly")
	r := o.do("POST", "/api/v1/apps", serviceAppBody(jwksOf(k), true))
	wantStatus(t, r, http.StatusOK)
	app := r.obj(t)
	id := app["id"].(string)
	cid := app["credentials"].(map[string]any)["oauthClient"].(map[string]any)["client_id"].(string)
	oc := app["settings"].(map[string]any)["oauthClient"].(map[string]any)
	if !isOktaID(id, "0oa") || cid != id || app["status"] != "ACTIVE" || app["signOnMode"] != "OPENID_CONNECT" ||
		oc["application_type"] != "service" || oc["dpop_bound_access_tokens"] != true {
		t.Fatalf("created app %s", r.body)
	}
	keys := oc["jwks"].(map[string]any)["keys"].([]any)
	key := keys[0].(map[string]any)
	if len(keys) != 1 || key["kid"] != "nightly" || key["d"] != nil || !strings.HasPrefix(key["id"].(string), "pks") {
		t.Fatalf("jwks %v", keys)
	}
	got := o.do("GET", "/api/v1/apps/"+id, nil)
	wantStatus(t, got, http.StatusOK)
	if got.obj(t)["label"] != "Nightly Sync" {
		t.Fatalf("get %s", got.body)
	}
	wantError(t, o.do("GET", "/api/v1/apps/0oanothere0000000000", nil), http.StatusNotFound, "E0000007")

	// Scope grants.
	base := o.e.BaseURL()
	g := o.do("POST", "/api/v1/apps/"+id+"/grants", map[string]string{"scopeId": "okta.users.read", "issuer": base})
	wantStatus(t, g, http.StatusCreated)
	grant := g.obj(t)
	if grant["scopeId"] != "okta.users.read" || grant["clientId"] != cid || grant["issuer"] != base || grant["status"] != "ACTIVE" ||
		!strings.HasPrefix(grant["id"].(string), "oag") {
		t.Fatalf("grant %s", g.body)
	}
	wantError(t, o.do("POST", "/api/v1/apps/"+id+"/grants", map[string]string{"scopeId": "okta.users.read", "issuer": base}),
		http.StatusBadRequest, "E0000001")
	wantError(t, o.do("POST", "/api/v1/apps/"+id+"/grants", map[string]string{"scopeId": "users", "issuer": base}),
		http.StatusBadRequest, "E0000001")
	wantError(t, o.do("POST", "/api/v1/apps/"+id+"/grants", map[string]string{"scopeId": "okta.logs.read", "issuer": "https://elsewhere.example"}),
		http.StatusBadRequest, "E0000001")
	wantStatus(t, o.do("POST", "/api/v1/apps/"+id+"/grants", map[string]string{"scopeId": "okta.logs.read", "issuer": base + "/"}),
		http.StatusCreated)
	var list []map[string]any
	l := o.do("GET", "/api/v1/apps/"+id+"/grants", nil)
	wantStatus(t, l, http.StatusOK)
	l.json(t, &list)
	if len(list) != 2 {
		t.Fatalf("grants %s", l.body)
	}
	wantStatus(t, o.do("GET", "/api/v1/apps/"+id+"/grants/"+grant["id"].(string), nil), http.StatusOK)

	// The new app gets tokens for what it was granted, DPoP-bound as it requires.
	proofKey := ecClientKey("")
	token, _ := o.dpopToken(k, proofKey, cid, "okta.users.read okta.logs.read")
	wantStatus(t, o.dpopCall("GET", "/api/v1/logs", nil, token, proofKey), http.StatusOK)

	wantStatus(t, o.do("DELETE", "/api/v1/apps/"+id+"/grants/"+grant["id"].(string), nil), http.StatusNoContent)
	wantError(t, o.do("DELETE", "/api/v1/apps/"+id+"/grants/"+grant["id"].(string), nil), http.StatusNotFound, "E0000007")
	r = o.tokenRequest(clientCredentials(o.assertion(k, cid, o.e.Clock().Now(), nil), "okta.users.read"),
		o.proof(proofKey, "POST", base+"/oauth2/v1/token", o.e.dpopNonce(o.e.Clock().Now()), "", nil))
	wantOAuthError(t, r, http.StatusBadRequest, "invalid_scope")

	for eventType, n := range map[string]int{"application.lifecycle.create": 1, "application.lifecycle.activate": 1,
		"app.oauth2.admin.consent.grant": 2, "app.oauth2.admin.consent.revoke": 1} {
		evs := o.events(eventType)
		if len(evs) != n {
			t.Errorf("%d %s events, want %d", len(evs), eventType, n)
			continue
		}
		target := evs[0]["target"].([]any)[0].(map[string]any)
		if target["id"] != id || target["type"] != "AppInstance" {
			t.Errorf("%s target %v", eventType, target)
		}
	}
}

func TestAppsAPIRefusals(t *testing.T) {
	o := newTestOrg(t, Options{})
	jwks := jwksOf(rsaClientKey(0, "a"))
	edit := func(f func(b map[string]any)) map[string]any {
		b := serviceAppBody(jwks, false)
		f(b)
		return b
	}
	oauthSettings := func(b map[string]any) map[string]any {
		return b["settings"].(map[string]any)["oauthClient"].(map[string]any)
	}
	privateJWKS := `{"keys":[{"kty":"EC","crv":"P-256","kid":"p","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cLvmpzSbXW8NFCdzjRq2Dk"}]}`
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"bookmark without url", map[string]any{"name": "bookmark", "label": "B", "signOnMode": "BOOKMARK"}, "url"},
		{"unknown sign-on mode", edit(func(b map[string]any) { b["signOnMode"] = "MAGIC" }), "signOnMode"},
		{"no label", edit(func(b map[string]any) { b["label"] = " " }), "label"},
		{"web app without a code grant", edit(func(b map[string]any) { oauthSettings(b)["application_type"] = "web" }),
			"settings.oauthClient.grant_types"},
		{"unknown app type", edit(func(b map[string]any) { oauthSettings(b)["application_type"] = "daemon" }),
			"settings.oauthClient.application_type"},
		{"code grant", edit(func(b map[string]any) { oauthSettings(b)["grant_types"] = []string{"authorization_code"} }),
			"settings.oauthClient.grant_types"},
		{"public service app", edit(func(b map[string]any) {
			b["credentials"] = map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": "none"}}
		}), "credentials.oauthClient.token_endpoint_auth_method"},
		{"no keys", edit(func(b map[string]any) { delete(oauthSettings(b), "jwks") }), "settings.oauthClient.jwks"},
		{"private key", edit(func(b map[string]any) {
			var set any
			json.Unmarshal([]byte(privateJWKS), &set)
			oauthSettings(b)["jwks"] = set
		}), "settings.oauthClient.jwks"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := o.as(t).do("POST", "/api/v1/apps", c.body)
			wantError(t, r, http.StatusBadRequest, "E0000001")
			var e struct {
				ErrorSummary string
				ErrorCauses  []struct{ ErrorSummary string }
			}
			r.json(t, &e)
			if e.ErrorSummary != "Api validation failed: "+c.field || len(e.ErrorCauses) != 1 || !strings.HasPrefix(e.ErrorCauses[0].ErrorSummary, c.field+": ") {
				t.Fatalf("error %s", r.body)
			}
			if strings.Contains(string(r.body), "jpsQnnGQ") {
				t.Fatal("the error repeats private key material")
			}
		})
	}
	wantError(t, o.do("POST", "/api/v1/apps", "{"), http.StatusBadRequest, "E0000003")
}

func TestServiceAppsSurviveRestartAndReset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.json")
	k := rsaClientKey(0, "k1")
	seeds := []ServiceApp{{Label: "Generated Id", PublicJWKS: jwksOf(k), Scopes: []string{"okta.users.read"}}}
	// Tokens name the org URL as issuer, so both runs use the same one, as a restarted org does.
	const org = "http://restarted.okta.test"
	o := newTestOrg(t, Options{BaseURL: org, StatePath: path, ServiceApps: seeds})
	cid := o.e.ServiceApps()[0].ClientID
	if !isOktaID(cid, "0oa") {
		t.Fatalf("generated client id %q", cid)
	}
	token := o.accessToken(k, cid, "okta.users.read")
	created := o.do("POST", "/api/v1/apps", serviceAppBody(jwksOf(rsaClientKey(1, "x")), false))
	wantStatus(t, created, http.StatusOK)
	if err := o.e.Close(); err != nil {
		t.Fatal(err)
	}
	state, _ := os.ReadFile(path)
	if strings.Contains(string(state), token) {
		t.Fatal("the state file holds an access token")
	}

	again := newTestOrg(t, Options{BaseURL: org, StatePath: path, ServiceApps: seeds})
	apps := again.e.ServiceApps()
	if len(apps) != 2 || apps[0].ClientID != cid || apps[1].Label != "Nightly Sync" {
		t.Fatalf("apps after restart %+v", apps)
	}
	// The org key was kept, so the token minted before the restart still works.
	wantStatus(t, again.doAuth("GET", "/api/v1/users", nil, "Bearer "+token), http.StatusOK)

	// A reset brings back the seed app with the same client id and forgets the API-created one.
	wantStatus(t, again.do("POST", "/emulator/v1/reset", nil), http.StatusNoContent)
	apps = again.e.ServiceApps()
	if len(apps) != 1 || apps[0].ClientID != cid {
		t.Fatalf("apps after reset %+v", apps)
	}
	again.advance(time.Minute)
	wantStatus(t, again.doAuth("GET", "/api/v1/users", nil, "Bearer "+again.accessToken(k, cid, "okta.users.read")), http.StatusOK)
}

func TestLoadServiceAppFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	k := rsaClientKey(0, "")
	pubPEM := publicPEM(t, k)
	write("pub.pem", pubPEM)
	app, err := LoadServiceAppFile(write("a.yaml", "clientId: my-automation\nlabel: Automation\npublicKey: pub.pem\nscopes: [okta.users.read]\ndpop: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := parsePublicJWKS(app.PublicJWKS)
	if err != nil || len(keys) != 1 || keys[0].KeyID != k.thumbprint(t) {
		t.Fatalf("keys %v %v", keys, err)
	}
	if app.ClientID != "my-automation" || !app.RequireDPoP || len(app.Scopes) != 1 {
		t.Fatalf("app %+v", app)
	}
	// Inline PEM with a kid, and a JSON file with an inline JWKS.
	inline, err := LoadServiceAppFile(write("b.yaml", "publicKey: |\n  "+strings.ReplaceAll(strings.TrimSpace(pubPEM), "\n", "\n  ")+"\nkid: mine\nscopes: [okta.users.read]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if keys, _ := parsePublicJWKS(inline.PublicJWKS); keys[0].KeyID != "mine" {
		t.Fatalf("kid %q", keys[0].KeyID)
	}
	if _, err := LoadServiceAppFile(write("c.json", `{"jwks":`+string(jwksOf(ecClientKey("e")))+`,"scopes":["okta.users.read"]}`)); err != nil {
		t.Fatal(err)
	}
	// A seeded app from such a file is usable at once.
	o := newTestOrg(t, Options{ServiceApps: []ServiceApp{app}})
	if app.RequireDPoP {
		o.dpopToken(k, ecClientKey(""), "my-automation", "okta.users.read")
	}

	for name, content := range map[string]string{
		"private.yaml": "publicKey: |\n  -----BEGIN PRIVATE KEY-----\n  AAAA\n  -----END PRIVATE KEY-----\n",
		"none.yaml":    "label: x\n",
		"both.yaml":    "publicKey: pub.pem\njwks: {keys: []}\n",
		"typo.yaml":    "publicKey: pub.pem\nscope: [okta.users.read]\n",
		"missing.yaml": "publicKey: nowhere.pem\n",
	} {
		if _, err := LoadServiceAppFile(write(name, content)); err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "AAAA") {
			t.Errorf("%s: the error repeats key material: %v", name, err)
		}
	}
	if _, err := New(Options{ServiceApps: []ServiceApp{{Label: "x", PublicJWKS: []byte(`{"keys":[]}`)}}}); err == nil {
		t.Error("New accepted a service app without keys")
	}
	if _, err := New(Options{ServiceApps: []ServiceApp{{PublicJWKS: jwksOf(k), Scopes: []string{"users.read"}}}}); err == nil {
		t.Error("New accepted a scope that is not an Okta scope")
	}
}
