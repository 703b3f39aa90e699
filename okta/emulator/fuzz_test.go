package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fuzzOrg is an emulator with one user and one pending TOTP factor, driven in-process (no network) so
// the fuzzer spends its time in request decoding.
func fuzzOrg(f *testing.F) (*Emulator, string, string) {
	e, err := New(Options{Logger: discardLogger(), RateLimit: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.Close() })
	call := func(method, path, body string) map[string]any {
		req := httptest.NewRequest(method, path, bytes.NewBufferString(body))
		req.Header.Set("Authorization", "SSWS "+e.Token())
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		var m map[string]any
		json.Unmarshal(rec.Body.Bytes(), &m)
		return m
	}
	u := call("POST", "/api/v1/users?activate=true", `{"profile":{"login":"fuzz@example.com","email":"fuzz@example.com","firstName":"F","lastName":"Z"},"credentials":{"password":{"value":"x"}}}`)
	uid := u["id"].(string)
	fac := call("POST", "/api/v1/users/"+uid+"/factors", `{"factorType":"token:software:totp","provider":"OKTA"}`)
	return e, uid, fac["id"].(string)
}

// deliberate5xx reports a 5xx Okta itself sends for a valid request: 501 E0000060 "Unsupported
// operation." for a membership change of the built-in Everyone group. Anything else is a fault.
func deliberate5xx(rec *httptest.ResponseRecorder) bool {
	var oe struct{ ErrorCode string }
	return rec.Code == http.StatusNotImplemented && json.Unmarshal(rec.Body.Bytes(), &oe) == nil && oe.ErrorCode == "E0000060"
}

// fuzzGroup creates a group with uid as a member and a role, for the corpus to start from.
func fuzzGroup(f *testing.F, e *Emulator, uid string) string {
	call := func(method, path, body string) map[string]any {
		req := httptest.NewRequest(method, path, bytes.NewBufferString(body))
		req.Header.Set("Authorization", "SSWS "+e.Token())
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		var m map[string]any
		json.Unmarshal(rec.Body.Bytes(), &m)
		return m
	}
	gid, _ := call("POST", "/api/v1/groups", `{"profile":{"name":"Fuzz"}}`)["id"].(string)
	if gid == "" {
		f.Fatal("fuzz group not created")
	}
	call("PUT", "/api/v1/groups/"+gid+"/users/"+uid, "")
	call("POST", "/api/v1/groups/"+gid+"/roles", `{"type":"READ_ONLY_ADMIN"}`)
	return gid
}

// fuzzRequest sends body and checks the response is well-formed: a JSON body that is an Okta error
// object on 4xx and 5xx, never a 500.
func fuzzRequest(t *testing.T, e *Emulator, method, path string, body []byte) {
	u, err := url.ParseRequestURI(path)
	if err != nil {
		t.Fatalf("harness: %q: %v", path, err)
	}
	req := httptest.NewRequest(method, "/", bytes.NewReader(body))
	req.URL, req.RequestURI = u, path
	req.Header.Set("Authorization", "SSWS "+e.Token())
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code >= 500 && !deliberate5xx(rec) {
		t.Fatalf("%s %s with %q: status %d %s", method, path, body, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		// The token endpoint answers RFC 6749 errors; everything else Okta error objects.
		var oe struct {
			ErrorCode string
			Error     string `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &oe); err != nil || oe.ErrorCode == "" && (oe.Error == "" || u.Path != "/oauth2/v1/token") {
			t.Fatalf("%s %s with %q: error body %s", method, path, body, rec.Body)
		}
	}
}

func FuzzCreateUser(f *testing.F) {
	e, _, _ := fuzzOrg(f)
	for _, s := range []string{
		`{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A","lastName":"B"}}`,
		`{"profile":{"login":"a@example.com"},"credentials":{"password":{"value":"x"}}}`,
		`{"profile":null}`, `{"profile":{"login":7}}`, `[]`, `{`, ``, `null`,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, activate bool) {
		path := "/api/v1/users?activate=false"
		if activate {
			path = "/api/v1/users?activate=true"
		}
		fuzzRequest(t, e, http.MethodPost, path, body)
	})
}

func FuzzEnrollFactor(f *testing.F) {
	e, uid, _ := fuzzOrg(f)
	for _, s := range []string{
		`{"factorType":"sms","provider":"OKTA","profile":{"phoneNumber":"+15551234567"}}`,
		`{"factorType":"email","provider":"OKTA","profile":{"email":"fuzz@example.com"}}`,
		`{"factorType":"question","provider":"OKTA","profile":{"question":"disliked_food","answer":"kale!"}}`,
		`{"factorType":"token:hotp","provider":"CUSTOM","factorProfileId":"x","profile":{"sharedSecret":"JBSWY3DP"}}`,
		`{"factorType":"push","provider":"OKTA"}`, `{"factorType":"u2f"}`, `{"profile":[]}`, `{}`, `{"factorType":1}`,
	} {
		f.Add([]byte(s), "?activate=true")
		f.Add([]byte(s), "")
	}
	f.Fuzz(func(t *testing.T, body []byte, query string) {
		fuzzRequest(t, e, http.MethodPost, "/api/v1/users/"+uid+"/factors?"+sanitizeQuery(query), body)
		// Start over so "already set up" does not hide the decoding paths.
		fuzzRequest(t, e, http.MethodPost, "/api/v1/users/"+uid+"/lifecycle/reset_factors", nil)
	})
}

func FuzzActivateFactor(f *testing.F) {
	e, uid, fid := fuzzOrg(f)
	for _, s := range []string{`{"passCode":"123456"}`, `{"passCode":123456}`, `{"passCode":null}`, `{"passCode":-1}`,
		`{"passCode":1e99}`, `{"answer":"x"}`, `{}`, `[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzRequest(t, e, http.MethodPost, "/api/v1/users/"+uid+"/factors/"+fid+"/lifecycle/activate", body)
		fuzzRequest(t, e, http.MethodPost, "/api/v1/users/"+uid+"/factors/"+fid+"/verify", body)
		// Attempts count toward the 5-per-5-minutes limit; move past it so decoding stays reachable.
		e.Clock().Advance(activationWindow)
	})
}

// sanitizeQuery keeps fuzzed query strings parseable as a URL.
func sanitizeQuery(q string) string {
	var b bytes.Buffer
	for _, r := range q {
		if r > ' ' && r < 0x7f && r != '#' && r != '%' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FuzzAnyRequest sends arbitrary methods, paths and bodies through the whole handler: whatever the
// route, the answer is a well-formed response and never a 5xx or a panic.
func FuzzAnyRequest(f *testing.F) {
	e, uid, fid := fuzzOrg(f)
	gid := fuzzGroup(f, e, uid)
	everyone := e.everyoneID()
	phone := "/api/v1/authenticators/" + e.seededAuthenticatorID("phone_number")
	for _, s := range []struct{ method, path, body string }{
		{"POST", "/api/v1/authenticators?activate=false", `{"key":"google_otp","name":"Google Authenticator"}`},
		{"POST", "/api/v1/authenticators", `{"key":"duo","name":"Duo","provider":{"type":"DUO","configuration":{"host":7}}}`},
		{"PUT", phone, `{"name":"Phone","settings":{"allowedFor":["any"]}}`},
		{"POST", phone + "/methods/voice/lifecycle/activate", ""},
		{"PUT", phone + "/methods/sms", `{"type":"sms","settings":null}`},
		{"POST", phone + "/lifecycle/deactivate", ""},
		{"GET", "/api/v1/users/" + uid + "/authenticator-enrollments?discloseIdentifiers=phone", ""},
		{"POST", "/api/v1/groups", `{"profile":{"name":"Fuzzers","description":null}}`},
		{"GET", "/api/v1/groups?q=fu&search=profile.name%20sw%20%22F%22&limit=1&after=" + gid + "&expand=stats", ""},
		{"PUT", "/api/v1/groups/" + gid, `{"profile":{"name":7}}`},
		{"PUT", "/api/v1/groups/" + everyone + "/users/" + uid, ""},
		{"DELETE", "/api/v1/groups/" + gid + "/users/" + uid, ""},
		{"GET", "/api/v1/groups/" + gid + "/users?limit=1&after=" + uid, ""},
		{"POST", "/api/v1/groups/" + gid + "/roles", `{"type":"USER_ADMIN"}`},
		{"POST", "/api/v1/users/" + uid + "/roles", `{"type":"CUSTOM","role":"cr0x","resource-set":"iam0"}`},
		{"GET", "/api/v1/users/" + uid + "/roles/ra0000000000000000", ""},
		{"POST", "/api/v1/users", `{"profile":{"login":"g@example.com","email":"g@example.com","firstName":"G","lastName":"G"},"groupIds":["` + gid + `",7]}`},
		{"GET", "/api/v1/users/" + uid + "/factors/" + fid, ""},
		{"POST", "/api/v1/users/" + uid + "/factors/" + fid + "/resend", "{}"},
		{"GET", "/api/v1/users?search=profile.login%20eq%20%22x%22&limit=1&after=zz", ""},
		{"GET", "/api/v1/logs?since=2020-01-01T00:00:00Z&after=1_1&filter=eventType%20co%20%22x%22", ""},
		{"POST", "/api/v1/groups/rules", `{"type":"group_rule","name":"Fuzz rule","conditions":{"expression":{"type":"urn:okta:expression:1.0","value":"user.lastName==\\"Z\\""}},"actions":{"assignUserToGroups":{"groupIds":["` + gid + `"]}}}`},
		{"GET", "/api/v1/groups/rules?search=fuzz&limit=1&expand=groupIdToGroupNameMap", ""},
		{"PUT", "/api/v1/groups/rules/0pr00000000000000000", `{"type":"group_rule","name":7}`},
		{"POST", "/api/v1/groups/rules/0pr00000000000000000/lifecycle/activate", ""},
		{"DELETE", "/api/v1/groups/rules/0pr00000000000000000?removeUsers=true", ""},
		{"POST", "/api/v1/eventHooks", `{"name":"x","events":{"type":"EVENT_TYPE","items":["user.mfa.factor.activate"]},"channel":{"type":"HTTP","version":"1.0.0","config":{"uri":"https://example.com"}}}`},
		{"POST", "/api/v1/authn", `{"username":"fuzz@example.com","password":"x"}`},
		{"POST", "/api/v1/authn", `{"stateToken":"00x"}`},
		{"POST", "/api/v1/authn/factors/" + fid + "/verify", `{"stateToken":"00x","passCode":123456}`},
		{"POST", "/api/v1/sessions", `{"sessionToken":"20111x"}`},
		{"GET", "/api/v1/sessions/102x", ""},
		{"DELETE", "/api/v1/users/" + uid + "/sessions?oauthTokens=maybe", ""},
		{"GET", "/api/v1/policies?type=OKTA_SIGN_ON&limit=0&after=x&q=D", ""},
		{"POST", "/api/v1/policies", `{"type":"PASSWORD","name":"p","settings":{"password":{"lockout":{"maxAttempts":-1}}}}`},
		{"POST", "/emulator/v1/push/" + fid, `{"result":"APPROVE"}`},
		{"POST", "/emulator/v1/clock", `{"advance":"-5s"}`},
		{"DELETE", "/api/v1/users/me", ""},
		{"PATCH", "/api/v1/users", ""},
		{"POST", "/oauth2/v1/token", "grant_type=client_credentials"},
		{"GET", "/.well-known/openid-configuration", ""},
	} {
		f.Add(s.method, s.path, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		switch method {
		case "GET", "POST", "PUT", "DELETE", "PATCH":
		default:
			return
		}
		if len(path) == 0 || path[0] != '/' {
			return
		}
		if u, err := url.ParseRequestURI(path); err != nil || u.Path == "/emulator/v1/reset" {
			return
		}
		fuzzRequest(t, e, method, path, body)
	})
}

// fuzzOAuthOrg is an in-process emulator with a DPoP service app, plus a valid client assertion, DPoP
// proof and access token to seed the corpus with.
func fuzzOAuthOrg(f *testing.F) (e *Emulator, assertion, proof, token string) {
	k := rsaClientKey(0, "k1")
	e, err := New(Options{Logger: discardLogger(), RateLimit: -1, ServiceApps: []ServiceApp{{ClientID: "0oafuzz0000000000001",
		Label: "Fuzz", PublicJWKS: jwksOf(k), Scopes: []string{"okta.users.read"}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.Close() })
	now := e.Clock().Now()
	tokenURL := e.BaseURL() + "/oauth2/v1/token"
	assertion = k.signJWT(f, map[string]any{"iss": "0oafuzz0000000000001", "sub": "0oafuzz0000000000001", "aud": tokenURL,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}, "", true, false)
	proofKey := ecClientKey("")
	proof = proofKey.signJWT(f, map[string]any{"htm": "POST", "htu": tokenURL, "iat": now.Unix(), "jti": "seed",
		"nonce": e.dpopNonce(now)}, "dpop+jwt", false, true)
	token, _, err = e.mintAccessToken("0oafuzz0000000000001", []string{"okta.users.read"}, "", now)
	if err != nil {
		f.Fatal(err)
	}
	return e, assertion, proof, token
}

// FuzzTokenEndpoint posts arbitrary form bodies and DPoP headers to /oauth2/v1/token: the answer is a
// token or an RFC 6749 error object, never a 5xx or a panic.
func FuzzTokenEndpoint(f *testing.F) {
	e, assertion, proof, _ := fuzzOAuthOrg(f)
	form := clientCredentials(assertion, "okta.users.read").Encode()
	for _, s := range []struct{ body, dpop string }{
		{form, ""}, {form, proof}, {form, "a.b.c"}, {form, proof + "," + proof},
		{"grant_type=client_credentials&scope=okta.users.read&client_assertion_type=x&client_assertion=" + assertion, ""},
		{"grant_type=password&username=a&password=b", ""}, {"grant_type=client_credentials&client_secret=x", ""},
		{"grant_type=%zz", ""}, {"", ""}, {"scope=a&scope=b", ""}, {"grant_type=client_credentials&client_assertion_type=" +
			clientAssertionType + "&client_assertion=eyJhbGciOiJub25lIn0.e30.", ""},
	} {
		f.Add([]byte(s.body), s.dpop, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, dpop string, form bool) {
		req := httptest.NewRequest(http.MethodPost, "/oauth2/v1/token", bytes.NewReader(body))
		if form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if dpop != "" {
			req.Header.Set("DPoP", dpop)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q with DPoP %q: status %d %s", body, dpop, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var oe struct {
				Error            string `json:"error"`
				ErrorDescription string `json:"error_description"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &oe); err != nil || oe.Error == "" || oe.ErrorDescription == "" {
				t.Fatalf("%q: error body %s", body, rec.Body)
			}
		}
	})
}

// FuzzAuthorizationHeaders sends arbitrary Authorization and DPoP headers to an API route: the answer
// is a success or an Okta error object, never a 5xx or a panic, and parseAuthorization keeps its
// promises.
func FuzzAuthorizationHeaders(f *testing.F) {
	e, _, proof, token := fuzzOAuthOrg(f)
	for _, s := range []struct{ auth, dpop string }{
		{"SSWS " + e.Token(), ""}, {"Bearer " + token, ""}, {"DPoP " + token, proof}, {"Bearer " + token + "x", ""},
		{"Bearer", ""}, {"Bearer  " + token, ""}, {"bearer " + token, proof}, {"DPoP a.b.c", "a.b.c"}, {"Basic dXNlcjpwYXNz", ""},
		{"DPoP " + token, proof + "\x00"}, {"", ""},
	} {
		f.Add(s.auth, s.dpop)
	}
	f.Fuzz(func(t *testing.T, auth, dpop string) {
		if scheme, cred, ok := parseAuthorization(auth); ok && (scheme == "" || cred == "" || strings.ContainsAny(cred, " \t")) {
			t.Fatalf("parseAuthorization(%q) = %q, %q", auth, scheme, cred)
		}
		req := httptest.NewRequest(http.MethodGet, "/api/v1/users", nil)
		req.Header["Authorization"] = []string{auth}
		if dpop != "" {
			req.Header["Dpop"] = []string{dpop}
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q / %q: status %d %s", auth, dpop, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var oe struct{ ErrorCode string }
			if err := json.Unmarshal(rec.Body.Bytes(), &oe); err != nil || oe.ErrorCode == "" {
				t.Fatalf("%q: error body %s", auth, rec.Body)
			}
		}
	})
}

// FuzzGroupRuleExpression feeds arbitrary conditions to the expression parser and those it accepts to
// the evaluator, for a user whose attributes hold every JSON type, then creates and activates a rule with
// the condition through the API: nothing may panic, a refusal is an exprError pointing into the input,
// and the API answers 200 or Okta's 400, never a 5xx. Inputs are bounded; the seed corpus runs in go
// test.
func FuzzGroupRuleExpression(f *testing.F) {
	e, uid, _ := fuzzOrg(f)
	gid := fuzzGroup(f, e, uid)
	// The rules assign users to a group of their own: fuzzGroup's holds an admin role, which rules refuse.
	req := httptest.NewRequest("POST", "/api/v1/groups", strings.NewReader(`{"profile":{"name":"Fuzz targets"}}`))
	req.Header.Set("Authorization", "SSWS "+e.Token())
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	var target struct{ ID string }
	if json.Unmarshal(rec.Body.Bytes(), &target); target.ID == "" {
		f.Fatalf("target group: %s", rec.Body)
	}
	for _, s := range []string{
		`user.department=="Engineering"`, `user.lastName == "Z" AND !user.isContractor`,
		`String.stringContains(user.email, "@example.com") || String.startsWith(user.login, 'fu')`,
		`isMemberOfAnyGroup("` + gid + `", "00g00000000000000000")`, `isMemberOfGroupName("Fuzz")`,
		`Arrays.contains(user.colors, "blue") and Arrays.size(user.colors) >= 1`, `String.len(user.lastName) < 2`,
		`(user.a == 1 OR (user.b != null AND NOT user.c))`, `String.toLowerCase(user.firstName) == 'f'`,
		`user.firstName == "it''s"`, `user.x == 1.5`, `user.x == 1.`, `user.x == .5`, `true`, ``, `(`, `)`, `"`, `'`,
		`user.`, `user..x`, `String.`, `f(`, `f(,)`, `!`, `!!true`, `user.a == 1 == 2`, `1 <`, `a.b.c.d(1,2,3)`,
		"user.\u00e9t\u00e9 == \"\u00e9\"", "\xff\xfe", strings.Repeat("(", 70), strings.Repeat("!", 70) + "true",
	} {
		f.Add(s)
	}
	env := fakeEnv{
		profile: map[string]any{"department": "Engineering", "lastName": "Z", "isContractor": false, "a": float64(1),
			"b": nil, "c": true, "colors": []any{"blue", float64(2), nil}, "x": map[string]any{"y": "z"}},
		groups: map[string]string{gid: "Fuzz"},
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 2048 {
			return
		}
		x, err := parseExpression(src)
		if err != nil {
			ee, ok := err.(*exprError)
			if !ok || ee.pos < 0 || ee.pos > len(src) || ee.msg == "" {
				t.Fatalf("%q: refusal %#v", src, err)
			}
		} else {
			x.matches(env)
		}
		body, _ := json.Marshal(map[string]any{"type": "group_rule", "name": "Fuzzed",
			"conditions": map[string]any{"expression": map[string]any{"type": "urn:okta:expression:1.0", "value": src}},
			"actions":    map[string]any{"assignUserToGroups": map[string]any{"groupIds": []string{target.ID}}}})
		req := httptest.NewRequest("POST", "/api/v1/groups/rules", bytes.NewReader(body))
		req.Header.Set("Authorization", "SSWS "+e.Token())
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		// A condition that parses may still be refused, for naming a group the org does not have.
		if err != nil && rec.Code != http.StatusBadRequest || rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("%q (parse error %v): status %d %s", src, err, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			return
		}
		var rule struct{ ID string }
		json.Unmarshal(rec.Body.Bytes(), &rule)
		for _, step := range []struct{ method, path string }{
			{"POST", "/api/v1/groups/rules/" + rule.ID + "/lifecycle/activate"},
			{"POST", "/api/v1/groups/rules/" + rule.ID + "/lifecycle/deactivate"},
			{"DELETE", "/api/v1/groups/rules/" + rule.ID + "?removeUsers=true"},
		} {
			fuzzRequest(t, e, step.method, step.path, nil)
		}
	})
}

// FuzzPolicyBodies sends arbitrary policy and rule bodies of every implemented type: a policy that is
// created gets the rule body too, and then a sign-in is evaluated against whatever was stored.
func FuzzPolicyBodies(f *testing.F) {
	e, _, _ := fuzzOrg(f)
	for _, s := range []struct{ policy, rule string }{
		{`{"type":"OKTA_SIGN_ON","name":"a","conditions":{"people":{"groups":{"include":["x"]}}}}`,
			`{"type":"SIGN_ON","name":"r","conditions":{"network":{"connection":"ZONE","include":["z"]}},"actions":{"signon":{"access":"ALLOW","requireFactor":true,"factorPromptMode":"SESSION","factorLifetime":15,"session":{"maxSessionIdleMinutes":5}}}}`},
		{`{"type":"PASSWORD","name":"b","settings":{"password":{"complexity":{"minLength":12},"lockout":{"maxAttempts":1}}}}`,
			`{"type":"PASSWORD","name":"r","actions":{"selfServicePasswordReset":{"access":"ALLOW","requirement":{"primary":{"methods":["email"]}}}}}`},
		{`{"type":"MFA_ENROLL","name":"c","settings":{"type":"AUTHENTICATORS","authenticators":[{"key":"okta_verify","enroll":{"self":"REQUIRED"}}]}}`,
			`{"type":"MFA_ENROLL","name":"r","actions":{"enroll":{"self":"LOGIN"}},"conditions":{"app":{"include":[{"type":"APP","id":"0oa"}]}}}`},
		{`{"type":"ACCESS_POLICY","name":"d","conditions":null}`,
			`{"type":"ACCESS_POLICY","name":"r","actions":{"appSignOn":{"access":"DENY","verificationMethod":{"type":"ASSURANCE","constraints":[{}]}}}}`},
		{`{"type":"OKTA_SIGN_ON","name":7}`, `{"type":"SIGN_ON","priority":1.5}`},
	} {
		f.Add([]byte(s.policy), []byte(s.rule))
	}
	f.Fuzz(func(t *testing.T, policyBody, ruleBody []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/policies", bytes.NewReader(policyBody))
		req.Header.Set("Authorization", "SSWS "+e.Token())
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("create policy %q: %d %s", policyBody, rec.Code, rec.Body)
		}
		var p struct{ ID string }
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.ID == "" {
			return
		}
		fuzzRequest(t, e, http.MethodPost, "/api/v1/policies/"+p.ID+"/rules", ruleBody)
		fuzzRequest(t, e, http.MethodPut, "/api/v1/policies/"+p.ID, policyBody)
		fuzzRequest(t, e, http.MethodPost, "/api/v1/authn", []byte(`{"username":"fuzz@example.com","password":"x"}`))
		fuzzRequest(t, e, http.MethodDelete, "/api/v1/policies/"+p.ID, nil)
	})
}
