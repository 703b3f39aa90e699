package emulator

import (
	"slices"
	"strings"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Authenticators are Identity Engine's org-level view of the ways users prove who they are: Password,
// Email, Phone, Okta Verify, Security Question and the ones an admin adds. Each has a key (what it is),
// a type, a status, settings and methods (Phone: sms and voice; Okta Verify: push, totp, signed_nonce).
//
// Sources: the management description's Authenticator* schemas and examples; responses recorded from a
// real Identity Engine org in okta/terraform-provider-okta's test fixtures (TestAccDataSourceOktaAuthenticator_read,
// TestAccResourceOktaAuthenticator_*), which show the five authenticators every org is created with
// (they share the org's creation time), their settings and links, the list ordered by name, and the
// errors for deactivation; Okta's retired Authenticators Administration reference
// (okta/okta-developer-docs); error-codes.json for E0000148 and E0000157.

// Authenticator and method statuses.
const (
	authActive   = "ACTIVE"
	authInactive = "INACTIVE"
)

// authMethodDef is a method an authenticator of some key has, as a new authenticator has it.
type authMethodDef struct {
	typ      string
	status   string
	settings map[string]any
}

// authenticatorDef is what Okta fixes for an authenticator key.
type authenticatorDef struct {
	key, typ, name string
	methods        []authMethodDef
	// seed is set for the authenticators a new Identity Engine org has, with the status, settings and
	// policy membership they start with.
	seed         bool
	seedStatus   string
	seedSettings map[string]any
	seedInPolicy bool
	// settings are those a created authenticator starts with; nil answers no settings member.
	settings map[string]any
	// many is set for keys an org may have several authenticators of.
	many bool
	// creatable is set for keys the emulator creates through POST /api/v1/authenticators; the other
	// keys Okta knows (custom_app, external_idp, ...) need objects it does not emulate.
	creatable bool
	// noLifecycle is set for the Password authenticator, which Okta answers without activate or
	// deactivate links.
	noLifecycle bool
}

// okTOTPSettings are Okta Verify's TOTP method settings (inferred from Okta's TOTP parameters: 30 s, six
// digits, HMAC-SHA1, base32 secrets).
var okTOTPSettings = map[string]any{"timeIntervalInSeconds": 30, "encoding": "base32", "algorithm": "HMacSHA1", "passCodeLength": 6}

// authenticatorDefs lists the keys the emulator knows, from the description's AuthenticatorKeyEnum and
// AuthenticatorType. Types and names are those of Okta's examples and recorded responses.
var authenticatorDefs = []authenticatorDef{
	{key: "okta_email", typ: "email", name: "Email", methods: []authMethodDef{{typ: "email", status: authActive}},
		seed: true, seedStatus: authActive, seedInPolicy: true,
		seedSettings: map[string]any{"allowedFor": "any", "tokenLifetimeInMinutes": 5}},
	{key: "okta_password", typ: "password", name: "Password", methods: []authMethodDef{{typ: "password", status: authActive}},
		seed: true, seedStatus: authActive, seedInPolicy: true, noLifecycle: true},
	{key: "okta_verify", typ: "app", name: "Okta Verify", methods: []authMethodDef{
		{typ: "push", status: authActive, settings: map[string]any{"algorithms": []any{"RS256", "ES256"}, "keyProtection": "ANY"}},
		{typ: "totp", status: authActive, settings: okTOTPSettings},
		{typ: "signed_nonce", status: authActive, settings: map[string]any{"algorithms": []any{"RS256", "ES256"},
			"keyProtection": "ANY", "showSignInWithOV": "ALWAYS"}},
	}, seed: true, seedStatus: authActive, seedInPolicy: true, seedSettings: map[string]any{
		"compliance": map[string]any{"fips": "OPTIONAL"}, "channelBinding": map[string]any{"style": "NUMBER_CHALLENGE", "required": "NEVER"},
		"userVerification": "PREFERRED", "userVerificationMethods": []any{"BIOMETRICS", "PIN"}, "appInstanceId": ""}},
	{key: "phone_number", typ: "phone", name: "Phone", methods: []authMethodDef{{typ: "sms", status: authActive}, {typ: "voice", status: authInactive}},
		seed: true, seedStatus: authInactive, seedSettings: map[string]any{"allowedFor": "none"}},
	{key: "security_question", typ: "security_question", name: "Security Question",
		methods: []authMethodDef{{typ: "security_question", status: authActive}},
		seed:    true, seedStatus: authActive, seedSettings: map[string]any{"allowedFor": "recovery"}},
	{key: "google_otp", typ: "app", name: "Google Authenticator", methods: []authMethodDef{{typ: "otp", status: authActive}},
		settings: map[string]any{}, creatable: true},
	{key: "webauthn", typ: "security_key", name: "Security Key or Biometric", creatable: true,
		methods: []authMethodDef{{typ: "webauthn", status: authActive, settings: map[string]any{"userVerification": "DISCOURAGED", "attachment": "ANY"}}}},
	{key: "custom_otp", typ: "security_key", name: "Custom OTP", methods: []authMethodDef{{typ: "otp", status: authActive}},
		many: true, creatable: true},
	{key: "yubikey_token", typ: "security_key", name: "Yubikey", methods: []authMethodDef{{typ: "otp", status: authActive}}, creatable: true},
	{key: "duo", typ: "app", name: "Duo Security", methods: []authMethodDef{{typ: "duo", status: authActive}},
		settings: map[string]any{}, creatable: true},
	{key: "custom_app", typ: "app", many: true},
	{key: "external_idp", typ: "federated", many: true},
	{key: "onprem_mfa", typ: "security_key"},
	{key: "smart_card_idp", typ: "federated"},
	{key: "symantec_vip", typ: "app"},
	{key: "security_key", typ: "security_key"},
	{key: "tac", typ: "tac"},
}

func authenticatorDefFor(key string) (authenticatorDef, bool) {
	for _, d := range authenticatorDefs {
		if d.key == key {
			return d, true
		}
	}
	return authenticatorDef{}, false
}

// authenticatorKeyList is every key Okta knows, sorted: what an authenticator and a policy's
// authenticator settings may name.
func authenticatorKeyList() []string {
	keys := make([]string, len(authenticatorDefs))
	for i, d := range authenticatorDefs {
		keys[i] = d.key
	}
	slices.Sort(keys)
	return keys
}

// authenticatorKeys lists every key Okta knows, for error causes.
func authenticatorKeys() string { return strings.Join(authenticatorKeyList(), ", ") }

// authenticator is one of the org's authenticators. Fields are exported for the state file.
type authenticator struct {
	ID          string    `json:"id"`
	Key         string    `json:"key"`
	Type        string    `json:"type"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Status      string    `json:"status"`
	Created     time.Time `json:"created"`
	LastUpdated time.Time `json:"lastUpdated"`
	// Settings is nil for authenticators Okta answers without settings, and may be empty ({}).
	Settings map[string]any `json:"settings"`
	// Provider is the Duo provider as Okta answers it (no integration or secret key).
	Provider map[string]any `json:"provider,omitempty"`
	Methods  []*authMethod  `json:"methods"`
	// InPolicy is set while the org's default authenticator enrollment policy ("Default Policy")
	// enables the authenticator: Okta then refuses to deactivate it (E0000148).
	InPolicy bool `json:"inDefaultPolicy,omitempty"`
}

// authMethod is one method of an authenticator.
type authMethod struct {
	Type     string         `json:"type"`
	Status   string         `json:"status"`
	Settings map[string]any `json:"settings,omitempty"`
}

func (a *authenticator) def() authenticatorDef {
	d, _ := authenticatorDefFor(a.Key)
	return d
}

func (a *authenticator) method(typ string) *authMethod {
	for _, m := range a.Methods {
		if m.Type == typ {
			return m
		}
	}
	return nil
}

// target is the System Log view of the authenticator (inferred: the event catalog names the target
// schema, not its type; "Authenticator" is the type a recorded OIE event gives).
func (a *authenticator) target() okta.Target {
	return okta.Target{ID: a.ID, Type: "Authenticator", AlternateID: a.Key, DisplayName: a.Name}
}

// newAuthenticator builds an authenticator of def with the methods a new one has.
func newAuthenticator(id string, def authenticatorDef, name, status string, settings map[string]any, now time.Time) *authenticator {
	a := &authenticator{ID: id, Key: def.key, Type: def.typ, Name: name, Status: status, Created: now, LastUpdated: now,
		Settings: cloneJSON(settings)}
	for _, m := range def.methods {
		a.Methods = append(a.Methods, &authMethod{Type: m.typ, Status: m.status, Settings: cloneJSON(m.settings)})
	}
	return a
}

// seedAuthenticators gives the org the authenticators a new Identity Engine org has. Their ids are
// derived from the org URL, so a reset or a restart keeps them, as a real org's never change. e.mu must
// be held.
func (e *Emulator) seedAuthenticators(now time.Time) {
	e.authenticators = map[string]*authenticator{}
	e.authOrder = nil
	for _, d := range authenticatorDefs {
		if !d.seed {
			continue
		}
		a := newAuthenticator(e.seededAuthenticatorID(d.key), d, d.name, d.seedStatus, d.seedSettings, now)
		a.InPolicy = d.seedInPolicy
		e.addAuthenticator(a)
	}
}

func (e *Emulator) seededAuthenticatorID(key string) string {
	return "aut" + tokenID("authenticator:" + key + ":" + e.opts.BaseURL)[3:]
}

// addAuthenticator indexes a. e.mu must be held.
func (e *Emulator) addAuthenticator(a *authenticator) {
	e.authenticators[a.ID] = a
	e.authOrder = append(e.authOrder, a)
}

// authenticatorWithKey is the org's first authenticator of a key, or nil. e.mu must be held.
func (e *Emulator) authenticatorWithKey(key string) *authenticator {
	for _, a := range e.authOrder {
		if a.Key == key {
			return a
		}
	}
	return nil
}

// restoreAuthenticators replaces the org's authenticators with a state file's, or seeds a new org's
// when the file predates them. e.mu must be held.
func (e *Emulator) restoreAuthenticators(saved []*authenticator, now time.Time) {
	if len(saved) == 0 {
		e.seedAuthenticators(now)
		return
	}
	e.authenticators = map[string]*authenticator{}
	e.authOrder = nil
	for _, a := range saved {
		if a == nil || a.ID == "" || e.authenticators[a.ID] != nil {
			continue
		}
		if _, known := authenticatorDefFor(a.Key); !known {
			continue
		}
		a.Methods = slices.DeleteFunc(a.Methods, func(m *authMethod) bool { return m == nil })
		e.addAuthenticator(a)
	}
}

// sortedAuthenticators is the org's authenticators as Okta lists them: by name (recorded), then in
// creation order. e.mu must be held.
func (e *Emulator) sortedAuthenticators() []*authenticator {
	out := slices.Clone(e.authOrder)
	slices.SortStableFunc(out, func(a, b *authenticator) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// renderAuthenticator is the authenticator as Okta answers it: links follow the status (activate or
// deactivate, none for Password), Okta Verify has an enroll link, settings and provider when it has
// them.
func (e *Emulator) renderAuthenticator(a *authenticator) map[string]any {
	self := e.opts.BaseURL + "/api/v1/authenticators/" + a.ID
	links := map[string]any{
		"self":    hrefAllow(self, "GET", "PUT"),
		"methods": hrefAllow(self+"/methods", "GET"),
	}
	if !a.def().noLifecycle {
		if a.Status == authActive {
			links["deactivate"] = hrefAllow(self+"/lifecycle/deactivate", "POST")
		} else {
			links["activate"] = hrefAllow(self+"/lifecycle/activate", "POST")
		}
	}
	if a.Key == "okta_verify" {
		links["enroll"] = hrefAllow(e.opts.BaseURL+"/idp/authenticators", "POST")
	}
	out := map[string]any{
		"type": a.Type, "id": a.ID, "key": a.Key, "status": a.Status, "name": a.Name,
		"created": a.Created.UTC().Format(okta.TimeLayout), "lastUpdated": a.LastUpdated.UTC().Format(okta.TimeLayout),
		"_links": links,
	}
	if a.Description != "" {
		out["description"] = a.Description
	}
	if a.Settings != nil {
		out["settings"] = cloneJSON(a.Settings)
	}
	if a.Provider != nil {
		out["provider"] = cloneJSON(a.Provider)
	}
	return out
}

// renderMethod is a method as Okta answers it: self (GET, PUT), and activate or deactivate when the
// authenticator has other methods to fall back on.
func (e *Emulator) renderMethod(a *authenticator, m *authMethod) map[string]any {
	self := e.opts.BaseURL + "/api/v1/authenticators/" + a.ID + "/methods/" + m.Type
	links := map[string]any{"self": hrefAllow(self, "GET", "PUT")}
	if len(a.Methods) > 1 {
		if m.Status == authActive {
			links["deactivate"] = hrefAllow(self+"/lifecycle/deactivate", "POST")
		} else {
			links["activate"] = hrefAllow(self+"/lifecycle/activate", "POST")
		}
	}
	out := map[string]any{"type": m.Type, "status": m.Status, "_links": links}
	if m.Settings != nil {
		out["settings"] = cloneJSON(m.Settings)
	}
	return out
}

// hrefAllow is a link with the methods it allows, as Okta writes authenticator links.
func hrefAllow(href string, methods ...string) map[string]any {
	return map[string]any{"href": href, "hints": map[string]any{"allow": methods}}
}

// cloneJSON deep-copies a decoded JSON object, keeping nil as nil (an authenticator without settings is
// answered without them), so answers and state never share maps with requests.
func cloneJSON(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return deepCopy(m)
}
