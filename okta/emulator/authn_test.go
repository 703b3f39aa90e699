package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// testPassword is the password createUser gives every user.
const testPassword = "Tr4ma-test-pass!"

// signIn runs primary authentication without credentials, as a public application does.
func (o *testOrg) signIn(username, password string) response {
	o.t.Helper()
	return o.doAuth("POST", "/api/v1/authn", map[string]any{"username": username, "password": password}, "")
}

// sessionToken signs in and answers the session token, failing unless the sign-in succeeds.
func (o *testOrg) sessionToken(username string) string {
	o.t.Helper()
	r := o.signIn(username, testPassword)
	wantStatus(o.t, r, http.StatusOK)
	tok, _ := r.obj(o.t)["sessionToken"].(string)
	if tok == "" {
		o.t.Fatalf("no session token: %s", r.body)
	}
	return tok
}

// timeOf parses a timestamp member of an Okta object.
func timeOf(t testing.TB, m map[string]any, key string) time.Time {
	t.Helper()
	s, _ := m[key].(string)
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("%s %q: %v", key, s, err)
	}
	return v
}

// near fails unless got is within a second of want.
func near(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d < -time.Second || d > time.Second {
		t.Errorf("%s %v, want %v", what, got, want)
	}
}

func TestPrimaryAuthentication(t *testing.T) {
	o := newTestOrg(t, Options{})
	uid := o.createUser("dade.murphy@example.com")

	t.Run("success", func(t *testing.T) {
		o := o.as(t)
		r := o.signIn("DADE.murphy@example.com", testPassword)
		wantStatus(t, r, http.StatusOK)
		tx := r.obj(t)
		tok, _ := tx["sessionToken"].(string)
		if tx["status"] != "SUCCESS" || !strings.HasPrefix(tok, "20111") || len(tok) != 55 {
			t.Fatalf("transaction %s", r.body)
		}
		near(t, "expiresAt", timeOf(t, tx, "expiresAt"), o.e.Clock().Now().Add(5*time.Minute))
		user := tx["_embedded"].(map[string]any)["user"].(map[string]any)
		profile := user["profile"].(map[string]any)
		if user["id"] != uid || profile["login"] != "dade.murphy@example.com" || profile["firstName"] != "Test" ||
			profile["locale"] != "en_US" || user["passwordChanged"] == nil {
			t.Errorf("_embedded.user %v", user)
		}
		if strings.Contains(string(r.body), testPassword) {
			t.Error("the answer echoes the password")
		}
		starts := o.events("user.session.start")
		last := starts[len(starts)-1]
		sid := last["authenticationContext"].(map[string]any)["externalSessionId"].(string)
		if last["outcome"].(map[string]any)["result"] != "SUCCESS" || last["actor"].(map[string]any)["id"] != uid ||
			last["legacyEventType"] != "core.user_auth.login_success" || !strings.HasPrefix(sid, "102") || len(sid) != 25 {
			t.Errorf("user.session.start %v", last)
		}
		if d := last["transaction"].(map[string]any)["detail"].(map[string]any); len(d) != 0 {
			t.Errorf("an anonymous sign-in names an API token: %v", d)
		}
		evals := o.events("policy.evaluate_sign_on")
		ev := evals[len(evals)-1]
		targets := ev["target"].([]any)
		if ev["outcome"].(map[string]any)["result"] != "ALLOW" || len(targets) != 2 ||
			targets[0].(map[string]any)["type"] != "PolicyEntity" || targets[1].(map[string]any)["displayName"] != "Default Rule" {
			t.Errorf("policy.evaluate_sign_on %v", ev)
		}
	})

	t.Run("short name", func(t *testing.T) {
		o := o.as(t)
		wantStatus(t, o.signIn("dade.murphy", testPassword), http.StatusOK)
	})

	t.Run("wrong password", func(t *testing.T) {
		o := o.as(t)
		wantError(t, o.signIn("dade.murphy@example.com", "correcthorsebatterystaple"), http.StatusUnauthorized, "E0000004")
		starts := o.events("user.session.start")
		last := starts[len(starts)-1]
		if out := last["outcome"].(map[string]any); out["result"] != "FAILURE" || out["reason"] != "INVALID_CREDENTIALS" ||
			last["actor"].(map[string]any)["id"] != uid || last["legacyEventType"] != "core.user_auth.login_failed" {
			t.Errorf("user.session.start %v", last)
		}
	})

	t.Run("unknown user", func(t *testing.T) {
		o := o.as(t)
		wantError(t, o.signIn("nobody@example.com", testPassword), http.StatusUnauthorized, "E0000004")
		starts := o.events("user.session.start")
		last := starts[len(starts)-1]
		actor := last["actor"].(map[string]any)
		if last["outcome"].(map[string]any)["reason"] != "VERIFICATION_ERROR" || actor["id"] != "unknown" ||
			actor["alternateId"] != "nobody@example.com" {
			t.Errorf("user.session.start %v", last)
		}
	})

	t.Run("blank and malformed", func(t *testing.T) {
		o := o.as(t)
		wantError(t, o.doAuth("POST", "/api/v1/authn", map[string]any{"password": testPassword}, ""), http.StatusUnauthorized, "E0000004")
		wantError(t, o.doAuth("POST", "/api/v1/authn", `{"username": 7}`, ""), http.StatusBadRequest, "E0000003")
		wantError(t, o.doAuth("POST", "/api/v1/authn", map[string]any{"username": "dade.murphy@example.com"}, ""),
			http.StatusUnauthorized, "E0000004")
	})

	t.Run("trusted application", func(t *testing.T) {
		o := o.as(t)
		// A trusted application signs users in with its API token; a wrong token is refused as anywhere.
		r := o.doAuth("POST", "/api/v1/authn", map[string]any{"username": "dade.murphy@example.com", "password": testPassword},
			"SSWS "+o.token)
		wantStatus(t, r, http.StatusOK)
		wantError(t, o.doAuth("POST", "/api/v1/authn", map[string]any{"username": "dade.murphy@example.com", "password": testPassword},
			"SSWS not-the-token"), http.StatusUnauthorized, "E0000011")
	})

	t.Run("users who cannot sign in", func(t *testing.T) {
		o := o.as(t)
		suspended := o.createUser("suspended@example.com")
		wantStatus(t, o.do("POST", "/api/v1/users/"+suspended+"/lifecycle/suspend", nil), http.StatusOK)
		wantError(t, o.signIn("suspended@example.com", testPassword), http.StatusUnauthorized, "E0000004")
		gone := o.createUser("deactivated@example.com")
		wantStatus(t, o.do("POST", "/api/v1/users/"+gone+"/lifecycle/deactivate", nil), http.StatusOK)
		wantError(t, o.signIn("deactivated@example.com", testPassword), http.StatusUnauthorized, "E0000004")
		staged := o.do("POST", "/api/v1/users?activate=false", map[string]any{"profile": map[string]any{
			"login": "staged@example.com", "email": "staged@example.com", "firstName": "S", "lastName": "U"},
			"credentials": map[string]any{"password": map[string]any{"value": testPassword}}})
		wantStatus(t, staged, http.StatusOK)
		wantError(t, o.signIn("staged@example.com", testPassword), http.StatusUnauthorized, "E0000004")
		// The admin behind the API token was seeded without a password: no one can sign in as it.
		wantError(t, o.signIn("admin@example.com", ""), http.StatusUnauthorized, "E0000004")
	})

	t.Run("password changed", func(t *testing.T) {
		o := o.as(t)
		id := o.createUser("rotate@example.com")
		wantStatus(t, o.do("POST", "/api/v1/users/"+id, map[string]any{"credentials": map[string]any{
			"password": map[string]any{"value": "N3w-passphrase!"}}}), http.StatusOK)
		wantError(t, o.signIn("rotate@example.com", testPassword), http.StatusUnauthorized, "E0000004")
		wantStatus(t, o.signIn("rotate@example.com", "N3w-passphrase!"), http.StatusOK)
	})
}

// TestSeedUserPassword: a seed user signs in with the password of its seed entry.
func TestSeedUserPassword(t *testing.T) {
	o := newTestOrg(t, Options{Users: []SeedUser{{Login: "seeded@example.com", Password: "S33ded-secret!"}}})
	wantStatus(t, o.signIn("seeded@example.com", "S33ded-secret!"), http.StatusOK)
	wantError(t, o.signIn("seeded@example.com", testPassword), http.StatusUnauthorized, "E0000004")
	for _, u := range o.e.Users() {
		if u.Password != "" {
			t.Errorf("Users() lists the password of %s", u.Login)
		}
	}
}

// TestLockout: the password policy's lockout settings count wrong passwords, lock the user out, hide or
// show it, and unlock by themselves or by an admin.
func TestLockout(t *testing.T) {
	o := newTestOrg(t, Options{})
	uid := o.createUser("lock@example.com")
	pw := defaultPolicy(t, o, "PASSWORD")
	setLockout := func(lockout map[string]any) {
		t.Helper()
		wantStatus(t, o.do("PUT", "/api/v1/policies/"+pw["id"].(string), map[string]any{"type": "PASSWORD",
			"name": "Default Policy", "settings": map[string]any{"password": map[string]any{"lockout": lockout}}}), http.StatusOK)
	}
	setLockout(map[string]any{"maxAttempts": 3})

	for range 2 {
		wantError(t, o.signIn("lock@example.com", "wrong"), http.StatusUnauthorized, "E0000004")
	}
	// A good password in between starts the count again.
	wantStatus(t, o.signIn("lock@example.com", testPassword), http.StatusOK)
	for range 3 {
		wantError(t, o.signIn("lock@example.com", "wrong"), http.StatusUnauthorized, "E0000004")
	}
	u := o.do("GET", "/api/v1/users/"+uid, nil).obj(t)
	if u["status"] != "LOCKED_OUT" || u["_links"].(map[string]any)["unlock"] == nil {
		t.Fatalf("after three wrong passwords: %v", u)
	}
	locks := o.events("user.account.lock")
	if len(locks) != 1 || locks[0]["displayMessage"] != "Max sign in attempts exceeded" ||
		locks[0]["outcome"].(map[string]any)["reason"] != "LOCKED_OUT" {
		t.Fatalf("user.account.lock %v", locks)
	}
	// Locked out, the right password fails too, and by default Okta does not say why.
	wantError(t, o.signIn("lock@example.com", testPassword), http.StatusUnauthorized, "E0000004")
	starts := o.events("user.session.start")
	if reason := starts[len(starts)-1]["outcome"].(map[string]any)["reason"]; reason != "LOCKED_OUT" {
		t.Errorf("reason %v", reason)
	}

	setLockout(map[string]any{"maxAttempts": 3, "showLockoutFailures": true})
	r := o.signIn("lock@example.com", testPassword)
	wantStatus(t, r, http.StatusOK)
	if tx := r.obj(t); tx["status"] != "LOCKED_OUT" || tx["sessionToken"] != nil {
		t.Errorf("showLockoutFailures: %s", r.body)
	}

	wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/lifecycle/unlock", nil), http.StatusOK)
	wantError(t, o.do("POST", "/api/v1/users/"+uid+"/lifecycle/unlock", nil), http.StatusBadRequest, "E0000001")
	if n := len(o.events("user.account.unlock_by_admin")); n != 1 {
		t.Errorf("%d unlock events", n)
	}
	wantStatus(t, o.signIn("lock@example.com", testPassword), http.StatusOK)

	t.Run("auto unlock", func(t *testing.T) {
		o := o.as(t)
		setLockout(map[string]any{"maxAttempts": 1, "autoUnlockMinutes": 10})
		wantError(t, o.signIn("lock@example.com", "wrong"), http.StatusUnauthorized, "E0000004")
		o.advance(9 * time.Minute)
		wantError(t, o.signIn("lock@example.com", testPassword), http.StatusUnauthorized, "E0000004")
		o.advance(time.Minute)
		wantStatus(t, o.signIn("lock@example.com", testPassword), http.StatusOK)
		if n := len(o.events("user.account.unlock")); n != 1 {
			t.Errorf("%d auto-unlock events", n)
		}
	})
}

// TestSignOnPolicyDecides: the global session policy that applies to the user decides the sign-in: the
// group a policy includes, the rule's access, its factor requirement and its session lifetimes.
func TestSignOnPolicyDecides(t *testing.T) {
	o := newTestOrg(t, Options{})
	gid := o.createGroup("Contractors")
	contractor := o.createUser("contractor@example.com")
	o.createUser("employee@example.com")
	wantStatus(t, o.do("PUT", "/api/v1/groups/"+gid+"/users/"+contractor, nil), http.StatusNoContent)
	p := o.do("POST", "/api/v1/policies", map[string]any{"type": "OKTA_SIGN_ON", "name": "Contractors",
		"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{gid}}}}})
	wantStatus(t, p, http.StatusOK)
	pid := p.obj(t)["id"].(string)
	rule := o.do("POST", "/api/v1/policies/"+pid+"/rules", map[string]any{"type": "SIGN_ON", "name": "No contractors",
		"actions": map[string]any{"signon": map[string]any{"access": "DENY"}}})
	wantStatus(t, rule, http.StatusOK)
	rid := rule.obj(t)["id"].(string)

	wantError(t, o.signIn("contractor@example.com", testPassword), http.StatusUnauthorized, "E0000004")
	evals := o.events("policy.evaluate_sign_on")
	last := evals[len(evals)-1]
	if out := last["outcome"].(map[string]any); out["result"] != "DENY" || out["reason"] != "Sign-on policy evaluation resulted in DENY" ||
		last["target"].([]any)[1].(map[string]any)["id"] != rid {
		t.Errorf("policy.evaluate_sign_on %v", last)
	}
	wantStatus(t, o.signIn("employee@example.com", testPassword), http.StatusOK)

	t.Run("inactive rules and policies do not apply", func(t *testing.T) {
		o := o.as(t)
		wantStatus(t, o.do("POST", "/api/v1/policies/"+pid+"/rules/"+rid+"/lifecycle/deactivate", nil), http.StatusNoContent)
		wantStatus(t, o.signIn("contractor@example.com", testPassword), http.StatusOK)
		wantStatus(t, o.do("POST", "/api/v1/policies/"+pid+"/rules/"+rid+"/lifecycle/activate", nil), http.StatusNoContent)
		wantStatus(t, o.do("POST", "/api/v1/policies/"+pid+"/lifecycle/deactivate", nil), http.StatusNoContent)
		wantStatus(t, o.signIn("contractor@example.com", testPassword), http.StatusOK)
		wantStatus(t, o.do("POST", "/api/v1/policies/"+pid+"/lifecycle/activate", nil), http.StatusNoContent)
	})

	t.Run("session lifetime", func(t *testing.T) {
		o := o.as(t)
		wantStatus(t, o.do("PUT", "/api/v1/policies/"+pid+"/rules/"+rid, map[string]any{"type": "SIGN_ON", "name": "Short sessions",
			"actions": map[string]any{"signon": map[string]any{"access": "ALLOW",
				"session": map[string]any{"maxSessionIdleMinutes": 30, "maxSessionLifetimeMinutes": 45}}}}), http.StatusOK)
		s := o.do("POST", "/api/v1/sessions", map[string]any{"sessionToken": o.sessionToken("contractor@example.com")})
		wantStatus(t, s, http.StatusOK)
		sess := s.obj(t)
		near(t, "expiresAt", timeOf(t, sess, "expiresAt"), o.e.Clock().Now().Add(30*time.Minute))
		o.advance(20 * time.Minute)
		// A refresh extends by the idle time, but never past the lifetime from sign-in.
		r := o.do("POST", "/api/v1/sessions/"+sess["id"].(string)+"/lifecycle/refresh", nil)
		wantStatus(t, r, http.StatusOK)
		near(t, "refreshed expiresAt", timeOf(t, r.obj(t), "expiresAt"), timeOf(t, sess, "createdAt").Add(45*time.Minute))
		o.advance(26 * time.Minute)
		wantError(t, o.do("GET", "/api/v1/sessions/"+sess["id"].(string), nil), http.StatusNotFound, "E0000007")
	})

	t.Run("factor required", func(t *testing.T) {
		o := o.as(t)
		wantStatus(t, o.do("PUT", "/api/v1/policies/"+pid+"/rules/"+rid, map[string]any{"type": "SIGN_ON", "name": "MFA",
			"actions": map[string]any{"signon": map[string]any{"access": "ALLOW", "requireFactor": true,
				"factorPromptMode": "ALWAYS"}}}), http.StatusOK)
		// Without an active factor the user must enroll one.
		r := o.signIn("contractor@example.com", testPassword)
		wantStatus(t, r, http.StatusOK)
		if tx := r.obj(t); tx["status"] != "MFA_ENROLL" || tx["sessionToken"] != nil || tx["stateToken"] == nil {
			t.Fatalf("without factors: %s", r.body)
		}
		f := o.enroll(contractor, map[string]any{"factorType": "token:software:totp", "provider": "OKTA"}, "")
		fid := f["id"].(string)
		wantStatus(t, o.do("POST", "/api/v1/users/"+contractor+"/factors/"+fid+"/lifecycle/activate",
			map[string]string{"passCode": o.passcode(contractor, fid)}), http.StatusOK)
		o.advance(30 * time.Second) // the next TOTP step: a code is used once

		r = o.signIn("contractor@example.com", testPassword)
		wantStatus(t, r, http.StatusOK)
		tx := r.obj(t)
		state, _ := tx["stateToken"].(string)
		factors := tx["_embedded"].(map[string]any)["factors"].([]any)
		if tx["status"] != "MFA_REQUIRED" || len(factors) != 1 || factors[0].(map[string]any)["id"] != fid {
			t.Fatalf("MFA_REQUIRED %s", r.body)
		}
		verify := "/api/v1/authn/factors/" + fid + "/verify"
		wantError(t, o.doAuth("POST", verify, map[string]any{"stateToken": state, "passCode": "000000"}, ""), http.StatusForbidden, "E0000068")
		wantError(t, o.doAuth("POST", verify, map[string]any{"stateToken": "00nottheone", "passCode": "000000"}, ""),
			http.StatusUnauthorized, "E0000011")
		// The transaction can be read back with its state token.
		again := o.doAuth("POST", "/api/v1/authn", map[string]any{"stateToken": state}, "")
		wantStatus(t, again, http.StatusOK)
		if again.obj(t)["status"] != "MFA_REQUIRED" {
			t.Errorf("transaction state %s", again.body)
		}
		r = o.doAuth("POST", verify, map[string]any{"stateToken": state, "passCode": o.passcode(contractor, fid)}, "")
		wantStatus(t, r, http.StatusOK)
		tok, _ := r.obj(t)["sessionToken"].(string)
		s := o.do("POST", "/api/v1/sessions", map[string]any{"sessionToken": tok})
		wantStatus(t, s, http.StatusOK)
		sess := s.obj(t)
		if amr := sess["amr"].([]any); len(amr) != 3 || amr[0] != "pwd" || amr[1] != "otp" || amr[2] != "mfa" ||
			sess["lastFactorVerification"] == nil || sess["mfaActive"] != true {
			t.Errorf("session after MFA %v", sess)
		}
		mfa := o.events("user.authentication.auth_via_mfa")
		if len(mfa) != 2 || mfa[0]["outcome"].(map[string]any)["result"] != "FAILURE" || mfa[1]["outcome"].(map[string]any)["result"] != "SUCCESS" {
			t.Errorf("auth_via_mfa %v", mfa)
		}
		// A finished transaction's state token is spent.
		wantError(t, o.doAuth("POST", "/api/v1/authn", map[string]any{"stateToken": state}, ""), http.StatusUnauthorized, "E0000011")
	})
}
