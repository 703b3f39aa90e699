package emulator

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// serviceAppOrg is an org with one service app (RSA key "k1") granted okta.users.read.
func serviceAppOrg(t *testing.T, extra ...ServiceApp) (*testOrg, clientKey, string) {
	t.Helper()
	k := rsaClientKey(0, "k1")
	apps := append([]ServiceApp{{ClientID: "0oaservice0000000001", Label: "Trama Automation", PublicJWKS: jwksOf(k),
		Scopes: []string{"okta.users.read"}}}, extra...)
	o := newTestOrg(t, Options{ServiceApps: apps})
	return o, k, "0oaservice0000000001"
}

func TestTokenEndpointIssuesAccessTokens(t *testing.T) {
	o, k, cid := serviceAppOrg(t)
	now := o.e.Clock().Now()
	r := o.tokenRequest(clientCredentials(o.assertion(k, cid, now, nil), "okta.users.read"), "")
	wantStatus(t, r, http.StatusOK)
	if cc, p := r.header.Get("Cache-Control"), r.header.Get("Pragma"); !strings.Contains(cc, "no-store") || p != "no-cache" {
		t.Errorf("Cache-Control %q, Pragma %q: token responses must not be cached", cc, p)
	}
	var tr tokenResponse
	r.json(t, &tr)
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 3600 || tr.Scope != "okta.users.read" || tr.AccessToken == "" {
		t.Fatalf("token response %s", r.body)
	}

	// The token is a JWT signed with the key /oauth2/v1/keys serves, with Okta's claims.
	keys := o.do("GET", "/oauth2/v1/keys", nil)
	wantStatus(t, keys, http.StatusOK)
	var set jose.JSONWebKeySet
	keys.json(t, &set)
	if len(set.Keys) != 1 || !set.Keys[0].IsPublic() || set.Keys[0].KeyID == "" {
		t.Fatalf("keys %s", keys.body)
	}
	tok, err := jwt.ParseSigned(tr.AccessToken, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Headers[0].KeyID != set.Keys[0].KeyID {
		t.Errorf("token kid %q, keys %q", tok.Headers[0].KeyID, set.Keys[0].KeyID)
	}
	var c map[string]any
	if err := tok.Claims(set.Keys[0].Key, &c); err != nil {
		t.Fatalf("token does not verify with the served key: %v", err)
	}
	base := o.e.BaseURL()
	if c["ver"] != float64(1) || c["iss"] != base || c["aud"] != base || c["cid"] != cid || c["sub"] != cid ||
		!strings.HasPrefix(c["jti"].(string), "AT.") || c["exp"].(float64)-c["iat"].(float64) != 3600 || c["cnf"] != nil {
		t.Fatalf("claims %v", c)
	}
	if scp, _ := c["scp"].([]any); len(scp) != 1 || scp[0] != "okta.users.read" {
		t.Fatalf("scp %v", c["scp"])
	}

	// The token works as Bearer on a route its scope covers; the event log names the grant.
	wantStatus(t, o.doAuth("GET", "/api/v1/users", nil, "Bearer "+tr.AccessToken), http.StatusOK)
	evs := o.events("app.oauth2.token.grant.access_token")
	if len(evs) != 1 || evs[0]["actor"].(map[string]any)["id"] != cid {
		t.Fatalf("token grant events %v", evs)
	}

	// Both metadata documents describe the org authorization server.
	for _, p := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		m := o.do("GET", p, nil)
		wantStatus(t, m, http.StatusOK)
		md := m.obj(t)
		if md["issuer"] != base || md["token_endpoint"] != base+"/oauth2/v1/token" || md["jwks_uri"] != base+"/oauth2/v1/keys" {
			t.Fatalf("%s: %s", p, m.body)
		}
		for field, want := range map[string]string{"grant_types_supported": "client_credentials",
			"token_endpoint_auth_methods_supported": "private_key_jwt", "dpop_signing_alg_values_supported": "ES256",
			"scopes_supported": "okta.users.manage"} {
			if !slices.Contains(toStrings(md[field]), want) {
				t.Errorf("%s: %s lacks %s", p, field, want)
			}
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestTokenEndpointRefusals(t *testing.T) {
	ec := ecClientKey("ec1")
	o, k, cid := serviceAppOrg(t,
		ServiceApp{ClientID: "0oatwokeys0000000001", Label: "Two Keys", PublicJWKS: jwksOf(rsaClientKey(1, "a"), ec),
			Scopes: []string{"okta.users.read"}})
	now := o.e.Clock().Now()
	tokenURL := o.e.BaseURL() + "/oauth2/v1/token"
	wrongKey := rsaClientKey(2, "k1") // same kid as the registered key, different key
	noKid := rsaClientKey(0, "")
	set := func(name string, v any) func(map[string]any) { return func(c map[string]any) { c[name] = v } }
	replayed := o.assertion(k, cid, now, nil)
	wantStatus(t, o.tokenRequest(clientCredentials(replayed, "okta.users.read"), ""), http.StatusOK)

	cases := []struct {
		name   string
		form   url.Values
		status int
		code   string
		desc   string
	}{
		{"wrong key", clientCredentials(o.assertion(wrongKey, cid, now, nil), "okta.users.read"), 401, "invalid_client",
			"The client_assertion signature is invalid."},
		{"replayed jti", clientCredentials(replayed, "okta.users.read"), 401, "invalid_client",
			"The client_assertion token has already been used."},
		{"unknown kid", clientCredentials(o.assertion(rsaClientKey(0, "nope"), cid, now, nil), "okta.users.read"), 401,
			"invalid_client", "The client_assertion JWT kid is invalid."},
		{"no kid, one key", clientCredentials(o.assertion(noKid, cid, now, nil), "okta.users.read"), 200, "", ""},
		{"no kid, several keys", clientCredentials(o.assertion(rsaClientKey(1, ""), "0oatwokeys0000000001", now, nil),
			"okta.users.read"), 401, "invalid_client", "The client_assertion JWT kid is invalid."},
		{"EC key by kid", clientCredentials(o.assertion(ec, "0oatwokeys0000000001", now, nil), "okta.users.read"), 200, "", ""},
		{"expired", clientCredentials(o.assertion(k, cid, now, set("exp", now.Add(-time.Second).Unix())), "okta.users.read"),
			401, "invalid_client", "The client_assertion token has expired."},
		{"exp too far", clientCredentials(o.assertion(k, cid, now, set("exp", now.Add(2*time.Hour).Unix())), "okta.users.read"),
			401, "invalid_client", "The client_assertion token has an expiration too far into the future."},
		{"exp over an hour after iat", clientCredentials(o.assertion(k, cid, now, func(c map[string]any) {
			c["iat"] = now.Add(-30 * time.Minute).Unix()
			c["exp"] = now.Add(45 * time.Minute).Unix()
		}), "okta.users.read"), 401, "invalid_client", "The client_assertion token has an expiration too far into the future."},
		{"no exp", clientCredentials(o.assertion(k, cid, now, func(c map[string]any) { delete(c, "exp") }), "okta.users.read"),
			401, "invalid_client", "The client_assertion token must have an 'exp' claim."},
		{"wrong aud", clientCredentials(o.assertion(k, cid, now, set("aud", o.e.BaseURL()+"/oauth2/default/v1/token")),
			"okta.users.read"), 401, "invalid_client", "The audience claim for client_assertion must be the endpoint invoked for the request."},
		{"sub is not iss", clientCredentials(o.assertion(k, cid, now, set("sub", "someone")), "okta.users.read"), 401,
			"invalid_client", "The client_assertion 'iss' and 'sub' claims must both be the client_id."},
		{"unknown client", clientCredentials(o.assertion(k, "0oanobody00000000001", now, nil), "okta.users.read"), 401,
			"invalid_client", "Invalid value for 'client_id' parameter."},
		{"not a JWT", clientCredentials("not.a.jwt", "okta.users.read"), 401, "invalid_client", "The client_assertion is not a valid JWT."},
		{"scope not granted", clientCredentials(o.assertion(k, cid, now, nil), "okta.users.manage"), 400, "invalid_scope",
			"One or more scopes are not configured for the authorization server resource."},
		{"no scope", clientCredentials(o.assertion(k, cid, now, nil), ""), 400, "invalid_scope",
			"The authorization server resource does not have any configured default scopes, 'scope' must be provided."},
		{"password grant", func() url.Values {
			f := clientCredentials(o.assertion(k, cid, now, nil), "okta.users.read")
			f.Set("grant_type", "password")
			return f
		}(), 400, "unauthorized_client", "The client is not authorized to use the provided grant type. Configured grant types: [client_credentials]."},
		{"unknown grant", url.Values{"grant_type": {"magic"}}, 400, "unsupported_grant_type", ""},
		{"no grant", url.Values{}, 400, "invalid_request", ""},
		{"client secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {cid}, "client_secret": {"s3cret-value"}},
			401, "invalid_client", "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method."},
		{"wrong assertion type", func() url.Values {
			f := clientCredentials(o.assertion(k, cid, now, nil), "okta.users.read")
			f.Set("client_assertion_type", "jwt")
			return f
		}(), 400, "invalid_request", "Invalid value for 'client_assertion_type' parameter."},
		{"repeated scope", url.Values{"grant_type": {"client_credentials"}, "scope": {"a", "b"}}, 400, "invalid_request", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := o.as(t).tokenRequest(c.form, "")
			if c.status == 200 {
				wantStatus(t, r, 200)
				return
			}
			desc := wantOAuthError(t, r, c.status, c.code)
			if c.desc != "" && desc != c.desc {
				t.Fatalf("description %q, want %q", desc, c.desc)
			}
		})
	}

	// An assertion signed with HS256 (client_secret_jwt) is refused without a secret to check.
	hs, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	hsJWT, _ := jwt.Signed(hs).Claims(map[string]any{"iss": cid, "sub": cid, "aud": tokenURL, "exp": now.Add(time.Minute).Unix()}).Serialize()
	wantOAuthError(t, o.tokenRequest(clientCredentials(hsJWT, "okta.users.read"), ""), 401, "invalid_client")

	// Form parameters only count in the body, and the body must be a form.
	r := o.doHeader("POST", "/oauth2/v1/token?grant_type=client_credentials", `{"grant_type":"client_credentials"}`,
		http.Header{"Content-Type": {"application/json"}})
	wantOAuthError(t, r, 400, "invalid_request")
	wantError(t, o.do("GET", "/oauth2/v1/token", nil), http.StatusMethodNotAllowed, "E0000022")
}

// Okta mints a token with the granted subset of the requested scopes and refuses only when none is
// granted (okta/okta-sdk-golang#145, okta/terraform-provider-okta#2375).
func TestTokenGetsGrantedSubsetOfScopes(t *testing.T) {
	o, k, cid := serviceAppOrg(t)
	r := o.tokenRequest(clientCredentials(o.assertion(k, cid, o.e.Clock().Now(), nil), "okta.users.manage okta.users.read okta.users.read"), "")
	wantStatus(t, r, http.StatusOK)
	var tr tokenResponse
	r.json(t, &tr)
	if tr.Scope != "okta.users.read" {
		t.Fatalf("scope %q, want the granted one only", tr.Scope)
	}
	if scp := claimsOf(t, tr.AccessToken)["scp"].([]any); len(scp) != 1 || scp[0] != "okta.users.read" {
		t.Fatalf("scp %v", scp)
	}
}

func TestAccessTokenExpiresWithVirtualClock(t *testing.T) {
	o, k, cid := serviceAppOrg(t)
	token := o.accessToken(k, cid, "okta.users.read")
	wantStatus(t, o.doAuth("GET", "/api/v1/users", nil, "Bearer "+token), http.StatusOK)
	o.advance(59 * time.Minute)
	wantStatus(t, o.doAuth("GET", "/api/v1/users", nil, "Bearer "+token), http.StatusOK)
	o.advance(time.Minute)
	r := o.doAuth("GET", "/api/v1/users", nil, "Bearer "+token)
	wantError(t, r, http.StatusUnauthorized, "E0000011")
	base := o.e.BaseURL()
	want := `Bearer authorization_uri="` + base + `/oauth2/v1/authorize", realm="` + base +
		`", error="invalid_token", error_description="The token has expired."`
	if got := r.header.Get("WWW-Authenticate"); got != want {
		t.Fatalf("WWW-Authenticate\n got %s\nwant %s", got, want)
	}

	// A token that is not one of the org's: invalid, not expired.
	forged := rsaClientKey(1, "x").signJWT(t, map[string]any{"ver": 1, "iss": base, "aud": base, "cid": cid,
		"exp": o.e.Clock().Now().Add(time.Hour).Unix(), "scp": []string{"okta.users.read"}}, "", true, false)
	r = o.doAuth("GET", "/api/v1/users", nil, "Bearer "+forged)
	wantError(t, r, http.StatusUnauthorized, "E0000011")
	if !strings.Contains(r.header.Get("WWW-Authenticate"), `error_description="The access token is invalid."`) {
		t.Fatalf("WWW-Authenticate %s", r.header.Get("WWW-Authenticate"))
	}
	// Malformed Authorization values are 401 E0000011 too; none is echoed.
	for _, v := range []string{"Bearer", "Bearer ", "Bearer a b", "bearer " + forged + "!", "DPoP"} {
		r := o.doAuth("GET", "/api/v1/users", nil, v)
		wantError(t, r, http.StatusUnauthorized, "E0000011")
	}
}

func TestScopesEnforcedPerRoute(t *testing.T) {
	o, k, cid := serviceAppOrg(t)
	token := o.accessToken(k, cid, "okta.users.read")
	bearer := "Bearer " + token
	wantStatus(t, o.doAuth("GET", "/api/v1/users", nil, bearer), http.StatusOK)
	uid := o.createUser("scoped@example.com")
	wantStatus(t, o.doAuth("GET", "/api/v1/users/"+uid+"/factors", nil, bearer), http.StatusOK)

	r := o.doAuth("POST", "/api/v1/users/"+uid+"/lifecycle/suspend", nil, bearer)
	wantError(t, r, http.StatusForbidden, "E0000006")
	base := o.e.BaseURL()
	want := `Bearer authorization_uri="` + base + `/oauth2/v1/authorize", realm="` + base +
		`", scope="okta.users.manage", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/users/` +
		uid + `/lifecycle/suspend"`
	if got := r.header.Get("WWW-Authenticate"); got != want {
		t.Fatalf("WWW-Authenticate\n got %s\nwant %s", got, want)
	}
	r = o.doAuth("GET", "/api/v1/logs", nil, bearer)
	wantError(t, r, http.StatusForbidden, "E0000006")
	if !strings.Contains(r.header.Get("WWW-Authenticate"), `scope="okta.logs.read"`) {
		t.Fatalf("WWW-Authenticate %s", r.header.Get("WWW-Authenticate"))
	}
	// An operation Okta's description opens to API tokens only is refused to access tokens.
	r = o.doAuth("GET", "/api/v1/users/"+uid+"/factors/questions", nil, bearer)
	wantError(t, r, http.StatusForbidden, "E0000006")
	// The user behind "me" is the API token's admin; an app's token has none.
	wantError(t, o.doAuth("GET", "/api/v1/users/me", nil, bearer), http.StatusNotFound, "E0000007")
	wantStatus(t, o.do("GET", "/api/v1/users/me", nil), http.StatusOK)

	// With okta.users.manage granted (through the API) the app acts, and the System Log names it.
	grant := o.do("POST", "/api/v1/apps/"+cid+"/grants", map[string]string{"scopeId": "okta.users.manage", "issuer": base})
	wantStatus(t, grant, http.StatusCreated)
	manage := "Bearer " + o.accessToken(k, cid, "okta.users.manage")
	wantStatus(t, o.doAuth("POST", "/api/v1/users/"+uid+"/lifecycle/suspend", nil, manage), http.StatusOK)
	evs := o.events("user.lifecycle.suspend")
	if len(evs) != 1 {
		t.Fatalf("%d suspend events", len(evs))
	}
	actor := evs[0]["actor"].(map[string]any)
	if actor["id"] != cid || actor["type"] != "PublicClientApp" || actor["alternateId"] != cid || actor["displayName"] != "Trama Automation" {
		t.Fatalf("actor %v", actor)
	}
	detail := evs[0]["transaction"].(map[string]any)["detail"].(map[string]any)
	if _, ok := detail["requestApiTokenId"]; ok {
		t.Fatalf("transaction.detail %v names an API token for an OAuth call", detail)
	}
	// A .manage scope covers its .read scope.
	wantStatus(t, o.doAuth("GET", "/api/v1/users/"+uid, nil, manage), http.StatusOK)
	// SSWS calls are not scope-checked and still name the admin.
	wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/lifecycle/unsuspend", nil), http.StatusOK)
	if a := o.events("user.lifecycle.unsuspend")[0]["actor"].(map[string]any); a["type"] != "User" {
		t.Fatalf("SSWS actor %v", a)
	}
}

// TestEveryAPIRouteHasScopes keeps the fail-closed rule honest: every /api/v1 route needs exactly the
// OAuth 2.0 scopes Okta's description gives its operation, and a route has none (refusing every access
// token) only when the description opens the operation to API tokens alone.
func TestEveryAPIRouteHasScopes(t *testing.T) {
	o := newTestOrg(t, Options{})
	doc := contractSpec(t)
	n := 0
	for _, r := range o.e.routeTable {
		method, path, _ := strings.Cut(r.pattern, " ")
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		n++
		opMethod, opPath, _ := strings.Cut(r.operation, " ")
		route, _, ok := findRoute(doc, opMethod, opPath)
		if !ok {
			t.Errorf("%s takes the scopes of %s, which the description does not list", r.pattern, r.operation)
			continue
		}
		var want []string
		if sec := route.Operation.Security; sec != nil {
			for _, req := range *sec {
				want = append(want, req["oauth2"]...)
			}
		}
		got := slices.Clone(r.scopes)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s %s: scopes %v, the description's %s needs %v", method, path, r.scopes, route.Operation.OperationID, want)
		}
		if len(want) == 0 {
			t.Logf("%s takes an API token only (%s)", r.pattern, route.Operation.OperationID)
		}
	}
	if n < 30 {
		t.Fatalf("only %d API routes registered", n)
	}
}

// Token requests, API calls and grant changes from many clients at once keep the org consistent.
func TestConcurrentOAuthClients(t *testing.T) {
	o, k, cid := serviceAppOrg(t)
	base := o.e.BaseURL()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				r := o.as(t).tokenRequest(clientCredentials(o.assertion(k, cid, o.e.Clock().Now(), nil), "okta.users.read"), "")
				if r.status != http.StatusOK {
					errs <- string(r.body)
					return
				}
				var tr tokenResponse
				r.json(t, &tr)
				if r := o.as(t).doAuth("GET", "/api/v1/users", nil, "Bearer "+tr.AccessToken); r.status != http.StatusOK {
					errs <- string(r.body)
				}
				if i == 0 && j == 0 {
					o.as(t).do("POST", "/api/v1/apps/"+cid+"/grants", map[string]string{"scopeId": "okta.logs.read", "issuer": base})
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(o.events("app.oauth2.token.grant.access_token")); n != 40 {
		t.Fatalf("%d token grant events, want 40", n)
	}
}
