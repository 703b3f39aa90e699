package emulator

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// authByKey lists the org's authenticators and returns the one of key.
func (o *testOrg) authByKey(key string) map[string]any {
	o.t.Helper()
	var list []map[string]any
	o.do("GET", "/api/v1/authenticators", nil).json(o.t, &list)
	for _, a := range list {
		if a["key"] == key {
			return a
		}
	}
	o.t.Fatalf("no %s authenticator in %v", key, list)
	return nil
}

func links(m map[string]any) map[string]any { l, _ := m["_links"].(map[string]any); return l }

func errorSummary(t testing.TB, r response) (string, []string) {
	t.Helper()
	var e struct {
		ErrorSummary string
		ErrorCauses  []struct{ ErrorSummary string }
	}
	r.json(t, &e)
	var causes []string
	for _, c := range e.ErrorCauses {
		causes = append(causes, c.ErrorSummary)
	}
	return e.ErrorSummary, causes
}

func TestAuthenticatorsOfANewOrg(t *testing.T) {
	o := newTestOrg(t, Options{})
	var list []map[string]any
	wantStatus(t, o.do("GET", "/api/v1/authenticators", nil), http.StatusOK)
	o.do("GET", "/api/v1/authenticators", nil).json(t, &list)

	// The five authenticators an Identity Engine org is created with, listed by name as Okta lists them.
	want := []struct{ name, key, typ, status string }{
		{"Email", "okta_email", "email", "ACTIVE"},
		{"Okta Verify", "okta_verify", "app", "ACTIVE"},
		{"Password", "okta_password", "password", "ACTIVE"},
		{"Phone", "phone_number", "phone", "INACTIVE"},
		{"Security Question", "security_question", "security_question", "ACTIVE"},
	}
	if len(list) != len(want) {
		t.Fatalf("%d authenticators: %v", len(list), list)
	}
	idPattern := regexp.MustCompile(`^aut[0-9A-Za-z]{17}$`)
	for i, w := range want {
		a := list[i]
		if a["name"] != w.name || a["key"] != w.key || a["type"] != w.typ || a["status"] != w.status || !idPattern.MatchString(a["id"].(string)) {
			t.Errorf("authenticator %d = %v, want %+v", i, a, w)
		}
		self := o.e.BaseURL() + "/api/v1/authenticators/" + a["id"].(string)
		l := links(a)
		if l["self"].(map[string]any)["href"] != self || l["methods"].(map[string]any)["href"] != self+"/methods" {
			t.Errorf("%s links %v", w.key, l)
		}
		_, canDeactivate := l["deactivate"]
		_, canActivate := l["activate"]
		switch {
		case w.key == "okta_password" && (canActivate || canDeactivate):
			t.Errorf("Password has lifecycle links: %v", l)
		case w.key != "okta_password" && canDeactivate != (w.status == "ACTIVE"), w.key != "okta_password" && canActivate == (w.status == "ACTIVE"):
			t.Errorf("%s (%s) links %v", w.key, w.status, l)
		}
	}
	email, phone, ov := list[0]["settings"].(map[string]any), list[3]["settings"].(map[string]any), list[1]
	if email["allowedFor"] != "any" || email["tokenLifetimeInMinutes"] != float64(5) || phone["allowedFor"] != "none" {
		t.Errorf("settings: email %v phone %v", email, phone)
	}
	if _, ok := list[2]["settings"]; ok {
		t.Errorf("Password answered with settings: %v", list[2])
	}
	if links(ov)["enroll"].(map[string]any)["href"] != o.e.BaseURL()+"/idp/authenticators" ||
		ov["settings"].(map[string]any)["channelBinding"].(map[string]any)["style"] != "NUMBER_CHALLENGE" {
		t.Errorf("Okta Verify %v", ov)
	}

	// A reset brings the same authenticators back, with the same ids.
	id := list[3]["id"].(string)
	wantStatus(t, o.do("POST", "/api/v1/authenticators/"+id+"/lifecycle/activate", nil), http.StatusOK)
	wantStatus(t, o.do("POST", "/emulator/v1/reset", nil), http.StatusNoContent)
	got := o.do("GET", "/api/v1/authenticators/"+id, nil)
	wantStatus(t, got, http.StatusOK)
	if got.obj(t)["status"] != "INACTIVE" {
		t.Errorf("Phone after reset: %s", got.body)
	}
	wantError(t, o.do("GET", "/api/v1/authenticators/aut00000000000000000", nil), http.StatusNotFound, "E0000007")
}

func TestAuthenticatorCreateAndLifecycle(t *testing.T) {
	o := newTestOrg(t, Options{})

	// Created inactive, as the catalog workflow asks, then activated.
	r := o.do("POST", "/api/v1/authenticators?activate=false", map[string]any{"key": "google_otp", "name": "Google Authenticator"})
	wantStatus(t, r, http.StatusOK)
	g := r.obj(t)
	gid := g["id"].(string)
	if g["status"] != "INACTIVE" || g["type"] != "app" || links(g)["activate"] == nil || g["settings"] == nil {
		t.Fatalf("created %s", r.body)
	}
	if n, m := len(o.events("security.authenticator.lifecycle.create")), len(o.events("security.authenticator.lifecycle.activate")); n != 1 || m != 0 {
		t.Fatalf("%d create and %d activate events after an inactive create", n, m)
	}
	r = o.do("POST", "/api/v1/authenticators/"+gid+"/lifecycle/activate", nil)
	wantStatus(t, r, http.StatusOK)
	if r.obj(t)["status"] != "ACTIVE" || links(r.obj(t))["deactivate"] == nil {
		t.Fatalf("activated %s", r.body)
	}
	ev := o.events("security.authenticator.lifecycle.activate")
	if len(ev) != 1 {
		t.Fatalf("%d activate events", len(ev))
	}
	target := ev[0]["target"].([]any)[0].(map[string]any)
	if target["id"] != gid || target["type"] != "Authenticator" || target["displayName"] != "Google Authenticator" ||
		ev[0]["actor"].(map[string]any)["alternateId"] != "admin@example.com" {
		t.Errorf("activate event %v", ev[0])
	}
	// Activating again changes nothing and logs nothing.
	wantStatus(t, o.do("POST", "/api/v1/authenticators/"+gid+"/lifecycle/activate", nil), http.StatusOK)
	if n := len(o.events("security.authenticator.lifecycle.activate")); n != 1 {
		t.Errorf("%d activate events after a second activate", n)
	}
	// No policy enables it, so it deactivates; a second deactivate is Okta's recorded 400.
	wantStatus(t, o.do("POST", "/api/v1/authenticators/"+gid+"/lifecycle/deactivate", nil), http.StatusOK)
	r = o.do("POST", "/api/v1/authenticators/"+gid+"/lifecycle/deactivate", nil)
	wantError(t, r, http.StatusBadRequest, "E0000001")
	if s, _ := errorSummary(t, r); s != "Api validation failed: api.authenticator.error.unsupported.active.deactivate" {
		t.Errorf("second deactivate: %s", s)
	}

	// One authenticator per key, except the keys an org may have several of.
	for _, key := range []string{"google_otp", "okta_email", "phone_number", "okta_verify"} {
		r := o.do("POST", "/api/v1/authenticators", map[string]any{"key": key, "name": "Another"})
		wantError(t, r, http.StatusConflict, "E0000157")
		if s, _ := errorSummary(t, r); s != "Another authenticator with key: "+key+" is already active." {
			t.Errorf("duplicate %s: %s", key, s)
		}
	}
	for _, name := range []string{"Hardware OTP", "Backup OTP"} {
		wantStatus(t, o.do("POST", "/api/v1/authenticators", map[string]any{"key": "custom_otp", "name": name}), http.StatusOK)
	}

	// Created active, a Passkey authenticator is enabled in the default enrollment policy (as Okta does
	// for a new custom authenticator), so Okta refuses to deactivate it.
	r = o.do("POST", "/api/v1/authenticators", map[string]any{"key": "webauthn", "name": "Passkeys", "description": "Face ID and security keys"})
	wantStatus(t, r, http.StatusOK)
	w := r.obj(t)
	if w["status"] != "ACTIVE" || w["description"] != "Face ID and security keys" || w["type"] != "security_key" {
		t.Fatalf("passkey %s", r.body)
	}
	// Google Authenticator's activation, the two custom OTP authenticators and this one.
	if n := len(o.events("security.authenticator.lifecycle.activate")); n != 4 {
		t.Errorf("%d activate events, want 4", n)
	}
	r = o.do("POST", "/api/v1/authenticators/"+w["id"].(string)+"/lifecycle/deactivate", nil)
	wantError(t, r, http.StatusForbidden, "E0000148")
	if _, causes := errorSummary(t, r); len(causes) != 1 || causes[0] != "Authenticator Enrollment Policies: Default Policy" {
		t.Errorf("causes %v", causes)
	}

	// The policies of a new org: Okta Verify (with Okta's FastPass sentence), Email and Password are
	// enabled; Security Question is not.
	r = o.do("POST", "/api/v1/authenticators/"+o.authByKey("okta_verify")["id"].(string)+"/lifecycle/deactivate", nil)
	wantError(t, r, http.StatusForbidden, "E0000148")
	if s, _ := errorSummary(t, r); !strings.Contains(s, "Fastpass") {
		t.Errorf("Okta Verify: %s", s)
	}
	for _, key := range []string{"okta_email", "okta_password"} {
		wantError(t, o.do("POST", "/api/v1/authenticators/"+o.authByKey(key)["id"].(string)+"/lifecycle/deactivate", nil),
			http.StatusForbidden, "E0000148")
	}
	sq := o.authByKey("security_question")["id"].(string)
	r = o.do("POST", "/api/v1/authenticators/"+sq+"/lifecycle/deactivate", nil)
	wantStatus(t, r, http.StatusOK)
	if r.obj(t)["status"] != "INACTIVE" || len(o.events("security.authenticator.lifecycle.deactivate")) != 2 {
		t.Errorf("security question deactivated: %s", r.body)
	}

	// Okta's validation.
	tests := []struct {
		name   string
		body   any
		status int
		code   string
		says   string
	}{
		{"no key", map[string]any{"name": "X"}, 400, "E0000001", "Api validation failed: key"},
		{"unknown key", map[string]any{"key": "carrier_pigeon", "name": "Pigeon"}, 400, "E0000001", "Api validation failed: key"},
		{"no name", map[string]any{"key": "yubikey_token"}, 400, "E0000001", "Api validation failed: name"},
		{"key not emulated", map[string]any{"key": "custom_app", "name": "Push"}, 400, "E0000001", "Api validation failed: key"},
		{"key a number", map[string]any{"key": 7, "name": "X"}, 400, "E0000003", "The request body was not well-formed."},
		{"settings a string", map[string]any{"key": "yubikey_token", "name": "Y", "settings": "x"}, 400, "E0000003", "The request body was not well-formed."},
		{"not an object", []any{}, 400, "E0000003", "The request body was not well-formed."},
		{"duo without provider", map[string]any{"key": "duo", "name": "Duo"}, 400, "E0000001", "Api validation failed: provider"},
	}
	for _, tt := range tests {
		r := o.do("POST", "/api/v1/authenticators", tt.body)
		wantError(t, r, tt.status, tt.code)
		if s, _ := errorSummary(t, r); s != tt.says {
			t.Errorf("%s: %s, want %s", tt.name, s, tt.says)
		}
	}
	wantError(t, o.do("POST", "/api/v1/authenticators/aut00000000000000000/lifecycle/activate", nil), http.StatusNotFound, "E0000007")

	// Every authenticator answers its methods (each response is checked against the description).
	var list []map[string]any
	o.do("GET", "/api/v1/authenticators", nil).json(t, &list)
	for _, a := range list {
		var methods []map[string]any
		o.do("GET", "/api/v1/authenticators/"+a["id"].(string)+"/methods", nil).json(t, &methods)
		if len(methods) == 0 {
			t.Errorf("%s has no methods", a["key"])
		}
		for _, m := range methods {
			wantStatus(t, o.do("GET", "/api/v1/authenticators/"+a["id"].(string)+"/methods/"+m["type"].(string), nil), http.StatusOK)
		}
	}
}

func TestDuoAuthenticator(t *testing.T) {
	o := newTestOrg(t, Options{})
	// The description's AuthenticatorRequestDuo.
	body := map[string]any{"key": "duo", "name": "Duo Security", "provider": map[string]any{"type": "DUO", "configuration": map[string]any{
		"userNameTemplate": map[string]any{"template": "oktaId"}, "integrationKey": "testIntegrationKey",
		"secretKey": "testSecretKey", "host": "https://api-xxxxxxxx.duosecurity.com"}}}
	r := o.do("POST", "/api/v1/authenticators", map[string]any{"key": "duo", "name": "Duo", "provider": map[string]any{"type": "DUO",
		"configuration": map[string]any{"host": "api.duo.example"}}})
	wantError(t, r, http.StatusBadRequest, "E0000001")
	if _, causes := errorSummary(t, r); len(causes) != 3 {
		t.Errorf("causes %v, want integrationKey, secretKey and the template", causes)
	}
	r = o.do("POST", "/api/v1/authenticators", body)
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(string(r.body), "testSecretKey") || strings.Contains(string(r.body), "testIntegrationKey") {
		t.Fatalf("Duo keys echoed: %s", r.body)
	}
	cfg := r.obj(t)["provider"].(map[string]any)["configuration"].(map[string]any)
	if cfg["host"] != "https://api-xxxxxxxx.duosecurity.com" || cfg["userNameTemplate"].(map[string]any)["template"] != "oktaId" {
		t.Fatalf("provider %s", r.body)
	}
	// An org has one Duo authenticator.
	wantError(t, o.do("POST", "/api/v1/authenticators", body), http.StatusConflict, "E0000157")
}

func TestAuthenticatorReplace(t *testing.T) {
	o := newTestOrg(t, Options{})
	sq := o.authByKey("security_question")
	id := sq["id"].(string)
	// The request terraform-provider-okta sends, as recorded.
	r := o.do("PUT", "/api/v1/authenticators/"+id, map[string]any{"id": id, "key": "security_question", "name": "Security Question",
		"settings": map[string]any{"allowedFor": "any"}, "type": "security_question"})
	wantStatus(t, r, http.StatusOK)
	if r.obj(t)["settings"].(map[string]any)["allowedFor"] != "any" || r.obj(t)["status"] != "ACTIVE" {
		t.Fatalf("replaced %s", r.body)
	}
	ev := o.events("security.authenticator.lifecycle.update")
	if len(ev) != 1 || ev[0]["target"].([]any)[0].(map[string]any)["id"] != id {
		t.Fatalf("update events %v", ev)
	}

	// Settings not sent keep their values.
	email := o.authByKey("okta_email")["id"].(string)
	r = o.do("PUT", "/api/v1/authenticators/"+email, map[string]any{"name": "Email", "settings": map[string]any{"allowedFor": "recovery"}})
	wantStatus(t, r, http.StatusOK)
	if s := r.obj(t)["settings"].(map[string]any); s["allowedFor"] != "recovery" || s["tokenLifetimeInMinutes"] != float64(5) {
		t.Fatalf("email settings %v", s)
	}

	ov := o.authByKey("okta_verify")["id"].(string)
	r = o.do("PUT", "/api/v1/authenticators/"+ov, map[string]any{"key": "okta_verify", "name": "Okta Verify", "type": "app",
		"settings": map[string]any{"channelBinding": map[string]any{"required": "ALWAYS", "style": "NUMBER_CHALLENGE"},
			"compliance": map[string]any{"fips": "OPTIONAL"}, "userVerification": "PREFERRED", "enrollmentSecurityLevel": "HIGH",
			"userVerificationMethods": []any{"BIOMETRICS"}}})
	wantStatus(t, r, http.StatusOK)
	s := r.obj(t)["settings"].(map[string]any)
	if s["channelBinding"].(map[string]any)["required"] != "ALWAYS" || s["enrollmentSecurityLevel"] != "HIGH" || s["appInstanceId"] != "" {
		t.Fatalf("Okta Verify settings %v", s)
	}

	for _, tt := range []struct {
		name string
		body map[string]any
		what string
	}{
		{"key changes", map[string]any{"key": "okta_password", "name": "Email"}, "key"},
		{"blank name", map[string]any{"name": " "}, "name"},
		{"allowedFor", map[string]any{"name": "Email", "settings": map[string]any{"allowedFor": "everything"}}, "settings"},
		{"lifetime", map[string]any{"name": "Email", "settings": map[string]any{"tokenLifetimeInMinutes": 0}}, "settings"},
	} {
		r := o.do("PUT", "/api/v1/authenticators/"+email, tt.body)
		wantError(t, r, http.StatusBadRequest, "E0000001")
		if s, causes := errorSummary(t, r); s != "Api validation failed: "+tt.what || len(causes) == 0 {
			t.Errorf("%s: %s %v", tt.name, s, causes)
		}
	}
	r = o.do("PUT", "/api/v1/authenticators/"+ov, map[string]any{"name": "Okta Verify", "settings": map[string]any{
		"userVerification": "ALWAYS", "compliance": map[string]any{"fips": "MAYBE"}}})
	if _, causes := errorSummary(t, r); r.status != http.StatusBadRequest || len(causes) != 2 {
		t.Errorf("two broken Okta Verify settings: %d %v", r.status, causes)
	}
	wantError(t, o.do("PUT", "/api/v1/authenticators/aut00000000000000000", map[string]any{"name": "X"}), http.StatusNotFound, "E0000007")
}

func TestAuthenticatorMethods(t *testing.T) {
	o := newTestOrg(t, Options{})
	phone := o.authByKey("phone_number")["id"].(string)
	base := "/api/v1/authenticators/" + phone + "/methods"
	var methods []map[string]any
	wantStatus(t, o.do("GET", base, nil), http.StatusOK)
	o.do("GET", base, nil).json(t, &methods)
	if len(methods) != 2 || methods[0]["type"] != "sms" || methods[0]["status"] != "ACTIVE" || links(methods[0])["deactivate"] == nil ||
		methods[1]["type"] != "voice" || methods[1]["status"] != "INACTIVE" || links(methods[1])["activate"] == nil {
		t.Fatalf("phone methods %v", methods)
	}

	r := o.do("POST", base+"/voice/lifecycle/activate", nil)
	wantStatus(t, r, http.StatusOK)
	if r.obj(t)["status"] != "ACTIVE" {
		t.Fatalf("voice %s", r.body)
	}
	ev := o.events("security.authenticator.lifecycle.update")
	if len(ev) != 1 {
		t.Fatalf("%d update events", len(ev))
	}
	targets := ev[0]["target"].([]any)
	method := targets[1].(map[string]any)
	if len(targets) != 2 || method["type"] != "AuthenticatorMethod" ||
		method["detailEntry"].(map[string]any)["method_action"] != "ACTIVATE" || method["detailEntry"].(map[string]any)["method_type"] != "VOICE" {
		t.Errorf("method event targets %v", targets)
	}
	wantStatus(t, o.do("POST", base+"/sms/lifecycle/deactivate", nil), http.StatusOK)
	// Voice is now the only active method: it stays.
	r = o.do("POST", base+"/voice/lifecycle/deactivate", nil)
	wantError(t, r, http.StatusBadRequest, "E0000001")
	if s, _ := errorSummary(t, r); s != "Api validation failed: methodType" {
		t.Errorf("last method: %s", s)
	}
	// A single-method authenticator has no lifecycle links for it.
	email := o.authByKey("okta_email")["id"].(string)
	r = o.do("GET", "/api/v1/authenticators/"+email+"/methods/email", nil)
	wantStatus(t, r, http.StatusOK)
	if l := links(r.obj(t)); l["deactivate"] != nil || l["activate"] != nil {
		t.Errorf("email method links %v", l)
	}
	wantError(t, o.do("POST", "/api/v1/authenticators/"+email+"/methods/email/lifecycle/deactivate", nil), http.StatusBadRequest, "E0000001")
	wantError(t, o.do("GET", base+"/email", nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("GET", base+"/carrier_pigeon", nil), http.StatusNotFound, "E0000007")

	// Okta Verify's methods and their settings.
	ov := o.authByKey("okta_verify")["id"].(string)
	o.do("GET", "/api/v1/authenticators/"+ov+"/methods", nil).json(t, &methods)
	var types []string
	for _, m := range methods {
		types = append(types, m["type"].(string))
	}
	if strings.Join(types, ",") != "push,totp,signed_nonce" || methods[1]["settings"].(map[string]any)["timeIntervalInSeconds"] != float64(30) {
		t.Fatalf("Okta Verify methods %v", methods)
	}
	r = o.do("PUT", "/api/v1/authenticators/"+ov+"/methods/push", map[string]any{"type": "push", "settings": map[string]any{"keyProtection": "HARDWARE"}})
	wantStatus(t, r, http.StatusOK)
	if s := r.obj(t)["settings"].(map[string]any); s["keyProtection"] != "HARDWARE" || s["algorithms"] == nil {
		t.Fatalf("push settings %v", s)
	}
	wantError(t, o.do("PUT", "/api/v1/authenticators/"+ov+"/methods/push", map[string]any{"settings": map[string]any{"keyProtection": "TPM"}}),
		http.StatusBadRequest, "E0000001")
	wantError(t, o.do("PUT", "/api/v1/authenticators/"+ov+"/methods/push", map[string]any{"type": "totp"}), http.StatusBadRequest, "E0000001")
}

func TestAuthenticatorsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.json")
	o := newTestOrg(t, Options{StatePath: path})
	r := o.do("POST", "/api/v1/authenticators?activate=false", map[string]any{"key": "google_otp", "name": "Google Authenticator"})
	wantStatus(t, r, http.StatusOK)
	gid := r.obj(t)["id"].(string)
	phone := o.authByKey("phone_number")["id"].(string)
	wantStatus(t, o.do("POST", "/api/v1/authenticators/"+phone+"/methods/voice/lifecycle/activate", nil), http.StatusOK)
	webauthn := o.do("POST", "/api/v1/authenticators", map[string]any{"key": "webauthn", "name": "Passkeys"}).obj(t)["id"].(string)
	if err := o.e.Close(); err != nil {
		t.Fatal(err)
	}

	again := newTestOrg(t, Options{StatePath: path})
	if s := again.do("GET", "/api/v1/authenticators/"+gid, nil).obj(t)["status"]; s != "INACTIVE" {
		t.Errorf("Google Authenticator after restart: %v", s)
	}
	if s := again.do("GET", "/api/v1/authenticators/"+phone+"/methods/voice", nil).obj(t)["status"]; s != "ACTIVE" {
		t.Errorf("voice after restart: %v", s)
	}
	// Still enabled in the default policy.
	wantError(t, again.do("POST", "/api/v1/authenticators/"+webauthn+"/lifecycle/deactivate", nil), http.StatusForbidden, "E0000148")
}
