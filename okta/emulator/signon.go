package emulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// Checking POST /api/v1/apps and PUT /api/v1/apps/{appId} per sign-on mode, as Okta does: label and
// signOnMode always; the settings.app members the app definition requires (bookmark: url); for a custom
// SWA app settings.signOn.loginUrl; for a custom SAML 2.0 app the settings.signOn members Okta requires
// of an App Wizard app; for an OpenID Connect client its application type, grant types, response
// types, redirect URIs and token endpoint authentication. A member of the wrong JSON type makes the
// body malformed (400 E0000003), as Okta's deserializer refuses it; everything else is 400 E0000001
// naming the member, its causes in Okta's "<member>: <problem>" form. Unknown members and nulls are
// dropped, as Okta ignores them.

// appSpec is a create or replace request that passed the checks: what the app will hold.
type appSpec struct {
	name, label, mode                                         string
	settings, credentials, visibility, accessibility, profile map[string]any
	sharedPassword                                            bool
	oidc                                                      *oidcSpec
}

// oidcSpec is credentials.oauthClient and the keys of an OpenID Connect client.
type oidcSpec struct {
	clientID, authMethod string
	// clientSecret is the secret to show in the answer: given or generated; "" when none changes.
	clientSecret            string
	pkce, manualKeyRotation bool
	dpop                    bool
	keys                    []jose.JSONWebKey
}

// Token endpoint authentication methods.
const (
	authPrivateKeyJWT = "private_key_jwt"
	authNone          = "none"
)

var authMethods = []string{"client_secret_basic", "client_secret_jwt", "client_secret_post", authNone, authPrivateKeyJWT}

// grantTypeNames are the grant types of the description's GrantType.
var grantTypeNames = []string{"authorization_code", "client_credentials", "implicit", "interaction_code", "password",
	"refresh_token", "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer",
	"urn:ietf:params:oauth:grant-type:saml2-bearer", "urn:ietf:params:oauth:grant-type:token-exchange",
	"urn:openid:params:grant-type:ciba", "urn:okta:params:oauth:grant-type:otp", "urn:okta:params:oauth:grant-type:oob",
	"http://auth0.com/oauth/grant-type/mfa-otp", "http://auth0.com/oauth/grant-type/mfa-oob"}

// appTypeGrants are the grant types each application type may use: the table of Okta's Apps reference
// ("Different application types have different valid values for the corresponding grant type"), with
// the grants Okta added since for the same types (Interaction Code, token exchange, device
// authorization, CIBA).
var appTypeGrants = map[string][]string{
	"web": {"authorization_code", "implicit", "refresh_token", "client_credentials", "interaction_code",
		"urn:ietf:params:oauth:grant-type:saml2-bearer", "urn:ietf:params:oauth:grant-type:token-exchange",
		"urn:openid:params:grant-type:ciba"},
	"native": {"authorization_code", "implicit", "password", "refresh_token", "interaction_code",
		"urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange",
		"urn:okta:params:oauth:grant-type:otp", "urn:okta:params:oauth:grant-type:oob",
		"http://auth0.com/oauth/grant-type/mfa-otp", "http://auth0.com/oauth/grant-type/mfa-oob"},
	"browser": {"authorization_code", "implicit", "refresh_token", "interaction_code"},
	"service": {"client_credentials"},
}

// decodeObject reads a JSON object request body; an empty body or null is an empty object, anything
// else that is not an object is malformed.
func decodeObject(r *http.Request) (map[string]any, error) {
	var m map[string]any
	if _, err := decodeBody(r, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// jsonString reads m[key]: absent or null is ("", false); a value of another type is malformed.
func jsonString(m map[string]any, key string) (string, bool, error) {
	switch v := m[key].(type) {
	case nil:
		return "", false, nil
	case string:
		return v, true, nil
	}
	return "", false, errMalformed()
}

func jsonBool(m map[string]any, key string) (bool, bool, error) {
	switch v := m[key].(type) {
	case nil:
		return false, false, nil
	case bool:
		return v, true, nil
	}
	return false, false, errMalformed()
}

// jsonObject reads m[key] as an object; absent or null is nil.
func jsonObject(m map[string]any, key string) (map[string]any, error) {
	switch v := m[key].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return v, nil
	}
	return nil, errMalformed()
}

func jsonStrings(m map[string]any, key string) ([]string, error) {
	switch v := m[key].(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, errMalformed()
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, errMalformed()
}

// jsonInt reads an integral number.
func jsonInt(m map[string]any, key string) (int, bool, error) {
	switch v := m[key].(type) {
	case nil:
		return 0, false, nil
	case float64:
		if v != float64(int(v)) || v > 1<<31 || v < -(1<<31) {
			return 0, false, errMalformed()
		}
		return int(v), true, nil
	}
	return 0, false, errMalformed()
}

// anyStrings is ss as the JSON decoder represents it, so stored settings look the same before and
// after a state file round trip.
func anyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// validURL accepts absolute URLs with a host, the form Okta's URL-typed settings take (RFC 3986).
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}

// fieldSpec describes one member of a settings object: its JSON kind ('s' string, 'b' boolean, 'i'
// integer, 'S' array of strings, 'o' object, 'a' array of objects), allowed values, whether it is a URL,
// and for objects their members.
type fieldSpec struct {
	name   string
	kind   byte
	enum   []string
	url    bool
	fields []fieldSpec
}

// checkFields copies the members of in that fields describe, checked; unknown members, nulls and
// empty strings (what Okta answers as null) are dropped. path prefixes member names in errors for
// nested objects.
func checkFields(in map[string]any, fields []fieldSpec) (map[string]any, error) {
	out := map[string]any{}
	for _, f := range fields {
		v, ok := in[f.name]
		if !ok || v == nil {
			continue
		}
		switch f.kind {
		case 's':
			s, ok := v.(string)
			if !ok {
				return nil, errMalformed()
			}
			if s == "" {
				continue
			}
			if len(f.enum) > 0 && !slices.Contains(f.enum, s) {
				return nil, errValidation(f.name, fmt.Sprintf("%s: %q is not one of %s", f.name, s, strings.Join(f.enum, ", ")))
			}
			if f.url && !validURL(s) {
				return nil, errValidation(f.name, fmt.Sprintf("%s: %q is not a valid URL", f.name, s))
			}
			out[f.name] = s
		case 'b':
			if _, ok := v.(bool); !ok {
				return nil, errMalformed()
			}
			out[f.name] = v
		case 'i':
			n, _, err := jsonInt(in, f.name)
			if err != nil {
				return nil, err
			}
			out[f.name] = n
		case 'S':
			ss, err := jsonStrings(in, f.name)
			if err != nil {
				return nil, err
			}
			out[f.name] = anyStrings(ss)
		case 'o':
			m, ok := v.(map[string]any)
			if !ok {
				return nil, errMalformed()
			}
			c, err := checkFields(m, f.fields)
			if err != nil {
				return nil, err
			}
			out[f.name] = c
		case 'a':
			items, ok := v.([]any)
			if !ok {
				return nil, errMalformed()
			}
			list := make([]any, 0, len(items))
			for _, it := range items {
				m, ok := it.(map[string]any)
				if !ok {
					return nil, errMalformed()
				}
				c, err := checkFields(m, f.fields)
				if err != nil {
					return nil, err
				}
				list = append(list, c)
			}
			out[f.name] = list
		}
	}
	return out, nil
}

// requireFields answers the members of obj that are missing or blank, in Okta's form: the summary names
// the first, a cause names each (the form of Okta's recorded answer for a Basic Auth app without url
// and authURL).
func requireFields(obj map[string]any, names ...string) error {
	var missing []string
	for _, n := range names {
		if s, _ := obj[n].(string); strings.TrimSpace(s) == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	causes := make([]string, len(missing))
	for i, n := range missing {
		causes[i] = n + ": The field cannot be left blank"
	}
	return errValidation(missing[0], causes...)
}

// SAML 2.0 settings.signOn members (SamlApplicationSettingsSignOn) and their allowed values.
var (
	nameIDFormats = []string{"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
		"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", "urn:oasis:names:tc:SAML:1.1:nameid-format:x509SubjectName"}
	authnContextClasses = []string{"urn:federation:authentication:windows", "oasis:names:tc:SAML:2.0:ac:classes:Kerberos",
		"urn:oasis:names:tc:SAML:2.0:ac:classes:Password", "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
		"urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient", "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
		"urn:oasis:names:tc:SAML:2.0:ac:classes:X509"}
	attributeNamespaces = []string{"urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
		"urn:oasis:names:tc:SAML:2.0:attrname-format:uri", "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"}

	samlSignOnFields = []fieldSpec{
		{name: "defaultRelayState", kind: 's'},
		{name: "ssoAcsUrl", kind: 's', url: true},
		{name: "ssoAcsUrlOverride", kind: 's', url: true},
		{name: "idpIssuer", kind: 's'},
		{name: "audience", kind: 's'},
		{name: "audienceOverride", kind: 's'},
		{name: "recipient", kind: 's', url: true},
		{name: "recipientOverride", kind: 's', url: true},
		{name: "destination", kind: 's', url: true},
		{name: "destinationOverride", kind: 's', url: true},
		{name: "subjectNameIdTemplate", kind: 's'},
		{name: "subjectNameIdFormat", kind: 's', enum: nameIDFormats},
		{name: "responseSigned", kind: 'b'},
		{name: "assertionSigned", kind: 'b'},
		{name: "signatureAlgorithm", kind: 's', enum: []string{"RSA_SHA1", "RSA_SHA256"}},
		{name: "digestAlgorithm", kind: 's', enum: []string{"SHA1", "SHA256"}},
		{name: "honorForceAuthn", kind: 'b'},
		{name: "authnContextClassRef", kind: 's', enum: authnContextClasses},
		{name: "requestCompressed", kind: 'b'},
		{name: "allowMultipleAcsEndpoints", kind: 'b'},
		{name: "acsEndpoints", kind: 'a', fields: []fieldSpec{{name: "url", kind: 's', url: true}, {name: "index", kind: 'i'}}},
		{name: "attributeStatements", kind: 'a', fields: []fieldSpec{
			{name: "type", kind: 's', enum: []string{"EXPRESSION", "GROUP"}},
			{name: "name", kind: 's'},
			{name: "namespace", kind: 's', enum: attributeNamespaces},
			{name: "values", kind: 'S'},
			{name: "filterType", kind: 's', enum: []string{"STARTS_WITH", "EQUALS", "CONTAINS", "REGEX"}},
			{name: "filterValue", kind: 's'},
		}},
		{name: "samlAssertionLifetimeSeconds", kind: 'i'},
		{name: "slo", kind: 'o', fields: []fieldSpec{{name: "enabled", kind: 'b'}, {name: "issuer", kind: 's'},
			{name: "logoutUrl", kind: 's', url: true}}},
		{name: "participateSlo", kind: 'o', fields: []fieldSpec{{name: "enabled", kind: 'b'},
			{name: "logoutRequestUrl", kind: 's', url: true}, {name: "sessionIndexRequired", kind: 'b'},
			{name: "bindingType", kind: 's', enum: []string{"POST", "REDIRECT"}}}},
		{name: "spCertificate", kind: 'o', fields: []fieldSpec{{name: "x5c", kind: 'S'}}},
		{name: "assertionEncryption", kind: 'o', fields: []fieldSpec{{name: "enabled", kind: 'b'},
			{name: "keyTransportAlgorithm", kind: 's', enum: []string{"RSA_OAEP", "RSA_15"}},
			{name: "encryptionAlgorithm", kind: 's', enum: []string{"AES128_CBC", "AES256_CBC", "AES256_GCM"}},
			{name: "x5c", kind: 'S'}}},
		{name: "inlineHooks", kind: 'a', fields: []fieldSpec{{name: "id", kind: 's'}}},
		{name: "samlSignedRequestEnabled", kind: 'b'},
	}

	// customSAMLRequired are the settings.signOn members an App Wizard SAML 2.0 app must set: those Okta's
	// Apps reference lists as not nullable and without a default, and the list Okta's own Terraform
	// provider enforces for custom SAML apps before calling the API.
	customSAMLRequired = []string{"ssoAcsUrl", "recipient", "destination", "audience", "subjectNameIdTemplate",
		"subjectNameIdFormat", "signatureAlgorithm", "digestAlgorithm", "authnContextClassRef"}

	swaSignOnFields = []fieldSpec{{name: "loginUrl", kind: 's', url: true}, {name: "redirectUrl", kind: 's', url: true}}

	userNameTemplateFields = []fieldSpec{{name: "template", kind: 's'},
		{name: "type", kind: 's', enum: []string{"NONE", "BUILT_IN", "CUSTOM"}},
		{name: "userSuffix", kind: 's'},
		{name: "pushStatus", kind: 's', enum: []string{"PUSH", "DONT_PUSH", "NOT_CONFIGURED"}}}

	credentialSchemes = []string{"ADMIN_SETS_CREDENTIALS", "EDIT_PASSWORD_ONLY", "EDIT_USERNAME_AND_PASSWORD",
		"EXTERNAL_PASSWORD_SYNC", "SHARED_USERNAME_AND_PASSWORD"}

	visibilityFields = []fieldSpec{{name: "autoLaunch", kind: 'b'}, {name: "autoSubmitToolbar", kind: 'b'},
		{name: "hide", kind: 'o', fields: []fieldSpec{{name: "iOS", kind: 'b'}, {name: "web", kind: 'b'}}}}

	accessibilityFields = []fieldSpec{{name: "selfService", kind: 'b'}, {name: "errorRedirectUrl", kind: 's', url: true},
		{name: "loginRedirectUrl", kind: 's', url: true}}
)

// checkApp checks a create (old nil) or replace request and returns what the app will hold. On replace,
// name is the app's own, whatever the body says, as Okta ignores system-assigned properties there.
func checkApp(body map[string]any, old *application) (*appSpec, error) {
	mode, _, err := jsonString(body, "signOnMode")
	if err != nil {
		return nil, err
	}
	label, _, err := jsonString(body, "label")
	if err != nil {
		return nil, err
	}
	name, _, err := jsonString(body, "name")
	if err != nil {
		return nil, err
	}
	switch {
	case mode == "":
		return nil, errValidation("signOnMode", "signOnMode: The field cannot be left blank")
	case !slices.Contains(signOnModes, mode):
		return nil, errValidation("signOnMode", "signOnMode: "+mode+" is not a sign-on mode")
	}
	custom := false
	if old != nil {
		if mode != old.SignOnMode {
			return nil, errValidation("signOnMode", fmt.Sprintf("signOnMode: The sign-on mode of an app can't change from %s to %s",
				old.SignOnMode, mode))
		}
		name = old.Name
		_, known := appDefinitions[name]
		custom = !known
	} else if name, custom, err = resolveDefinition(name, mode); err != nil {
		return nil, err
	}
	if strings.TrimSpace(label) == "" {
		return nil, errValidation("label", "label: The field cannot be left blank")
	}
	s := &appSpec{name: name, label: label, mode: mode}
	if custom {
		s.name = ""
	}
	settings, err := jsonObject(body, "settings")
	if err != nil {
		return nil, err
	}
	if settings == nil {
		settings = map[string]any{}
	}
	creds, err := jsonObject(body, "credentials")
	if err != nil {
		return nil, err
	}
	if creds == nil {
		creds = map[string]any{}
	}
	if s.settings, err = commonSettings(settings); err != nil {
		return nil, err
	}
	if s.credentials, s.sharedPassword, err = checkCredentials(creds, mode); err != nil {
		return nil, err
	}
	if s.visibility, s.accessibility, err = checkPresentation(body, mode); err != nil {
		return nil, err
	}
	switch {
	case mode == modeOIDC:
		oc, spec, err := checkOIDC(settings, creds, old)
		if err != nil {
			return nil, err
		}
		s.settings["oauthClient"], s.oidc = oc, spec
		if s.profile, err = jsonObject(body, "profile"); err != nil {
			return nil, err
		}
	case custom && mode == modeSAML2:
		s.settings["app"] = map[string]any{}
		if s.settings["signOn"], err = checkSAMLSignOn(settings, true); err != nil {
			return nil, err
		}
	case custom && mode == modeAutoLogin:
		s.settings["app"] = map[string]any{}
		if s.settings["signOn"], err = checkSWASignOn(settings); err != nil {
			return nil, err
		}
	default:
		if s.settings["app"], err = checkAppSettings(settings, appDefinitions[name]); err != nil {
			return nil, err
		}
		if mode == modeSAML2 {
			if s.settings["signOn"], err = checkSAMLSignOn(settings, false); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// resolveDefinition picks the definition a create request names. Without a name, SAML_2_0 and
// AUTO_LOGIN create custom apps (custom is true) and OPENID_CONNECT an oidc_client app; every other
// mode needs the name of its definition.
func resolveDefinition(name, mode string) (string, bool, error) {
	if name == "" {
		switch mode {
		case modeSAML2, modeAutoLogin:
			return "", true, nil
		case modeOIDC:
			return appNameOIDC, false, nil
		}
		return "", false, errValidation("name", "name: The field cannot be left blank")
	}
	def, ok := appDefinitions[name]
	switch {
	case !ok && mode == modeOIDC:
		return "", false, errValidation("name", `name: An OPENID_CONNECT app is named "oidc_client"`)
	case !ok:
		known := slices.Sorted(maps.Keys(appDefinitions))
		return "", false, errValidation("name", fmt.Sprintf(
			"name: %q is not an app definition the emulator knows; it creates %s, and custom SAML_2_0 and AUTO_LOGIN apps without a name",
			name, strings.Join(known, ", ")))
	case def.mode != mode:
		return "", false, errValidation("signOnMode", fmt.Sprintf("signOnMode: %s apps sign on with %s, not %s", name, def.mode, mode))
	}
	return name, false, nil
}

// commonSettings are the settings members every app has: notes and implicitAssignment.
func commonSettings(settings map[string]any) (map[string]any, error) {
	out, err := checkFields(settings, []fieldSpec{{name: "implicitAssignment", kind: 'b'},
		{name: "notes", kind: 'o', fields: []fieldSpec{{name: "admin", kind: 's'}, {name: "enduser", kind: 's'}}}})
	if err != nil {
		return nil, err
	}
	if _, ok := out["implicitAssignment"]; !ok {
		out["implicitAssignment"] = false
	}
	return out, nil
}

// checkAppSettings checks settings.app of an app with a definition: its required members are set and
// its URL members are URLs. Other members are kept as given, since each catalog app has its own.
func checkAppSettings(settings map[string]any, def appDefinition) (map[string]any, error) {
	app, err := jsonObject(settings, "app")
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for k, v := range app {
		if v != nil {
			out[k] = v
		}
	}
	for _, n := range def.required {
		if _, isString := out[n].(string); out[n] != nil && !isString {
			return nil, errMalformed()
		}
	}
	if err := requireFields(out, def.required...); err != nil {
		return nil, err
	}
	for _, n := range def.urls {
		s, isString := out[n].(string)
		switch {
		case out[n] == nil:
		case !isString:
			return nil, errMalformed()
		case s == "":
			delete(out, n)
		case !validURL(s):
			return nil, errValidation(n, fmt.Sprintf("%s: %q is not a valid URL", n, s))
		}
	}
	if def.mode == modeBookmark {
		if _, ok := out["requestIntegration"]; !ok {
			out["requestIntegration"] = false
		}
	}
	return out, nil
}

// checkSAMLSignOn checks settings.signOn of a SAML 2.0 app. A custom app must set the members an App
// Wizard app needs and sign its response or its assertion; a catalog app only overrides. Okta's
// defaults fill the rest, so every answer has the members the description requires.
func checkSAMLSignOn(settings map[string]any, custom bool) (map[string]any, error) {
	in, err := jsonObject(settings, "signOn")
	if err != nil {
		return nil, err
	}
	if in == nil {
		in = map[string]any{}
	}
	so, err := checkFields(in, samlSignOnFields)
	if err != nil {
		return nil, err
	}
	if custom {
		if err := requireFields(so, customSAMLRequired...); err != nil {
			return nil, err
		}
		if so["responseSigned"] != true && so["assertionSigned"] != true {
			return nil, errValidation("responseSigned", "responseSigned: Either responseSigned or assertionSigned must be true")
		}
		if _, ok := so["idpIssuer"]; !ok {
			so["idpIssuer"] = "http://www.okta.com/${org.externalKey}"
		}
	}
	if slo, _ := so["slo"].(map[string]any); slo["enabled"] == true {
		// Okta's Apps reference: when the app supports Single Logout, the spCertificate object must be present.
		cert, _ := so["spCertificate"].(map[string]any)
		if x5c, _ := cert["x5c"].([]any); len(x5c) == 0 {
			return nil, errValidation("spCertificate",
				"spCertificate: Single Logout needs the certificate that signs the app's logout requests in spCertificate.x5c")
		}
		if issuer, ok := slo["issuer"].(string); ok {
			so["spIssuer"] = issuer
		}
	}
	if acs, _ := so["acsEndpoints"].([]any); len(acs) > 100 {
		return nil, errValidation("acsEndpoints", fmt.Sprintf("acsEndpoints: An app can have at most 100 ACS endpoints, not %d", len(acs)))
	}
	for _, st := range listOf(so["attributeStatements"]) {
		if _, ok := st["type"]; !ok {
			st["type"] = "EXPRESSION"
		}
	}
	for k, v := range map[string]any{"responseSigned": false, "assertionSigned": false, "honorForceAuthn": false,
		"requestCompressed": false, "allowMultipleAcsEndpoints": false, "samlSignedRequestEnabled": false} {
		if _, ok := so[k]; !ok {
			so[k] = v
		}
	}
	for _, k := range []string{"acsEndpoints", "attributeStatements", "inlineHooks"} {
		if _, ok := so[k]; !ok {
			so[k] = []any{}
		}
	}
	if _, ok := so["assertionEncryption"]; !ok && custom {
		so["assertionEncryption"] = map[string]any{"enabled": false}
	}
	return so, nil
}

// listOf is a JSON array of objects; other values yield nothing.
func listOf(v any) []map[string]any {
	items, _ := v.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// checkSWASignOn checks settings.signOn of a custom SWA app: loginUrl is required.
func checkSWASignOn(settings map[string]any) (map[string]any, error) {
	in, err := jsonObject(settings, "signOn")
	if err != nil {
		return nil, err
	}
	if in == nil {
		in = map[string]any{}
	}
	so, err := checkFields(in, swaSignOnFields)
	if err != nil {
		return nil, err
	}
	if err := requireFields(so, "loginUrl"); err != nil {
		return nil, err
	}
	return so, nil
}

// checkCredentials checks the credentials every app has (userNameTemplate) and, for apps that vault
// credentials, the scheme and a shared username and password. sharedPassword reports that a shared
// password was set; the emulator keeps only that fact.
func checkCredentials(creds map[string]any, mode string) (map[string]any, bool, error) {
	tmpl, err := jsonObject(creds, "userNameTemplate")
	if err != nil {
		return nil, false, err
	}
	t, err := checkFields(orEmpty(tmpl), userNameTemplateFields)
	if err != nil {
		return nil, false, err
	}
	if _, ok := t["template"]; !ok {
		t["template"] = "${source.login}"
	}
	if _, ok := t["type"]; !ok {
		t["type"] = "BUILT_IN"
	}
	if _, ok := t["pushStatus"]; !ok && t["type"] == "CUSTOM" {
		// Okta's recorded answers show DONT_PUSH on CUSTOM templates that did not say.
		t["pushStatus"] = "DONT_PUSH"
	}
	out := map[string]any{"userNameTemplate": t}
	if !usesScheme(mode) {
		return out, false, nil
	}
	c, err := checkFields(creds, []fieldSpec{{name: "scheme", kind: 's', enum: credentialSchemes},
		{name: "revealPassword", kind: 'b'}, {name: "userName", kind: 's'}})
	if err != nil {
		return nil, false, err
	}
	scheme, _ := c["scheme"].(string)
	if scheme == "" {
		scheme = "EDIT_USERNAME_AND_PASSWORD"
	}
	out["scheme"] = scheme
	out["revealPassword"] = c["revealPassword"] == true
	pw, err := jsonObject(creds, "password")
	if err != nil {
		return nil, false, err
	}
	value, _, err := jsonString(orEmpty(pw), "value")
	if err != nil {
		return nil, false, err
	}
	userName, _ := c["userName"].(string)
	if scheme != "SHARED_USERNAME_AND_PASSWORD" {
		// Okta answers without a shared username for other schemes; only users have credentials then.
		return out, false, nil
	}
	if userName == "" {
		return nil, false, errValidation("userName", "userName: The field cannot be left blank")
	}
	if len(userName) > 100 {
		return nil, false, errValidation("userName", fmt.Sprintf("userName: Must be at most 100 characters, not %d", len(userName)))
	}
	out["userName"] = userName
	return out, value != "", nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// checkPresentation checks visibility and accessibility, filling Okta's defaults.
func checkPresentation(body map[string]any, mode string) (vis, acc map[string]any, err error) {
	v, err := jsonObject(body, "visibility")
	if err != nil {
		return nil, nil, err
	}
	vis, err = checkFields(orEmpty(v), visibilityFields)
	if err != nil {
		return nil, nil, err
	}
	def := defaultVisibility(mode)
	for k, dv := range def {
		if _, ok := vis[k]; !ok {
			vis[k] = dv
		}
	}
	hide := vis["hide"].(map[string]any)
	for k, dv := range def["hide"].(map[string]any) {
		if _, ok := hide[k]; !ok {
			hide[k] = dv
		}
	}
	if links, err := jsonObject(orEmpty(v), "appLinks"); err != nil {
		return nil, nil, err
	} else if links != nil {
		shown := map[string]any{}
		for k, lv := range links {
			b, ok := lv.(bool)
			if !ok {
				return nil, nil, errMalformed()
			}
			shown[k] = b
		}
		vis["appLinks"] = shown
	}
	a, err := jsonObject(body, "accessibility")
	if err != nil {
		return nil, nil, err
	}
	acc, err = checkFields(orEmpty(a), accessibilityFields)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := acc["selfService"]; !ok {
		acc["selfService"] = false
	}
	return vis, acc, nil
}

// checkOIDC checks an OpenID Connect client: settings.oauthClient and credentials.oauthClient. It
// returns settings.oauthClient as the app will hold it (without jwks and DPoP, kept apart) and the
// client's credentials and keys. old is the app being replaced, nil on create.
func checkOIDC(settings, creds map[string]any, old *application) (map[string]any, *oidcSpec, error) {
	oc, err := jsonObject(settings, "oauthClient")
	if err != nil {
		return nil, nil, err
	}
	oc = orEmpty(oc)
	cc, err := jsonObject(creds, "oauthClient")
	if err != nil {
		return nil, nil, err
	}
	cc = orEmpty(cc)
	appType, _, err := jsonString(oc, "application_type")
	if err != nil {
		return nil, nil, err
	}
	switch {
	case appType == "":
		return nil, nil, errValidation("settings.oauthClient.application_type",
			"settings.oauthClient.application_type: The field cannot be left blank")
	case appTypeGrants[appType] == nil:
		return nil, nil, errValidation("settings.oauthClient.application_type", fmt.Sprintf(
			"settings.oauthClient.application_type: %q is not an application type; use web, native, browser or service", appType))
	case old != nil && old.appType() != appType:
		return nil, nil, errValidation("settings.oauthClient.application_type", fmt.Sprintf(
			"settings.oauthClient.application_type: After an app is created its application_type can't change, from %s to %s",
			old.appType(), appType))
	}
	out := map[string]any{"application_type": appType}
	grants, err := checkGrants(oc, appType)
	if err != nil {
		return nil, nil, err
	}
	out["grant_types"] = anyStrings(grants)
	if err := checkFlows(oc, appType, grants, out); err != nil {
		return nil, nil, err
	}
	rest, err := checkFields(oc, []fieldSpec{
		{name: "consent_method", kind: 's', enum: []string{"REQUIRED", "TRUSTED"}},
		{name: "issuer_mode", kind: 's', enum: []string{"CUSTOM_URL", "DYNAMIC", "ORG_URL"}},
		{name: "idp_initiated_login", kind: 'o', fields: []fieldSpec{{name: "mode", kind: 's', enum: []string{"DISABLED", "SPEC", "OKTA"}},
			{name: "default_scope", kind: 'S'}}},
		{name: "client_uri", kind: 's', url: true}, {name: "logo_uri", kind: 's', url: true},
		{name: "policy_uri", kind: 's', url: true}, {name: "tos_uri", kind: 's', url: true},
		{name: "initiate_login_uri", kind: 's', url: true},
		{name: "participate_slo", kind: 'b'}, {name: "frontchannel_logout_uri", kind: 's'},
		{name: "frontchannel_logout_session_required", kind: 'b'},
		{name: "jwks_uri", kind: 's', url: true},
	})
	if err != nil {
		return nil, nil, err
	}
	maps.Copy(out, rest)
	for k, v := range map[string]any{"consent_method": "TRUSTED", "issuer_mode": "ORG_URL", "participate_slo": false} {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	idp, _ := out["idp_initiated_login"].(map[string]any)
	if idp == nil {
		idp = map[string]any{}
		out["idp_initiated_login"] = idp
	}
	if _, ok := idp["mode"]; !ok {
		idp["mode"] = "DISABLED"
	}
	if _, ok := idp["default_scope"]; !ok {
		idp["default_scope"] = []any{}
	}
	if out["participate_slo"] == true && appType != "web" && appType != "browser" {
		return nil, nil, errValidation("settings.oauthClient.participate_slo",
			"settings.oauthClient.participate_slo: Only web and browser apps can participate in Single Logout, not "+appType+" apps")
	}
	dpop, _, err := jsonBool(oc, "dpop_bound_access_tokens")
	if err != nil {
		return nil, nil, err
	}
	spec, err := checkClientCredentials(cc, oc, appType, old)
	if err != nil {
		return nil, nil, err
	}
	spec.dpop = dpop
	if spec.authMethod == authPrivateKeyJWT {
		delete(out, "jwks_uri")
	}
	return out, spec, nil
}

// checkGrants checks grant_types against the application type.
func checkGrants(oc map[string]any, appType string) ([]string, error) {
	const field = "settings.oauthClient.grant_types"
	grants, err := jsonStrings(oc, "grant_types")
	if err != nil {
		return nil, err
	}
	if len(grants) == 0 {
		return nil, errValidation(field, field+": The field cannot be left blank")
	}
	for _, g := range grants {
		switch {
		case !slices.Contains(grantTypeNames, g):
			return nil, errValidation(field, fmt.Sprintf("%s: %q is not a grant type", field, g))
		case appType == "service" && g != "client_credentials":
			return nil, errValidation(field, field+": A service app can only use the client_credentials grant type, not "+g)
		case !slices.Contains(appTypeGrants[appType], g):
			return nil, errValidation(field, fmt.Sprintf("%s: A %s app can't use the %s grant type", field, appType, g))
		}
	}
	if (appType == "web" || appType == "native") && !slices.Contains(grants, "authorization_code") {
		// Okta's Apps reference: web and native apps "must have at least authorization_code".
		return nil, errValidation(field, fmt.Sprintf("%s: A %s app needs the authorization_code grant type, not only %s",
			field, appType, strings.Join(grants, ", ")))
	}
	return slices.Compact(grants), nil
}

// checkFlows checks response_types and the redirect URIs the grant types need, filling out. At least
// one redirect URI and response type is required unless the client uses only grants without a
// redirect (client_credentials, password, ...): Okta's rule. A grant implies its response type.
func checkFlows(oc map[string]any, appType string, grants []string, out map[string]any) error {
	const rtField, ruField = "settings.oauthClient.response_types", "settings.oauthClient.redirect_uris"
	types, err := jsonStrings(oc, "response_types")
	if err != nil {
		return err
	}
	for _, t := range types {
		if t != "code" && t != "token" && t != "id_token" {
			return errValidation(rtField, fmt.Sprintf("%s: %q is not a response type; use code, token or id_token", rtField, t))
		}
	}
	redirected := slices.Contains(grants, "authorization_code") || slices.Contains(grants, "implicit")
	switch {
	case redirected && len(types) == 0:
		return errValidation(rtField, rtField+": The field cannot be left blank")
	case slices.Contains(grants, "authorization_code") && !slices.Contains(types, "code"):
		return errValidation(rtField, fmt.Sprintf("%s: The authorization_code grant type needs the code response type, not only %s",
			rtField, strings.Join(types, ", ")))
	case slices.Contains(grants, "implicit") && !slices.Contains(types, "token") && !slices.Contains(types, "id_token"):
		return errValidation(rtField, fmt.Sprintf("%s: The implicit grant type needs the token or id_token response type, not only %s",
			rtField, strings.Join(types, ", ")))
	}
	if appType == "service" && len(types) == 0 {
		types = []string{"token"} // what Okta answers for a service app
	}
	out["response_types"] = anyStrings(slices.Compact(types))
	wildcard, _, err := jsonString(oc, "wildcard_redirect")
	if err != nil {
		return err
	}
	switch wildcard {
	case "":
		wildcard = "DISABLED"
	case "DISABLED", "SUBDOMAIN":
	default:
		return errValidation("settings.oauthClient.wildcard_redirect", fmt.Sprintf(
			"settings.oauthClient.wildcard_redirect: %q is not one of DISABLED, SUBDOMAIN", wildcard))
	}
	out["wildcard_redirect"] = wildcard
	for _, field := range []string{"redirect_uris", "post_logout_redirect_uris"} {
		uris, err := jsonStrings(oc, field)
		if err != nil {
			return err
		}
		for _, u := range uris {
			if !validRedirect(u, wildcard == "SUBDOMAIN") {
				return errValidation("settings.oauthClient."+field, fmt.Sprintf(
					"settings.oauthClient.%s: %q must be an absolute URI without a fragment", field, u))
			}
		}
		if field == "redirect_uris" {
			if redirected && len(uris) == 0 {
				return errValidation(ruField, ruField+": The field cannot be left blank")
			}
			out[field] = anyStrings(uris)
		} else if len(uris) > 0 {
			out[field] = anyStrings(uris)
		}
	}
	return nil
}

// validRedirect accepts an absolute URI without a fragment (native apps use custom schemes such as
// myapp://callback); with SUBDOMAIN wildcards an https URI may have one '*' in its lowest-level label.
func validRedirect(s string, wildcard bool) bool {
	probe := s
	if wildcard && strings.Count(s, "*") == 1 {
		probe = strings.Replace(s, "*", "w", 1)
		if !strings.HasPrefix(s, "https://") {
			return false
		}
	}
	u, err := url.Parse(probe)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "" || u.Path != "") && u.Fragment == "" &&
		!strings.Contains(probe, "#") && !strings.Contains(probe, "*")
}

// checkClientCredentials checks credentials.oauthClient: the token endpoint authentication method,
// PKCE, key rotation, the client id and secret, and the keys a private_key_jwt client signs with.
func checkClientCredentials(cc, oc map[string]any, appType string, old *application) (*oidcSpec, error) {
	const prefix = "credentials.oauthClient."
	spec := &oidcSpec{}
	method, _, err := jsonString(cc, "token_endpoint_auth_method")
	if err != nil {
		return nil, err
	}
	switch {
	case method == "":
		method = "client_secret_basic" // Okta's default for the field
	case !slices.Contains(authMethods, method):
		return nil, errValidation(prefix+"token_endpoint_auth_method", fmt.Sprintf("%stoken_endpoint_auth_method: %q is not one of %s",
			prefix, method, strings.Join(authMethods, ", ")))
	case method == authNone && appType == "service":
		return nil, errValidation(prefix+"token_endpoint_auth_method", prefix+
			"token_endpoint_auth_method: A service app authenticates at the token endpoint; none is for public clients")
	}
	spec.authMethod = method
	pkce, set, err := jsonBool(cc, "pkce_required")
	if err != nil {
		return nil, err
	}
	if !set {
		pkce = appType == "browser" || appType == "native"
	}
	if method == authNone && !pkce {
		return nil, errValidation(prefix+"pkce_required", prefix+"pkce_required: Must be true when token_endpoint_auth_method is none")
	}
	spec.pkce = pkce
	rotate, set, err := jsonBool(cc, "autoKeyRotation")
	if err != nil {
		return nil, err
	}
	spec.manualKeyRotation = set && !rotate
	clientID, _, err := jsonString(cc, "client_id")
	if err != nil {
		return nil, err
	}
	switch {
	case old != nil && clientID != "" && clientID != old.ClientID:
		return nil, errValidation(prefix+"client_id", fmt.Sprintf("%sclient_id: The client_id of an app can't change, from %s to %s",
			prefix, old.ClientID, clientID))
	case old == nil && clientID != "" && !validClientID(clientID):
		return nil, errValidation(prefix+"client_id",
			prefix+"client_id: Must be 6 to 100 letters, digits or $-_.+!*'(), and not ALL_CLIENTS")
	}
	spec.clientID = clientID
	secret, _, err := jsonString(cc, "client_secret")
	if err != nil {
		return nil, err
	}
	switch {
	case method == authPrivateKeyJWT && secret != "":
		return nil, errValidation(prefix+"client_secret", prefix+"client_secret: A private_key_jwt client has no client secret")
	case method == authNone && secret != "":
		return nil, errValidation(prefix+"client_secret", prefix+"client_secret: A public client (none) has no client secret")
	case secret != "" && !validSecret(secret):
		return nil, errValidation(prefix+"client_secret", prefix+"client_secret: Must be 14 to 100 printable characters")
	case secret == "" && strings.HasPrefix(method, "client_secret_") && (old == nil || !strings.HasPrefix(old.AuthMethod, "client_secret_")):
		// Okta generates a secret when the method needs one and none was given, and shows it once.
		secret = newClientSecret()
	}
	spec.clientSecret = secret
	return spec, checkClientKeys(oc, spec)
}

// validSecret follows the description: 14 to 100 printable characters (RFC 6749 appendix A, VSCHAR).
func validSecret(s string) bool {
	if len(s) < 14 || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// checkClientKeys reads settings.oauthClient.jwks. A private_key_jwt client needs public keys to sign
// its assertions with, given inline: fetching keys from jwks_uri is not emulated.
func checkClientKeys(oc map[string]any, spec *oidcSpec) error {
	jwksURI, _, err := jsonString(oc, "jwks_uri")
	if err != nil {
		return err
	}
	raw, present := oc["jwks"]
	if spec.authMethod == authPrivateKeyJWT {
		if jwksURI != "" {
			return errValidation("settings.oauthClient.jwks_uri",
				"settings.oauthClient.jwks_uri: Fetching keys from a URL is not emulated; give the public keys in settings.oauthClient.jwks")
		}
		if !present || raw == nil {
			return errValidation("settings.oauthClient.jwks",
				"settings.oauthClient.jwks: A private_key_jwt client needs a JWKS with at least one public key")
		}
	}
	if !present || raw == nil {
		return nil
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return errMalformed()
	}
	keys, err := parsePublicJWKS(data)
	if err != nil {
		return errValidation("settings.oauthClient.jwks", "settings.oauthClient.jwks: "+err.Error())
	}
	spec.keys = keys
	return nil
}
