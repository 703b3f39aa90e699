package emulator

import (
	"net/http"
	"slices"
	"strings"

	"github.com/trama-dev/trama/okta"
)

// Validation of policy and rule bodies, per policy type. Each type takes its own conditions and
// settings, and its rules their own conditions and actions; members are checked against the JSON type
// and values Okta's description gives them, unknown members are dropped, and Okta's documented
// defaults fill what a body leaves out, as Okta's responses to the description's examples show.

// errPolicyFormat is Okta's answer to a policy or rule body that does not conform to its type: E0000001
// with a cause that says where (recorded from a real org for an authenticator enrollment policy,
// pulumi/pulumi-okta#839).
func errPolicyFormat() *apiError {
	const msg = `The policy could not be created or updated because the request was not formatted correctly. ` +
		`Please ensure that the value of the "type" field is valid and that the rest of the body conforms to the ` +
		`expected format for that type.`
	e := newAPIError(http.StatusBadRequest, "E0000001", "Api validation failed: "+msg)
	e.body.ErrorCauses = []okta.ErrorCause{{ErrorSummary: msg, Reason: "INVALID_FORMAT", LocationType: "body", Domain: "policy"}}
	return e
}

// errPolicyType is Okta's answer to a policy without a type or with one it does not know (recorded in
// okta/terraform-provider-okta#1311 and articulate/terraform-provider-okta#91).
func errPolicyType() *apiError {
	return newAPIError(http.StatusBadRequest, "E0000002", "The request was not valid: Invalid policy type specified.")
}

// errConditionType refuses a condition the policy or rule type does not take, in Okta's words
// (okta/terraform-provider-okta#759).
func errConditionType(name string) *apiError {
	return errValidation("conditions", "conditions: Invalid condition type specified: "+name+".")
}

// shape describes a JSON member: its kind ('s' string, 'b' shBool, 'i' shInt, 'S' array of
// strings, 'o' object with the given fields, 'a' array of items of shape item, 'x' any JSON), the
// values a string may take, and whether a string must not be blank.
type shape struct {
	kind   byte
	enum   []string
	fields map[string]shape
	item   *shape
}

func shObj(fields map[string]shape) shape { return shape{kind: 'o', fields: fields} }
func shList(item shape) shape             { return shape{kind: 'a', item: &item} }
func shEnum(values ...string) shape       { return shape{kind: 's', enum: values} }

var (
	shStr  = shape{kind: 's'}
	shBool = shape{kind: 'b'}
	shInt  = shape{kind: 'i'}
	shStrs = shape{kind: 'S'}
	shAny  = shape{kind: 'x'}
)

// clean checks v against sh and returns the checked copy, dropping unknown members and nulls. A value
// of the wrong JSON type or outside an enum is errPolicyFormat: Okta cannot read the body as its type.
func clean(v any, sh shape) (any, error) {
	switch sh.kind {
	case 's':
		s, ok := v.(string)
		if !ok || (len(sh.enum) > 0 && !slices.Contains(sh.enum, s)) {
			return nil, errPolicyFormat()
		}
		return s, nil
	case 'b':
		if _, ok := v.(bool); !ok {
			return nil, errPolicyFormat()
		}
		return v, nil
	case 'i':
		n, ok := v.(float64)
		if !ok || n != float64(int(n)) || n < 0 || n > 1<<31 {
			return nil, errPolicyFormat()
		}
		return int(n), nil
	case 'S':
		items, ok := v.([]any)
		if !ok {
			return nil, errPolicyFormat()
		}
		out := make([]any, 0, len(items))
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				return nil, errPolicyFormat()
			}
			out = append(out, s)
		}
		return out, nil
	case 'o':
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errPolicyFormat()
		}
		out := map[string]any{}
		for name, f := range sh.fields {
			fv, ok := m[name]
			if !ok || fv == nil {
				continue
			}
			c, err := clean(fv, f)
			if err != nil {
				return nil, err
			}
			out[name] = c
		}
		return out, nil
	case 'a':
		items, ok := v.([]any)
		if !ok {
			return nil, errPolicyFormat()
		}
		out := make([]any, 0, len(items))
		for _, it := range items {
			c, err := clean(it, *sh.item)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	}
	return deepCopyValue(v), nil
}

// cleanObject is clean for an optional object member of body; a missing or null member is nil.
func cleanObject(body map[string]any, key string, sh shape) (map[string]any, error) {
	v, ok := body[key]
	if !ok || v == nil {
		return nil, nil
	}
	c, err := clean(v, sh)
	if err != nil {
		return nil, err
	}
	return c.(map[string]any), nil
}

// The conditions of the description's schemas.
var (
	includeExclude = shObj(map[string]shape{"include": shStrs, "exclude": shStrs})
	peopleShape    = shObj(map[string]shape{"users": includeExclude, "groups": includeExclude})
	networkShape   = shObj(map[string]shape{"connection": shEnum("ANYWHERE", "ZONE"), "include": shStrs, "exclude": shStrs})
	appShape       = shObj(map[string]shape{
		"include": shList(shObj(map[string]shape{"id": shStr, "name": shStr, "type": shEnum("APP", "APP_TYPE")})),
		"exclude": shList(shObj(map[string]shape{"id": shStr, "name": shStr, "type": shEnum("APP", "APP_TYPE")}))})
	platformItem = shObj(map[string]shape{"type": shEnum("ANY", "DESKTOP", "MOBILE", "OTHER"),
		"os": shObj(map[string]shape{"type": shEnum("ANDROID", "ANY", "CHROMEOS", "IOS", "MACOS", "OTHER", "WINDOWS", "LINUX"),
			"expression": shStr, "version": shAny})})
	conditionShapes = map[string]shape{
		"people":           peopleShape,
		"network":          networkShape,
		"authContext":      shObj(map[string]shape{"authType": shEnum("ANY", "LDAP_INTERFACE", "RADIUS")}),
		"identityProvider": shObj(map[string]shape{"provider": shEnum("ANY", "OKTA", "SPECIFIC_IDP"), "idpIds": shStrs}),
		"riskScore":        shObj(map[string]shape{"level": shEnum("ANY", "LOW", "MEDIUM", "HIGH")}),
		"risk":             shObj(map[string]shape{"behaviors": shStrs}),
		"app":              appShape,
		"platform":         shObj(map[string]shape{"include": shList(platformItem), "exclude": shList(platformItem)}),
		"userType":         includeExclude,
		"device": shObj(map[string]shape{"registered": shBool, "managed": shBool,
			"assurance": shObj(map[string]shape{"include": shStrs})}),
		"elCondition":  shObj(map[string]shape{"condition": shStr}),
		"authProvider": shObj(map[string]shape{"provider": shEnum("ACTIVE_DIRECTORY", "ANY", "LDAP", "OKTA"), "include": shStrs}),
	}
	// ruleConditions are the conditions each rule type takes (Okta's Policy API reference, "Rules
	// conditions" of each policy type, and the description's rule condition schemas).
	ruleConditions = map[string][]string{
		policySignOn:    {"people", "network", "authContext", "identityProvider", "riskScore", "risk"},
		policyPassword:  {"people", "network"},
		policyMFAEnroll: {"people", "network", "app"},
		policyAccess:    {"people", "network", "platform", "riskScore", "userType", "device", "elCondition"},
	}
	// policyConditions are the conditions a policy itself takes; app sign-in policies take none.
	policyConditions = map[string][]string{
		policySignOn:    {"people"},
		policyPassword:  {"people", "authProvider"},
		policyMFAEnroll: {"people"},
	}
)

// checkConditions cleans the conditions of a policy or rule body against the names its type allows.
func checkConditions(body map[string]any, allowed []string) (map[string]any, error) {
	raw, err := jsonObjectOrFormat(body, "conditions")
	if err != nil || raw == nil {
		return nil, err
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	slices.Sort(names)
	out := map[string]any{}
	for _, name := range names {
		if raw[name] == nil {
			continue
		}
		if !slices.Contains(allowed, name) {
			return nil, errConditionType(name)
		}
		c, err := clean(raw[name], conditionShapes[name])
		if err != nil {
			return nil, err
		}
		out[name] = c
	}
	if net, _ := out["network"].(map[string]any); net != nil && net["connection"] == "ZONE" &&
		len(stringsAt(out, "network", "include")) == 0 && len(stringsAt(out, "network", "exclude")) == 0 {
		// Okta's words (articulate/terraform-provider-okta#236).
		return nil, errValidation("conditions.network",
			"conditions.network: You should either include or exclude network zones when you use zones in the policy rule.")
	}
	return out, nil
}

func jsonObjectOrFormat(body map[string]any, key string) (map[string]any, error) {
	switch v := body[key].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return v, nil
	}
	return nil, errPolicyFormat()
}

// policySpec is a checked policy body.
type policySpec struct {
	typ, name, description string
	hasDescription         bool
	priority               int
	inactive               bool
	conditions, settings   map[string]any
}

// checkPolicy checks a create or replace body. The type comes first, as Okta reads it first to know
// what the rest of the body is.
func (e *Emulator) checkPolicy(body map[string]any) (*policySpec, error) {
	typ, ok := body["type"].(string)
	if !ok {
		if body["type"] != nil {
			return nil, errPolicyFormat()
		}
		return nil, errPolicyType()
	}
	k, implemented := policyKinds[typ]
	if !implemented {
		return nil, errPolicyType()
	}
	s := &policySpec{typ: typ}
	var err error
	if s.name, _, err = jsonStringOrFormat(body, "name"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(s.name) == "" {
		return nil, errValidation("name", "name: The field cannot be left blank")
	}
	if len(s.name) > 255 {
		return nil, errValidation("name", "name: The field is too long")
	}
	if s.description, s.hasDescription, err = jsonStringOrFormat(body, "description"); err != nil {
		return nil, err
	}
	if v, present := body["priority"]; present && v != nil {
		n, err := clean(v, shInt)
		if err != nil {
			return nil, err
		}
		s.priority = n.(int)
	}
	if v, present := body["status"]; present && v != nil {
		st, err := clean(v, shEnum(policyActive, policyInactive))
		if err != nil {
			return nil, err
		}
		s.inactive = st == policyInactive
	}
	if typ == policyAccess {
		// The description: "Policy conditions aren't supported. Conditions are applied at the rule level."
		if c, _ := body["conditions"].(map[string]any); len(c) > 0 {
			names := make([]string, 0, len(c))
			for n := range c {
				names = append(names, n)
			}
			slices.Sort(names)
			return nil, errConditionType(names[0])
		} else if body["conditions"] != nil && c == nil {
			return nil, errPolicyFormat()
		}
	} else if s.conditions, err = checkConditions(body, policyConditions[typ]); err != nil {
		return nil, err
	}
	if k.hasPeopleInPolicy && len(stringsAt(s.conditions, "people", "groups", "include")) == 0 {
		// A policy applies to the groups it includes; one that names none applies to everyone, which
		// Okta writes as the Everyone group (inferred: Okta's own default policies name it).
		if s.conditions == nil {
			s.conditions = map[string]any{}
		}
		s.conditions["people"] = map[string]any{"groups": map[string]any{"include": anyStrings([]string{e.everyoneID()})}}
	}
	if typ == policyPassword && s.conditions["authProvider"] == nil {
		s.conditions["authProvider"] = map[string]any{"provider": "OKTA"}
	}
	if k.hasSettings {
		if s.settings, err = checkPolicySettings(typ, body); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func jsonStringOrFormat(m map[string]any, key string) (string, bool, error) {
	s, ok, err := jsonString(m, key)
	if err != nil {
		return "", false, errPolicyFormat()
	}
	return s, ok, nil
}

var (
	passwordSettingsShape = shObj(map[string]shape{
		"password": shObj(map[string]shape{
			"complexity": shObj(map[string]shape{"minLength": shInt, "minLowerCase": shInt, "minUpperCase": shInt,
				"minNumber": shInt, "minSymbol": shInt, "excludeUsername": shBool, "excludeAttributes": shStrs,
				"dictionary": shObj(map[string]shape{"common": shObj(map[string]shape{"exclude": shBool})})}),
			"age": shObj(map[string]shape{"maxAgeDays": shInt, "expireWarnDays": shInt, "minAgeMinutes": shInt,
				"historyCount": shInt}),
			"lockout": shObj(map[string]shape{"maxAttempts": shInt, "autoUnlockMinutes": shInt,
				"showLockoutFailures": shBool, "userLockoutNotificationChannels": shStrs}),
			"breachedProtection": shAny,
		}),
		"recovery":   shAny,
		"delegation": shObj(map[string]shape{"options": shObj(map[string]shape{"skipUnlock": shBool})}),
	})
	enrollShape = shObj(map[string]shape{"self": shEnum("NOT_ALLOWED", "OPTIONAL", "REQUIRED")})
	mfaSettings = shObj(map[string]shape{
		"type": shEnum("AUTHENTICATORS", "FACTORS"),
		"authenticators": shList(shObj(map[string]shape{"key": shEnum(authenticatorKeyList()...), "id": shStr,
			"enroll": enrollShape, "constraints": shAny})),
		// Classic Engine's form: factor key -> {enroll, consent}.
		"factors": shAny,
	})
)

// checkPolicySettings checks settings and lays them over the type's defaults, so a body that sets only
// lockout.maxAttempts keeps Okta's defaults for everything else.
func checkPolicySettings(typ string, body map[string]any) (map[string]any, error) {
	sh := passwordSettingsShape
	if typ == policyMFAEnroll {
		sh = mfaSettings
	}
	given, err := cleanObject(body, "settings", sh)
	if err != nil {
		return nil, err
	}
	if typ == policyMFAEnroll {
		if given == nil || (given["authenticators"] == nil && given["factors"] == nil) {
			return defaultPolicySettings(typ), nil
		}
		if given["type"] == nil {
			given["type"] = "AUTHENTICATORS"
			if given["factors"] != nil {
				given["type"] = "FACTORS"
			}
		}
		for _, a := range listOf(given["authenticators"]) {
			if a["key"] == nil || a["enroll"] == nil {
				return nil, errPolicyFormat()
			}
		}
		return given, nil
	}
	return mergeJSON(defaultPolicySettings(typ), given), nil
}

// mergeJSON lays over onto base, object by object.
func mergeJSON(base, over map[string]any) map[string]any {
	out := deepCopy(base)
	for k, v := range over {
		if bo, ok := out[k].(map[string]any); ok {
			if oo, ok := v.(map[string]any); ok {
				out[k] = mergeJSON(bo, oo)
				continue
			}
		}
		out[k] = deepCopyValue(v)
	}
	return out
}

// policyRuleSpec is a checked rule body.
type policyRuleSpec struct {
	name                string
	priority            int
	inactive            bool
	conditions, actions map[string]any
}

// The actions of each rule type.
var (
	signOnActions = shObj(map[string]shape{"signon": shObj(map[string]shape{
		"access":                  shEnum("ALLOW", "DENY", "CHALLENGE"),
		"requireFactor":           shBool,
		"factorPromptMode":        shEnum("ALWAYS", "DEVICE", "SESSION"),
		"factorLifetime":          shInt,
		"rememberDeviceByDefault": shBool,
		"primaryFactor":           shEnum("PASSWORD_IDP", "PASSWORD_IDP_ANY_FACTOR"),
		"session": shObj(map[string]shape{"maxSessionIdleMinutes": shInt, "maxSessionLifetimeMinutes": shInt,
			"usePersistentCookie": shBool}),
	})})
	accessAction    = shObj(map[string]shape{"access": shEnum("ALLOW", "DENY")})
	passwordActions = shObj(map[string]shape{
		"passwordChange": accessAction,
		"selfServicePasswordReset": shObj(map[string]shape{"access": shEnum("ALLOW", "DENY"), "requirement": shAny,
			"settings": shAny, "type": shEnum("selfServicePasswordReset")}),
		"selfServiceUnlock": accessAction,
	})
	mfaActions = shObj(map[string]shape{"enroll": shObj(map[string]shape{
		"self": shEnum("CHALLENGE", "LOGIN", "NEVER", "NEVER_INCLUDING_RECOVERY")})})
	accessActions = shObj(map[string]shape{"appSignOn": shObj(map[string]shape{
		"access": shEnum("ALLOW", "DENY"),
		"verificationMethod": shObj(map[string]shape{"type": shEnum("ASSURANCE", "AUTH_METHOD_CHAIN", "ID_PROOFING"),
			"factorMode": shEnum("1FA", "2FA"), "reauthenticateIn": shStr, "inactivityPeriod": shStr,
			"constraints": shList(shAny), "chains": shList(shAny), "id": shStr}),
		"keepMeSignedIn": shAny,
	})})
	ruleActionShapes = map[string]shape{policySignOn: signOnActions, policyPassword: passwordActions,
		policyMFAEnroll: mfaActions, policyAccess: accessActions}
)

// checkRule checks a rule body for a rule of p. The type must be the rule type of the policy's type.
func checkRule(p *policy, body map[string]any) (*policyRuleSpec, error) {
	if t, ok := body["type"].(string); !ok || t != p.kind().ruleType {
		return nil, errPolicyFormat()
	}
	s := &policyRuleSpec{}
	var err error
	if s.name, _, err = jsonStringOrFormat(body, "name"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(s.name) == "" {
		return nil, errValidation("name", "name: The field cannot be left blank")
	}
	if len(s.name) > 255 {
		return nil, errValidation("name", "name: The field is too long")
	}
	if v := body["priority"]; v != nil {
		n, err := clean(v, shInt)
		if err != nil {
			return nil, err
		}
		s.priority = n.(int)
	}
	if v := body["status"]; v != nil {
		st, err := clean(v, shEnum(policyActive, policyInactive))
		if err != nil {
			return nil, err
		}
		s.inactive = st == policyInactive
	}
	conds, err := checkConditions(body, ruleConditions[p.Type])
	if err != nil {
		return nil, err
	}
	s.conditions = defaultRuleConditions(p.Type, conds)
	actions, err := cleanObject(body, "actions", ruleActionShapes[p.Type])
	if err != nil {
		return nil, err
	}
	if err := requireActions(p.Type, actions); err != nil {
		return nil, err
	}
	s.actions = defaultRuleActions(p.Type, actions)
	return s, nil
}

// requireActions refuses a rule without the action its type cannot do without. Okta's reference marks
// signon.access, enroll.self and appSignOn.access required, with no default.
func requireActions(typ string, a map[string]any) error {
	var path []string
	switch typ {
	case policySignOn:
		path = []string{"signon", "access"}
	case policyMFAEnroll:
		path = []string{"enroll", "self"}
	case policyAccess:
		path = []string{"appSignOn", "access"}
	default:
		return nil
	}
	var cur any = a
	for _, k := range path {
		m, _ := cur.(map[string]any)
		cur = m[k]
	}
	name := "actions." + strings.Join(path, ".")
	if cur == nil {
		return errValidation(name, name+": The field cannot be left blank")
	}
	if typ != policySignOn {
		return nil
	}
	signon := a["signon"].(map[string]any)
	if signon["access"] == "CHALLENGE" {
		// Okta's words for an org without passwordless sign-on (okta/terraform-provider-okta#935).
		return errValidation("actions.signon.access", "actions.signon.access: You cannot set access challenge for "+
			"sign-on policy when the feature: PASSWORDLESS_AUTHN_SIGNON_POLICY is not enabled")
	}
	if signon["requireFactor"] == true {
		if signon["factorPromptMode"] == nil {
			return errValidation("actions.signon.factorPromptMode",
				"actions.signon.factorPromptMode: The field cannot be left blank")
		}
		if signon["factorPromptMode"] == "SESSION" && signon["factorLifetime"] == nil {
			return errValidation("actions.signon.factorLifetime",
				"actions.signon.factorLifetime: The field cannot be left blank")
		}
	}
	return nil
}

// defaultRuleConditions fills the conditions Okta adds to a rule that does not set them, as the
// description's rule responses show (a rule created with none answers people.users.exclude [] and a
// network condition ANYWHERE; a sign-on rule also any auth type, risk and identity provider). An app
// sign-in rule keeps only what it was given: its catch-all rule has conditions null.
func defaultRuleConditions(typ string, c map[string]any) map[string]any {
	if typ == policyAccess {
		if len(c) == 0 {
			return nil
		}
		return c
	}
	if c == nil {
		c = map[string]any{}
	}
	if c["people"] == nil {
		c["people"] = map[string]any{"users": map[string]any{"exclude": []any{}}}
	}
	if c["network"] == nil {
		c["network"] = map[string]any{"connection": "ANYWHERE"}
	}
	if typ == policySignOn {
		defaults := map[string]any{
			"authContext":      map[string]any{"authType": "ANY"},
			"risk":             map[string]any{"behaviors": []any{}},
			"riskScore":        map[string]any{"level": "ANY"},
			"identityProvider": map[string]any{"provider": "ANY"},
		}
		for k, v := range defaults {
			if c[k] == nil {
				c[k] = v
			}
		}
	}
	return c
}

// defaultRuleActions fills Okta's documented defaults into a rule's actions; with nil it is the
// default rule of a new org.
func defaultRuleActions(typ string, a map[string]any) map[string]any {
	switch typ {
	case policySignOn:
		if a == nil {
			a = map[string]any{"signon": map[string]any{"access": "ALLOW"}}
		}
		s := a["signon"].(map[string]any)
		setDefault(s, "requireFactor", false)
		setDefault(s, "rememberDeviceByDefault", false)
		if s["access"] == "DENY" {
			setDefault(s, "primaryFactor", "PASSWORD_IDP")
		} else {
			setDefault(s, "primaryFactor", "PASSWORD_IDP_ANY_FACTOR")
		}
		if s["session"] == nil {
			s["session"] = map[string]any{}
		}
		session := s["session"].(map[string]any)
		setDefault(session, "maxSessionIdleMinutes", 120)
		setDefault(session, "maxSessionLifetimeMinutes", 0)
		setDefault(session, "usePersistentCookie", false)
	case policyPassword:
		if a == nil {
			a = map[string]any{}
		}
		for name, access := range map[string]string{"passwordChange": "ALLOW", "selfServicePasswordReset": "ALLOW",
			"selfServiceUnlock": "DENY"} {
			if a[name] == nil {
				a[name] = map[string]any{}
			}
			setDefault(a[name].(map[string]any), "access", access)
		}
	case policyMFAEnroll:
		if a == nil {
			a = map[string]any{"enroll": map[string]any{"self": "CHALLENGE"}}
		}
	case policyAccess:
		if a == nil {
			a = map[string]any{"appSignOn": map[string]any{"access": "ALLOW"}}
		}
		sign := a["appSignOn"].(map[string]any)
		if sign["verificationMethod"] == nil {
			sign["verificationMethod"] = map[string]any{"type": "ASSURANCE", "factorMode": "2FA",
				"reauthenticateIn": "PT12H", "constraints": []any{}}
		}
	}
	return a
}

func setDefault(m map[string]any, key string, v any) {
	if _, ok := m[key]; !ok {
		m[key] = v
	}
}

func policyNotFound(id string) error { return errNotFound(id, "Policy") }

func ruleNotFound(id string) error { return errNotFound(id, "PolicyRule") }
