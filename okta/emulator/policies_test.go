package emulator

import (
	"net/http"
	"strings"
	"testing"
)

// defaultPolicy answers the org's default policy of a type.
func defaultPolicy(t testing.TB, o *testOrg, typ string) map[string]any {
	t.Helper()
	r := o.do("GET", "/api/v1/policies?type="+typ, nil)
	wantStatus(t, r, http.StatusOK)
	for _, p := range r.list(t) {
		if p["system"] == true {
			return p
		}
	}
	t.Fatalf("no default %s policy: %s", typ, r.body)
	return nil
}

// policyNames lists the names of a type's policies in the order Okta lists them.
func policyNames(t testing.TB, o *testOrg, typ string) string {
	t.Helper()
	r := o.do("GET", "/api/v1/policies?type="+typ, nil)
	wantStatus(t, r, http.StatusOK)
	var names []string
	for i, p := range r.list(t) {
		if int(p["priority"].(float64)) != i+1 {
			t.Errorf("%s has priority %v at position %d", p["name"], p["priority"], i+1)
		}
		names = append(names, p["name"].(string))
	}
	return strings.Join(names, ",")
}

func (o *testOrg) createPolicy(body map[string]any, query string) map[string]any {
	o.t.Helper()
	r := o.do("POST", "/api/v1/policies"+query, body)
	wantStatus(o.t, r, http.StatusOK)
	return r.obj(o.t)
}

func (o *testOrg) createPolicyRule(policyID string, body map[string]any) map[string]any {
	o.t.Helper()
	r := o.do("POST", "/api/v1/policies/"+policyID+"/rules", body)
	wantStatus(o.t, r, http.StatusOK)
	return r.obj(o.t)
}

// TestDefaultPolicies: a new org has one default policy of each type, for everyone, with its default
// rule; neither can be deleted or deactivated.
func TestDefaultPolicies(t *testing.T) {
	o := newTestOrg(t, Options{})
	for typ, want := range map[string]struct{ prefix, rulePrefix, ruleType, rule string }{
		"OKTA_SIGN_ON":  {"00p", "0pr", "SIGN_ON", "Default Rule"},
		"PASSWORD":      {"00p", "0pr", "PASSWORD", "Default Rule"},
		"MFA_ENROLL":    {"00p", "0pr", "MFA_ENROLL", "Default Rule"},
		"ACCESS_POLICY": {"rst", "rul", "ACCESS_POLICY", "Catch-all Rule"},
	} {
		t.Run(typ, func(t *testing.T) {
			o := o.as(t)
			p := defaultPolicy(t, o, typ)
			id := p["id"].(string)
			if !strings.HasPrefix(id, want.prefix) || len(id) != 20 || p["name"] != "Default Policy" || p["status"] != "ACTIVE" ||
				p["priority"] != float64(1) {
				t.Errorf("default policy %v", p)
			}
			if typ != "ACCESS_POLICY" {
				if inc := stringsAt(p["conditions"].(map[string]any), "people", "groups", "include"); len(inc) != 1 || inc[0] != o.e.everyoneID() {
					t.Errorf("the default policy applies to %v, not Everyone", inc)
				}
			} else if p["conditions"] != nil {
				t.Errorf("app sign-in policy conditions %v", p["conditions"])
			}
			if _, ok := p["_links"].(map[string]any)["deactivate"]; ok {
				t.Error("the default policy links to deactivate")
			}
			rules := o.do("GET", "/api/v1/policies/"+id+"/rules", nil).list(t)
			if len(rules) != 1 || rules[0]["name"] != want.rule || rules[0]["system"] != true || rules[0]["type"] != want.ruleType ||
				!strings.HasPrefix(rules[0]["id"].(string), want.rulePrefix) {
				t.Fatalf("default rules %v", rules)
			}
			rid := rules[0]["id"].(string)
			wantError(t, o.do("DELETE", "/api/v1/policies/"+id, nil), http.StatusForbidden, "E0000006")
			wantError(t, o.do("POST", "/api/v1/policies/"+id+"/lifecycle/deactivate", nil), http.StatusForbidden, "E0000006")
			wantError(t, o.do("DELETE", "/api/v1/policies/"+id+"/rules/"+rid, nil), http.StatusForbidden, "E0000006")
			wantError(t, o.do("POST", "/api/v1/policies/"+id+"/rules/"+rid+"/lifecycle/deactivate", nil), http.StatusForbidden, "E0000006")
			// Activating what is active is a no-op.
			wantStatus(t, o.do("POST", "/api/v1/policies/"+id+"/lifecycle/activate", nil), http.StatusNoContent)
		})
	}
	// The default policies keep their ids across a reset, like the Everyone group.
	before := defaultPolicy(t, o, "OKTA_SIGN_ON")["id"]
	wantStatus(t, o.do("POST", "/emulator/v1/reset", nil), http.StatusNoContent)
	if after := defaultPolicy(t, o, "OKTA_SIGN_ON")["id"]; after != before {
		t.Errorf("default policy id %v after reset, was %v", after, before)
	}
}

func TestPolicyLifecycle(t *testing.T) {
	o := newTestOrg(t, Options{})
	gid := o.createGroup("Sales")
	p := o.createPolicy(map[string]any{"type": "OKTA_SIGN_ON", "name": "Sales Policy", "description": "Policy for Sales",
		"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{gid}}}}}, "?activate=false")
	id := p["id"].(string)
	if p["status"] != "INACTIVE" || p["system"] != false || p["priority"] != float64(1) || p["description"] != "Policy for Sales" ||
		p["_links"].(map[string]any)["activate"] == nil {
		t.Fatalf("created %v", p)
	}
	if got := policyNames(t, o, "OKTA_SIGN_ON"); got != "Sales Policy,Default Policy" {
		t.Errorf("order %s: a new policy goes before the default one", got)
	}
	wantStatus(t, o.do("POST", "/api/v1/policies/"+id+"/lifecycle/activate", nil), http.StatusNoContent)
	if s := o.do("GET", "/api/v1/policies/"+id, nil).obj(t)["status"]; s != "ACTIVE" {
		t.Errorf("status %v after activate", s)
	}
	r := o.do("PUT", "/api/v1/policies/"+id, map[string]any{"type": "OKTA_SIGN_ON", "name": "Sales and Marketing",
		"status": "INACTIVE", "conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{gid}}}}})
	wantStatus(t, r, http.StatusOK)
	if up := r.obj(t); up["name"] != "Sales and Marketing" || up["description"] != nil || up["status"] != "ACTIVE" {
		t.Errorf("replaced %v (the body's status does not change it; the lifecycle operations do)", up)
	}
	wantError(t, o.do("PUT", "/api/v1/policies/"+id, map[string]any{"type": "PASSWORD", "name": "x"}), http.StatusBadRequest, "E0000001")
	wantStatus(t, o.do("POST", "/api/v1/policies/"+id+"/lifecycle/deactivate", nil), http.StatusNoContent)
	wantStatus(t, o.do("DELETE", "/api/v1/policies/"+id, nil), http.StatusNoContent)
	wantError(t, o.do("GET", "/api/v1/policies/"+id, nil), http.StatusNotFound, "E0000007")
	if got := policyNames(t, o, "OKTA_SIGN_ON"); got != "Default Policy" {
		t.Errorf("after delete %s", got)
	}
	for change, n := range map[string]int{"create": 1, "activate": 1, "update": 1, "deactivate": 1, "delete": 1} {
		evs := o.events("policy.lifecycle." + change)
		if len(evs) != n {
			t.Errorf("%d policy.lifecycle.%s events", len(evs), change)
			continue
		}
		target := evs[0]["target"].([]any)[0].(map[string]any)
		if target["id"] != id || target["type"] != "PolicyEntity" || target["detailEntry"].(map[string]any)["policyType"] != "OktaSignOn" {
			t.Errorf("policy.lifecycle.%s target %v", change, target)
		}
	}
}

func TestPolicyValidation(t *testing.T) {
	o := newTestOrg(t, Options{})
	for name, c := range map[string]struct {
		body   any
		status int
		code   string
		cause  string
	}{
		"no type":       {map[string]any{"name": "x"}, 400, "E0000002", ""},
		"unknown type":  {map[string]any{"type": "OAUTH_AUTHORIZATION_POLICY", "name": "x"}, 400, "E0000002", ""},
		"no name":       {map[string]any{"type": "PASSWORD"}, 400, "E0000001", "name: The field cannot be left blank"},
		"settings type": {map[string]any{"type": "PASSWORD", "name": "x", "settings": map[string]any{"password": "strong"}}, 400, "E0000001", "INVALID_FORMAT"},
		"lockout type": {map[string]any{"type": "PASSWORD", "name": "x", "settings": map[string]any{"password": map[string]any{
			"lockout": map[string]any{"maxAttempts": "ten"}}}}, 400, "E0000001", "INVALID_FORMAT"},
		"policy condition": {map[string]any{"type": "OKTA_SIGN_ON", "name": "x", "conditions": map[string]any{
			"network": map[string]any{"connection": "ANYWHERE"}}}, 400, "E0000001", "conditions: Invalid condition type specified: network."},
		"app sign-in conditions": {map[string]any{"type": "ACCESS_POLICY", "name": "x", "conditions": map[string]any{
			"people": map[string]any{}}}, 400, "E0000001", "conditions: Invalid condition type specified: people."},
		"authenticator key": {map[string]any{"type": "MFA_ENROLL", "name": "x", "settings": map[string]any{
			"authenticators": []any{map[string]any{"key": "carrier_pigeon", "enroll": map[string]any{"self": "REQUIRED"}}}}}, 400, "E0000001", "INVALID_FORMAT"},
		"not JSON": {"{", 400, "E0000003", ""},
	} {
		t.Run(name, func(t *testing.T) {
			r := o.as(t).do("POST", "/api/v1/policies", c.body)
			wantError(t, r, c.status, c.code)
			if !strings.Contains(string(r.body), c.cause) {
				t.Errorf("body %s lacks %q", r.body, c.cause)
			}
		})
	}
	o.createPolicy(map[string]any{"type": "PASSWORD", "name": "Strict"}, "")
	wantError(t, o.do("POST", "/api/v1/policies", map[string]any{"type": "PASSWORD", "name": "strict"}), http.StatusBadRequest, "E0000001")
	// Names are unique per type only.
	o.createPolicy(map[string]any{"type": "OKTA_SIGN_ON", "name": "Strict"}, "")

	t.Run("listing needs a type", func(t *testing.T) {
		o := o.as(t)
		wantError(t, o.do("GET", "/api/v1/policies", nil), http.StatusBadRequest, "E0000002")
		wantError(t, o.do("GET", "/api/v1/policies?type=BOGUS", nil), http.StatusBadRequest, "E0000002")
		// A type Okta has but the emulator does not model lists nothing.
		if r := o.do("GET", "/api/v1/policies?type=IDP_DISCOVERY", nil); r.status != 200 || string(r.body) != "[]" {
			t.Errorf("IDP_DISCOVERY: %d %s", r.status, r.body)
		}
	})
}

// TestPolicySettingsAndDefaults: a password policy takes Okta's defaults for what it does not set, an
// authenticator enrollment policy its authenticators, and an app sign-in policy gets a catch-all rule.
func TestPolicySettingsAndDefaults(t *testing.T) {
	o := newTestOrg(t, Options{})
	pw := o.createPolicy(map[string]any{"type": "PASSWORD", "name": "Admins", "settings": map[string]any{
		"password": map[string]any{"complexity": map[string]any{"minLength": 14}, "lockout": map[string]any{"maxAttempts": 5}}}}, "")
	settings := pw["settings"].(map[string]any)
	if intAt(settings, 0, "password", "complexity", "minLength") != 14 || intAt(settings, 0, "password", "complexity", "minUpperCase") != 1 ||
		intAt(settings, 0, "password", "lockout", "maxAttempts") != 5 || intAt(settings, -1, "password", "lockout", "autoUnlockMinutes") != 0 ||
		pw["conditions"].(map[string]any)["authProvider"].(map[string]any)["provider"] != "OKTA" {
		t.Errorf("password policy %v", pw)
	}
	if _, ok := pw["_links"].(map[string]any)["mappings"]; ok {
		t.Error("a password policy links to mappings")
	}
	mfa := o.createPolicy(map[string]any{"type": "MFA_ENROLL", "name": "Verify", "settings": map[string]any{
		"authenticators": []any{map[string]any{"key": "okta_verify", "enroll": map[string]any{"self": "REQUIRED"}}}}}, "")
	if s := mfa["settings"].(map[string]any); s["type"] != "AUTHENTICATORS" || len(s["authenticators"].([]any)) != 1 {
		t.Errorf("enrollment policy settings %v", s)
	}
	app := o.createPolicy(map[string]any{"type": "ACCESS_POLICY", "name": "Finance apps"}, "")
	id := app["id"].(string)
	if !strings.HasPrefix(id, "rst") || app["conditions"] != nil {
		t.Errorf("app sign-in policy %v", app)
	}
	rules := o.do("GET", "/api/v1/policies/"+id+"/rules", nil).list(t)
	if len(rules) != 1 || rules[0]["name"] != "Catch-all Rule" || rules[0]["system"] != true || rules[0]["conditions"] != nil {
		t.Fatalf("catch-all %v", rules)
	}
	r := o.createPolicyRule(id, map[string]any{"type": "ACCESS_POLICY", "name": "Require two factors",
		"conditions": map[string]any{"riskScore": map[string]any{"level": "HIGH"}},
		"actions": map[string]any{"appSignOn": map[string]any{"access": "ALLOW",
			"verificationMethod": map[string]any{"type": "ASSURANCE", "factorMode": "2FA", "constraints": []any{
				map[string]any{"knowledge": map[string]any{"types": []any{"password"}}}}}}}})
	if !strings.HasPrefix(r["id"].(string), "rul") || r["priority"] != float64(1) {
		t.Errorf("app sign-in rule %v", r)
	}
	if names := ruleNames(t, o, id); names != "Require two factors,Catch-all Rule" {
		t.Errorf("rules %s", names)
	}
}

func ruleNames(t testing.TB, o *testOrg, policyID string) string {
	t.Helper()
	var names []string
	for i, r := range o.do("GET", "/api/v1/policies/"+policyID+"/rules", nil).list(t) {
		if int(r["priority"].(float64)) != i+1 {
			t.Errorf("%s has priority %v at position %d", r["name"], r["priority"], i+1)
		}
		names = append(names, r["name"].(string))
	}
	return strings.Join(names, ",")
}

// TestPolicyPriorities: priorities are 1..n in each type, a priority given on create or replace moves
// the policy there, and the default policy (and a policy's default rule) stays last.
func TestPolicyPriorities(t *testing.T) {
	o := newTestOrg(t, Options{})
	a := o.createPolicy(map[string]any{"type": "PASSWORD", "name": "A"}, "")
	o.createPolicy(map[string]any{"type": "PASSWORD", "name": "B"}, "")
	o.createPolicy(map[string]any{"type": "PASSWORD", "name": "C", "priority": 1}, "")
	o.createPolicy(map[string]any{"type": "PASSWORD", "name": "D", "priority": 99}, "")
	if got := policyNames(t, o, "PASSWORD"); got != "C,A,B,D,Default Policy" {
		t.Fatalf("order %s", got)
	}
	wantStatus(t, o.do("PUT", "/api/v1/policies/"+a["id"].(string), map[string]any{"type": "PASSWORD", "name": "A", "priority": 4}), http.StatusOK)
	if got := policyNames(t, o, "PASSWORD"); got != "C,B,D,A,Default Policy" {
		t.Fatalf("after moving A to 4: %s", got)
	}
	def := defaultPolicy(t, o, "PASSWORD")
	wantStatus(t, o.do("PUT", "/api/v1/policies/"+def["id"].(string), map[string]any{"type": "PASSWORD", "name": "Default Policy",
		"priority": 1, "description": "Everyone else"}), http.StatusOK)
	if got := policyNames(t, o, "PASSWORD"); got != "C,B,D,A,Default Policy" {
		t.Fatalf("the default policy moved: %s", got)
	}
	if got := o.do("GET", "/api/v1/policies?type=PASSWORD&q=d&limit=1", nil); len(got.list(t)) != 1 || !strings.Contains(strings.Join(got.header.Values("Link"), ","), `rel="next"`) {
		t.Errorf("q and limit: %s %v", got.body, got.header["Link"])
	}
	if got := o.do("GET", "/api/v1/policies?type=PASSWORD&status=INACTIVE", nil); string(got.body) != "[]" {
		t.Errorf("status filter %s", got.body)
	}

	// Rules of the default sign-on policy go before its default rule.
	pid := defaultPolicy(t, o, "OKTA_SIGN_ON")["id"].(string)
	allow := map[string]any{"signon": map[string]any{"access": "ALLOW"}}
	o.createPolicyRule(pid, map[string]any{"type": "SIGN_ON", "name": "First", "actions": allow})
	second := o.createPolicyRule(pid, map[string]any{"type": "SIGN_ON", "name": "Second", "actions": allow})
	o.createPolicyRule(pid, map[string]any{"type": "SIGN_ON", "name": "Top", "actions": allow, "priority": 1})
	if got := ruleNames(t, o, pid); got != "Top,First,Second,Default Rule" {
		t.Fatalf("rules %s", got)
	}
	wantStatus(t, o.do("DELETE", "/api/v1/policies/"+pid+"/rules/"+second["id"].(string), nil), http.StatusNoContent)
	if got := ruleNames(t, o, pid); got != "Top,First,Default Rule" {
		t.Fatalf("after delete %s", got)
	}
}

func TestPolicyRules(t *testing.T) {
	o := newTestOrg(t, Options{})
	p := o.createPolicy(map[string]any{"type": "OKTA_SIGN_ON", "name": "Remote"}, "")
	pid := p["id"].(string)
	rule := o.createPolicyRule(pid, map[string]any{"type": "SIGN_ON", "name": "Deny users",
		"conditions": map[string]any{"network": map[string]any{"connection": "ANYWHERE"}, "authContext": map[string]any{"authType": "ANY"}},
		"actions":    map[string]any{"signon": map[string]any{"access": "DENY", "requireFactor": false}}})
	rid := rule["id"].(string)
	// Okta's answer to the description's deny-rule example fills in the rest.
	signon := rule["actions"].(map[string]any)["signon"].(map[string]any)
	conds := rule["conditions"].(map[string]any)
	if rule["status"] != "ACTIVE" || rule["priority"] != float64(1) || signon["primaryFactor"] != "PASSWORD_IDP" ||
		intAt(signon, 0, "session", "maxSessionIdleMinutes") != 120 || conds["riskScore"].(map[string]any)["level"] != "ANY" ||
		conds["identityProvider"].(map[string]any)["provider"] != "ANY" || stringsAt(conds, "people", "users", "exclude") == nil {
		t.Errorf("rule %v", rule)
	}
	got := o.do("GET", "/api/v1/policies/"+pid+"/rules/"+rid, nil)
	wantStatus(t, got, http.StatusOK)
	r := o.do("PUT", "/api/v1/policies/"+pid+"/rules/"+rid, map[string]any{"type": "SIGN_ON", "name": "Allow with MFA",
		"actions": map[string]any{"signon": map[string]any{"access": "ALLOW", "requireFactor": true, "factorPromptMode": "SESSION",
			"factorLifetime": 15}}})
	wantStatus(t, r, http.StatusOK)
	if up := r.obj(t); up["name"] != "Allow with MFA" || up["actions"].(map[string]any)["signon"].(map[string]any)["factorLifetime"] != float64(15) {
		t.Errorf("replaced %v", up)
	}
	wantStatus(t, o.do("POST", "/api/v1/policies/"+pid+"/rules/"+rid+"/lifecycle/deactivate", nil), http.StatusNoContent)
	if st := o.do("GET", "/api/v1/policies/"+pid+"/rules/"+rid, nil).obj(t); st["status"] != "INACTIVE" || st["_links"].(map[string]any)["activate"] == nil {
		t.Errorf("deactivated %v", st)
	}
	wantStatus(t, o.do("POST", "/api/v1/policies/"+pid+"/rules/"+rid+"/lifecycle/activate", nil), http.StatusNoContent)
	inactive := o.do("POST", "/api/v1/policies/"+pid+"/rules?activate=false", map[string]any{"type": "SIGN_ON", "name": "Later",
		"actions": map[string]any{"signon": map[string]any{"access": "ALLOW"}}})
	wantStatus(t, inactive, http.StatusOK)
	if inactive.obj(t)["status"] != "INACTIVE" {
		t.Errorf("activate=false %s", inactive.body)
	}
	wantStatus(t, o.do("DELETE", "/api/v1/policies/"+pid+"/rules/"+rid, nil), http.StatusNoContent)
	wantError(t, o.do("GET", "/api/v1/policies/"+pid+"/rules/"+rid, nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("GET", "/api/v1/policies/00pnopolicy000000000/rules", nil), http.StatusNotFound, "E0000007")
	for change, n := range map[string]int{"add": 2, "update": 1, "deactivate": 1, "activate": 1, "delete": 1} {
		evs := o.events("policy.rule." + change)
		if len(evs) != n {
			t.Errorf("%d policy.rule.%s events", len(evs), change)
			continue
		}
		targets := evs[0]["target"].([]any)
		if targets[0].(map[string]any)["id"] != pid || targets[1].(map[string]any)["type"] != "PolicyRule" ||
			targets[1].(map[string]any)["alternateId"] != pid {
			t.Errorf("policy.rule.%s targets %v", change, targets)
		}
	}

	t.Run("validation", func(t *testing.T) {
		o := o.as(t)
		pw := defaultPolicy(t, o, "PASSWORD")["id"].(string)
		mfa := defaultPolicy(t, o, "MFA_ENROLL")["id"].(string)
		for name, c := range map[string]struct {
			policy string
			body   any
			code   string
			cause  string
		}{
			"no type":          {pid, map[string]any{"name": "x", "actions": map[string]any{"signon": map[string]any{"access": "ALLOW"}}}, "E0000001", "INVALID_FORMAT"},
			"another type":     {pid, map[string]any{"type": "PASSWORD", "name": "x"}, "E0000001", "INVALID_FORMAT"},
			"no name":          {pid, map[string]any{"type": "SIGN_ON", "actions": map[string]any{"signon": map[string]any{"access": "ALLOW"}}}, "E0000001", "name: The field cannot be left blank"},
			"no access":        {pid, map[string]any{"type": "SIGN_ON", "name": "x"}, "E0000001", "actions.signon.access: The field cannot be left blank"},
			"challenge":        {pid, map[string]any{"type": "SIGN_ON", "name": "x", "actions": map[string]any{"signon": map[string]any{"access": "CHALLENGE"}}}, "E0000001", "PASSWORDLESS_AUTHN_SIGNON_POLICY"},
			"prompt mode":      {pid, map[string]any{"type": "SIGN_ON", "name": "x", "actions": map[string]any{"signon": map[string]any{"access": "ALLOW", "requireFactor": true}}}, "E0000001", "actions.signon.factorPromptMode"},
			"bad access":       {pid, map[string]any{"type": "SIGN_ON", "name": "x", "actions": map[string]any{"signon": map[string]any{"access": "MAYBE"}}}, "E0000001", "INVALID_FORMAT"},
			"zone":             {pid, map[string]any{"type": "SIGN_ON", "name": "x", "conditions": map[string]any{"network": map[string]any{"connection": "ZONE"}}, "actions": map[string]any{"signon": map[string]any{"access": "ALLOW"}}}, "E0000001", "You should either include or exclude network zones"},
			"risk in password": {pw, map[string]any{"type": "PASSWORD", "name": "x", "conditions": map[string]any{"riskScore": map[string]any{"level": "ANY"}}}, "E0000001", "conditions: Invalid condition type specified: riskScore."},
			"enroll required":  {mfa, map[string]any{"type": "MFA_ENROLL", "name": "x"}, "E0000001", "actions.enroll.self: The field cannot be left blank"},
		} {
			t.Run(name, func(t *testing.T) {
				r := o.as(t).do("POST", "/api/v1/policies/"+c.policy+"/rules", c.body)
				wantError(t, r, http.StatusBadRequest, c.code)
				if !strings.Contains(string(r.body), c.cause) {
					t.Errorf("body %s lacks %q", r.body, c.cause)
				}
			})
		}
		// A password rule without actions gets Okta's defaults.
		def := o.createPolicyRule(pw, map[string]any{"type": "PASSWORD", "name": "Self service"})
		a := def["actions"].(map[string]any)
		if a["passwordChange"].(map[string]any)["access"] != "ALLOW" || a["selfServiceUnlock"].(map[string]any)["access"] != "DENY" {
			t.Errorf("password rule actions %v", a)
		}
		// The default rule of an authenticator enrollment policy cannot be changed.
		rid := o.do("GET", "/api/v1/policies/"+mfa+"/rules", nil).list(t)[0]["id"].(string)
		wantError(t, o.do("PUT", "/api/v1/policies/"+mfa+"/rules/"+rid, map[string]any{"type": "MFA_ENROLL", "name": "Default Rule",
			"actions": map[string]any{"enroll": map[string]any{"self": "NEVER"}}}), http.StatusForbidden, "E0000006")
	})
}

func TestPoliciesSurviveRestart(t *testing.T) {
	path := t.TempDir() + "/org.json"
	o := newTestOrg(t, Options{StatePath: path})
	p := o.createPolicy(map[string]any{"type": "PASSWORD", "name": "Kept", "settings": map[string]any{
		"password": map[string]any{"lockout": map[string]any{"maxAttempts": 2}}}}, "?activate=false")
	o.createPolicyRule(p["id"].(string), map[string]any{"type": "PASSWORD", "name": "Kept rule"})
	if err := o.e.Close(); err != nil {
		t.Fatal(err)
	}
	again := newTestOrg(t, Options{StatePath: path})
	got := again.do("GET", "/api/v1/policies/"+p["id"].(string), nil)
	wantStatus(t, got, http.StatusOK)
	if g := got.obj(t); g["status"] != "INACTIVE" || intAt(g["settings"].(map[string]any), 0, "password", "lockout", "maxAttempts") != 2 {
		t.Errorf("after restart %v", g)
	}
	if names := ruleNames(t, again, p["id"].(string)); names != "Kept rule" {
		t.Errorf("rules after restart %s", names)
	}
	if got := policyNames(t, again, "PASSWORD"); got != "Kept,Default Policy" {
		t.Errorf("policies after restart %s", got)
	}
}
