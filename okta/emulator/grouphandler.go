package emulator

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/okta/systemlog"
)

// The Groups API: OKTA_GROUP groups created through the API, the built-in Everyone group, members, and
// the groups of a user.

// groupBody is the request body of create and replace: the profile only, as Okta reads it.
type groupBody struct {
	Profile map[string]any `json:"profile"`
}

// groupProfile checks a profile for create or replace: name is required, name and description are
// strings, and null members are dropped (Okta stores an unset attribute, and the description declares
// neither nullable). self is the group being replaced (nil on create). e.mu must be held.
func (e *Emulator) groupProfile(p map[string]any, self *group) (map[string]any, error) {
	if p == nil {
		return nil, errValidation("profile", "profile: The field cannot be left blank")
	}
	out := maps.Clone(p)
	maps.DeleteFunc(out, func(_ string, v any) bool { return v == nil })
	for _, k := range []string{"name", "description"} {
		if v, ok := out[k]; ok {
			if _, isString := v.(string); !isString {
				return nil, errValidation(k, fmt.Sprintf("%s: Must be a string, not %T", k, v))
			}
		}
	}
	name, _ := out["name"].(string)
	if strings.TrimSpace(name) == "" {
		return nil, errValidation("name", "name: The field cannot be left blank")
	}
	if other := e.groupNamed(name); other != nil && other != self {
		return nil, errValidation("name", "name: An object with this field already exists in the current organization")
	}
	return out, nil
}

func (e *Emulator) createGroup(rq *request) (int, any, error) {
	var body groupBody
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	e.mu.Lock()
	profile, err := e.groupProfile(body.Profile, nil)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	g := &group{ID: newID("00g"), Type: groupOkta, Created: rq.now, LastUpdated: rq.now, LastMembershipUpdated: rq.now,
		Profile: profile}
	e.addGroup(g)
	ev := e.event(rq, "group.lifecycle.create", "Create Okta group", "", g.target())
	out := g.render(e.opts.BaseURL)
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusOK, out, nil
}

// groupFromPath finds the group named by {groupId}. e.mu must be held.
func (e *Emulator) groupFromPath(rq *request) (*group, error) {
	id := rq.r.PathValue("groupId")
	if g, ok := e.groups[id]; ok {
		return g, nil
	}
	return nil, errNotFound(id, "UserGroup")
}

func (e *Emulator) getGroup(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, err := e.groupFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, g.render(e.opts.BaseURL), nil
}

// replaceGroup replaces the profile of an OKTA_GROUP. Okta manages the Everyone group's profile and an
// app manages an APP_GROUP's, so both are refused.
func (e *Emulator) replaceGroup(rq *request) (int, any, error) {
	var body groupBody
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	e.mu.Lock()
	g, err := e.groupFromPath(rq)
	if err == nil && g.Type != groupOkta {
		err = errAccessDenied()
	}
	var profile map[string]any
	if err == nil {
		profile, err = e.groupProfile(body.Profile, g)
	}
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	changed := changedAttributes(g.Profile, profile)
	g.Profile = profile
	g.LastUpdated = rq.now
	ev := e.event(rq, "group.profile.update", "Okta group profile updated", "", g.target())
	ev.DebugContext.DebugData["changedAttributes"] = strings.Join(changed, ",")
	events := []okta.LogEvent{ev}
	if slices.Contains(changed, "name") {
		// Rules may match members by group name (isMemberOfGroupName and its kin).
		for _, u := range e.groupMembers(g) {
			events = append(events, e.applyRules(rq, u)...)
		}
	}
	out := g.render(e.opts.BaseURL)
	e.mu.Unlock()
	e.emit(events...)
	return http.StatusOK, out, nil
}

// changedAttributes names the profile attributes a replace changes, sorted, for the event's debug data.
func changedAttributes(before, after map[string]any) []string {
	var out []string
	for k, v := range after {
		if old, ok := before[k]; !ok || fmt.Sprint(old) != fmt.Sprint(v) {
			out = append(out, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// deleteGroup deletes an OKTA_GROUP or APP_GROUP; the Everyone group cannot be deleted. Its members,
// role assignments and app assignments go with it.
func (e *Emulator) deleteGroup(rq *request) (int, any, error) {
	e.mu.Lock()
	g, err := e.groupFromPath(rq)
	if err == nil && g.Type == groupBuiltIn {
		err = errAccessDenied()
	}
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	members := e.groupMembers(g)
	e.removeGroup(g)
	e.forgetGroup(rq, g)
	events := []okta.LogEvent{e.event(rq, "group.lifecycle.delete", "Delete Okta group", "", g.target())}
	// Rules that assign users to the group become INVALID; rules that read its membership run again for
	// its former members.
	events = append(events, e.invalidateRules(rq, g)...)
	for _, u := range members {
		events = append(events, e.applyRules(rq, u)...)
	}
	e.mu.Unlock()
	e.emit(events...)
	return http.StatusNoContent, nil, nil
}

// listGroups implements q (case-insensitive prefix of the name; at most 300 results unless limit says
// otherwise, and no paging, as Okta documents), filter and search (SCIM, with the System Log's parser
// and matcher), limit (default and maximum 10000) and after (a group id from the next link), in
// creation order with Everyone first.
func (e *Emulator) listGroups(rq *request) (int, any, error) {
	qs := rq.r.URL.Query()
	q := strings.ToLower(qs.Get("q"))
	limit := 10000
	if q != "" {
		limit = 300
	}
	if v := qs.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, nil, errValidation("limit", "limit: must be a positive integer, not "+strconv.Quote(v))
		}
		limit = min(n, 10000)
	}
	filters, err := parseFilters(qs.Get("search"), qs.Get("filter"))
	if err != nil {
		return 0, nil, err
	}
	after := qs.Get("after")
	stats := strings.Contains(qs.Get("expand"), "stats")

	e.mu.Lock()
	out := make([]any, 0, min(limit, len(e.groupOrder)))
	started := after == "" || q != ""
	more := false
	var last string
	for _, g := range e.groupOrder {
		if !started {
			started = g.ID == after
			continue
		}
		if q != "" && !strings.HasPrefix(strings.ToLower(g.name()), q) {
			continue
		}
		if !matchFilters(filters, g.filterView()) {
			continue
		}
		if len(out) == limit {
			more = q == ""
			break
		}
		if stats {
			out = append(out, e.renderGroupStats(g))
		} else {
			out = append(out, g.render(e.opts.BaseURL))
		}
		last = g.ID
	}
	e.mu.Unlock()
	setPageLinks(rq, e.opts.BaseURL, more, "after", last)
	return http.StatusOK, out, nil
}

// renderGroupStats is the group with expand=stats: _embedded.stats. e.mu must be held.
func (e *Emulator) renderGroupStats(g *group) map[string]any {
	users := len(g.Members)
	if g.Type == groupBuiltIn {
		users = len(e.order)
	}
	base := g.render(e.opts.BaseURL)
	out := map[string]any{
		"id": base.ID, "created": base.Created, "lastUpdated": base.LastUpdated,
		"lastMembershipUpdated": base.LastMembershipUpdated, "objectClass": base.ObjectClass, "type": base.Type,
		"profile": base.Profile, "_links": base.Links,
		// hasAdminPrivlege is spelled as Okta's description and SDKs spell it.
		"_embedded": map[string]any{"stats": map[string]any{"usersCount": users, "appsCount": 0,
			"groupPushMappingsCount": 0, "hasAdminPrivlege": len(g.Roles) > 0}},
	}
	return out
}

// parseFilters parses the search and filter parameters (either may be empty) as SCIM filters; an
// expression Okta's parser would refuse answers 400 E0000001 naming the parameter.
func parseFilters(search, filter string) ([]*systemlog.Filter, error) {
	var out []*systemlog.Filter
	for _, p := range []struct{ name, value string }{{"search", search}, {"filter", filter}} {
		if p.value == "" {
			continue
		}
		f, err := systemlog.ParseFilter(p.value)
		if err != nil {
			return nil, errValidation(p.name, "Invalid "+p.name+" parameter: "+err.Error())
		}
		out = append(out, f)
	}
	return out, nil
}

func matchFilters(filters []*systemlog.Filter, view map[string]any) bool {
	for _, f := range filters {
		if !f.Match(view) {
			return false
		}
	}
	return true
}

// membershipEvent is group.user_membership.add or .remove: targets the user, then the group, as a
// recorded Okta event shows.
func (e *Emulator) membershipEvent(rq *request, add bool, u *user, g *group) okta.LogEvent {
	if add {
		ev := e.event(rq, "group.user_membership.add", "Add user to group membership", "", u.target(), g.target())
		ev.LegacyEventType = "core.user_group_member.user_add"
		return ev
	}
	ev := e.event(rq, "group.user_membership.remove", "Remove user from group membership", "", u.target(), g.target())
	ev.LegacyEventType = "core.user_group_member.user_remove"
	return ev
}

// memberFromPath finds {groupId} and the user {userId} (an id or a login). e.mu must be held.
func (e *Emulator) memberFromPath(rq *request) (*group, *user, error) {
	g, err := e.groupFromPath(rq)
	if err != nil {
		return nil, nil, err
	}
	u, err := e.lookupUser(rq, rq.r.PathValue("userId"))
	if err != nil {
		return nil, nil, err
	}
	return g, u, nil
}

// addGroupMember adds a user to an OKTA_GROUP: 204, and 204 again without a second event when the user
// is already a member. Okta manages the Everyone group's members (501 E0000060 "Unsupported
// operation.") and an app an APP_GROUP's (403 E0000006).
func (e *Emulator) addGroupMember(rq *request) (int, any, error) {
	e.mu.Lock()
	g, u, err := e.memberFromPath(rq)
	if err == nil {
		err = memberChangeAllowed(g, true)
	}
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	var events []okta.LogEvent
	if !g.hasMember(u.ID) {
		g.Members = append(g.Members, u.ID)
		g.LastMembershipUpdated = rq.now
		events = append(events, e.membershipEvent(rq, true, u, g))
		events = append(events, e.syncGroupApps(rq, g)...)
		// A membership change runs the group rules for the user; a rule the user matches that assigns
		// this group takes the membership over, as Okta's help describes.
		events = append(events, e.applyRules(rq, u)...)
	}
	e.mu.Unlock()
	e.emit(events...)
	return http.StatusNoContent, nil, nil
}

// removeGroupMember removes a user from an OKTA_GROUP: 204, also when the user was not a member.
func (e *Emulator) removeGroupMember(rq *request) (int, any, error) {
	e.mu.Lock()
	g, u, err := e.memberFromPath(rq)
	if err == nil {
		err = memberChangeAllowed(g, false)
	}
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	var events []okta.LogEvent
	if i := slices.Index(g.Members, u.ID); i >= 0 {
		g.Members = slices.Delete(g.Members, i, i+1)
		g.LastMembershipUpdated = rq.now
		events = append(events, e.membershipEvent(rq, false, u, g))
		events = append(events, e.syncGroupApps(rq, g)...)
		// A member a rule manages goes on the rule's exclusion list, so the rule does not add it back.
		events = append(events, e.excludeRemovedMember(rq, g, u)...)
		events = append(events, e.applyRules(rq, u)...)
	}
	e.mu.Unlock()
	e.emit(events...)
	return http.StatusNoContent, nil, nil
}

// memberChangeAllowed refuses membership changes Okta does not let the API make: adding to the Everyone
// group is E0000060 (okta/terraform-provider-okta#903), removing from it or changing an app group's
// members is E0000006 (okta/terraform-provider-okta#118).
func memberChangeAllowed(g *group, add bool) error {
	switch {
	case g.Type == groupBuiltIn && add:
		return errUnsupportedOperation()
	case g.Type != groupOkta:
		return errAccessDenied()
	}
	return nil
}

// listGroupUsers lists a group's members in the order they joined (every user, in creation order, for
// Everyone), with limit (default 1000, Okta's) and after (a user id).
func (e *Emulator) listGroupUsers(rq *request) (int, any, error) {
	qs := rq.r.URL.Query()
	limit := 1000
	if v := qs.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, nil, errValidation("limit", "limit: must be a positive integer, not "+strconv.Quote(v))
		}
		limit = min(n, 10000)
	}
	after := qs.Get("after")
	e.mu.Lock()
	g, err := e.groupFromPath(rq)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	var members []*user
	if g.Type == groupBuiltIn {
		members = e.order
	} else {
		for _, id := range g.Members {
			if u, ok := e.users[id]; ok {
				members = append(members, u)
			}
		}
	}
	out := make([]userJSON, 0, min(limit, len(members)))
	started := after == ""
	more := false
	var last string
	for _, u := range members {
		if !started {
			started = u.ID == after
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, u.render(e.opts.BaseURL, true))
		last = u.ID
	}
	e.mu.Unlock()
	setPageLinks(rq, e.opts.BaseURL, more, "after", last)
	return http.StatusOK, out, nil
}

// listUserGroups lists the groups a user belongs to, Everyone first.
func (e *Emulator) listUserGroups(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	groups := e.userGroups(u)
	out := make([]groupJSON, 0, len(groups))
	for _, g := range groups {
		out = append(out, g.render(e.opts.BaseURL))
	}
	return http.StatusOK, out, nil
}

// maxCreateGroupIDs is how many groupIds a create-user request may carry.
const maxCreateGroupIDs = 20

// checkGroupIDs resolves the groupIds of a create-user request before anything is created. Every id
// must be an existing group whose members the API manages; the Everyone group is accepted and skipped,
// as the user is a member of it anyway. e.mu must be held.
func (e *Emulator) checkGroupIDs(ids []string) ([]*group, error) {
	if len(ids) > maxCreateGroupIDs {
		// Okta documents that a user can be created in at most 20 groups at once.
		return nil, errValidation("groupIds", fmt.Sprintf("groupIds: A user can be added to at most %d groups on creation, not %d",
			maxCreateGroupIDs, len(ids)))
	}
	var out []*group
	for _, id := range ids {
		g, ok := e.groups[id]
		if !ok {
			return nil, errValidation("groupIds", "groupIds: No group with id "+strconv.Quote(id)+" exists in this organization")
		}
		switch g.Type {
		case groupBuiltIn:
			continue
		case groupApp:
			return nil, errValidation("groupIds", "groupIds: "+id+" is an APP_GROUP; its members are managed by its app")
		}
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out, nil
}
