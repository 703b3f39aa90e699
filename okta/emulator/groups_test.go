package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// createGroup creates an OKTA_GROUP and returns its id.
func (o *testOrg) createGroup(name string) string {
	o.t.Helper()
	r := o.do("POST", "/api/v1/groups", map[string]any{"profile": map[string]any{"name": name, "description": name + " team"}})
	wantStatus(o.t, r, http.StatusOK)
	return r.obj(o.t)["id"].(string)
}

func groupNames(t testing.TB, r response) []string {
	t.Helper()
	var list []map[string]any
	r.json(t, &list)
	var out []string
	for _, g := range list {
		out = append(out, g["profile"].(map[string]any)["name"].(string))
	}
	return out
}

func TestGroupLifecycle(t *testing.T) {
	o := newTestOrg(t, Options{})
	list := o.do("GET", "/api/v1/groups", nil)
	wantStatus(t, list, http.StatusOK)
	var groups []map[string]any
	list.json(t, &groups)
	if len(groups) != 1 || groups[0]["type"] != "BUILT_IN" || groups[0]["profile"].(map[string]any)["name"] != "Everyone" {
		t.Fatalf("a new org lists %v, want only the Everyone group", groups)
	}
	everyone := groups[0]["id"].(string)

	created := o.do("POST", "/api/v1/groups", map[string]any{"profile": map[string]any{"name": "Engineering", "description": "All engineers"}})
	wantStatus(t, created, http.StatusOK)
	g := created.obj(t)
	gid := g["id"].(string)
	if len(gid) != 20 || !strings.HasPrefix(gid, "00g") || g["type"] != "OKTA_GROUP" {
		t.Fatalf("created %v", g)
	}
	if oc := g["objectClass"].([]any); len(oc) != 1 || oc[0] != "okta:user_group" {
		t.Errorf("objectClass %v", oc)
	}
	links := g["_links"].(map[string]any)
	if links["users"].(map[string]any)["href"] != o.srv.URL+"/api/v1/groups/"+gid+"/users" || len(links["logo"].([]any)) != 2 {
		t.Errorf("_links %v", links)
	}
	if g["created"] != g["lastMembershipUpdated"] {
		t.Errorf("a new group's lastMembershipUpdated %v is not its created %v", g["lastMembershipUpdated"], g["created"])
	}

	// Refusals: a duplicate name (any case), no name, an unknown group.
	dup := o.do("POST", "/api/v1/groups", map[string]any{"profile": map[string]any{"name": "engineering"}})
	wantError(t, dup, http.StatusBadRequest, "E0000001")
	if !strings.Contains(string(dup.body), "An object with this field already exists") {
		t.Errorf("duplicate name: %s", dup.body)
	}
	wantError(t, o.do("POST", "/api/v1/groups", map[string]any{"profile": map[string]any{"description": "x"}}), http.StatusBadRequest, "E0000001")
	wantError(t, o.do("POST", "/api/v1/groups", map[string]any{}), http.StatusBadRequest, "E0000001")
	wantError(t, o.do("POST", "/api/v1/groups", `{"profile":`), http.StatusBadRequest, "E0000003")
	missing := o.do("GET", "/api/v1/groups/00gmissing0000000000", nil)
	wantError(t, missing, http.StatusNotFound, "E0000007")
	if !strings.Contains(string(missing.body), "00gmissing0000000000 (UserGroup)") {
		t.Errorf("not found names the id and type: %s", missing.body)
	}
	wantStatus(t, o.do("GET", "/api/v1/groups/"+gid, nil), http.StatusOK)

	// Members.
	u1 := o.createUser("ada@example.com")
	u2 := o.createUser("grace@example.com")
	for _, u := range []string{u1, u2, u1} {
		wantStatus(t, o.do("PUT", "/api/v1/groups/"+gid+"/users/"+u, nil), http.StatusNoContent)
	}
	if n := len(o.events("group.user_membership.add")); n != 2 {
		t.Errorf("%d membership events, want 2: adding a member twice changes nothing", n)
	}
	wantError(t, o.do("PUT", "/api/v1/groups/"+gid+"/users/00umissing0000000000", nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("PUT", "/api/v1/groups/00gmissing0000000000/users/"+u1, nil), http.StatusNotFound, "E0000007")

	members := o.do("GET", "/api/v1/groups/"+gid+"/users?limit=1", nil)
	wantStatus(t, members, http.StatusOK)
	var page []map[string]any
	members.json(t, &page)
	if len(page) != 1 || page[0]["id"] != u1 {
		t.Fatalf("first page %v", page)
	}
	next := nextLink(t, members)
	if next == "" {
		t.Fatalf("no next link: %v", members.header["Link"])
	}
	rest := o.do("GET", next, nil)
	rest.json(t, &page)
	if len(page) != 1 || page[0]["id"] != u2 || nextLink(t, rest) != "" {
		t.Fatalf("second page %v, links %v", page, rest.header["Link"])
	}

	userGroups := o.do("GET", "/api/v1/users/"+u1+"/groups", nil)
	wantStatus(t, userGroups, http.StatusOK)
	if got := groupNames(t, userGroups); strings.Join(got, ",") != "Everyone,Engineering" {
		t.Errorf("user's groups %v", got)
	}

	// The built-in group: every user is a member, nothing about it can be changed.
	all := o.do("GET", "/api/v1/groups/"+everyone+"/users", nil)
	var everyoneUsers []map[string]any
	all.json(t, &everyoneUsers)
	if len(everyoneUsers) != 3 {
		t.Errorf("Everyone has %d members, want the admin and two users", len(everyoneUsers))
	}
	wantError(t, o.do("PUT", "/api/v1/groups/"+everyone+"/users/"+u1, nil), http.StatusNotImplemented, "E0000060")
	wantError(t, o.do("DELETE", "/api/v1/groups/"+everyone+"/users/"+u1, nil), http.StatusForbidden, "E0000006")
	wantError(t, o.do("PUT", "/api/v1/groups/"+everyone, map[string]any{"profile": map[string]any{"name": "All"}}), http.StatusForbidden, "E0000006")
	wantError(t, o.do("DELETE", "/api/v1/groups/"+everyone, nil), http.StatusForbidden, "E0000006")

	// Replace the profile.
	replaced := o.do("PUT", "/api/v1/groups/"+gid, map[string]any{"profile": map[string]any{"name": "Platform", "description": "All engineers"}})
	wantStatus(t, replaced, http.StatusOK)
	if replaced.obj(t)["profile"].(map[string]any)["name"] != "Platform" {
		t.Fatalf("replace: %s", replaced.body)
	}
	upd := o.events("group.profile.update")
	if len(upd) != 1 || upd[0]["debugContext"].(map[string]any)["debugData"].(map[string]any)["changedAttributes"] != "name" {
		t.Errorf("group.profile.update %v", upd)
	}
	wantError(t, o.do("PUT", "/api/v1/groups/"+gid, map[string]any{"profile": map[string]any{"name": "Everyone"}}), http.StatusBadRequest, "E0000001")

	// Remove a member, then delete a user: memberships go with it.
	wantStatus(t, o.do("DELETE", "/api/v1/groups/"+gid+"/users/"+u2, nil), http.StatusNoContent)
	wantStatus(t, o.do("DELETE", "/api/v1/groups/"+gid+"/users/"+u2, nil), http.StatusNoContent)
	if n := len(o.events("group.user_membership.remove")); n != 1 {
		t.Errorf("%d remove events, want 1", n)
	}
	wantStatus(t, o.do("DELETE", "/api/v1/users/"+u1, nil), http.StatusNoContent)
	wantStatus(t, o.do("GET", "/api/v1/groups/"+gid+"/users", nil), http.StatusOK)
	members = o.do("GET", "/api/v1/groups/"+gid+"/users", nil)
	members.json(t, &page)
	if len(page) != 1 {
		t.Errorf("a deactivated user stays a member: %v", page)
	}
	wantStatus(t, o.do("DELETE", "/api/v1/users/"+u1, nil), http.StatusNoContent)
	members = o.do("GET", "/api/v1/groups/"+gid+"/users", nil)
	members.json(t, &page)
	if len(page) != 0 {
		t.Errorf("a deleted user is still a member: %v", page)
	}

	wantStatus(t, o.do("DELETE", "/api/v1/groups/"+gid, nil), http.StatusNoContent)
	wantError(t, o.do("GET", "/api/v1/groups/"+gid, nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("DELETE", "/api/v1/groups/"+gid, nil), http.StatusNotFound, "E0000007")
	for _, typ := range []string{"group.lifecycle.create", "group.lifecycle.delete"} {
		evs := o.events(typ)
		if len(evs) != 1 {
			t.Fatalf("%d %s events", len(evs), typ)
		}
		target := evs[0]["target"].([]any)[0].(map[string]any)
		if target["type"] != "UserGroup" || target["id"] != gid {
			t.Errorf("%s target %v", typ, target)
		}
	}
}

// nextLink returns the path and query of the response's rel="next" Link, or "".
func nextLink(t testing.TB, r response) string {
	t.Helper()
	for _, l := range r.header.Values("Link") {
		if strings.Contains(l, `rel="next"`) {
			raw := l[strings.Index(l, "<")+1 : strings.Index(l, ">")]
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			return u.RequestURI()
		}
	}
	return ""
}

func TestListGroupsQueries(t *testing.T) {
	o := newTestOrg(t, Options{})
	eng := o.createGroup("Engineering")
	o.createGroup("Sales")
	o.createGroup("Engagement")

	for _, c := range []struct{ query, want string }{
		{"q=eng", "Engineering,Engagement"},
		{"q=EVERY", "Everyone"},
		{"q=eng&limit=1", "Engineering"},
		{"search=" + url.QueryEscape(`type eq "OKTA_GROUP"`), "Engineering,Sales,Engagement"},
		{"search=" + url.QueryEscape(`profile.name sw "Eng" and type eq "OKTA_GROUP"`), "Engineering,Engagement"},
		{"filter=" + url.QueryEscape(`id eq "`+eng+`"`), "Engineering"},
		{"filter=" + url.QueryEscape(`type eq "BUILT_IN"`), "Everyone"},
		{"search=" + url.QueryEscape(`profile.description co "Sales"`), "Sales"},
	} {
		r := o.do("GET", "/api/v1/groups?"+c.query, nil)
		wantStatus(t, r, http.StatusOK)
		if got := strings.Join(groupNames(t, r), ","); got != c.want {
			t.Errorf("%s: %s, want %s", c.query, got, c.want)
		}
		if c.query == "q=eng&limit=1" && nextLink(t, r) != "" {
			t.Errorf("q is not paged, as Okta documents, but a next link came back")
		}
	}
	wantError(t, o.do("GET", "/api/v1/groups?filter="+url.QueryEscape(`type eq`), nil), http.StatusBadRequest, "E0000001")
	wantError(t, o.do("GET", "/api/v1/groups?limit=0", nil), http.StatusBadRequest, "E0000001")

	// Paging: limit and after, with Okta's Link headers.
	var seen []string
	path := "/api/v1/groups?limit=2"
	for path != "" {
		r := o.do("GET", path, nil)
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(strings.Join(r.header.Values("Link"), " "), `rel="self"`) {
			t.Fatalf("no self link: %v", r.header["Link"])
		}
		seen = append(seen, groupNames(t, r)...)
		path = nextLink(t, r)
	}
	if got := strings.Join(seen, ","); got != "Everyone,Engineering,Sales,Engagement" {
		t.Errorf("paged through %s", got)
	}

	stats := o.do("GET", "/api/v1/groups?expand=stats&q=Every", nil)
	var withStats []map[string]any
	stats.json(t, &withStats)
	if n := withStats[0]["_embedded"].(map[string]any)["stats"].(map[string]any)["usersCount"]; n != float64(1) {
		t.Errorf("Everyone usersCount %v", n)
	}
}

func TestCreateUserInGroups(t *testing.T) {
	o := newTestOrg(t, Options{})
	a, b := o.createGroup("Alpha"), o.createGroup("Beta")
	body := func(login string, ids ...string) map[string]any {
		return map[string]any{"profile": map[string]any{"login": login, "email": login, "firstName": "G", "lastName": "Ids"},
			"groupIds": ids}
	}
	r := o.do("POST", "/api/v1/users?activate=false", body("in.groups@example.com", a, b))
	wantStatus(t, r, http.StatusOK)
	uid := r.obj(t)["id"].(string)
	if got := strings.Join(groupNames(t, o.do("GET", "/api/v1/users/"+uid+"/groups", nil)), ","); got != "Everyone,Alpha,Beta" {
		t.Errorf("groups %s", got)
	}
	if n := len(o.events("group.user_membership.add")); n != 2 {
		t.Errorf("%d membership events", n)
	}

	unknown := o.do("POST", "/api/v1/users", body("unknown.group@example.com", a, "00gunknown0000000000"))
	wantError(t, unknown, http.StatusBadRequest, "E0000001")
	if !strings.Contains(string(unknown.body), "00gunknown0000000000") {
		t.Errorf("the error does not name the group: %s", unknown.body)
	}
	if left := o.do("GET", "/api/v1/users?q=unknown.group", nil); string(left.body) != "[]" {
		t.Errorf("a refused create left a user behind: %s", left.body)
	}
	many := make([]string, 21)
	for i := range many {
		many[i] = a
	}
	wantError(t, o.do("POST", "/api/v1/users", body("many@example.com", many...)), http.StatusBadRequest, "E0000001")
}

func TestMembershipEventShape(t *testing.T) {
	o := newTestOrg(t, Options{})
	gid := o.createGroup("Shape")
	uid := o.createUser("shape@example.com")
	wantStatus(t, o.do("PUT", "/api/v1/groups/"+gid+"/users/"+uid, nil), http.StatusNoContent)
	evs := o.events("group.user_membership.add")
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[0]
	if ev["displayMessage"] != "Add user to group membership" || ev["legacyEventType"] != "core.user_group_member.user_add" {
		t.Errorf("event %v", ev)
	}
	targets := ev["target"].([]any)
	u, g := targets[0].(map[string]any), targets[1].(map[string]any)
	if u["type"] != "User" || u["id"] != uid || g["type"] != "UserGroup" || g["id"] != gid || g["displayName"] != "Shape" ||
		g["alternateId"] != "unknown" {
		t.Errorf("targets %v", targets)
	}
}

// Groups, members and role assignments are part of the state file; a reset leaves only Everyone, and
// an APP_GROUP from a state file is managed by its app.
func TestGroupsSurviveRestartAndReset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.json")
	o := newTestOrg(t, Options{StatePath: path})
	gid := o.createGroup("Kept")
	uid := o.createUser("kept.member@example.com")
	wantStatus(t, o.do("PUT", "/api/v1/groups/"+gid+"/users/"+uid, nil), http.StatusNoContent)
	wantStatus(t, o.do("POST", "/api/v1/groups/"+gid+"/roles", map[string]string{"type": "READ_ONLY_ADMIN"}), http.StatusOK)
	wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/roles", map[string]string{"type": "REPORT_ADMIN"}), http.StatusCreated)
	everyone := o.e.everyoneID()
	if err := o.e.Close(); err != nil {
		t.Fatal(err)
	}

	// An app-imported group, as a state file can hold one.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	json.Unmarshal(data, &st)
	st["groups"] = append(st["groups"].([]any), map[string]any{"id": "00gappgroup000000000", "type": "APP_GROUP",
		"profile": map[string]any{"name": "AD Engineers"}, "members": []string{uid, "00ugone0000000000000"}})
	data, _ = json.Marshal(st)
	os.WriteFile(path, data, 0o600)

	again := newTestOrg(t, Options{StatePath: path})
	if got := strings.Join(groupNames(t, again.do("GET", "/api/v1/users/"+uid+"/groups", nil)), ","); got != "Everyone,Kept,AD Engineers" {
		t.Errorf("groups after restart: %s", got)
	}
	if again.e.everyoneID() != everyone {
		t.Errorf("the Everyone group changed id")
	}
	if roles := roleList(t, again.do("GET", "/api/v1/users/"+uid+"/roles", nil)); len(roles) != 2 {
		t.Errorf("roles after restart %v", roles)
	}
	app := "00gappgroup000000000"
	if g := again.do("GET", "/api/v1/groups/"+app, nil).obj(t); g["objectClass"].([]any)[0] != "okta:windows_security_principal" {
		t.Errorf("app group %v", g)
	}
	wantError(t, again.do("PUT", "/api/v1/groups/"+app+"/users/"+uid, nil), http.StatusForbidden, "E0000006")
	wantError(t, again.do("DELETE", "/api/v1/groups/"+app+"/users/"+uid, nil), http.StatusForbidden, "E0000006")
	wantError(t, again.do("PUT", "/api/v1/groups/"+app, map[string]any{"profile": map[string]any{"name": "x"}}), http.StatusForbidden, "E0000006")
	wantStatus(t, again.do("DELETE", "/api/v1/groups/"+app, nil), http.StatusNoContent)

	wantStatus(t, again.do("POST", "/emulator/v1/reset", nil), http.StatusNoContent)
	if got := strings.Join(groupNames(t, again.do("GET", "/api/v1/groups", nil)), ","); got != "Everyone" {
		t.Errorf("groups after reset: %s", got)
	}
	if again.e.everyoneID() != everyone {
		t.Errorf("the Everyone group changed id on reset")
	}
}
