package emulator

import (
	"slices"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Policies and their rules (the Policy API). An org has, per policy type, a default policy that Okta
// created (system: true), always last in priority order, with a default rule that is always last in its
// policy; neither can be deleted. Policies of a type are evaluated in priority order, then their rules;
// the first rule whose conditions match the user applies. The emulator evaluates the global session
// policy (OKTA_SIGN_ON) and the password policy's lockout settings when a user signs in (authn.go).

// The policy types the emulator implements, as Okta names them.
const (
	policySignOn    = "OKTA_SIGN_ON"
	policyPassword  = "PASSWORD"
	policyMFAEnroll = "MFA_ENROLL"
	policyAccess    = "ACCESS_POLICY"
)

const (
	policyActive   = "ACTIVE"
	policyInactive = "INACTIVE"
)

// policyKind is what differs between the implemented policy types: the type of their rules, the id
// prefixes (app sign-in policies and their rules have their own, rst and rul, as Okta's examples show),
// the name System Log targets give the type, and the names of the default policy and rule Okta seeds.
type policyKind struct {
	ruleType          string
	prefix            string
	rulePrefix        string
	logName           string
	defaultName       string
	defaultRule       string
	defaultDesc       string
	hasSettings       bool
	hasPeopleInPolicy bool
}

var policyKinds = map[string]policyKind{
	policySignOn: {ruleType: "SIGN_ON", prefix: "00p", rulePrefix: "0pr", logName: "OktaSignOn",
		defaultName: "Default Policy", defaultRule: "Default Rule",
		defaultDesc: "The default policy applies in all situations if no other policy applies.", hasPeopleInPolicy: true},
	policyPassword: {ruleType: "PASSWORD", prefix: "00p", rulePrefix: "0pr", logName: "Password",
		defaultName: "Default Policy", defaultRule: "Default Rule",
		defaultDesc: "The default policy applies in all situations if no other policy applies.", hasSettings: true,
		hasPeopleInPolicy: true},
	policyMFAEnroll: {ruleType: "MFA_ENROLL", prefix: "00p", rulePrefix: "0pr", logName: "MfaEnroll",
		defaultName: "Default Policy", defaultRule: "Default Rule",
		defaultDesc: "The default policy applies in all situations if no other policy applies.", hasSettings: true,
		hasPeopleInPolicy: true},
	policyAccess: {ruleType: "ACCESS_POLICY", prefix: "rst", rulePrefix: "rul", logName: "AccessPolicy",
		defaultName: "Default Policy", defaultRule: "Catch-all Rule", defaultDesc: "Default authentication policy"},
}

// policyTypeOrder fixes the order default policies are seeded in.
var policyTypeOrder = []string{policySignOn, policyPassword, policyMFAEnroll, policyAccess}

// knownPolicyTypes are the other values of the description's PolicyType: a real org has policies of
// them, which the emulator does not model, so listing one answers an empty list rather than "invalid".
var knownPolicyTypes = []string{"IDP_DISCOVERY", "PROFILE_ENROLLMENT", "POST_AUTH_SESSION", "ENTITY_RISK",
	"DEVICE_SIGNAL_COLLECTION", "SESSION_VIOLATION_DETECTION", "CLIENT_UPDATE", "IDENTITY_CLAIM_SOURCING"}

// policy is one policy with its rules in priority order. Fields are exported for the state file.
type policy struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Status      string         `json:"status"`
	Priority    int            `json:"priority"`
	System      bool           `json:"system,omitempty"`
	Conditions  map[string]any `json:"conditions,omitempty"`
	Settings    map[string]any `json:"settings,omitempty"`
	Created     time.Time      `json:"created"`
	LastUpdated time.Time      `json:"lastUpdated"`
	Rules       []*policyRule  `json:"rules"`
}

// policyRule is one rule of a policy.
type policyRule struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Status      string         `json:"status"`
	Priority    int            `json:"priority"`
	System      bool           `json:"system,omitempty"`
	Conditions  map[string]any `json:"conditions,omitempty"`
	Actions     map[string]any `json:"actions,omitempty"`
	Created     time.Time      `json:"created"`
	LastUpdated time.Time      `json:"lastUpdated"`
}

func (p *policy) kind() policyKind { return policyKinds[p.Type] }

// target is the System Log view of the policy, as recorded events show it: type PolicyEntity,
// alternateId "unknown", the policy type in detailEntry.
func (p *policy) target() okta.Target {
	return okta.Target{ID: p.ID, Type: "PolicyEntity", AlternateID: "unknown", DisplayName: p.Name,
		DetailEntry: map[string]any{"policyType": p.kind().logName}}
}

// ruleTarget is the System Log view of a rule: type PolicyRule, its policy's id as alternateId.
func (p *policy) ruleTarget(r *policyRule) okta.Target {
	return okta.Target{ID: r.ID, Type: "PolicyRule", AlternateID: p.ID, DisplayName: r.Name}
}

func (p *policy) ruleByID(id string) *policyRule {
	for _, r := range p.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// defaultPolicyID is the fixed id of the org's default policy of a type, derived from the org URL like
// the Everyone group's, so scripts keep working across resets and restarts.
func (e *Emulator) defaultPolicyID(typ string) string {
	k := policyKinds[typ]
	return k.prefix + tokenID("policy:" + typ + ":" + e.opts.BaseURL)[3:]
}

func (e *Emulator) defaultRuleID(typ string) string {
	k := policyKinds[typ]
	return k.rulePrefix + tokenID("rule:" + typ + ":" + e.opts.BaseURL)[3:]
}

// seedPolicies gives the org the default policies a new Okta org has and nothing else. e.mu must be
// held and the Everyone group must exist.
func (e *Emulator) seedPolicies(now time.Time) {
	e.policies = map[string]*policy{}
	e.policyOrder = nil
	for _, p := range e.defaultPolicies(now) {
		e.addPolicy(p)
	}
}

// defaultPolicies are the default policies of a new org, one per type, each with its default rule, as
// Okta's examples and reference describe them: they apply to the Everyone group and allow what Okta
// allows by default.
func (e *Emulator) defaultPolicies(now time.Time) []*policy {
	var out []*policy
	everyone := anyStrings([]string{e.everyoneID()})
	for _, typ := range policyTypeOrder {
		k := policyKinds[typ]
		p := &policy{ID: e.defaultPolicyID(typ), Type: typ, Name: k.defaultName, Description: k.defaultDesc,
			Status: policyActive, Priority: 1, System: true, Created: now, LastUpdated: now}
		if k.hasPeopleInPolicy {
			p.Conditions = map[string]any{"people": map[string]any{"groups": map[string]any{"include": everyone}}}
		}
		if typ == policyPassword {
			p.Conditions["authProvider"] = map[string]any{"provider": "OKTA"}
		}
		p.Settings = defaultPolicySettings(typ)
		r := &policyRule{ID: e.defaultRuleID(typ), Name: k.defaultRule, Status: policyActive, Priority: 1, System: true,
			Created: now, LastUpdated: now, Actions: defaultRuleActions(typ, nil)}
		r.Conditions = defaultRuleConditions(typ, nil)
		p.Rules = []*policyRule{r}
		out = append(out, p)
	}
	return out
}

// defaultPolicySettings are the settings of a policy created without them: Okta's documented defaults
// (password complexity, age and lockout; an authenticator enrollment policy that requires the password).
func defaultPolicySettings(typ string) map[string]any {
	switch typ {
	case policyPassword:
		return map[string]any{
			"password": map[string]any{
				"complexity": map[string]any{"minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1,
					"minSymbol": 0, "excludeUsername": true, "excludeAttributes": []any{},
					"dictionary": map[string]any{"common": map[string]any{"exclude": false}}},
				"age": map[string]any{"maxAgeDays": 0, "expireWarnDays": 0, "minAgeMinutes": 0, "historyCount": 4},
				"lockout": map[string]any{"maxAttempts": 10, "autoUnlockMinutes": 0, "showLockoutFailures": false,
					"userLockoutNotificationChannels": []any{}},
			},
			"recovery": map[string]any{"factors": map[string]any{
				"recovery_question": map[string]any{"status": "ACTIVE",
					"properties": map[string]any{"complexity": map[string]any{"minLength": 4}}},
				"okta_email": map[string]any{"status": "ACTIVE",
					"properties": map[string]any{"recoveryToken": map[string]any{"tokenLifetimeMinutes": 10080}}},
				"okta_sms":  map[string]any{"status": "INACTIVE"},
				"okta_call": map[string]any{"status": "INACTIVE"},
			}},
			"delegation": map[string]any{"options": map[string]any{"skipUnlock": false}},
		}
	case policyMFAEnroll:
		return map[string]any{"type": "AUTHENTICATORS", "authenticators": []any{
			map[string]any{"key": "okta_password", "enroll": map[string]any{"self": "REQUIRED"}},
			map[string]any{"key": "okta_email", "enroll": map[string]any{"self": "REQUIRED"}},
			map[string]any{"key": "okta_verify", "enroll": map[string]any{"self": "OPTIONAL"}},
		}}
	}
	return nil
}

// addPolicy indexes p. e.mu must be held.
func (e *Emulator) addPolicy(p *policy) {
	e.policies[p.ID] = p
	e.policyOrder = append(e.policyOrder, p)
}

func (e *Emulator) removePolicy(p *policy) {
	delete(e.policies, p.ID)
	e.policyOrder = slices.DeleteFunc(e.policyOrder, func(x *policy) bool { return x == p })
}

// policiesOfType are the org's policies of a type in priority order. e.mu must be held.
func (e *Emulator) policiesOfType(typ string) []*policy {
	var out []*policy
	for _, p := range e.policyOrder {
		if p.Type == typ {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b *policy) int { return a.Priority - b.Priority })
	return out
}

// placePolicy puts p at priority want (1 is evaluated first) among the policies of its type and numbers
// them 1..n again. The default (system) policy stays last whatever is asked, and a priority past the end
// means last before it, which is also where a policy without a priority goes (want 0). e.mu must be held.
func (e *Emulator) placePolicy(p *policy, want int) {
	var others []*policy
	var system []*policy
	for _, x := range e.policiesOfType(p.Type) {
		switch {
		case x == p:
		case x.System:
			system = append(system, x)
		default:
			others = append(others, x)
		}
	}
	var order []*policy
	if p.System {
		order = append(others, p)
	} else {
		at := len(others)
		if want >= 1 && want-1 < at {
			at = want - 1
		}
		order = slices.Insert(others, at, p)
	}
	order = append(order, system...)
	for i, x := range order {
		x.Priority = i + 1
	}
}

// renumberPolicies closes the gap a deleted policy leaves. e.mu must be held.
func (e *Emulator) renumberPolicies(typ string) {
	for i, x := range e.policiesOfType(typ) {
		x.Priority = i + 1
	}
}

// placeRule is placePolicy for a rule within its policy; the rules slice is kept in priority order.
func placeRule(p *policy, r *policyRule, want int) {
	var others, system []*policyRule
	for _, x := range p.Rules {
		switch {
		case x == r:
		case x.System:
			system = append(system, x)
		default:
			others = append(others, x)
		}
	}
	var order []*policyRule
	if r.System {
		order = append(others, r)
	} else {
		at := len(others)
		if want >= 1 && want-1 < at {
			at = want - 1
		}
		order = slices.Insert(others, at, r)
	}
	order = append(order, system...)
	for i, x := range order {
		x.Priority = i + 1
	}
	p.Rules = order
}

// renumberRules closes the gap a deleted rule leaves.
func renumberRules(p *policy) {
	for i, x := range p.Rules {
		x.Priority = i + 1
	}
}

// policyFor finds the policy of a type that applies to u and its first matching rule: ACTIVE policies
// in priority order whose groups include one of u's groups, then their ACTIVE rules in priority order.
// Okta documents that a policy without rules is never applied. e.mu must be held.
func (e *Emulator) policyFor(typ string, u *user) (*policy, *policyRule) {
	groups := map[string]bool{}
	for _, g := range e.userGroups(u) {
		groups[g.ID] = true
	}
	for _, p := range e.policiesOfType(typ) {
		if p.Status != policyActive || !policyIncludes(p, groups) {
			continue
		}
		for _, r := range p.Rules {
			if r.Status == policyActive && ruleMatches(r, u.ID, groups) {
				return p, r
			}
		}
	}
	return nil, nil
}

// policyIncludes reports whether the policy's people condition takes one of the groups; a policy
// without a group condition applies to everyone.
func policyIncludes(p *policy, groups map[string]bool) bool {
	include := stringsAt(p.Conditions, "people", "groups", "include")
	if include == nil {
		return true
	}
	for _, id := range include {
		if groups[id] {
			return true
		}
	}
	return false
}

// ruleMatches evaluates the conditions the emulator can: people (users and groups, include and
// exclude) and network (ANYWHERE matches; a zone the request is in cannot be told, so only a rule that
// excludes zones matches). Conditions about devices, risk or identity providers are taken as met.
func ruleMatches(r *policyRule, userID string, groups map[string]bool) bool {
	if slices.Contains(stringsAt(r.Conditions, "people", "users", "exclude"), userID) {
		return false
	}
	for _, g := range stringsAt(r.Conditions, "people", "groups", "exclude") {
		if groups[g] {
			return false
		}
	}
	users := stringsAt(r.Conditions, "people", "users", "include")
	incGroups := stringsAt(r.Conditions, "people", "groups", "include")
	if len(users) > 0 || len(incGroups) > 0 {
		in := slices.Contains(users, userID)
		for _, g := range incGroups {
			in = in || groups[g]
		}
		if !in {
			return false
		}
	}
	if net, _ := r.Conditions["network"].(map[string]any); net != nil && net["connection"] == "ZONE" {
		return len(stringsAt(r.Conditions, "network", "include")) == 0
	}
	return true
}

// stringsAt reads the string list at a path of nested JSON objects; nil when any step is missing.
func stringsAt(m map[string]any, path ...string) []string {
	var cur any = m
	for _, k := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[k]
	}
	list, ok := cur.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// intAt reads the number at a path of nested JSON objects, with def when it is missing.
func intAt(m map[string]any, def int, path ...string) int {
	var cur any = m
	for _, k := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return def
		}
		cur = obj[k]
	}
	switch n := cur.(type) {
	case int:
		return n
	case float64:
		return int(n)
	}
	return def
}

func boolAt(m map[string]any, path ...string) bool {
	var cur any = m
	for _, k := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		cur = obj[k]
	}
	b, _ := cur.(bool)
	return b
}

// lockoutSettings are the lockout settings of the password policy that applies to u: the number of
// wrong passwords that lock the account (0: never), the minutes after which it unlocks by itself (0:
// never) and whether a locked-out user is told so. e.mu must be held.
func (e *Emulator) lockoutSettings(u *user) (maxAttempts, autoUnlockMinutes int, show bool) {
	p, _ := e.policyFor(policyPassword, u)
	if p == nil {
		return 0, 0, false
	}
	return intAt(p.Settings, 0, "password", "lockout", "maxAttempts"),
		intAt(p.Settings, 0, "password", "lockout", "autoUnlockMinutes"),
		boolAt(p.Settings, "password", "lockout", "showLockoutFailures")
}
