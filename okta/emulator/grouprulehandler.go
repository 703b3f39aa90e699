package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trama-dev/trama/okta"
)

// The Group Rules API (/api/v1/groups/rules): create (always INACTIVE), list, read, replace while
// INACTIVE, activate, deactivate, and delete once no longer ACTIVE. Okta's event catalog has no event
// for creating, replacing or deleting a rule, so those write none; activation writes
// group.user_membership.rule.trigger and deactivation group.user_membership.rule.deactivated (the
// catalog's types; that these operations write them is inferred).

// ruleSpec is a checked create or replace body.
type ruleSpec struct {
	name     string
	value    string
	cond     *expression
	groupIDs []string
	exclude  []string
}

// checkRule checks a create or replace body as Okta validates it: type group_rule, a name of 1 to 50
// characters, a condition of type urn:okta:expression:1.0 that parses to a Boolean and names existing
// groups, 1 to 100 target groups that exist and take members by rule, and at most 100 excluded users
// that exist. e.mu must be held.
func (e *Emulator) checkRule(body map[string]any) (*ruleSpec, error) {
	s := &ruleSpec{}
	typ, _, err := jsonString(body, "type")
	if err != nil {
		return nil, err
	}
	switch typ {
	case "group_rule":
	case "":
		return nil, errValidation("type", "type: The field cannot be left blank")
	default:
		return nil, errValidation("type", fmt.Sprintf("type: %q is not a group rule type; the only one is group_rule", typ))
	}
	if s.name, _, err = jsonString(body, "name"); err != nil {
		return nil, err
	}
	switch n := utf8.RuneCountInString(s.name); {
	case strings.TrimSpace(s.name) == "":
		return nil, errValidation("name", "name: The field cannot be left blank")
	case n > maxRuleNameLength:
		return nil, errValidation("name", fmt.Sprintf("name: The field cannot be longer than %d characters, not %d", maxRuleNameLength, n))
	}

	conditions, err := jsonObject(body, "conditions")
	if err != nil {
		return nil, err
	}
	expr, err := jsonObject(orEmpty(conditions), "expression")
	if err != nil {
		return nil, err
	}
	exprType, _, err := jsonString(orEmpty(expr), "type")
	if err != nil {
		return nil, err
	}
	if s.value, _, err = jsonString(orEmpty(expr), "value"); err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(s.value) == "":
		return nil, errValidation("conditions.expression.value", "conditions.expression.value: The field cannot be left blank")
	case exprType != ruleExpressionType:
		return nil, errValidation("conditions.expression.type", fmt.Sprintf(
			"conditions.expression.type: %q is not an expression type; the only one is %s", exprType, ruleExpressionType))
	}
	if s.cond, err = parseExpression(s.value); err != nil {
		return nil, errInvalidRuleExpression(s.value, err)
	}
	for _, id := range s.cond.groupIDs {
		if _, ok := e.groups[id]; !ok {
			return nil, errInvalidRuleExpression(s.value, fmt.Errorf("no group with id %q exists in this organization", id))
		}
	}

	people, err := jsonObject(orEmpty(conditions), "people")
	if err != nil {
		return nil, err
	}
	users, err := jsonObject(orEmpty(people), "users")
	if err != nil {
		return nil, err
	}
	if s.exclude, err = jsonStrings(orEmpty(users), "exclude"); err != nil {
		return nil, err
	}
	groups, err := jsonObject(orEmpty(people), "groups")
	if err != nil {
		return nil, err
	}
	excludedGroups, err := jsonStrings(orEmpty(groups), "exclude")
	if err != nil {
		return nil, err
	}
	if len(excludedGroups) > 0 {
		// The description: "Currently not supported".
		return nil, errValidation("conditions.people.groups.exclude",
			"conditions.people.groups.exclude: Excluding groups from a group rule is not supported")
	}
	s.exclude = dedupe(s.exclude)
	if len(s.exclude) > maxRuleExclusions {
		return nil, errValidation("conditions.people.users.exclude", fmt.Sprintf(
			"conditions.people.users.exclude: A group rule can exclude at most %d users, not %d", maxRuleExclusions, len(s.exclude)))
	}
	for _, id := range s.exclude {
		if _, ok := e.users[id]; !ok {
			return nil, errValidation("conditions.people.users.exclude", fmt.Sprintf(
				"conditions.people.users.exclude: No user with id %q exists in this organization", id))
		}
	}

	actions, err := jsonObject(body, "actions")
	if err != nil {
		return nil, err
	}
	assign, err := jsonObject(orEmpty(actions), "assignUserToGroups")
	if err != nil {
		return nil, err
	}
	if s.groupIDs, err = jsonStrings(orEmpty(assign), "groupIds"); err != nil {
		return nil, err
	}
	s.groupIDs = dedupe(s.groupIDs)
	const field = "actions.assignUserToGroups.groupIds"
	switch n := len(s.groupIDs); {
	case n == 0:
		return nil, errValidation(field, field+": The field cannot be left blank")
	case n > maxRuleGroups:
		return nil, errValidation(field, fmt.Sprintf("%s: A group rule can assign users to at most %d groups, not %d", field, maxRuleGroups, n))
	}
	for _, id := range s.groupIDs {
		g, ok := e.groups[id]
		switch {
		case !ok:
			return nil, errValidation(field, fmt.Sprintf("%s: No group with id %q exists in this organization", field, id))
		case g.Type != groupOkta:
			// Okta manages the Everyone group's members and an app an APP_GROUP's.
			return nil, errValidation(field, fmt.Sprintf("%s: %s is a %s group; group rules assign users to OKTA_GROUP groups only", field, id, g.Type))
		case len(g.Roles) > 0:
			// Okta's help: "Group rules can't be used to assign users to admin groups."
			return nil, errValidation(field, fmt.Sprintf("%s: %s holds admin roles; group rules cannot assign users to admin groups", field, id))
		}
	}
	return s, nil
}

func dedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (s *ruleSpec) apply(r *groupRule) {
	r.Name, r.Expression, r.ExpressionType, r.cond = s.name, s.value, ruleExpressionType, s.cond
	r.GroupIDs, r.ExcludeUsers = s.groupIDs, s.exclude
}

// ruleFromPath finds the rule named by {groupRuleId}. e.mu must be held.
func (e *Emulator) ruleFromPath(rq *request) (*groupRule, error) {
	id := rq.r.PathValue("groupRuleId")
	if r, ok := e.rules[id]; ok {
		return r, nil
	}
	return nil, errNotFound(id, "GroupRule")
}

// expandNames reports expand=groupIdToGroupNameMap.
func expandNames(rq *request) bool {
	return slices.Contains(strings.Split(rq.r.URL.Query().Get("expand"), ","), "groupIdToGroupNameMap")
}

// createGroupRule creates an INACTIVE rule, as Okta does whatever status the body names: 200 GroupRule.
// An org holds at most 2000 rules.
func (e *Emulator) createGroupRule(rq *request) (int, any, error) {
	body, err := decodeObject(rq.r)
	if err != nil {
		return 0, nil, err
	}
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		if len(e.ruleOrder) >= maxGroupRules {
			return 0, nil, nil, errValidation("groupRule", fmt.Sprintf("An organization can have at most %d group rules", maxGroupRules))
		}
		s, err := e.checkRule(body)
		if err != nil {
			return 0, nil, nil, err
		}
		r := &groupRule{ID: newID("0pr"), Status: ruleInactive, Created: rq.now, LastUpdated: rq.now}
		s.apply(r)
		e.addRule(r)
		return http.StatusOK, e.renderRule(r, false), nil, nil
	})
}

func (e *Emulator) getGroupRule(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, err := e.ruleFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderRule(r, expandNames(rq)), nil
}

// listGroupRules lists the rules in creation order: search (a case-insensitive part of the name; what
// Okta's keyword search matches is not documented), limit (default 50, at most 200, as the description
// gives them), after (a rule id from the next link), expand=groupIdToGroupNameMap.
func (e *Emulator) listGroupRules(rq *request) (int, any, error) {
	qs := rq.r.URL.Query()
	limit := 50
	if v := qs.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, nil, errValidation("limit", "limit: must be a positive integer, not "+strconv.Quote(v))
		}
		limit = min(n, 200)
	}
	search := strings.ToLower(qs.Get("search"))
	after := qs.Get("after")
	expand := expandNames(rq)
	e.mu.Lock()
	out := make([]groupRuleJSON, 0, min(limit, len(e.ruleOrder)))
	started := after == ""
	more := false
	var last string
	for _, r := range e.ruleOrder {
		if !started {
			started = r.ID == after
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(r.Name), search) {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, e.renderRule(r, expand))
		last = r.ID
	}
	e.mu.Unlock()
	setPageLinks(rq, e.opts.BaseURL, more, "after", last)
	return http.StatusOK, out, nil
}

// replaceGroupRule replaces the name, condition and exclusions of an INACTIVE rule: 200 GroupRule.
// Okta documents that a rule's actions cannot be updated, so groupIds must name the groups the rule has
// (in any order); what Okta answers otherwise is not documented, and the emulator refuses with 400.
func (e *Emulator) replaceGroupRule(rq *request) (int, any, error) {
	body, err := decodeObject(rq.r)
	if err != nil {
		return 0, nil, err
	}
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		r, err := e.ruleFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if r.Status != ruleInactive {
			return 0, nil, nil, errRuleNotInactive(r.Status, "updated")
		}
		s, err := e.checkRule(body)
		if err != nil {
			return 0, nil, nil, err
		}
		if !sameSet(s.groupIDs, r.GroupIDs) {
			return 0, nil, nil, errValidation("actions", "actions: The actions of a group rule cannot be updated; create a new rule for other groups")
		}
		s.groupIDs = r.GroupIDs
		s.apply(r)
		r.LastUpdated = rq.now
		return http.StatusOK, e.renderRule(r, false), nil, nil
	})
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// deleteGroupRule deletes a rule that is not ACTIVE: 202 with an empty object, as recorded from real
// orgs. The members it manages stay unless removeUsers=true.
func (e *Emulator) deleteGroupRule(rq *request) (int, any, error) {
	removeUsers := boolQuery(rq.r, "removeUsers", false)
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		r, err := e.ruleFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if r.Status == ruleActive {
			return 0, nil, nil, errRuleNotInactive(r.Status, "deleted")
		}
		var events []okta.LogEvent
		if removeUsers {
			events = e.removeRuleMembers(rq, r)
		}
		e.removeRule(r)
		return http.StatusAccepted, []byte("{}"), events, nil
	})
}

// activateGroupRule activates a rule and runs it over the org: 204. Activating an ACTIVE rule is a
// no-op, as on Okta; an INVALID one is refused.
func (e *Emulator) activateGroupRule(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		r, err := e.ruleFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		switch r.Status {
		case ruleInvalid:
			return 0, nil, nil, errRuleInvalidLifecycle()
		case ruleActive:
			return http.StatusNoContent, nil, nil, nil
		}
		r.Status = ruleActive
		r.LastUpdated = rq.now
		events := []okta.LogEvent{e.event(rq, "group.user_membership.rule.trigger", "Trigger group membership rule", "", r.target())}
		events = append(events, e.activateRule(rq, r)...)
		return http.StatusNoContent, nil, events, nil
	})
}

// deactivateGroupRule stops a rule: 204. The members it added keep their membership, as Okta's help
// says. Deactivating an INACTIVE rule is a no-op; an INVALID one is refused.
func (e *Emulator) deactivateGroupRule(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		r, err := e.ruleFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		switch r.Status {
		case ruleInvalid:
			return 0, nil, nil, errRuleInvalidLifecycle()
		case ruleInactive:
			return http.StatusNoContent, nil, nil, nil
		}
		r.Status = ruleInactive
		r.LastUpdated = rq.now
		ev := e.event(rq, "group.user_membership.rule.deactivated", "Deactivate group membership rule", "", r.target())
		return http.StatusNoContent, nil, []okta.LogEvent{ev}, nil
	})
}
