package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// createSession redeems a session token for the user's new session.
func (o *testOrg) createSession(username string) map[string]any {
	o.t.Helper()
	r := o.do("POST", "/api/v1/sessions", map[string]any{"sessionToken": o.sessionToken(username)})
	wantStatus(o.t, r, http.StatusOK)
	return r.obj(o.t)
}

func TestSessionLifecycle(t *testing.T) {
	o := newTestOrg(t, Options{})
	uid := o.createUser("isaac.brock@example.com")

	tok := o.sessionToken("isaac.brock@example.com")
	// Okta documents that this operation needs no API token.
	r := o.doAuth("POST", "/api/v1/sessions", map[string]any{"sessionToken": tok}, "")
	wantStatus(t, r, http.StatusOK)
	s := r.obj(t)
	id, _ := s["id"].(string)
	starts := o.events("user.session.start")
	if !strings.HasPrefix(id, "102") || len(id) != 25 ||
		starts[len(starts)-1]["authenticationContext"].(map[string]any)["externalSessionId"] != id {
		t.Fatalf("session id %q is not the one the sign-in was logged under", id)
	}
	now := o.e.Clock().Now()
	idp := s["idp"].(map[string]any)
	links := s["_links"].(map[string]any)
	if s["login"] != "isaac.brock@example.com" || s["userId"] != uid || s["status"] != "ACTIVE" ||
		s["lastFactorVerification"] != nil || s["mfaActive"] != false || idp["type"] != "OKTA" ||
		!strings.HasPrefix(idp["id"].(string), "00o") || len(s["amr"].([]any)) != 1 || s["amr"].([]any)[0] != "pwd" ||
		links["refresh"].(map[string]any)["href"] != o.e.BaseURL()+"/api/v1/sessions/"+id+"/lifecycle/refresh" ||
		links["user"].(map[string]any)["name"] != "Test User" {
		t.Errorf("session %v", s)
	}
	near(t, "expiresAt", timeOf(t, s, "expiresAt"), now.Add(2*time.Hour))
	near(t, "lastPasswordVerification", timeOf(t, s, "lastPasswordVerification"), now)

	// A session token is good once.
	wantError(t, o.do("POST", "/api/v1/sessions", map[string]any{"sessionToken": tok}), http.StatusUnauthorized, "E0000004")
	wantError(t, o.do("POST", "/api/v1/sessions", map[string]any{}), http.StatusBadRequest, "E0000001")

	got := o.do("GET", "/api/v1/sessions/"+id, nil)
	wantStatus(t, got, http.StatusOK)
	if got.obj(t)["id"] != id {
		t.Fatalf("get %s", got.body)
	}
	// Activity keeps the session alive: a refresh an hour in moves expiresAt two hours past it.
	o.advance(time.Hour)
	ref := o.do("POST", "/api/v1/sessions/"+id+"/lifecycle/refresh", nil)
	wantStatus(t, ref, http.StatusOK)
	near(t, "refreshed expiresAt", timeOf(t, ref.obj(t), "expiresAt"), o.e.Clock().Now().Add(2*time.Hour))
	o.advance(119 * time.Minute)
	wantStatus(t, o.do("GET", "/api/v1/sessions/"+id, nil), http.StatusOK)
	o.advance(2 * time.Minute)
	wantError(t, o.do("GET", "/api/v1/sessions/"+id, nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("POST", "/api/v1/sessions/"+id+"/lifecycle/refresh", nil), http.StatusNotFound, "E0000007")

	t.Run("token expiry", func(t *testing.T) {
		o := o.as(t)
		tok := o.sessionToken("isaac.brock@example.com")
		o.advance(5 * time.Minute)
		wantError(t, o.do("POST", "/api/v1/sessions", map[string]any{"sessionToken": tok}), http.StatusUnauthorized, "E0000004")
	})

	t.Run("close", func(t *testing.T) {
		o := o.as(t)
		s := o.createSession("isaac.brock@example.com")
		id := s["id"].(string)
		wantStatus(t, o.do("DELETE", "/api/v1/sessions/"+id, nil), http.StatusNoContent)
		wantError(t, o.do("GET", "/api/v1/sessions/"+id, nil), http.StatusNotFound, "E0000007")
		wantError(t, o.do("DELETE", "/api/v1/sessions/"+id, nil), http.StatusNotFound, "E0000007")
		ends := o.events("user.session.end")
		if len(ends) != 1 || ends[0]["displayMessage"] != "User logout from Okta" ||
			ends[0]["authenticationContext"].(map[string]any)["externalSessionId"] != id ||
			ends[0]["target"].([]any)[0].(map[string]any)["id"] != uid {
			t.Errorf("user.session.end %v", ends)
		}
	})

	t.Run("clear a user's sessions", func(t *testing.T) {
		o := o.as(t)
		other := o.createUser("other@example.com")
		a, b := o.createSession("isaac.brock@example.com"), o.createSession("isaac.brock@example.com")
		keep := o.createSession("other@example.com")
		pending := o.sessionToken("isaac.brock@example.com")
		wantStatus(t, o.do("DELETE", "/api/v1/users/"+uid+"/sessions?oauthTokens=true&forgetDevices=false", nil), http.StatusNoContent)
		for _, s := range []map[string]any{a, b} {
			wantError(t, o.do("GET", "/api/v1/sessions/"+s["id"].(string), nil), http.StatusNotFound, "E0000007")
		}
		wantStatus(t, o.do("GET", "/api/v1/sessions/"+keep["id"].(string), nil), http.StatusOK)
		// A session token issued before the clear signs no one in after it.
		wantError(t, o.do("POST", "/api/v1/sessions", map[string]any{"sessionToken": pending}), http.StatusUnauthorized, "E0000004")
		// Clearing a user without sessions still answers 204, by login too.
		wantStatus(t, o.do("DELETE", "/api/v1/users/isaac.brock@example.com/sessions", nil), http.StatusNoContent)
		wantError(t, o.do("DELETE", "/api/v1/users/00unobody0000000000/sessions", nil), http.StatusNotFound, "E0000007")
		clears := o.events("user.session.clear")
		if len(clears) != 2 || clears[0]["displayMessage"] != "Clear user session" ||
			clears[0]["target"].([]any)[0].(map[string]any)["id"] != uid {
			t.Errorf("user.session.clear %v", clears)
		}
		_ = other
	})

	t.Run("deactivation signs the user out", func(t *testing.T) {
		o := o.as(t)
		leaver := o.createUser("leaver@example.com")
		s := o.createSession("leaver@example.com")
		wantStatus(t, o.do("POST", "/api/v1/users/"+leaver+"/lifecycle/deactivate", nil), http.StatusOK)
		wantError(t, o.do("GET", "/api/v1/sessions/"+s["id"].(string), nil), http.StatusNotFound, "E0000007")
	})

	t.Run("a suspended user's token is refused", func(t *testing.T) {
		o := o.as(t)
		id := o.createUser("paused@example.com")
		tok := o.sessionToken("paused@example.com")
		wantStatus(t, o.do("POST", "/api/v1/users/"+id+"/lifecycle/suspend", nil), http.StatusOK)
		wantError(t, o.do("POST", "/api/v1/sessions", map[string]any{"sessionToken": tok}), http.StatusUnauthorized, "E0000004")
	})

	t.Run("management operations need credentials", func(t *testing.T) {
		o := o.as(t)
		s := o.createSession("isaac.brock@example.com")
		wantError(t, o.doAuth("GET", "/api/v1/sessions/"+s["id"].(string), nil, ""), http.StatusForbidden, "E0000005")
		wantError(t, o.doAuth("DELETE", "/api/v1/users/"+uid+"/sessions", nil, ""), http.StatusForbidden, "E0000005")
	})
}

// TestSessionsSurviveRestart: sessions and unredeemed session tokens are in the state file, tokens as
// hashes only.
func TestSessionsSurviveRestart(t *testing.T) {
	path := t.TempDir() + "/org.json"
	o := newTestOrg(t, Options{StatePath: path})
	o.createUser("kept@example.com")
	s := o.createSession("kept@example.com")
	tok := o.sessionToken("kept@example.com")
	if err := o.e.Close(); err != nil {
		t.Fatal(err)
	}
	again := newTestOrg(t, Options{StatePath: path})
	wantStatus(t, again.do("GET", "/api/v1/sessions/"+s["id"].(string), nil), http.StatusOK)
	wantStatus(t, again.do("POST", "/api/v1/sessions", map[string]any{"sessionToken": tok}), http.StatusOK)
	wantStatus(t, again.signIn("kept@example.com", testPassword), http.StatusOK)

	wantStatus(t, again.do("POST", "/emulator/v1/reset", nil), http.StatusNoContent)
	wantError(t, again.do("GET", "/api/v1/sessions/"+s["id"].(string), nil), http.StatusNotFound, "E0000007")
}

// TestSessionAndPolicyScopes: a service app reads and changes sessions and policies with the scopes
// Okta's description gives each operation, and signs users in without any.
func TestSessionAndPolicyScopes(t *testing.T) {
	k := rsaClientKey(0, "k1")
	o := newTestOrg(t, Options{ServiceApps: []ServiceApp{{ClientID: "0oascoped00000000001", Label: "Scoped", PublicJWKS: jwksOf(k),
		Scopes: []string{"okta.sessions.read", "okta.policies.read", "okta.users.read"}}}})
	bearer := "Bearer " + o.accessToken(k, "0oascoped00000000001", "okta.sessions.read okta.policies.read okta.users.read")
	uid := o.createUser("scoped.session@example.com")
	s := o.createSession("scoped.session@example.com")
	wantStatus(t, o.doAuth("GET", "/api/v1/sessions/"+s["id"].(string), nil, bearer), http.StatusOK)
	for _, c := range []struct{ method, path, scope string }{
		{"POST", "/api/v1/sessions/" + s["id"].(string) + "/lifecycle/refresh", "okta.sessions.manage"},
		{"DELETE", "/api/v1/sessions/" + s["id"].(string), "okta.sessions.manage"},
		{"DELETE", "/api/v1/users/" + uid + "/sessions", "okta.users.manage"},
		{"POST", "/api/v1/policies", "okta.policies.manage"},
	} {
		r := o.doAuth(c.method, c.path, map[string]any{"type": "PASSWORD", "name": "x"}, bearer)
		wantError(t, r, http.StatusForbidden, "E0000006")
		if !strings.Contains(r.header.Get("WWW-Authenticate"), `scope="`+c.scope+`"`) {
			t.Errorf("%s %s: WWW-Authenticate %s", c.method, c.path, r.header.Get("WWW-Authenticate"))
		}
	}
	wantStatus(t, o.doAuth("GET", "/api/v1/policies?type=PASSWORD", nil, bearer), http.StatusOK)
	// The app signs a user in as a trusted application; the System Log names the user, not the app.
	r := o.doAuth("POST", "/api/v1/authn", map[string]any{"username": "scoped.session@example.com", "password": testPassword}, bearer)
	wantStatus(t, r, http.StatusOK)
	starts := o.events("user.session.start")
	if a := starts[len(starts)-1]["actor"].(map[string]any); a["id"] != uid {
		t.Errorf("actor %v", a)
	}
}
