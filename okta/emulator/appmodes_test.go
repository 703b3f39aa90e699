package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Request bodies as Okta's Apps reference and its OpenAPI examples show them.

func bookmarkBody(label, link string) map[string]any {
	return map[string]any{"name": "bookmark", "label": label, "signOnMode": "BOOKMARK",
		"settings": map[string]any{"app": map[string]any{"requestIntegration": false, "url": link}}}
}

func customSAMLBody(label string) map[string]any {
	return map[string]any{"label": label, "signOnMode": "SAML_2_0",
		"visibility": map[string]any{"autoSubmitToolbar": false, "hide": map[string]any{"iOS": false, "web": false}},
		"settings": map[string]any{"signOn": map[string]any{
			"defaultRelayState": "", "ssoAcsUrl": "https://payroll.example.com/sso/saml", "idpIssuer": "http://www.okta.com/${org.externalKey}",
			"audience": "https://payroll.example.com", "recipient": "https://payroll.example.com/sso/saml",
			"destination": "https://payroll.example.com/sso/saml", "subjectNameIdTemplate": "${user.userName}",
			"subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", "responseSigned": true,
			"assertionSigned": true, "signatureAlgorithm": "RSA_SHA256", "digestAlgorithm": "SHA256", "honorForceAuthn": true,
			"authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
			"attributeStatements": []any{map[string]any{"type": "EXPRESSION", "name": "Attribute",
				"namespace": "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified", "values": []any{"Value"}}},
		}}}
}

func customSWABody(label string) map[string]any {
	return map[string]any{"label": label, "signOnMode": "AUTO_LOGIN",
		"settings": map[string]any{"signOn": map[string]any{"redirectUrl": "https://wiki.example.com",
			"loginUrl": "https://wiki.example.com/login.html"}}}
}

func oidcBody(label, appType string, grants, responses, redirects []string, auth string) map[string]any {
	oc := map[string]any{"application_type": appType, "grant_types": grants, "response_types": responses}
	if redirects != nil {
		oc["redirect_uris"] = redirects
	}
	return map[string]any{"name": "oidc_client", "label": label, "signOnMode": "OPENID_CONNECT",
		"credentials": map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": auth}},
		"settings":    map[string]any{"oauthClient": oc}}
}

// createApp creates an app through the API and returns it.
func (o *testOrg) createApp(body any, query string) map[string]any {
	o.t.Helper()
	r := o.do("POST", "/api/v1/apps"+query, body)
	wantStatus(o.t, r, http.StatusOK)
	return r.obj(o.t)
}

func at(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func TestCreateAppsPerSignOnMode(t *testing.T) {
	o := newTestOrg(t, Options{BaseURL: "https://acme.okta.test"})
	base := o.e.BaseURL()

	t.Run("bookmark", func(t *testing.T) {
		o := o.as(t)
		app := o.createApp(bookmarkBody("Team Wiki", "https://wiki.example.com/home"), "")
		id := app["id"].(string)
		if !isOktaID(id, "0oa") || app["name"] != "bookmark" || app["signOnMode"] != "BOOKMARK" || app["status"] != "ACTIVE" ||
			at(app, "settings", "app", "url") != "https://wiki.example.com/home" || at(app, "visibility", "appLinks", "login") != true {
			t.Fatalf("bookmark %v", app)
		}
		links := app["_links"].(map[string]any)
		appLink := links["appLinks"].([]any)[0].(map[string]any)
		if !strings.HasPrefix(appLink["href"].(string), base+"/home/bookmark/"+id+"/") || appLink["name"] != "login" ||
			links["deactivate"] == nil || links["activate"] != nil || links["metadata"] != nil ||
			at(links, "uploadLogo", "href") != base+"/api/v1/apps/"+id+"/logo" || at(links, "users", "href") != base+"/api/v1/apps/"+id+"/users" {
			t.Fatalf("links %v", links)
		}
		if at(app, "credentials", "userNameTemplate", "template") != "${source.login}" || app["orn"] != "orn:okta:idp:"+o.e.orgID()+":apps:bookmark:"+id {
			t.Fatalf("credentials/orn %v", app)
		}
	})

	t.Run("inactive on activate=false", func(t *testing.T) {
		o := o.as(t)
		app := o.createApp(bookmarkBody("Intranet", "https://intranet.example.com"), "?activate=false")
		if app["status"] != "INACTIVE" || at(app, "_links", "activate", "href") != base+"/api/v1/apps/"+app["id"].(string)+"/lifecycle/activate" {
			t.Fatalf("inactive app %v", app)
		}
	})

	t.Run("custom SAML 2.0", func(t *testing.T) {
		o := o.as(t)
		app := o.createApp(customSAMLBody("Payroll (EU)"), "")
		so := at(app, "settings", "signOn").(map[string]any)
		// The name is generated from the org's subdomain and the label, as Okta does.
		if app["name"] != "acme_payrolleu_1" || at(app, "visibility", "appLinks", "acme_payrolleu_1_link") != true ||
			so["ssoAcsUrl"] != "https://payroll.example.com/sso/saml" || so["allowMultipleAcsEndpoints"] != false ||
			so["requestCompressed"] != false || at(app, "credentials", "signing", "kid") == nil ||
			at(app, "_links", "metadata", "href") != base+"/api/v1/apps/"+app["id"].(string)+"/sso/saml/metadata" {
			t.Fatalf("saml app %v", app)
		}
		if _, ok := so["defaultRelayState"]; ok {
			t.Errorf("an empty defaultRelayState is answered as null, not %v", so["defaultRelayState"])
		}
		second := o.createApp(customSAMLBody("Payroll (EU)"), "")
		if second["name"] != "acme_payrolleu_2" {
			t.Fatalf("second name %v", second["name"])
		}
	})

	t.Run("custom SWA", func(t *testing.T) {
		o := o.as(t)
		app := o.createApp(customSWABody("Wiki Login"), "")
		if app["signOnMode"] != "AUTO_LOGIN" || app["name"] != "acme_wikilogin_1" ||
			at(app, "settings", "signOn", "loginUrl") != "https://wiki.example.com/login.html" ||
			at(app, "credentials", "scheme") != "EDIT_USERNAME_AND_PASSWORD" || at(app, "credentials", "revealPassword") != false {
			t.Fatalf("swa app %v", app)
		}
	})

	t.Run("OIDC web, native and browser", func(t *testing.T) {
		o := o.as(t)
		web := o.createApp(oidcBody("Portal", "web", []string{"authorization_code", "refresh_token"}, []string{"code"},
			[]string{"https://portal.example.com/callback"}, "client_secret_basic"), "")
		oc := at(web, "credentials", "oauthClient").(map[string]any)
		secret, _ := oc["client_secret"].(string)
		if len(secret) != 64 || oc["client_id"] != web["id"] || oc["pkce_required"] != false || at(web, "visibility", "hide", "web") != true {
			t.Fatalf("web app %v", web)
		}
		got := o.do("GET", "/api/v1/apps/"+web["id"].(string), nil).obj(t)
		if at(got, "credentials", "oauthClient", "client_secret") != nil {
			t.Fatal("the client secret is shown again; Okta shows it only when it is set")
		}
		native := o.createApp(oidcBody("Mobile", "native", []string{"authorization_code"}, []string{"code"},
			[]string{"com.example.mobile:/callback"}, "none"), "")
		if at(native, "credentials", "oauthClient", "pkce_required") != true || at(native, "credentials", "oauthClient", "client_secret") != nil {
			t.Fatalf("native app %v", native)
		}
		spa := o.createApp(oidcBody("Dashboard", "browser", []string{"authorization_code", "implicit"}, []string{"code", "id_token"},
			[]string{"https://dash.example.com/login/callback"}, "none"), "")
		if at(spa, "settings", "oauthClient", "application_type") != "browser" || at(spa, "_links", "clientCredentials") != nil {
			t.Fatalf("browser app %v", spa)
		}
	})

	t.Run("templates and catalog apps", func(t *testing.T) {
		o := o.as(t)
		for _, b := range []map[string]any{
			{"name": "template_basic_auth", "label": "Router", "signOnMode": "BASIC_AUTH", "settings": map[string]any{"app": map[string]any{
				"url": "https://router.example.com/login.html", "authURL": "https://router.example.com/auth.html"}}},
			{"name": "template_swa", "label": "Legacy CRM", "signOnMode": "BROWSER_PLUGIN", "settings": map[string]any{"app": map[string]any{
				"buttonField": "btn-login", "passwordField": "txtbox-password", "usernameField": "txtbox-username",
				"url": "https://crm.example.com/login.html"}}},
			{"name": "template_sps", "label": "Payslips", "signOnMode": "SECURE_PASSWORD_STORE", "settings": map[string]any{"app": map[string]any{
				"url": "https://payslips.example.com/login", "passwordField": "#pw", "usernameField": "#user"}}},
			{"name": "okta_org2org", "label": "Partner Org", "signOnMode": "SAML_2_0"},
			{"name": "pagerduty", "label": "PagerDuty", "signOnMode": "SAML_2_0", "settings": map[string]any{"app": map[string]any{
				"subdomain": "acme"}}},
		} {
			app := o.createApp(b, "")
			if app["name"] != b["name"] || at(app, "visibility", "appLinks", "login") != true {
				t.Errorf("%v: %v", b["name"], app)
			}
		}
	})

	t.Run("service app with a client secret", func(t *testing.T) {
		o := o.as(t)
		app := o.createApp(oidcBody("Reporting", "service", []string{"client_credentials"}, nil, nil, "client_secret_basic"), "")
		cid := app["id"].(string)
		// Okta creates it, but the org authorization server takes only private_key_jwt assertions.
		r := o.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "scope": {"okta.users.read"}, "client_id": {cid},
			"client_secret": {at(app, "credentials", "oauthClient", "client_secret").(string)}}, "")
		if desc := wantOAuthError(t, r, http.StatusUnauthorized, "invalid_client"); desc != privateKeyJWTOnly {
			t.Fatalf("description %q", desc)
		}
	})

	for eventType, n := range map[string]int{"application.lifecycle.create": 14, "application.lifecycle.activate": 13} {
		if got := len(o.events(eventType)); got != n {
			t.Errorf("%d %s events, want %d", got, eventType, n)
		}
	}
}

func TestCreateAppRefusals(t *testing.T) {
	o := newTestOrg(t, Options{})
	edit := func(b map[string]any, f func(b map[string]any)) map[string]any { f(b); return b }
	signOn := func(b map[string]any) map[string]any { return at(b, "settings", "signOn").(map[string]any) }
	cases := []struct {
		name          string
		body          any
		status        int
		code, summary string
		causes        []string
	}{
		{"bookmark without settings", map[string]any{"name": "bookmark", "label": "Wiki", "signOnMode": "BOOKMARK"},
			400, "E0000001", "Api validation failed: url", []string{"url: The field cannot be left blank"}},
		{"bookmark url not a URL", bookmarkBody("Wiki", "wiki"), 400, "E0000001", "Api validation failed: url",
			[]string{`url: "wiki" is not a valid URL`}},
		{"basic auth without urls", map[string]any{"name": "template_basic_auth", "label": "A", "signOnMode": "BASIC_AUTH"},
			400, "E0000001", "Api validation failed: url",
			[]string{"url: The field cannot be left blank", "authURL: The field cannot be left blank"}},
		{"bookmark without a name", map[string]any{"label": "Wiki", "signOnMode": "BOOKMARK"}, 400, "E0000001",
			"Api validation failed: name", []string{"name: The field cannot be left blank"}},
		{"mode of another definition", map[string]any{"name": "bookmark", "label": "Wiki", "signOnMode": "SAML_2_0"},
			400, "E0000001", "Api validation failed: signOnMode", []string{"signOnMode: bookmark apps sign on with BOOKMARK, not SAML_2_0"}},
		{"unknown definition", map[string]any{"name": "salesforce", "label": "SF", "signOnMode": "SAML_2_0"}, 400, "E0000001",
			"Api validation failed: name", nil},
		{"no label", map[string]any{"name": "bookmark", "signOnMode": "BOOKMARK"}, 400, "E0000001", "Api validation failed: label",
			[]string{"label: The field cannot be left blank"}},
		{"custom SWA without loginUrl", map[string]any{"label": "W", "signOnMode": "AUTO_LOGIN"}, 400, "E0000001",
			"Api validation failed: loginUrl", []string{"loginUrl: The field cannot be left blank"}},
		{"custom SAML without ACS URL and audience", edit(customSAMLBody("P"), func(b map[string]any) {
			delete(signOn(b), "ssoAcsUrl")
			delete(signOn(b), "audience")
		}), 400, "E0000001", "Api validation failed: ssoAcsUrl",
			[]string{"ssoAcsUrl: The field cannot be left blank", "audience: The field cannot be left blank"}},
		{"custom SAML signing nothing", edit(customSAMLBody("P"), func(b map[string]any) {
			signOn(b)["responseSigned"], signOn(b)["assertionSigned"] = false, false
		}), 400, "E0000001", "Api validation failed: responseSigned", nil},
		{"custom SAML unknown name id format", edit(customSAMLBody("P"), func(b map[string]any) {
			signOn(b)["subjectNameIdFormat"] = "email"
		}), 400, "E0000001", "Api validation failed: subjectNameIdFormat", nil},
		{"custom SAML single logout without certificate", edit(customSAMLBody("P"), func(b map[string]any) {
			signOn(b)["slo"] = map[string]any{"enabled": true, "issuer": "https://p.example.com", "logoutUrl": "https://p.example.com/logout"}
		}), 400, "E0000001", "Api validation failed: spCertificate", nil},
		{"settings of the wrong type", map[string]any{"name": "bookmark", "label": "B", "signOnMode": "BOOKMARK", "settings": "x"},
			400, "E0000003", "The request body was not well-formed.", nil},
		{"label of the wrong type", map[string]any{"name": "bookmark", "label": 7, "signOnMode": "BOOKMARK"},
			400, "E0000003", "The request body was not well-formed.", nil},
		{"web app without redirect URIs", oidcBody("W", "web", []string{"authorization_code"}, []string{"code"}, nil, "client_secret_basic"),
			400, "E0000001", "Api validation failed: settings.oauthClient.redirect_uris", nil},
		{"code grant without code response", oidcBody("W", "web", []string{"authorization_code"}, []string{"token"},
			[]string{"https://w.example.com/cb"}, "client_secret_basic"), 400, "E0000001",
			"Api validation failed: settings.oauthClient.response_types", nil},
		{"redirect with a fragment", oidcBody("W", "web", []string{"authorization_code"}, []string{"code"},
			[]string{"https://w.example.com/cb#x"}, "client_secret_basic"), 400, "E0000001",
			"Api validation failed: settings.oauthClient.redirect_uris", nil},
		{"browser app with a password grant", oidcBody("S", "browser", []string{"authorization_code", "password"}, []string{"code"},
			[]string{"https://s.example.com/cb"}, "none"), 400, "E0000001", "Api validation failed: settings.oauthClient.grant_types",
			[]string{"settings.oauthClient.grant_types: A browser app can't use the password grant type"}},
		{"public client without PKCE", edit(oidcBody("N", "native", []string{"authorization_code"}, []string{"code"},
			[]string{"myapp://cb"}, "none"), func(b map[string]any) {
			at(b, "credentials", "oauthClient").(map[string]any)["pkce_required"] = false
		}), 400, "E0000001", "Api validation failed: credentials.oauthClient.pkce_required", nil},
		{"short client secret", edit(oidcBody("W", "web", []string{"authorization_code"}, []string{"code"},
			[]string{"https://w.example.com/cb"}, "client_secret_post"), func(b map[string]any) {
			at(b, "credentials", "oauthClient").(map[string]any)["client_secret"] = "short"
		}), 400, "E0000001", "Api validation failed: credentials.oauthClient.client_secret", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := o.as(t).do("POST", "/api/v1/apps", c.body)
			wantError(t, r, c.status, c.code)
			var e struct {
				ErrorSummary string
				ErrorCauses  []struct{ ErrorSummary string }
			}
			r.json(t, &e)
			if e.ErrorSummary != c.summary {
				t.Fatalf("summary %q, want %q", e.ErrorSummary, c.summary)
			}
			if c.causes != nil {
				var got []string
				for _, x := range e.ErrorCauses {
					got = append(got, x.ErrorSummary)
				}
				if strings.Join(got, "|") != strings.Join(c.causes, "|") {
					t.Fatalf("causes %q, want %q", got, c.causes)
				}
			}
		})
	}
	// A second bookmark with the same label is Okta's E0000040.
	o.createApp(bookmarkBody("Handbook", "https://handbook.example.com"), "")
	wantError(t, o.do("POST", "/api/v1/apps", bookmarkBody("handbook", "https://handbook.example.com")), 400, "E0000040")
	if n := len(o.events("application.lifecycle.create")); n != 1 {
		t.Errorf("%d create events after refusals", n)
	}
}
