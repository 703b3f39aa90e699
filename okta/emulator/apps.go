package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/trama-dev/trama/okta"
)

// The Apps API subset that OAuth 2.0 service apps need: create an OPENID_CONNECT app with
// application_type "service", read it, and grant it Okta scopes. Other sign-on modes and app types are
// refused with a validation error that says so.

// signOnModes are the modes Okta's description knows (ApplicationSignOnMode).
var signOnModes = []string{"AUTO_LOGIN", "BASIC_AUTH", "BOOKMARK", "BROWSER_PLUGIN", "OPENID_CONNECT", "SAML_1_1",
	"SAML_2_0", "SECURE_PASSWORD_STORE", "WS_FEDERATION"}

// appBody is the request body of POST /api/v1/apps for an OPENID_CONNECT app.
type appBody struct {
	Name        string         `json:"name"`
	Label       string         `json:"label"`
	SignOnMode  string         `json:"signOnMode"`
	Profile     map[string]any `json:"profile"`
	Credentials struct {
		OAuthClient struct {
			ClientID                string `json:"client_id"`
			ClientSecret            string `json:"client_secret"`
			TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
		} `json:"oauthClient"`
	} `json:"credentials"`
	Settings struct {
		OAuthClient struct {
			ApplicationType       string          `json:"application_type"`
			GrantTypes            []string        `json:"grant_types"`
			JWKS                  json.RawMessage `json:"jwks"`
			JWKSURI               string          `json:"jwks_uri"`
			DPoPBoundAccessTokens bool            `json:"dpop_bound_access_tokens"`
		} `json:"oauthClient"`
	} `json:"settings"`
}

func (e *Emulator) createApp(rq *request) (int, any, error) {
	var body appBody
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	keys, err := body.validate()
	if err != nil {
		return 0, nil, err
	}
	clientID := body.Credentials.OAuthClient.ClientID
	e.mu.Lock()
	id := newID("0oa")
	if clientID == "" {
		clientID = id
	} else {
		id = appIDFor(clientID)
	}
	if e.lookupApp(clientID) != nil || e.lookupApp(id) != nil {
		e.mu.Unlock()
		return 0, nil, errValidation("credentials.oauthClient.client_id",
			"credentials.oauthClient.client_id: An object with this field already exists in the current organization")
	}
	a := &serviceApp{ID: id, ClientID: clientID, Label: body.Label, Status: appActive, Created: rq.now, LastUpdated: rq.now,
		RequireDPoP: body.Settings.OAuthClient.DPoPBoundAccessTokens, Profile: body.Profile}
	a.setKeys(keys, rq.now)
	events := []okta.LogEvent{e.event(rq, "application.lifecycle.create", "Create application", "", a.target())}
	if boolQuery(rq.r, "activate", true) {
		events = append(events, e.event(rq, "application.lifecycle.activate", "Activate application", "", a.target()))
	} else {
		a.Status = appInactive
	}
	e.addApp(a)
	out := e.renderApp(a)
	e.mu.Unlock()
	e.emit(events...)
	return http.StatusOK, out, nil
}

// validate checks the body against what Okta requires of a service app and returns its public keys.
func (b *appBody) validate() ([]jose.JSONWebKey, error) {
	mode := b.SignOnMode
	switch {
	case mode == "":
		return nil, errValidation("signOnMode", "signOnMode: The field cannot be left blank")
	case !slices.Contains(signOnModes, mode):
		return nil, errValidation("signOnMode", "signOnMode: "+mode+" is not a sign-on mode")
	case mode != "OPENID_CONNECT":
		return nil, errValidation("signOnMode",
			"signOnMode: The emulator creates only OPENID_CONNECT service apps; "+mode+" apps are not emulated yet")
	}
	if b.Name != "" && b.Name != "oidc_client" {
		return nil, errValidation("name", `name: An OPENID_CONNECT app is named "oidc_client"`)
	}
	if strings.TrimSpace(b.Label) == "" {
		return nil, errValidation("label", "label: The field cannot be left blank")
	}
	oc := b.Settings.OAuthClient
	switch oc.ApplicationType {
	case "service":
	case "":
		return nil, errValidation("settings.oauthClient.application_type",
			"settings.oauthClient.application_type: The field cannot be left blank")
	default:
		return nil, errValidation("settings.oauthClient.application_type",
			`settings.oauthClient.application_type: The emulator creates only "service" apps; "`+oc.ApplicationType+`" apps are not emulated yet`)
	}
	if len(oc.GrantTypes) == 0 {
		return nil, errValidation("settings.oauthClient.grant_types", "settings.oauthClient.grant_types: The field cannot be left blank")
	}
	for _, g := range oc.GrantTypes {
		if g != "client_credentials" {
			return nil, errValidation("settings.oauthClient.grant_types",
				"settings.oauthClient.grant_types: A service app can only use the client_credentials grant type, not "+g)
		}
	}
	auth := b.Credentials.OAuthClient.TokenEndpointAuthMethod
	if auth != "private_key_jwt" {
		if auth == "" {
			auth = "client_secret_basic" // Okta's default for the field
		}
		return nil, errValidation("credentials.oauthClient.token_endpoint_auth_method",
			"credentials.oauthClient.token_endpoint_auth_method: The org authorization server takes client credentials requests only with private_key_jwt; "+auth+" is not emulated")
	}
	if b.Credentials.OAuthClient.ClientSecret != "" {
		return nil, errValidation("credentials.oauthClient.client_secret",
			"credentials.oauthClient.client_secret: A private_key_jwt client has no client secret")
	}
	if id := b.Credentials.OAuthClient.ClientID; id != "" && !validClientID(id) {
		return nil, errValidation("credentials.oauthClient.client_id",
			"credentials.oauthClient.client_id: Must be 6 to 100 letters, digits or $-_.+!*'(), and not ALL_CLIENTS")
	}
	if oc.JWKSURI != "" {
		return nil, errValidation("settings.oauthClient.jwks_uri",
			"settings.oauthClient.jwks_uri: Fetching keys from a URL is not emulated; give the public keys in settings.oauthClient.jwks")
	}
	if len(oc.JWKS) == 0 || string(oc.JWKS) == "null" {
		return nil, errValidation("settings.oauthClient.jwks",
			"settings.oauthClient.jwks: A private_key_jwt client needs a JWKS with at least one public key")
	}
	keys, err := parsePublicJWKS(oc.JWKS)
	if err != nil {
		return nil, errValidation("settings.oauthClient.jwks", "settings.oauthClient.jwks: "+err.Error())
	}
	return keys, nil
}

func (e *Emulator) getApp(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.appFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderApp(a), nil
}

// appFromPath finds the app named by {appId}: its app id or its client id. e.mu must be held.
func (e *Emulator) appFromPath(rq *request) (*serviceApp, error) {
	id := rq.r.PathValue("appId")
	if a := e.lookupApp(id); a != nil {
		return a, nil
	}
	return nil, errNotFound(id, "AppInstance")
}

// lookupApp finds an app by app id or client id. e.mu must be held.
func (e *Emulator) lookupApp(id string) *serviceApp {
	if a, ok := e.apps[id]; ok {
		return a
	}
	for _, a := range e.appOrder {
		if a.ClientID == id {
			return a
		}
	}
	return nil
}

// addApp indexes a. e.mu must be held.
func (e *Emulator) addApp(a *serviceApp) {
	e.apps[a.ID] = a
	e.appOrder = append(e.appOrder, a)
}

// renderApp is the app as Okta's OpenIdConnectApplication. Members Okta sends as null are left out
// because the description declares them non-nullable. e.mu must be held.
func (e *Emulator) renderApp(a *serviceApp) map[string]any {
	base := e.opts.BaseURL
	self := base + "/api/v1/apps/" + a.ID
	keys := make([]map[string]any, 0, len(a.Keys))
	for _, k := range a.Keys {
		var m map[string]any
		json.Unmarshal(k.JWK, &m)
		m["id"] = k.ID
		m["status"] = "ACTIVE"
		m["created"] = okta.Time{Time: k.Created}
		m["lastUpdated"] = okta.Time{Time: k.Created}
		keys = append(keys, m)
	}
	links := map[string]any{
		"appLinks": []any{map[string]any{"name": "oidc_client_link", "href": base + "/home/oidc_client/" + a.ID + "/aln177a159h7Zf52X0g8", "type": "text/html"}},
		"groups":   map[string]any{"href": self + "/groups"},
		"users":    map[string]any{"href": self + "/users"},
		"logo": []any{map[string]any{"name": "medium", "href": base + "/assets/img/logos/default.6770228fb0dab49a1695ef440a5279bb.png",
			"type": "image/png"}},
	}
	if a.Status == appActive {
		links["deactivate"] = map[string]any{"href": self + "/lifecycle/deactivate"}
	} else {
		links["activate"] = map[string]any{"href": self + "/lifecycle/activate"}
	}
	out := map[string]any{
		"id":            a.ID,
		"orn":           "orn:okta:idp:" + e.orgID() + ":apps:oidc_client:" + a.ID,
		"name":          "oidc_client",
		"label":         a.Label,
		"status":        a.Status,
		"created":       okta.Time{Time: a.Created},
		"lastUpdated":   okta.Time{Time: a.LastUpdated},
		"signOnMode":    "OPENID_CONNECT",
		"features":      []string{},
		"accessibility": map[string]any{"selfService": false},
		"visibility": map[string]any{"autoLaunch": false, "autoSubmitToolbar": false,
			"hide": map[string]any{"iOS": true, "web": true}, "appLinks": map[string]any{"oidc_client_link": true}},
		"credentials": map[string]any{
			"userNameTemplate": map[string]any{"template": "${source.login}", "type": "BUILT_IN"},
			"oauthClient": map[string]any{"autoKeyRotation": true, "client_id": a.ClientID,
				"token_endpoint_auth_method": "private_key_jwt", "pkce_required": false},
		},
		"settings": map[string]any{
			"app":                map[string]any{},
			"manualProvisioning": false,
			"implicitAssignment": false,
			"notes":              map[string]any{},
			"oauthClient": map[string]any{
				"response_types":           []string{"token"},
				"grant_types":              []string{"client_credentials"},
				"application_type":         "service",
				"issuer_mode":              "ORG_URL",
				"consent_method":           "TRUSTED",
				"wildcard_redirect":        "DISABLED",
				"idp_initiated_login":      map[string]any{"mode": "DISABLED", "default_scope": []string{}},
				"jwks":                     map[string]any{"keys": keys},
				"dpop_bound_access_tokens": a.RequireDPoP,
			},
		},
		"_links": links,
	}
	if a.Profile != nil {
		out["profile"] = a.Profile
	}
	return out
}

// orgID is the org's id as it appears in ORNs, derived from the org URL so it is stable.
func (e *Emulator) orgID() string { return "00o" + tokenID(e.opts.BaseURL)[3:] }

// grantBody is the request body of POST /api/v1/apps/{appId}/grants.
type grantBody struct {
	ScopeID string `json:"scopeId"`
	Issuer  string `json:"issuer"`
}

func (e *Emulator) createGrant(rq *request) (int, any, error) {
	var body grantBody
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	switch {
	case body.ScopeID == "":
		return 0, nil, errValidation("scopeId", "scopeId: The field cannot be left blank")
	case !validScopeName(body.ScopeID):
		return 0, nil, errValidation("scopeId", "scopeId: "+body.ScopeID+" is not an Okta scope")
	case body.Issuer == "":
		return 0, nil, errValidation("issuer", "issuer: The field cannot be left blank")
	case strings.TrimRight(body.Issuer, "/") != e.opts.BaseURL:
		// Okta scopes are granted by the org authorization server, whose issuer is the org URL.
		return 0, nil, errValidation("issuer", "issuer: Okta scopes are issued by the org authorization server, "+e.opts.BaseURL)
	}
	e.mu.Lock()
	a, err := e.appFromPath(rq)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	if a.grant(body.ScopeID) != nil {
		e.mu.Unlock()
		return 0, nil, errValidation("scopeId", "scopeId: "+body.ScopeID+" is already granted to this app")
	}
	g := &scopeGrant{ID: newID("oag"), ScopeID: body.ScopeID, Created: rq.now, LastUpdated: rq.now}
	g.CreatedByID, g.CreatedByType = e.creator(rq)
	a.Grants = append(a.Grants, g)
	a.LastUpdated = rq.now
	ev := e.event(rq, "app.oauth2.admin.consent.grant", "Administrator consent granted for scope", "", a.target(), scopeTarget(g.ScopeID))
	out := e.renderGrant(a, g)
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusCreated, out, nil
}

func (e *Emulator) listGrants(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.appFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	out := make([]map[string]any, 0, len(a.Grants))
	for _, g := range a.Grants {
		out = append(out, e.renderGrant(a, g))
	}
	return http.StatusOK, out, nil
}

func (e *Emulator) getGrant(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, g, err := e.grantFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderGrant(a, g), nil
}

func (e *Emulator) deleteGrant(rq *request) (int, any, error) {
	e.mu.Lock()
	a, g, err := e.grantFromPath(rq)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	a.Grants = slices.DeleteFunc(a.Grants, func(x *scopeGrant) bool { return x == g })
	a.LastUpdated = rq.now
	ev := e.event(rq, "app.oauth2.admin.consent.revoke", "Administrator consent revoked for scope", "", a.target(), scopeTarget(g.ScopeID))
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusNoContent, nil, nil
}

// grantFromPath finds {appId} and its {grantId}. e.mu must be held.
func (e *Emulator) grantFromPath(rq *request) (*serviceApp, *scopeGrant, error) {
	a, err := e.appFromPath(rq)
	if err != nil {
		return nil, nil, err
	}
	id := rq.r.PathValue("grantId")
	for _, g := range a.Grants {
		if g.ID == id {
			return a, g, nil
		}
	}
	return nil, nil, errNotFound(id, "OAuth2ScopeConsentGrant")
}

// creator names who made a change, for createdBy: the token's admin or the service app.
func (e *Emulator) creator(rq *request) (id, typ string) {
	if rq.principal.oauth() {
		return rq.principal.clientID, "PublicClientApp"
	}
	return e.adminID, "User"
}

func scopeTarget(scope string) okta.Target {
	return okta.Target{ID: scope, Type: "OAuth2Scope", AlternateID: scope, DisplayName: scope}
}

// renderGrant is the grant as Okta's OAuth2ScopeConsentGrant. e.mu must be held.
func (e *Emulator) renderGrant(a *serviceApp, g *scopeGrant) map[string]any {
	base := e.opts.BaseURL
	appURL := base + "/api/v1/apps/" + a.ID
	return map[string]any{
		"id":          g.ID,
		"status":      "ACTIVE",
		"created":     okta.Time{Time: g.Created},
		"createdBy":   map[string]any{"id": g.CreatedByID, "type": g.CreatedByType},
		"lastUpdated": okta.Time{Time: g.LastUpdated},
		"issuer":      base,
		"clientId":    a.ClientID,
		"scopeId":     g.ScopeID,
		"source":      "ADMIN",
		"_embedded":   map[string]any{"scope": map[string]any{"id": g.ScopeID}},
		"_links": map[string]any{
			"app": map[string]any{"href": appURL, "title": a.Label},
			"self": map[string]any{"href": appURL + "/grants/" + g.ID,
				"hints": map[string]any{"allow": []string{"GET", "DELETE"}}},
			"client": map[string]any{"href": base + "/oauth2/v1/clients/" + a.ClientID, "title": a.Label},
		},
	}
}
