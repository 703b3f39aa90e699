package emulator

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/trama-dev/trama/okta"
)

// The org's app integrations. One store holds every kind the emulator creates (bookmarks, SWA, custom
// SAML 2.0, Okta Integration Network templates and OpenID Connect clients, service apps among them),
// with their user and group assignments. Requests are checked in signon.go, rendered in apprender.go,
// and answered in apphandler.go (apps), appassign.go (assignments) and appgrants.go (scope grants).

// App statuses, as Okta names them.
const (
	appActive   = "ACTIVE"
	appInactive = "INACTIVE"
)

// Sign-on modes, as Okta names them (ApplicationSignOnMode).
const (
	modeAutoLogin    = "AUTO_LOGIN"
	modeBasicAuth    = "BASIC_AUTH"
	modeBookmark     = "BOOKMARK"
	modeBrowserPlug  = "BROWSER_PLUGIN"
	modeOIDC         = "OPENID_CONNECT"
	modeSAML11       = "SAML_1_1"
	modeSAML2        = "SAML_2_0"
	modeSecurePWS    = "SECURE_PASSWORD_STORE"
	modeWSFederation = "WS_FEDERATION"
)

// signOnModes are the modes Okta's description knows (ApplicationSignOnMode).
var signOnModes = []string{modeAutoLogin, modeBasicAuth, modeBookmark, modeBrowserPlug, modeOIDC, modeSAML11,
	modeSAML2, modeSecurePWS, modeWSFederation}

// application is one app instance of the org. Settings, Credentials, Visibility and Accessibility hold
// what the create or replace request set, checked and with Okta's defaults filled in (signon.go);
// what Okta adds on every answer is added when rendering. Secrets are never stored: a client secret is
// shown once, in the answer that set it, and a shared SWA password only as "password": {}. Fields are
// exported for the state file.
type application struct {
	ID          string    `json:"id"`
	Name        string    `json:"name,omitempty"`
	Label       string    `json:"label"`
	SignOnMode  string    `json:"signOnMode,omitempty"`
	Status      string    `json:"status"`
	Created     time.Time `json:"created"`
	LastUpdated time.Time `json:"lastUpdated"`
	// Settings is the settings object less what Okta adds itself: app, signOn, oauthClient (without
	// jwks and dpop_bound_access_tokens, kept below), notes, implicitAssignment.
	Settings map[string]any `json:"settings,omitempty"`
	// Credentials is the credentials object less signing and oauthClient: userNameTemplate, and for
	// SWA-style apps scheme, revealPassword and a shared userName.
	Credentials    map[string]any `json:"credentials,omitempty"`
	SharedPassword bool           `json:"sharedPassword,omitempty"`
	Visibility     map[string]any `json:"visibility,omitempty"`
	Accessibility  map[string]any `json:"accessibility,omitempty"`
	Profile        map[string]any `json:"profile,omitempty"`
	// AppLinkID is the last segment of the app's sign-in link; SigningKid names its signing key (SAML
	// and OpenID Connect apps).
	AppLinkID  string `json:"appLinkId,omitempty"`
	SigningKid string `json:"signingKid,omitempty"`

	// OpenID Connect clients: credentials.oauthClient, public keys, DPoP and admin scope grants.
	ClientID          string        `json:"clientId,omitempty"`
	AuthMethod        string        `json:"tokenEndpointAuthMethod,omitempty"`
	PKCERequired      bool          `json:"pkceRequired,omitempty"`
	ManualKeyRotation bool          `json:"manualKeyRotation,omitempty"`
	RequireDPoP       bool          `json:"requireDPoP"`
	Keys              []appKey      `json:"keys"`
	Grants            []*scopeGrant `json:"grants"`
	Seeded            bool          `json:"seeded,omitempty"`

	// Users are the app's users, assigned directly or through Groups, its group assignments.
	Users  []*appUser  `json:"users,omitempty"`
	Groups []*appGroup `json:"groups,omitempty"`

	parsed []jose.JSONWebKey // Keys decoded, filled by index()
}

// appKey is one public key of an app's JWKS, with the id and timestamps Okta gives it.
type appKey struct {
	ID      string          `json:"id"`
	Created time.Time       `json:"created"`
	JWK     json.RawMessage `json:"jwk"`
}

// newServiceApplication is an OAuth 2.0 service app authenticating with private_key_jwt, as the seed
// apps and state files written before other app kinds existed describe it. Its keys are set by the
// caller.
func newServiceApplication(id, clientID, label string, dpop bool, now time.Time) *application {
	return &application{ID: id, Name: appNameOIDC, Label: label, SignOnMode: modeOIDC, Status: appActive,
		Created: now, LastUpdated: now, ClientID: clientID, AuthMethod: authPrivateKeyJWT, RequireDPoP: dpop,
		Settings: map[string]any{"oauthClient": serviceOAuthSettings()}, Credentials: defaultCredentials(),
		Visibility: defaultVisibility(modeOIDC), AppLinkID: oidcAppLinkID, SigningKid: newKid()}
}

// upgrade fills what a state file written before the emulator knew other app kinds lacks: such an
// app is an OAuth 2.0 service app authenticating with private_key_jwt.
func (a *application) upgrade() {
	if a.SignOnMode != "" {
		return
	}
	a.SignOnMode, a.Name, a.AuthMethod = modeOIDC, appNameOIDC, authPrivateKeyJWT
	if a.Settings == nil {
		a.Settings = map[string]any{"oauthClient": serviceOAuthSettings()}
	}
	if a.Credentials == nil {
		a.Credentials = defaultCredentials()
	}
	if a.Visibility == nil {
		a.Visibility = defaultVisibility(modeOIDC)
	}
	if a.AppLinkID == "" {
		a.AppLinkID = oidcAppLinkID
	}
	if a.SigningKid == "" {
		a.SigningKid = newKid()
	}
}

// index decodes the stored keys so the token endpoint need not parse them per request.
func (a *application) index() error {
	a.parsed = a.parsed[:0]
	for _, k := range a.Keys {
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(k.JWK, &jwk); err != nil {
			return fmt.Errorf("app %s key %s: %w", a.ID, k.ID, err)
		}
		a.parsed = append(a.parsed, jwk)
	}
	return nil
}

// setKeys stores the public keys with fresh key ids.
func (a *application) setKeys(keys []jose.JSONWebKey, now time.Time) {
	a.Keys = a.Keys[:0]
	a.parsed = a.parsed[:0]
	for _, k := range keys {
		data, _ := json.Marshal(k.Public())
		a.Keys = append(a.Keys, appKey{ID: newID("pks"), Created: now, JWK: data})
		a.parsed = append(a.parsed, k.Public())
	}
}

// oauthSettings is settings.oauthClient of an OpenID Connect client, nil for other apps.
func (a *application) oauthSettings() map[string]any {
	m, _ := a.Settings["oauthClient"].(map[string]any)
	return m
}

// appType is settings.oauthClient.application_type: web, native, browser or service; "" for apps that
// are not OpenID Connect clients.
func (a *application) appType() string {
	s, _ := a.oauthSettings()["application_type"].(string)
	return s
}

func (a *application) isServiceApp() bool {
	return a.SignOnMode == modeOIDC && a.appType() == "service"
}

// grantTypes are the OAuth 2.0 grant types the client may use.
func (a *application) grantTypes() []string {
	var out []string
	if gs, ok := a.oauthSettings()["grant_types"].([]any); ok {
		for _, g := range gs {
			if s, ok := g.(string); ok {
				out = append(out, s)
			}
		}
	}
	if gs, ok := a.oauthSettings()["grant_types"].([]string); ok {
		out = append(out, gs...)
	}
	return out
}

// target is the System Log view of the app.
func (a *application) target() okta.Target {
	return okta.Target{ID: a.ID, Type: "AppInstance", AlternateID: a.Label, DisplayName: a.Label}
}

// appFromPath finds the app named by {appId}: its app id or its client id. e.mu must be held.
func (e *Emulator) appFromPath(rq *request) (*application, error) {
	id := rq.r.PathValue("appId")
	if a := e.lookupApp(id); a != nil {
		return a, nil
	}
	return nil, errNotFound(id, "AppInstance")
}

// lookupApp finds an app by app id or client id. e.mu must be held.
func (e *Emulator) lookupApp(id string) *application {
	if a, ok := e.apps[id]; ok {
		return a
	}
	if id == "" {
		return nil
	}
	for _, a := range e.appOrder {
		if a.ClientID == id {
			return a
		}
	}
	return nil
}

// addApp indexes a. e.mu must be held.
func (e *Emulator) addApp(a *application) {
	e.apps[a.ID] = a
	e.appOrder = append(e.appOrder, a)
}

// removeApp drops a from the indexes; its assignments and grants go with it. e.mu must be held.
func (e *Emulator) removeApp(a *application) {
	delete(e.apps, a.ID)
	e.appOrder = slices.DeleteFunc(e.appOrder, func(x *application) bool { return x == a })
}

// orgID is the org's id as it appears in ORNs, derived from the org URL so it is stable.
func (e *Emulator) orgID() string { return "00o" + tokenID(e.opts.BaseURL)[3:] }

// orgSubdomain is the org's subdomain, the prefix Okta gives the names of custom SAML and SWA apps
// ("acme" for https://acme.okta.com). An org reached by IP address or a bare host name has none, so
// "emulator" stands in.
func (e *Emulator) orgSubdomain() string {
	u, err := url.Parse(e.opts.BaseURL)
	if err != nil {
		return "emulator"
	}
	host := u.Hostname()
	first, _, found := strings.Cut(host, ".")
	if !found || strings.Trim(host, "0123456789.:") == "" {
		return "emulator"
	}
	var b strings.Builder
	for _, r := range strings.ToLower(first) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "emulator"
	}
	return b.String()
}

// customAppName is the name Okta generates for a custom SAML or SWA app: the org's subdomain, the label
// lower-cased with everything but letters and digits removed, and a number that makes it unique
// ("acme_payroll_1"), as Okta's examples and recorded responses show. e.mu must be held.
func (e *Emulator) customAppName(label string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(label) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	stem := b.String()
	if stem == "" {
		stem = "app"
	}
	prefix := e.orgSubdomain() + "_" + stem + "_"
	for n := 1; ; n++ {
		name := fmt.Sprintf("%s%d", prefix, n)
		if !slices.ContainsFunc(e.appOrder, func(a *application) bool { return a.Name == name }) {
			return name
		}
	}
}
