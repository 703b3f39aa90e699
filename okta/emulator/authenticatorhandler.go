package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/trama-dev/trama/okta"
)

// The Authenticators API (Identity Engine): list, get, create (activate=false creates it INACTIVE),
// replace, the activate and deactivate lifecycle, and the methods of each authenticator with their own
// lifecycle. Okta never deletes an authenticator; it is deactivated, which a policy that enables it
// prevents.

// authenticatorEvent is security.authenticator.lifecycle.<change> targeting the authenticator (and,
// for method changes, the method). The display messages follow the event catalog's descriptions
// (inferred). e.mu must be held.
func (e *Emulator) authenticatorEvent(rq *request, change string, a *authenticator, more ...okta.Target) okta.LogEvent {
	message := map[string]string{"create": "Create authenticator", "activate": "Activate authenticator",
		"deactivate": "Deactivate authenticator", "update": "Update authenticator"}[change]
	return e.event(rq, "security.authenticator.lifecycle."+change, message, "", append([]okta.Target{a.target()}, more...)...)
}

// methodTarget is the second target of a method change, with the AuthenticatorMethodResourceDetails
// the event catalog documents (method_type, method_action).
func methodTarget(m *authMethod, action string) okta.Target {
	upper := strings.ToUpper(m.Type)
	return okta.Target{ID: m.Type, Type: "AuthenticatorMethod", AlternateID: m.Type, DisplayName: upper,
		DetailEntry: map[string]any{"method_type": upper, "method_action": action}}
}

// authenticatorFromPath finds {authenticatorId}. e.mu must be held.
func (e *Emulator) authenticatorFromPath(rq *request) (*authenticator, error) {
	id := rq.r.PathValue("authenticatorId")
	if a, ok := e.authenticators[id]; ok {
		return a, nil
	}
	return nil, errNotFound(id, "Authenticator")
}

func (e *Emulator) listAuthenticators(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	list := e.sortedAuthenticators()
	out := make([]map[string]any, 0, len(list))
	for _, a := range list {
		out = append(out, e.renderAuthenticator(a))
	}
	return http.StatusOK, out, nil
}

func (e *Emulator) getAuthenticator(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.authenticatorFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderAuthenticator(a), nil
}

// createAuthenticator adds an authenticator of a key the org does not have yet (or of one it may have
// several of): ACTIVE, or INACTIVE with activate=false. One created active is enabled in the default
// enrollment policy, as a recorded custom_app creation shows (deactivating it right after creation is
// E0000148), so it cannot be deactivated until a policy no longer enables it.
func (e *Emulator) createAuthenticator(rq *request) (int, any, error) {
	b, err := decodeAuthenticatorBody(rq.r)
	if err != nil {
		return 0, nil, err
	}
	key := strings.TrimSpace(b.key)
	if key == "" {
		return 0, nil, errValidation("key", "key: The field cannot be left blank")
	}
	def, known := authenticatorDefFor(key)
	if !known {
		return 0, nil, errValidation("key", fmt.Sprintf("key: %q is not an authenticator key; the keys are %s", key, authenticatorKeys()))
	}
	name := strings.TrimSpace(b.name)
	if name == "" {
		return 0, nil, errValidation("name", "name: The field cannot be left blank")
	}
	activate := boolQuery(rq.r, "activate", true)
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		if !def.many && e.authenticatorWithKey(key) != nil {
			return 0, nil, nil, errAuthenticatorExists(key)
		}
		if !def.creatable {
			return 0, nil, nil, errValidation("key", fmt.Sprintf("key: trama's Okta emulator does not create %s authenticators; "+
				"it creates %s", key, creatableKeys()))
		}
		var provider map[string]any
		if key == "duo" {
			var err error
			if provider, err = checkDuoProvider(b.provider); err != nil {
				return 0, nil, nil, err
			}
		}
		status := authInactive
		if activate {
			status = authActive
		}
		a := newAuthenticator(newID("aut"), def, name, status, def.settings, rq.now)
		a.Provider = provider
		a.InPolicy = activate
		if key == "webauthn" {
			a.Description = strings.TrimSpace(b.description)
		}
		events := []okta.LogEvent{e.authenticatorEvent(rq, "create", a)}
		if activate {
			events = append(events, e.authenticatorEvent(rq, "activate", a))
		}
		e.addAuthenticator(a)
		return http.StatusOK, e.renderAuthenticator(a), events, nil
	})
}

func creatableKeys() string {
	var keys []string
	for _, d := range authenticatorDefs {
		if d.creatable {
			keys = append(keys, d.key)
		}
	}
	return strings.Join(keys, ", ")
}

// replaceAuthenticator replaces the name, settings (members not sent keep their values), the Duo
// provider and the Passkey description; the key cannot change and the status follows the lifecycle
// operations only.
func (e *Emulator) replaceAuthenticator(rq *request) (int, any, error) {
	b, err := decodeAuthenticatorBody(rq.r)
	if err != nil {
		return 0, nil, err
	}
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, err := e.authenticatorFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if b.hasKey && b.key != a.Key {
			return 0, nil, nil, errValidation("key", fmt.Sprintf("key: An authenticator's key cannot change (this one is %s, not %s)", a.Key, b.key))
		}
		name := strings.TrimSpace(b.name)
		if name == "" {
			return 0, nil, nil, errValidation("name", "name: The field cannot be left blank")
		}
		settings, err := mergeSettings(a.Key, a.Settings, b.settings)
		if err != nil {
			return 0, nil, nil, err
		}
		provider := a.Provider
		if a.Key == "duo" && b.provider != nil {
			if provider, err = checkDuoProvider(b.provider); err != nil {
				return 0, nil, nil, err
			}
		}
		a.Name, a.Settings, a.Provider, a.LastUpdated = name, settings, provider, rq.now
		if a.Key == "webauthn" {
			a.Description = strings.TrimSpace(b.description)
		}
		return http.StatusOK, e.renderAuthenticator(a), []okta.LogEvent{e.authenticatorEvent(rq, "update", a)}, nil
	})
}

// activateAuthenticator sets an authenticator ACTIVE; activating an active one changes nothing and
// logs nothing (inferred).
func (e *Emulator) activateAuthenticator(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, err := e.authenticatorFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		var events []okta.LogEvent
		if a.Status != authActive {
			a.Status, a.LastUpdated = authActive, rq.now
			events = append(events, e.authenticatorEvent(rq, "activate", a))
		}
		return http.StatusOK, e.renderAuthenticator(a), events, nil
	})
}

// deactivateAuthenticator sets an authenticator INACTIVE. Okta refuses one a policy enables (403
// E0000148, the policies as causes) and one that is not active (400 E0000001), as recorded.
func (e *Emulator) deactivateAuthenticator(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, err := e.authenticatorFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		switch {
		case a.Status != authActive:
			return 0, nil, nil, errAuthenticatorNotActive()
		case a.InPolicy:
			return 0, nil, nil, errAuthenticatorInPolicy(a.Key)
		}
		a.Status, a.LastUpdated = authInactive, rq.now
		return http.StatusOK, e.renderAuthenticator(a), []okta.LogEvent{e.authenticatorEvent(rq, "deactivate", a)}, nil
	})
}

// methodFromPath finds {authenticatorId} and its method {methodType}. e.mu must be held.
func (e *Emulator) methodFromPath(rq *request) (*authenticator, *authMethod, error) {
	a, err := e.authenticatorFromPath(rq)
	if err != nil {
		return nil, nil, err
	}
	typ := rq.r.PathValue("methodType")
	m := a.method(typ)
	if m == nil {
		return nil, nil, errNotFound(typ, "AuthenticatorMethod")
	}
	return a, m, nil
}

func (e *Emulator) listAuthenticatorMethods(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.authenticatorFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	out := make([]map[string]any, 0, len(a.Methods))
	for _, m := range a.Methods {
		out = append(out, e.renderMethod(a, m))
	}
	return http.StatusOK, out, nil
}

func (e *Emulator) getAuthenticatorMethod(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, m, err := e.methodFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderMethod(a, m), nil
}

// Okta's enums for method settings.
var methodSettingEnums = map[string][]string{
	"keyProtection":    {"ANY", "HARDWARE"},
	"showSignInWithOV": {"ALWAYS", "NEVER"},
	"userVerification": userVerificationValues,
	"attachment":       {"ANY", "BUILT_IN", "ROAMING"},
}

// replaceAuthenticatorMethod replaces the settings of a method that has settings (members not sent keep
// their values, inferred); its status follows the method lifecycle operations only.
func (e *Emulator) replaceAuthenticatorMethod(rq *request) (int, any, error) {
	body, err := decodeObject(rq.r)
	if err != nil {
		return 0, nil, err
	}
	typ, hasType, err := jsonString(body, "type")
	if err != nil {
		return 0, nil, err
	}
	settings, err := jsonObject(body, "settings")
	if err != nil {
		return 0, nil, err
	}
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, m, err := e.methodFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if hasType && typ != m.Type {
			return 0, nil, nil, errValidation("type", fmt.Sprintf("type: Must be %s, the method this path names, not %s", m.Type, typ))
		}
		if settings != nil && m.Settings != nil {
			c := &settingsChecker{}
			for name, values := range methodSettingEnums {
				c.enum(settings, "settings.", name, values)
			}
			if len(c.causes) > 0 {
				slices.Sort(c.causes)
				return 0, nil, nil, errValidation("settings", c.causes...)
			}
			merged := cloneJSON(m.Settings)
			for k, v := range settings {
				merged[k] = cloneJSONValue(v)
			}
			m.Settings = merged
		}
		a.LastUpdated = rq.now
		ev := e.authenticatorEvent(rq, "update", a, methodTarget(m, "UPDATE"))
		return http.StatusOK, e.renderMethod(a, m), []okta.LogEvent{ev}, nil
	})
}

// activateAuthenticatorMethod sets a method ACTIVE; an active one is answered unchanged (inferred).
func (e *Emulator) activateAuthenticatorMethod(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, m, err := e.methodFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		var events []okta.LogEvent
		if m.Status != authActive {
			m.Status, a.LastUpdated = authActive, rq.now
			events = append(events, e.authenticatorEvent(rq, "update", a, methodTarget(m, "ACTIVATE")))
		}
		return http.StatusOK, e.renderMethod(a, m), events, nil
	})
}

// deactivateAuthenticatorMethod sets a method INACTIVE. An authenticator keeps at least one active
// method, so its last one is refused with 400 E0000001 (inferred; Okta offers no deactivate link for
// it); an inactive one is answered unchanged.
func (e *Emulator) deactivateAuthenticatorMethod(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, m, err := e.methodFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if m.Status != authActive {
			return http.StatusOK, e.renderMethod(a, m), nil, nil
		}
		active := 0
		for _, x := range a.Methods {
			if x.Status == authActive {
				active++
			}
		}
		if active == 1 {
			return 0, nil, nil, errValidation("methodType", fmt.Sprintf(
				"methodType: %s is the only active method of the %s authenticator; at least one must stay active", m.Type, a.Name))
		}
		m.Status, a.LastUpdated = authInactive, rq.now
		ev := e.authenticatorEvent(rq, "update", a, methodTarget(m, "DEACTIVATE"))
		return http.StatusOK, e.renderMethod(a, m), []okta.LogEvent{ev}, nil
	})
}
