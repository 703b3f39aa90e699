package emulator

import (
	"crypto/rand"
	"encoding/base64"
)

// App definitions: the `name` of POST /api/v1/apps picks the definition an instance follows, which fixes
// its sign-on mode and the settings.app members it requires. Okta's catalog (the Okta Integration
// Network) is not exposed through an API; the emulator knows the templates Okta documents and a few
// catalog apps whose settings are recorded in public fixtures. Custom SAML 2.0 and SWA apps have no
// definition: they are created without a name, and Okta generates one.

// appDefinition describes the instances of one app definition.
type appDefinition struct {
	// mode is the sign-on mode of the definition's instances.
	mode string
	// required are the settings.app members an instance must set, in the order Okta names them.
	required []string
	// urls are the settings.app members that hold URLs.
	urls []string
	// link names the app's sign-in link ("login" for catalog apps); "" means "<name>_link".
	link string
	// logo is the app's default logo under /assets/img/logos/.
	logo string
}

// appNameOIDC is the definition every OpenID Connect client app follows.
const appNameOIDC = "oidc_client"

// oidcAppLinkID is the last segment of the sign-in link of every oidc_client app: Okta's recorded
// responses show the same value for all of them.
const oidcAppLinkID = "aln177a159h7Zf52X0g8"

// defaultLogo is Okta's logo for apps without one of their own.
const defaultLogo = "default.6770228fb0dab49a1695ef440a5279bb.png"

// appDefinitions are the definitions the emulator knows, by name. Sources: Okta's retired Apps API
// reference (templates and their settings), the management description's Application schemas
// (required settings.app members) and recorded responses in okta/terraform-provider-okta's fixtures
// (pagerduty, logos, link names).
var appDefinitions = map[string]appDefinition{
	"bookmark": {mode: modeBookmark, required: []string{"url"}, urls: []string{"url"}, link: "login",
		logo: "bookmark-app.b81c03e2607468e5b5f9c9351c99313e.png"},
	"template_basic_auth": {mode: modeBasicAuth, required: []string{"url", "authURL"}, urls: []string{"url", "authURL"},
		link: "login"},
	"template_swa": {mode: modeBrowserPlug, required: []string{"buttonField", "passwordField", "usernameField", "url"},
		urls: []string{"url"}, link: "login"},
	"template_sps": {mode: modeSecurePWS, required: []string{"url", "passwordField", "usernameField"},
		urls: []string{"url"}, link: "login"},
	"okta_org2org": {mode: modeSAML2, urls: []string{"acsUrl", "audRestriction", "baseUrl"}, link: "login",
		logo: "okta-logo-admin.f5cef92fdcff9fbc3b1835def5de1314.png"},
	"pagerduty": {mode: modeSAML2, required: []string{"subdomain"}, urls: []string{"baseUrl"}, link: "login"},
	appNameOIDC: {mode: modeOIDC, link: "oidc_client_link"},
}

// definition is the app's definition; custom SAML and SWA apps get one built from their mode.
func (a *application) definition() appDefinition {
	if d, ok := appDefinitions[a.Name]; ok {
		return d
	}
	return appDefinition{mode: a.SignOnMode}
}

// linkName is the name of the app's sign-in link in _links.appLinks and visibility.appLinks.
func (a *application) linkName() string {
	if l := a.definition().link; l != "" {
		return l
	}
	return a.Name + "_link"
}

func (a *application) logo() string {
	if l := a.definition().logo; l != "" {
		return l
	}
	return defaultLogo
}

// usesScheme reports whether the app vaults credentials for its users (SWA and Basic Auth), the modes
// credentials.scheme applies to.
func usesScheme(mode string) bool {
	switch mode {
	case modeAutoLogin, modeBasicAuth, modeBrowserPlug, modeSecurePWS:
		return true
	}
	return false
}

// signsAssertions reports whether the mode has a signing key (credentials.signing.kid).
func signsAssertions(mode string) bool { return mode == modeSAML2 || mode == modeOIDC }

// newKid is a signing key id in Okta's form: 43 base64url characters, the RFC 7638 thumbprint length.
func newKid() string {
	var raw [32]byte
	rand.Read(raw[:])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// newClientSecret is a client secret as Okta generates it: 64 base64url characters.
func newClientSecret() string {
	var raw [48]byte
	rand.Read(raw[:])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// defaultCredentials is credentials.userNameTemplate as Okta sets it when the request gives none.
func defaultCredentials() map[string]any {
	return map[string]any{"userNameTemplate": map[string]any{"template": "${source.login}", "type": "BUILT_IN"}}
}

// defaultVisibility is the visibility Okta gives a new app: OpenID Connect clients are hidden from the
// dashboard until their sign-in is set up, other apps are shown.
func defaultVisibility(mode string) map[string]any {
	hidden := mode == modeOIDC
	return map[string]any{"autoLaunch": false, "autoSubmitToolbar": false,
		"hide": map[string]any{"iOS": hidden, "web": hidden}}
}

// serviceOAuthSettings is settings.oauthClient of an OAuth 2.0 service app as Okta answers it for one
// created with only its application type and grant type.
func serviceOAuthSettings() map[string]any {
	return map[string]any{"application_type": "service", "grant_types": []any{"client_credentials"},
		"response_types": []any{"token"}, "redirect_uris": []any{}, "issuer_mode": "ORG_URL", "consent_method": "TRUSTED",
		"wildcard_redirect": "DISABLED", "participate_slo": false,
		"idp_initiated_login": map[string]any{"mode": "DISABLED", "default_scope": []any{}}}
}
