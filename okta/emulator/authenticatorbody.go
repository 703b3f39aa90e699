package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Checking the body of POST and PUT /api/v1/authenticators: a value of the wrong JSON type is 400
// E0000003, as Okta cannot deserialize it; a value Okta's rules refuse is 400 E0000001 naming the
// member, with a cause per broken rule. The rules for settings and providers are the description's
// enums (AllowedForEnum, UserVerificationEnum, ChannelBinding, Compliance) and Duo's required
// configuration (AuthenticatorKeyDuo); the texts of the causes are the emulator's (inferred).

// authenticatorBody is what a create or replace request sets.
type authenticatorBody struct {
	key, name, description string
	hasKey, hasName        bool
	settings               map[string]any
	provider               map[string]any
}

func decodeAuthenticatorBody(r *http.Request) (*authenticatorBody, error) {
	m, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	b := &authenticatorBody{}
	if b.key, b.hasKey, err = jsonString(m, "key"); err != nil {
		return nil, err
	}
	if b.name, b.hasName, err = jsonString(m, "name"); err != nil {
		return nil, err
	}
	if b.description, _, err = jsonString(m, "description"); err != nil {
		return nil, err
	}
	if b.settings, err = jsonObject(m, "settings"); err != nil {
		return nil, err
	}
	if b.provider, err = jsonObject(m, "provider"); err != nil {
		return nil, err
	}
	return b, nil
}

// Okta's enums for authenticator settings.
var (
	allowedForValues       = []string{"any", "none", "recovery", "sso"}
	userVerificationValues = []string{"DISCOURAGED", "PREFERRED", "REQUIRED"}
	channelBindingRequired = []string{"ALWAYS", "HIGH_RISK_ONLY", "NEVER"}
	fipsValues             = []string{"OPTIONAL", "REQUIRED"}
	ovVerificationMethods  = []string{"BIOMETRICS", "PIN"}
)

// maxEmailTokenLifetime bounds tokenLifetimeInMinutes: a day, as the Admin Console allows (inferred).
const maxEmailTokenLifetime = 1440

// settingsChecker reports the broken rules of a settings object, as causes.
type settingsChecker struct{ causes []string }

func (c *settingsChecker) enum(s map[string]any, path, name string, values []string) {
	v, present := s[name]
	if !present {
		return
	}
	if str, ok := v.(string); !ok || !slices.Contains(values, str) {
		c.causes = append(c.causes, fmt.Sprintf("%s%s: Must be one of %s, not %v", path, name, strings.Join(values, ", "), v))
	}
}

func (c *settingsChecker) object(s map[string]any, path, name string, check func(map[string]any, string)) {
	v, present := s[name]
	if !present {
		return
	}
	o, ok := v.(map[string]any)
	if !ok {
		c.causes = append(c.causes, fmt.Sprintf("%s%s: Must be an object", path, name))
		return
	}
	check(o, path+name+".")
}

// mergeSettings checks the settings a request sends for an authenticator of key and lays them over the
// current ones: members a request does not send keep their values (inferred). Keys whose settings the
// description does not define keep what they have.
func mergeSettings(key string, current, sent map[string]any) (map[string]any, error) {
	if sent == nil || current == nil {
		return current, nil
	}
	c := &settingsChecker{}
	switch key {
	case "okta_email":
		c.enum(sent, "settings.", "allowedFor", allowedForValues)
		if v, present := sent["tokenLifetimeInMinutes"]; present {
			n, ok := v.(float64)
			if !ok || n != float64(int(n)) || n < 1 || n > maxEmailTokenLifetime {
				c.causes = append(c.causes, fmt.Sprintf("settings.tokenLifetimeInMinutes: Must be a whole number of minutes from 1 to %d, not %v",
					maxEmailTokenLifetime, v))
			}
		}
	case "phone_number", "security_question":
		c.enum(sent, "settings.", "allowedFor", allowedForValues)
	case "okta_verify":
		c.enum(sent, "settings.", "userVerification", userVerificationValues)
		c.object(sent, "settings.", "channelBinding", func(o map[string]any, path string) {
			c.enum(o, path, "required", channelBindingRequired)
			c.enum(o, path, "style", []string{"NUMBER_CHALLENGE"})
		})
		c.object(sent, "settings.", "compliance", func(o map[string]any, path string) { c.enum(o, path, "fips", fipsValues) })
		if v, present := sent["userVerificationMethods"]; present {
			list, ok := v.([]any)
			for _, x := range list {
				if s, isString := x.(string); !isString || !slices.Contains(ovVerificationMethods, s) {
					ok = false
				}
			}
			if !ok {
				c.causes = append(c.causes, "settings.userVerificationMethods: Must be a list of "+strings.Join(ovVerificationMethods, ", "))
			}
		}
	default:
		return current, nil
	}
	if len(c.causes) > 0 {
		return nil, errValidation("settings", c.causes...)
	}
	out := cloneJSON(current)
	for k, v := range sent {
		out[k] = cloneJSONValue(v)
	}
	return out, nil
}

func cloneJSONValue(v any) any { return deepCopyValue(v) }

// checkDuoProvider checks a Duo provider and returns it as Okta answers it: the host and the user name
// template, never the integration and secret keys, which Okta does not return.
func checkDuoProvider(p map[string]any) (map[string]any, error) {
	if p == nil {
		return nil, errValidation("provider", "provider: The field cannot be left blank")
	}
	var causes []string
	if t, _ := p["type"].(string); t != "DUO" {
		causes = append(causes, "provider.type: Must be DUO")
	}
	cfg, _ := p["configuration"].(map[string]any)
	str := func(m map[string]any, name string) string { s, _ := m[name].(string); return strings.TrimSpace(s) }
	for _, name := range []string{"host", "integrationKey", "secretKey"} {
		if str(cfg, name) == "" {
			causes = append(causes, "provider.configuration."+name+": The field cannot be left blank")
		}
	}
	tmpl, _ := cfg["userNameTemplate"].(map[string]any)
	if str(tmpl, "template") == "" {
		causes = append(causes, "provider.configuration.userNameTemplate.template: The field cannot be left blank")
	}
	if len(causes) > 0 {
		return nil, errValidation("provider", causes...)
	}
	return map[string]any{"type": "DUO", "configuration": map[string]any{
		"host": str(cfg, "host"), "userNameTemplate": map[string]any{"template": str(tmpl, "template")}}}, nil
}
