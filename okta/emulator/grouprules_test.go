package emulator

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func ruleBody(name, expr string, groupIDs []string, exclude ...string) map[string]any {
	people := map[string]any{}
	if exclude != nil {
		people["users"] = map[string]any{"exclude": exclude}
	}
	return map[string]any{
		"type": "group_rule", "name": name,
		"conditions": map[string]any{"people": people,
			"expression": map[string]any{"type": "urn:okta:expression:1.0", "value": expr}},
		"actions": map[string]any{"assignUserToGroups": map[string]any{"groupIds": groupIDs}},
	}
}

// createRule creates a rule assigning users who match expr to the groups, and returns it.
func (o *testOrg) createRule(name, expr string, groupIDs ...string) map[string]any {
	o.t.Helper()
	r := o.do("POST", "/api/v1/groups/rules", ruleBody(name, expr, groupIDs))
	wantStatus(o.t, r, http.StatusOK)
	return r.obj(o.t)
}

func (o *testOrg) ruleLifecycle(id, action string) {
	o.t.Helper()
	r := o.do("POST", "/api/v1/groups/rules/"+id+"/lifecycle/"+action, nil)
	wantStatus(o.t, r, http.StatusNoContent)
	if len(r.body) != 0 {
		o.t.Fatalf("%s answered a body: %s", action, r.body)
	}
}

// createPerson creates a user with extra profile attributes; activate=false leaves it STAGED.
func (o *testOrg) createPerson(login string, attrs map[string]any, activate bool) string {
	o.t.Helper()
	profile := map[string]any{"login": login, "email": login, "firstName": "Test", "lastName": "Person"}
	for k, v := range attrs {
		profile[k] = v
	}
	q := "?activate=true"
	if !activate {
		q = "?activate=false"
	}
	r := o.do("POST", "/api/v1/users"+q, map[string]any{"profile": profile,
		"credentials": map[string]any{"password": map[string]any{"value": "Tr4ma-test-pass!"}}})
	wantStatus(o.t, r, http.StatusOK)
	return r.obj(o.t)["id"].(string)
}

// members lists the ids of a group's members, in the order they joined.
func (o *testOrg) members(gid string) []string {
	o.t.Helper()
	var list []map[string]any
	o.do("GET", "/api/v1/groups/"+gid+"/users", nil).json(o.t, &list)
	var out []string
	for _, u := range list {
		out = append(out, u["id"].(string))
	}
	return out
}

func (o *testOrg) setProfile(uid string, attrs map[string]any) {
	o.t.Helper()
	wantStatus(o.t, o.do("POST", "/api/v1/users/"+uid, map[string]any{"profile": attrs}), http.StatusOK)
}

func causes(t testing.TB, r response) string {
	t.Helper()
	var e struct {
		ErrorSummary string
		ErrorCauses  []struct{ ErrorSummary string }
	}
	r.json(t, &e)
	out := e.ErrorSummary
	for _, c := range e.ErrorCauses {
		out += " | " + c.ErrorSummary
	}
	return out
}

// TestGroupRuleObject checks create, read, list, replace and delete, and the GroupRule object as real
// orgs answer it (okta/terraform-provider-okta's recorded responses).
func TestGroupRuleObject(t *testing.T) {
	o := newTestOrg(t, Options{})
	eng := o.createGroup("Engineering")
	excluded := o.createUser("intern@example.com")

	created := o.do("POST", "/api/v1/groups/rules", ruleBody("Engineering group rule", `user.department=="Engineering"`,
		[]string{eng}, excluded))
	wantStatus(t, created, http.StatusOK)
	r := created.obj(t)
	id, _ := r["id"].(string)
	if len(id) != 20 || !strings.HasPrefix(id, "0pr") || r["type"] != "group_rule" || r["status"] != "INACTIVE" ||
		r["allGroupsValid"] != true || r["created"] != r["lastUpdated"] || r["_links"] != nil {
		t.Fatalf("created %s", created.body)
	}
	if got := at(r, "conditions", "people", "users", "exclude").([]any); len(got) != 1 || got[0] != excluded {
		t.Errorf("exclude %v", got)
	}
	if got := at(r, "conditions", "people", "groups", "exclude").([]any); len(got) != 0 {
		t.Errorf("groups.exclude %v", got)
	}
	if at(r, "conditions", "expression", "type") != "urn:okta:expression:1.0" ||
		at(r, "conditions", "expression", "value") != `user.department=="Engineering"` ||
		at(r, "actions", "assignUserToGroups", "groupIds").([]any)[0] != eng {
		t.Errorf("conditions and actions %s", created.body)
	}
	// Member order as Okta writes it: type, id, status, name, created, lastUpdated, conditions, actions.
	if !strings.HasPrefix(string(created.body), `{"type":"group_rule","id":"`+id+`","status":"INACTIVE","name":"Engineering group rule","created":`) {
		t.Errorf("member order: %.120s", created.body)
	}
	// Created without people: Okta answers both exclusion lists, empty.
	bare := o.createRule("Bare", `user.city == "Paris"`, eng)
	if len(at(bare, "conditions", "people", "users", "exclude").([]any)) != 0 {
		t.Errorf("a rule without people: %v", bare["conditions"])
	}

	got := o.do("GET", "/api/v1/groups/rules/"+id, nil)
	wantStatus(t, got, http.StatusOK)
	if got.obj(t)["name"] != "Engineering group rule" || got.obj(t)["_embedded"] != nil {
		t.Errorf("get %s", got.body)
	}
	expanded := o.do("GET", "/api/v1/groups/rules/"+id+"?expand=groupIdToGroupNameMap", nil).obj(t)
	if at(expanded, "_embedded", "groupIdToGroupNameMap", eng) != "Engineering" {
		t.Errorf("expand %v", expanded["_embedded"])
	}
	missing := o.do("GET", "/api/v1/groups/rules/0pr00000000000000000", nil)
	wantError(t, missing, http.StatusNotFound, "E0000007")
	if !strings.Contains(causes(t, missing), "0pr00000000000000000 (GroupRule)") {
		t.Errorf("404 %s", missing.body)
	}
	// The rule route shares its shape with the member routes; those still answer, and other children
	// of a group are unknown paths.
	wantStatus(t, o.do("GET", "/api/v1/groups/"+eng+"/users", nil), http.StatusOK)
	wantError(t, o.do("GET", "/api/v1/groups/"+eng+"/owners", nil), http.StatusNotFound, "E0000008")
	wantError(t, o.do("PATCH", "/api/v1/groups/rules/"+id, nil), http.StatusMethodNotAllowed, "E0000022")
	wantError(t, o.do("PUT", "/api/v1/groups/"+eng+"/owners", nil), http.StatusNotFound, "E0000008")

	// Listing: creation order, limit and the next link, search, expand.
	third := o.createRule("Sales group", `user.department=="Sales"`, eng)["id"].(string)
	page := o.do("GET", "/api/v1/groups/rules?limit=2", nil)
	wantStatus(t, page, http.StatusOK)
	if got := ids(appList(t, page)); got != id+","+bare["id"].(string) {
		t.Errorf("first page %s", got)
	}
	next := nextLink(t, page)
	if !strings.Contains(next, "after="+bare["id"].(string)) {
		t.Fatalf("next link %q", next)
	}
	rest := o.do("GET", next, nil)
	if got := ids(appList(t, rest)); got != third {
		t.Errorf("second page %s", got)
	}
	if got := ids(appList(t, o.do("GET", "/api/v1/groups/rules?search=sales", nil))); got != third {
		t.Errorf("search %s", got)
	}
	listed := appList(t, o.do("GET", "/api/v1/groups/rules?search=Engineering&expand=groupIdToGroupNameMap", nil))
	if len(listed) != 1 || at(listed[0], "_embedded", "groupIdToGroupNameMap", eng) != "Engineering" {
		t.Errorf("expanded list %v", listed)
	}
	wantError(t, o.do("GET", "/api/v1/groups/rules?limit=0", nil), http.StatusBadRequest, "E0000001")

	// Replace while INACTIVE: name, condition and exclusions change; the body's status is ignored.
	o.advance(2 * time.Second)
	body := ruleBody("Engineers", `user.department=="Engineering" AND user.userType != "Contractor"`, []string{eng})
	body["status"] = "ACTIVE"
	replaced := o.do("PUT", "/api/v1/groups/rules/"+id, body)
	wantStatus(t, replaced, http.StatusOK)
	rr := replaced.obj(t)
	if rr["name"] != "Engineers" || rr["status"] != "INACTIVE" || rr["lastUpdated"] == rr["created"] ||
		len(at(rr, "conditions", "people", "users", "exclude").([]any)) != 0 {
		t.Errorf("replaced %s", replaced.body)
	}
	// Okta documents that a rule's actions cannot be updated.
	moved := o.do("PUT", "/api/v1/groups/rules/"+id, ruleBody("Engineers", `user.department=="Engineering"`, []string{o.createGroup("Other")}))
	wantError(t, moved, http.StatusBadRequest, "E0000001")

	// ACTIVE: neither replaced nor deleted, as Okta answers (400).
	o.ruleLifecycle(id, "activate")
	o.ruleLifecycle(id, "activate") // again: a no-op
	if n := len(o.events("group.user_membership.rule.trigger")); n != 1 {
		t.Errorf("%d trigger events", n)
	}
	wantError(t, o.do("PUT", "/api/v1/groups/rules/"+id, ruleBody("Engineers", `true`, []string{eng})), http.StatusBadRequest, "E0000001")
	wantError(t, o.do("DELETE", "/api/v1/groups/rules/"+id, nil), http.StatusBadRequest, "E0000001")
	o.ruleLifecycle(id, "deactivate")
	o.ruleLifecycle(id, "deactivate")
	if n := len(o.events("group.user_membership.rule.deactivated")); n != 1 {
		t.Errorf("%d deactivated events", n)
	}

	del := o.do("DELETE", "/api/v1/groups/rules/"+id, nil)
	wantStatus(t, del, http.StatusAccepted)
	if string(del.body) != "{}" {
		t.Errorf("delete answered %q, Okta answers {}", del.body)
	}
	wantError(t, o.do("GET", "/api/v1/groups/rules/"+id, nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("POST", "/api/v1/groups/rules/"+id+"/lifecycle/activate", nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("DELETE", "/api/v1/groups/rules/"+id, nil), http.StatusNotFound, "E0000007")
}

// TestGroupRuleValidation refuses what Okta refuses, with 400 E0000001 naming the field, or the
// expression for a condition Okta's validateRule check rejects.
func TestGroupRuleValidation(t *testing.T) {
	o := newTestOrg(t, Options{})
	eng := o.createGroup("Engineering")
	admins := o.createGroup("Admins")
	wantStatus(t, o.do("POST", "/api/v1/groups/"+admins+"/roles", map[string]string{"type": "USER_ADMIN"}), http.StatusOK)
	everyone := o.e.everyoneID()
	uid := o.createUser("someone@example.com")
	many := func(n int, f func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	edit := func(f func(b map[string]any)) map[string]any {
		b := ruleBody("Rule", `user.department=="Engineering"`, []string{eng})
		f(b)
		return b
	}
	for _, c := range []struct {
		name  string
		body  any
		code  string
		cause string
	}{
		{"no type", edit(func(b map[string]any) { delete(b, "type") }), "E0000001", "type: The field cannot be left blank"},
		{"wrong type", edit(func(b map[string]any) { b["type"] = "policy_rule" }), "E0000001", "the only one is group_rule"},
		{"no name", edit(func(b map[string]any) { b["name"] = " " }), "E0000001", "name: The field cannot be left blank"},
		{"long name", edit(func(b map[string]any) { b["name"] = strings.Repeat("あ", 51) }), "E0000001", "longer than 50 characters, not 51"},
		{"no condition", edit(func(b map[string]any) { delete(b, "conditions") }), "E0000001", "conditions.expression.value: The field cannot be left blank"},
		{"expression type", edit(func(b map[string]any) {
			b["conditions"].(map[string]any)["expression"].(map[string]any)["type"] = "urn:okta:expression:2.0"
		}), "E0000001", "conditions.expression.type"},
		{"syntax", ruleBody("Rule", `user.department=="Engineering" AND`, []string{eng}), "E0000001", `Api validation failed: validateRule | Invalid expression "user.department==\"Engineering\" AND": expected a value`},
		{"arity", ruleBody("Rule", `String.startsWith(String.toLowerCase(user.login,"auth0|"))`, []string{eng}), "E0000001", "String.toLowerCase takes 1 argument, not 2"},
		{"not Boolean", ruleBody("Rule", `String.toLowerCase(user.login)`, []string{eng}), "E0000001", "not a Boolean"},
		{"Convert", ruleBody("Rule", `Convert.toInt(user.employeeNumber) > 5`, []string{eng}), "E0000001", "unknown function Convert.toInt"},
		{"unknown group in condition", ruleBody("Rule", `isMemberOfGroup("00gxxxxxxxxxxxxxxxxx")`, []string{eng}), "E0000001", `no group with id "00gxxxxxxxxxxxxxxxxx"`},
		{"no groups", ruleBody("Rule", `true`, []string{}), "E0000001", "groupIds: The field cannot be left blank"},
		{"unknown group", ruleBody("Rule", `true`, []string{"00g00000000000000000"}), "E0000001", `No group with id "00g00000000000000000"`},
		{"Everyone", ruleBody("Rule", `true`, []string{everyone}), "E0000001", "OKTA_GROUP groups only"},
		{"admin group", ruleBody("Rule", `true`, []string{admins}), "E0000001", "cannot assign users to admin groups"},
		{"unknown excluded user", ruleBody("Rule", `true`, []string{eng}, "00u00000000000000000"), "E0000001", `No user with id "00u00000000000000000"`},
		{"101 exclusions", ruleBody("Rule", `true`, []string{eng}, many(101, func(i int) string { return uid + strings.Repeat("x", i) })...), "E0000001", "at most 100 users, not 101"},
		{"excluded groups", edit(func(b map[string]any) {
			b["conditions"].(map[string]any)["people"] = map[string]any{"groups": map[string]any{"exclude": []string{eng}}}
		}), "E0000001", "not supported"},
		{"name not a string", edit(func(b map[string]any) { b["name"] = 7 }), "E0000003", ""},
		{"groupIds not strings", edit(func(b map[string]any) {
			b["actions"] = map[string]any{"assignUserToGroups": map[string]any{"groupIds": []any{7}}}
		}), "E0000003", ""},
		{"not JSON", "{", "E0000003", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := o.as(t)
			r := o.do("POST", "/api/v1/groups/rules", c.body)
			wantError(t, r, http.StatusBadRequest, c.code)
			if got := causes(t, r); !strings.Contains(got, c.cause) {
				t.Errorf("causes %q, want %q", got, c.cause)
			}
		})
	}
	// More than 100 distinct groups.
	var hundredOne []string
	for i := range 101 {
		hundredOne = append(hundredOne, o.createGroup("Bulk "+strings.Repeat("x", i+1)))
	}
	r := o.do("POST", "/api/v1/groups/rules", ruleBody("Rule", `true`, hundredOne))
	wantError(t, r, http.StatusBadRequest, "E0000001")
	if !strings.Contains(causes(t, r), "at most 100 groups, not 101") {
		t.Errorf("101 groups: %s", r.body)
	}
	// A group a rule assigns users to cannot be granted admin roles (Okta's help).
	o.createRule("Targets Engineering", `true`, eng)
	wantError(t, o.do("POST", "/api/v1/groups/"+eng+"/roles", map[string]string{"type": "USER_ADMIN"}), http.StatusBadRequest, "E0000001")
}

// TestGroupRuleAssignsMembers checks what an ACTIVE rule does to memberships: on activation, when users
// are created or their profiles change, with exclusions, deactivation and deletion, and the System Log
// events of each membership it changes.
func TestGroupRuleAssignsMembers(t *testing.T) {
	o := newTestOrg(t, Options{})
	eng := o.createGroup("Engineering")
	ada := o.createPerson("ada@example.com", map[string]any{"department": "Engineering"}, true)
	staged := o.createPerson("staged@example.com", map[string]any{"department": "Engineering"}, false)
	gone := o.createPerson("gone@example.com", map[string]any{"department": "Engineering"}, true)
	wantStatus(t, o.do("POST", "/api/v1/users/"+gone+"/lifecycle/deactivate", nil), http.StatusOK)
	excluded := o.createPerson("excluded@example.com", map[string]any{"department": "Engineering"}, true)
	sales := o.createPerson("sales@example.com", map[string]any{"department": "Sales"}, true)

	r := o.do("POST", "/api/v1/groups/rules", ruleBody("Engineering", `user.department=="Engineering"`, []string{eng}, excluded))
	wantStatus(t, r, http.StatusOK)
	id := r.obj(t)["id"].(string)
	if got := o.members(eng); len(got) != 0 {
		t.Fatalf("an INACTIVE rule assigned %v", got)
	}

	o.ruleLifecycle(id, "activate")
	// A STAGED user is assigned, as on a real org (okta-sdk-python's recorded group rule test); a
	// deactivated or excluded one is not.
	if got, want := o.members(eng), []string{ada, staged}; !slices.Equal(got, want) {
		t.Fatalf("members after activation %v, want %v", got, want)
	}
	adds := o.events("group.user_membership.add")
	if len(adds) != 2 {
		t.Fatalf("%d membership events", len(adds))
	}
	ev := adds[0]
	if at(ev, "actor", "type") != "SystemPrincipal" || at(ev, "actor", "displayName") != "Okta System" ||
		at(ev, "transaction", "type") != "JOB" || at(ev, "debugContext", "debugData", "triggeredByGroupRuleId") != id {
		t.Errorf("membership event %v", ev)
	}
	if tg := ev["target"].([]any); len(tg) != 2 || at(tg[0].(map[string]any), "id") != ada || at(tg[1].(map[string]any), "id") != eng {
		t.Errorf("targets %v", ev["target"])
	}

	// Users created later, and profile changes, are evaluated at once.
	carol := o.createPerson("carol@example.com", map[string]any{"department": "Engineering"}, true)
	o.setProfile(sales, map[string]any{"department": "Engineering"})
	if got, want := o.members(eng), []string{ada, staged, carol, sales}; !slices.Equal(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	// A user who stops matching leaves the group (Okta's help: "the user is removed ... automatically").
	o.setProfile(ada, map[string]any{"department": "Finance"})
	if got, want := o.members(eng), []string{staged, carol, sales}; !slices.Equal(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	removes := o.events("group.user_membership.remove")
	if len(removes) != 1 || at(removes[0], "debugContext", "debugData", "triggeredByGroupRuleId") != id {
		t.Fatalf("remove events %v", removes)
	}
	// Reactivating a user runs the rules for it.
	wantStatus(t, o.do("POST", "/api/v1/users/"+gone+"/lifecycle/activate?sendEmail=false", nil), http.StatusOK)
	if !slices.Contains(o.members(eng), gone) {
		t.Errorf("a reactivated matching user was not assigned")
	}

	// Deactivating the rule keeps its members; while INACTIVE it changes nothing.
	o.ruleLifecycle(id, "deactivate")
	o.setProfile(carol, map[string]any{"department": "Finance"})
	o.setProfile(ada, map[string]any{"department": "Engineering"})
	if got, want := o.members(eng), []string{staged, carol, sales, gone}; !slices.Equal(got, want) {
		t.Fatalf("members of an inactive rule's group %v, want %v", got, want)
	}
	// Reactivated with a new condition, it takes out the members it manages that no longer match and
	// adds the new matches (recorded the same way on a real org by okta-sdk-python's tests).
	wantStatus(t, o.do("PUT", "/api/v1/groups/rules/"+id, ruleBody("Engineering", `user.department=="Engineering" AND user.email != "staged@example.com"`,
		[]string{eng})), http.StatusOK)
	o.ruleLifecycle(id, "activate")
	if got, want := o.members(eng), []string{sales, gone, ada, excluded}; !slices.Equal(got, want) {
		t.Fatalf("members after reactivation %v, want %v", got, want)
	}

	// Deleting with removeUsers=false leaves the members; a second rule deleted with removeUsers=true
	// takes out those it manages.
	o.ruleLifecycle(id, "deactivate")
	wantStatus(t, o.do("DELETE", "/api/v1/groups/rules/"+id+"?removeUsers=false", nil), http.StatusAccepted)
	if got := o.members(eng); len(got) != 4 {
		t.Fatalf("members after delete without removeUsers %v", got)
	}
	finance := o.createGroup("Finance")
	second := o.createRule("Finance", `user.department == "Finance"`, finance)["id"].(string)
	o.ruleLifecycle(second, "activate")
	if got := o.members(finance); !slices.Equal(got, []string{carol}) {
		t.Fatalf("finance %v", got)
	}
	o.ruleLifecycle(second, "deactivate")
	wantStatus(t, o.do("DELETE", "/api/v1/groups/rules/"+second+"?removeUsers=true", nil), http.StatusAccepted)
	if got := o.members(finance); len(got) != 0 {
		t.Fatalf("finance after delete with removeUsers %v", got)
	}
}

// TestGroupRuleManualChanges checks how hand-made membership changes meet rules, as Okta's help
// describes them: a manual member who matches becomes rule-managed, and a rule-managed member removed by
// hand goes on the rule's exclusion list.
func TestGroupRuleManualChanges(t *testing.T) {
	o := newTestOrg(t, Options{})
	eng := o.createGroup("Engineering")
	rid := o.createRule("Engineering", `user.department=="Engineering"`, eng)["id"].(string)
	o.ruleLifecycle(rid, "activate")
	ada := o.createPerson("ada@example.com", map[string]any{"department": "Engineering"}, true)

	wantStatus(t, o.do("DELETE", "/api/v1/groups/"+eng+"/users/"+ada, nil), http.StatusNoContent)
	if got := o.members(eng); len(got) != 0 {
		t.Fatalf("members after the manual removal %v", got)
	}
	rule := o.do("GET", "/api/v1/groups/rules/"+rid, nil).obj(t)
	if ex := at(rule, "conditions", "people", "users", "exclude").([]any); len(ex) != 1 || ex[0] != ada {
		t.Fatalf("exclusions %v", ex)
	}
	evs := o.events("group.user_membership.rule.add_exclusion")
	if len(evs) != 1 || at(evs[0], "actor", "type") != "SystemPrincipal" || evs[0]["displayMessage"] != "User added to exclusion list for group rule" {
		t.Fatalf("exclusion events %v", evs)
	}
	// Excluded, the user is not added back when its profile changes.
	o.setProfile(ada, map[string]any{"title": "Engineer"})
	if got := o.members(eng); len(got) != 0 {
		t.Fatalf("an excluded user was added back: %v", got)
	}

	// A member added by hand who matches is taken over by the rule, and leaves when it stops matching.
	bob := o.createPerson("bob@example.com", map[string]any{"department": "Sales"}, true)
	wantStatus(t, o.do("PUT", "/api/v1/groups/"+eng+"/users/"+bob, nil), http.StatusNoContent)
	o.setProfile(bob, map[string]any{"department": "Engineering"})
	o.setProfile(bob, map[string]any{"department": "Sales"})
	if got := o.members(eng); len(got) != 0 {
		t.Fatalf("a rule-managed member who stopped matching stayed: %v", got)
	}
	// One who never matched stays: the rule does not manage it.
	wantStatus(t, o.do("PUT", "/api/v1/groups/"+eng+"/users/"+bob, nil), http.StatusNoContent)
	o.setProfile(bob, map[string]any{"title": "Account executive"})
	if got := o.members(eng); !slices.Equal(got, []string{bob}) {
		t.Fatalf("a manual member %v", got)
	}
}

// TestGroupRuleMembershipConditions checks rules on group membership (isMemberOfAnyGroup), run again
// when a membership changes, and apps assigned to a rule's group following its members.
func TestGroupRuleMembershipConditions(t *testing.T) {
	o := newTestOrg(t, Options{})
	contractors := o.createGroup("Contractors")
	vendors := o.createGroup("Vendors")
	portal := o.createGroup("Portal users")
	app := o.createApp(bookmarkBody("Vendor portal", "https://portal.example.com/"), "")["id"].(string)
	wantStatus(t, o.do("PUT", "/api/v1/apps/"+app+"/groups/"+portal, map[string]any{}), http.StatusOK)

	rid := o.createRule("Portal", `isMemberOfAnyGroup("`+contractors+`", "`+vendors+`")`, portal)["id"].(string)
	o.ruleLifecycle(rid, "activate")
	uid := o.createUser("vendor@example.com")
	wantStatus(t, o.do("PUT", "/api/v1/groups/"+vendors+"/users/"+uid, nil), http.StatusNoContent)
	if got := o.members(portal); !slices.Equal(got, []string{uid}) {
		t.Fatalf("portal %v", got)
	}
	au := o.do("GET", "/api/v1/apps/"+app+"/users/"+uid, nil)
	wantStatus(t, au, http.StatusOK)
	if au.obj(t)["scope"] != "GROUP" {
		t.Errorf("app assignment %s", au.body)
	}
	wantStatus(t, o.do("DELETE", "/api/v1/groups/"+vendors+"/users/"+uid, nil), http.StatusNoContent)
	if got := o.members(portal); len(got) != 0 {
		t.Fatalf("portal after leaving vendors %v", got)
	}
	wantError(t, o.do("GET", "/api/v1/apps/"+app+"/users/"+uid, nil), http.StatusNotFound, "E0000007")
	// Leaving the source group is no manual removal from the rule's group: no exclusion.
	if n := len(o.events("group.user_membership.rule.add_exclusion")); n != 0 {
		t.Errorf("%d exclusion events", n)
	}
}

// TestGroupRuleInvalid checks that deleting a rule's group makes the rule INVALID
// (okta/terraform-provider-okta#157): allGroupsValid false, read and delete only.
func TestGroupRuleInvalid(t *testing.T) {
	o := newTestOrg(t, Options{})
	eng := o.createGroup("Engineering")
	rid := o.createRule("Engineering", `true`, eng)["id"].(string)
	o.ruleLifecycle(rid, "activate")
	wantStatus(t, o.do("DELETE", "/api/v1/groups/"+eng, nil), http.StatusNoContent)
	r := o.do("GET", "/api/v1/groups/rules/"+rid, nil).obj(t)
	if r["status"] != "INVALID" || r["allGroupsValid"] != false {
		t.Fatalf("rule after its group was deleted %v", r)
	}
	if evs := o.events("group.user_membership.rule.invalidate"); len(evs) != 1 || at(evs[0], "debugContext", "debugData", "deletedGroupId") != eng {
		t.Errorf("invalidate events %v", evs)
	}
	for _, action := range []string{"activate", "deactivate"} {
		res := o.do("POST", "/api/v1/groups/rules/"+rid+"/lifecycle/"+action, nil)
		wantError(t, res, http.StatusBadRequest, "E0000001")
		if !strings.Contains(causes(t, res), "Cannot activate or deactivate a Group Rule with the status INVALID") {
			t.Errorf("%s: %s", action, res.body)
		}
	}
	wantError(t, o.do("PUT", "/api/v1/groups/rules/"+rid, ruleBody("x", "true", []string{eng})), http.StatusBadRequest, "E0000001")
	wantStatus(t, o.do("DELETE", "/api/v1/groups/rules/"+rid, nil), http.StatusAccepted)
}

// TestGroupRulesSurviveRestart keeps rules and the memberships they manage in the state file, and a
// reset empties them.
func TestGroupRulesSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.json")
	o := newTestOrg(t, Options{StatePath: path})
	eng := o.createGroup("Engineering")
	ada := o.createPerson("ada@example.com", map[string]any{"department": "Engineering"}, true)
	rid := o.createRule("Engineering", `user.department=="Engineering"`, eng)["id"].(string)
	o.ruleLifecycle(rid, "activate")
	if err := o.e.Close(); err != nil {
		t.Fatal(err)
	}

	again := newTestOrg(t, Options{StatePath: path})
	r := again.do("GET", "/api/v1/groups/rules/"+rid, nil)
	wantStatus(t, r, http.StatusOK)
	if r.obj(t)["status"] != "ACTIVE" {
		t.Fatalf("after restart %s", r.body)
	}
	// Still managed after the restart: the member leaves when it stops matching.
	again.setProfile(ada, map[string]any{"department": "Finance"})
	if got := again.members(eng); len(got) != 0 {
		t.Errorf("members %v", got)
	}
	wantStatus(t, again.do("POST", "/emulator/v1/reset", nil), http.StatusNoContent)
	if got := appList(t, again.do("GET", "/api/v1/groups/rules", nil)); len(got) != 0 {
		t.Errorf("rules after reset %v", got)
	}
}
