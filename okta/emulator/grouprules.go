package emulator

import (
	"slices"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Group rules: an ACTIVE rule puts every user its condition matches into its groups, and takes out again
// the users it put there once they stop matching, as Okta's help describes ("When a user's department
// attribute changes, the user is removed from the Sales group automatically"). Okta runs a rule over the
// whole org when it is activated and again for a user whose profile or group memberships change, or who
// is reactivated; the emulator does the same at once, where Okta does it in a background job.
//
// Which memberships a rule manages follows Okta's "manual group user management" help: a user a rule
// adds, or a member added by hand who comes to match the rule, is managed "By rule"; removing such a
// member by hand puts the user on the rule's exclusion list (group.user_membership.rule.add_exclusion,
// written by the Okta System principal). A deactivated rule keeps its members; deleting it with
// removeUsers=true takes them out.

// Group rule statuses, as GroupRuleStatus names them. A rule becomes INVALID when one of its groups
// is deleted (okta/terraform-provider-okta#157); it can then only be read or deleted.
const (
	ruleActive   = "ACTIVE"
	ruleInactive = "INACTIVE"
	ruleInvalid  = "INVALID"
)

// ruleExpressionType is the only expression type GroupRuleExpression allows.
const ruleExpressionType = "urn:okta:expression:1.0"

// Limits Okta documents for group rules (support article "Okta Group Rule Limitations and
// Restrictions"; the name's 50 is also the description's maxLength).
const (
	maxGroupRules     = 2000
	maxRuleNameLength = 50
	maxRuleGroups     = 100
	maxRuleExclusions = 100
)

// groupRule is one rule. Fields are exported for the state file; the parsed condition is rebuilt from
// Expression when a file is read.
type groupRule struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Status         string    `json:"status"`
	Created        time.Time `json:"created"`
	LastUpdated    time.Time `json:"lastUpdated"`
	Expression     string    `json:"expression"`
	ExpressionType string    `json:"expressionType"`
	GroupIDs       []string  `json:"groupIds"`
	// ExcludeUsers are conditions.people.users.exclude. Okta keeps the ids of users deleted since
	// (okta/terraform-provider-okta#1674), and so does the emulator.
	ExcludeUsers []string `json:"excludeUsers,omitempty"`
	// Managed lists, by group id, the members whose membership the rule manages.
	Managed map[string][]string `json:"managed,omitempty"`

	cond *expression
}

// target is the System Log view of the rule (the target type is inferred: Okta's catalog types
// the rule events' targets only as ResourceDetails).
func (r *groupRule) target() okta.Target {
	return okta.Target{ID: r.ID, Type: "GroupRule", AlternateID: "unknown", DisplayName: r.Name}
}

func (r *groupRule) manages(groupID, userID string) bool {
	return slices.Contains(r.Managed[groupID], userID)
}

func (r *groupRule) manage(groupID, userID string) {
	if r.Managed == nil {
		r.Managed = map[string][]string{}
	}
	if !r.manages(groupID, userID) {
		r.Managed[groupID] = append(r.Managed[groupID], userID)
	}
}

func (r *groupRule) unmanage(groupID, userID string) {
	ids := slices.DeleteFunc(r.Managed[groupID], func(id string) bool { return id == userID })
	if len(ids) == 0 {
		delete(r.Managed, groupID)
		return
	}
	r.Managed[groupID] = ids
}

// addRule indexes r. e.mu must be held.
func (e *Emulator) addRule(r *groupRule) {
	e.rules[r.ID] = r
	e.ruleOrder = append(e.ruleOrder, r)
}

// removeRule drops r from the indexes. e.mu must be held.
func (e *Emulator) removeRule(r *groupRule) {
	delete(e.rules, r.ID)
	e.ruleOrder = slices.DeleteFunc(e.ruleOrder, func(x *groupRule) bool { return x == r })
}

// ruleAssigning is a rule, not INVALID, that assigns users to g, or nil: Okta refuses admin roles for
// such a group. e.mu must be held.
func (e *Emulator) ruleAssigning(g *group) *groupRule {
	for _, r := range e.ruleOrder {
		if r.Status != ruleInvalid && slices.Contains(r.GroupIDs, g.ID) {
			return r
		}
	}
	return nil
}

// ruleEnv is a user as a rule's condition sees it. e.mu must be held while it is used.
type ruleEnv struct {
	e *Emulator
	u *user
}

func (v ruleEnv) attribute(name string) any { return v.u.Profile[name] }

func (v ruleEnv) memberOf(groupID string) bool {
	g, ok := v.e.groups[groupID]
	return ok && g.hasMember(v.u.ID)
}

func (v ruleEnv) memberOfName(match func(string) bool) bool {
	for _, g := range v.e.groupOrder {
		if g.hasMember(v.u.ID) && match(g.name()) {
			return true
		}
	}
	return false
}

// ruleChanges collects what running rules did: System Log events and the groups whose members changed,
// whose apps must then be re-synced.
type ruleChanges struct {
	events []okta.LogEvent
	groups []*group
}

func (c *ruleChanges) touched(g *group) {
	if !slices.Contains(c.groups, g) {
		c.groups = append(c.groups, g)
	}
}

// runRule brings u's memberships in r's groups in line with r, which must be ACTIVE: a matching user
// who is not excluded joins each group (or, already a member, becomes managed by r); a user r manages
// who no longer matches leaves, unless another rule manages the membership too. Deactivated users are
// left alone: Okta's help says rules move no user who is inactive (inferred to mean DEPROVISIONED, as a
// STAGED user is added on a real org). It reports whether a membership changed. e.mu must be held.
func (e *Emulator) runRule(rq *request, r *groupRule, u *user, c *ruleChanges) bool {
	if u.Status == statusDeprovisioned {
		return false
	}
	match := !slices.Contains(r.ExcludeUsers, u.ID) && r.cond.matches(ruleEnv{e, u})
	changed := false
	for _, gid := range r.GroupIDs {
		g, ok := e.groups[gid]
		if !ok || g.Type != groupOkta {
			continue
		}
		switch {
		case match:
			if !g.hasMember(u.ID) {
				g.Members = append(g.Members, u.ID)
				g.LastMembershipUpdated = rq.now
				c.events = append(c.events, e.ruleMembershipEvent(rq, true, r, u, g))
				c.touched(g)
				changed = true
			}
			r.manage(gid, u.ID)
		case r.manages(gid, u.ID):
			r.unmanage(gid, u.ID)
			if e.otherRuleManages(r, gid, u.ID) {
				continue
			}
			if i := slices.Index(g.Members, u.ID); i >= 0 {
				g.Members = slices.Delete(g.Members, i, i+1)
				g.LastMembershipUpdated = rq.now
				c.events = append(c.events, e.ruleMembershipEvent(rq, false, r, u, g))
				c.touched(g)
				changed = true
			}
		}
	}
	return changed
}

func (e *Emulator) otherRuleManages(r *groupRule, groupID, userID string) bool {
	return slices.ContainsFunc(e.ruleOrder, func(o *groupRule) bool { return o != r && o.manages(groupID, userID) })
}

// runRulesFor runs every ACTIVE rule for u until none changes a membership any more: a rule may read
// memberships another rule writes (Okta calls these cascading rules and advises against them, but runs
// them). The passes are bounded, so rules that undo each other settle instead of looping. e.mu must be
// held.
func (e *Emulator) runRulesFor(rq *request, u *user, c *ruleChanges) {
	for range len(e.ruleOrder) + 1 {
		changed := false
		for _, r := range e.ruleOrder {
			if r.Status == ruleActive && e.runRule(rq, r, u, c) {
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

// applyRules runs the active rules for u after its profile, status or memberships changed, and
// re-syncs the apps of the groups that gained or lost it. It returns the events. e.mu must be held.
func (e *Emulator) applyRules(rq *request, u *user) []okta.LogEvent {
	var c ruleChanges
	e.runRulesFor(rq, u, &c)
	return append(c.events, e.syncGroupApps(rq, c.groups...)...)
}

// activateRule runs a newly activated rule over the whole org, then the other rules for every user
// whose memberships it changed. e.mu must be held.
func (e *Emulator) activateRule(rq *request, r *groupRule) []okta.LogEvent {
	var c ruleChanges
	for _, u := range slices.Clone(e.order) {
		if e.runRule(rq, r, u, &c) {
			e.runRulesFor(rq, u, &c)
		}
	}
	return append(c.events, e.syncGroupApps(rq, c.groups...)...)
}

// removeRuleMembers takes out of its groups the members r manages and no other rule does, for a delete
// with removeUsers=true. e.mu must be held.
func (e *Emulator) removeRuleMembers(rq *request, r *groupRule) []okta.LogEvent {
	var c ruleChanges
	for _, gid := range r.GroupIDs {
		g, ok := e.groups[gid]
		if !ok {
			continue
		}
		for _, uid := range slices.Clone(r.Managed[gid]) {
			r.unmanage(gid, uid)
			u, ok := e.users[uid]
			if !ok || e.otherRuleManages(r, gid, uid) {
				continue
			}
			if i := slices.Index(g.Members, uid); i >= 0 {
				g.Members = slices.Delete(g.Members, i, i+1)
				g.LastMembershipUpdated = rq.now
				c.events = append(c.events, e.ruleMembershipEvent(rq, false, r, u, g))
				c.touched(g)
			}
		}
	}
	return append(c.events, e.syncGroupApps(rq, c.groups...)...)
}

// excludeRemovedMember puts u on the exclusion list of every rule that managed its membership of g,
// after an admin removed it by hand, as Okta does ("If a rule-managed user is manually removed from a
// group, the user is automatically added to the rule's Except the following users field"). A full list
// (100 users) takes no more. e.mu must be held.
func (e *Emulator) excludeRemovedMember(rq *request, g *group, u *user) []okta.LogEvent {
	var events []okta.LogEvent
	for _, r := range e.ruleOrder {
		if !r.manages(g.ID, u.ID) {
			continue
		}
		r.unmanage(g.ID, u.ID)
		if slices.Contains(r.ExcludeUsers, u.ID) || len(r.ExcludeUsers) >= maxRuleExclusions {
			continue
		}
		r.ExcludeUsers = append(r.ExcludeUsers, u.ID)
		r.LastUpdated = rq.now
		// Okta's support article quotes the message this event shows ("User added to exclusion list for
		// group rule") and names the Okta System principal as the one who adds the user.
		ev := e.event(rq, "group.user_membership.rule.add_exclusion", "User added to exclusion list for group rule", "",
			u.target(), g.target(), r.target())
		asOktaSystem(&ev, map[string]any{"triggeredByGroupRuleId": r.ID})
		events = append(events, ev)
	}
	return events
}

// invalidateRules marks INVALID the rules that assign users to a group being deleted, and forgets the
// memberships they managed there. e.mu must be held.
func (e *Emulator) invalidateRules(rq *request, g *group) []okta.LogEvent {
	var events []okta.LogEvent
	for _, r := range e.ruleOrder {
		delete(r.Managed, g.ID)
		if !slices.Contains(r.GroupIDs, g.ID) || r.Status == ruleInvalid {
			continue
		}
		r.Status = ruleInvalid
		r.LastUpdated = rq.now
		ev := e.event(rq, "group.user_membership.rule.invalidate", "Invalidate group membership rule", "", r.target())
		asOktaSystem(&ev, map[string]any{"deletedGroupId": g.ID})
		events = append(events, ev)
	}
	return events
}

// forgetRuleMember drops a deleted user from the memberships rules manage; exclusion lists keep the
// id, as Okta's do. e.mu must be held.
func (e *Emulator) forgetRuleMember(userID string) {
	for _, r := range e.ruleOrder {
		for gid := range r.Managed {
			r.unmanage(gid, userID)
		}
	}
}

// ruleMembershipEvent is the group.user_membership.add or .remove a rule causes: Okta's background job
// writes it, so the actor is the Okta System principal and the transaction a JOB (inferred, as for the
// exclusion event), and debugData.triggeredByGroupRuleId names the rule (the catalog's GroupRuleDebugData
// has triggered_by_group_rule_id, and System Log queries filter on
// debugContext.debugData.triggeredByGroupRuleId). e.mu must be held.
func (e *Emulator) ruleMembershipEvent(rq *request, add bool, r *groupRule, u *user, g *group) okta.LogEvent {
	ev := e.membershipEvent(rq, add, u, g)
	asOktaSystem(&ev, map[string]any{"triggeredByGroupRuleId": r.ID})
	return ev
}

// asOktaSystem makes ev one that Okta writes on its own: the Okta System principal as actor, a JOB
// transaction, and debugData.
func asOktaSystem(ev *okta.LogEvent, debugData map[string]any) {
	ev.Actor = &okta.Actor{ID: "system", Type: "SystemPrincipal", AlternateID: "system@okta.com", DisplayName: "Okta System"}
	ev.Transaction = &okta.Transaction{Type: "JOB", ID: newRequestID(), Detail: map[string]any{}}
	ev.DebugContext = &okta.DebugContext{DebugData: debugData}
}

// groupRuleJSON is the wire form of a GroupRule, members in the order Okta writes them.
type groupRuleJSON struct {
	Type        string    `json:"type"`
	ID          string    `json:"id"`
	Status      string    `json:"status"`
	Name        string    `json:"name"`
	Created     okta.Time `json:"created"`
	LastUpdated okta.Time `json:"lastUpdated"`
	Conditions  struct {
		People struct {
			Users  ruleExclude `json:"users"`
			Groups ruleExclude `json:"groups"`
		} `json:"people"`
		Expression struct {
			Value string `json:"value"`
			Type  string `json:"type"`
		} `json:"expression"`
	} `json:"conditions"`
	Actions struct {
		AssignUserToGroups struct {
			GroupIDs []string `json:"groupIds"`
		} `json:"assignUserToGroups"`
	} `json:"actions"`
	// AllGroupsValid is not in the description, but real orgs send it (okta/terraform-provider-okta's
	// recorded responses): false once a group of the rule was deleted.
	AllGroupsValid bool           `json:"allGroupsValid"`
	Embedded       map[string]any `json:"_embedded,omitempty"`
}

type ruleExclude struct {
	Exclude []string `json:"exclude"`
}

// render returns the rule as Okta shows it; with expand, _embedded.groupIdToGroupNameMap names its
// groups. e.mu must be held.
func (e *Emulator) renderRule(r *groupRule, expand bool) groupRuleJSON {
	var out groupRuleJSON
	out.Type, out.ID, out.Status, out.Name = "group_rule", r.ID, r.Status, r.Name
	out.Created, out.LastUpdated = okta.Time{Time: r.Created}, okta.Time{Time: r.LastUpdated}
	out.Conditions.People.Users.Exclude = append([]string{}, r.ExcludeUsers...)
	out.Conditions.People.Groups.Exclude = []string{}
	out.Conditions.Expression.Value, out.Conditions.Expression.Type = r.Expression, r.ExpressionType
	out.Actions.AssignUserToGroups.GroupIDs = append([]string{}, r.GroupIDs...)
	out.AllGroupsValid = r.Status != ruleInvalid
	if expand {
		names := map[string]any{}
		for _, id := range r.GroupIDs {
			if g, ok := e.groups[id]; ok {
				names[id] = g.name()
			}
		}
		out.Embedded = map[string]any{"groupIdToGroupNameMap": names}
	}
	return out
}

// restoreRules replaces the org's rules with those of a state file. A rule whose condition no longer
// parses is kept INVALID rather than dropped; memberships of users or groups the file lacks are
// forgotten. e.mu must be held, with users and groups already restored.
func (e *Emulator) restoreRules(saved []*groupRule) {
	e.rules = map[string]*groupRule{}
	e.ruleOrder = nil
	for _, r := range saved {
		if r == nil || r.ID == "" || e.rules[r.ID] != nil {
			continue
		}
		cond, err := parseExpression(r.Expression)
		if err != nil {
			cond, _ = parseExpression("false")
			r.Status = ruleInvalid
		}
		r.cond = cond
		switch r.Status {
		case ruleActive, ruleInactive, ruleInvalid:
		default:
			r.Status = ruleInactive
		}
		for gid, ids := range r.Managed {
			if e.groups[gid] == nil {
				delete(r.Managed, gid)
				continue
			}
			r.Managed[gid] = slices.DeleteFunc(ids, func(id string) bool { return e.users[id] == nil })
		}
		e.addRule(r)
	}
}
