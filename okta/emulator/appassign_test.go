package emulator

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

func appList(t testing.TB, r response) []map[string]any {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var out []map[string]any
	r.json(t, &out)
	return out
}

func ids(list []map[string]any) string {
	var out []string
	for _, m := range list {
		out = append(out, m["id"].(string))
	}
	return strings.Join(out, ",")
}

func TestAppLifecycleListAndReplace(t *testing.T) {
	o := newTestOrg(t, Options{})
	wiki := o.createApp(bookmarkBody("Team Wiki", "https://wiki.example.com"), "")["id"].(string)
	saml := o.createApp(customSAMLBody("Payroll"), "?activate=false")["id"].(string)
	swa := o.createApp(customSWABody("Timesheets"), "")["id"].(string)

	// Lists: creation order, q on name or label, filter, paging with Link headers.
	if got := ids(appList(t, o.do("GET", "/api/v1/apps", nil))); got != wiki+","+saml+","+swa {
		t.Fatalf("apps %s", got)
	}
	if got := ids(appList(t, o.do("GET", "/api/v1/apps?q=team", nil))); got != wiki {
		t.Fatalf("q=team %s", got)
	}
	if got := ids(appList(t, o.do("GET", "/api/v1/apps?q=bookm", nil))); got != wiki {
		t.Fatalf("q on the name %s", got)
	}
	if got := ids(appList(t, o.do("GET", "/api/v1/apps?filter="+url.QueryEscape(`status eq "INACTIVE"`), nil))); got != saml {
		t.Fatalf("status filter %s", got)
	}
	if got := ids(appList(t, o.do("GET", "/api/v1/apps?filter="+url.QueryEscape(`name eq "bookmark"`), nil))); got != wiki {
		t.Fatalf("name filter %s", got)
	}
	wantError(t, o.do("GET", "/api/v1/apps?filter="+url.QueryEscape(`label sw "T"`), nil), http.StatusBadRequest, "E0000001")
	wantError(t, o.do("GET", "/api/v1/apps?limit=0", nil), http.StatusBadRequest, "E0000001")
	r := o.do("GET", "/api/v1/apps?limit=2", nil)
	if got := ids(appList(t, r)); got != wiki+","+saml {
		t.Fatalf("first page %s", got)
	}
	next := nextLink(t, r)
	if !strings.Contains(next, "after="+saml) {
		t.Fatalf("next link %s", next)
	}
	r = o.do("GET", strings.TrimPrefix(next, o.e.BaseURL()), nil)
	if got := ids(appList(t, r)); got != swa || nextLink(t, r) != "" {
		t.Fatalf("second page %s", got)
	}

	// An active app can't be deleted; an inactive one can.
	r = o.do("DELETE", "/api/v1/apps/"+wiki, nil)
	wantError(t, r, http.StatusForbidden, "E0000056")
	if !strings.Contains(string(r.body), "The application must be deactivated before deletion.") {
		t.Fatalf("delete active %s", r.body)
	}
	r = o.do("POST", "/api/v1/apps/"+wiki+"/lifecycle/deactivate", nil)
	wantStatus(t, r, http.StatusOK)
	if string(r.body) != "{}" {
		t.Fatalf("deactivate body %q", r.body)
	}
	wantStatus(t, o.do("POST", "/api/v1/apps/"+wiki+"/lifecycle/deactivate", nil), http.StatusOK)
	wantStatus(t, o.do("DELETE", "/api/v1/apps/"+wiki, nil), http.StatusNoContent)
	wantError(t, o.do("GET", "/api/v1/apps/"+wiki, nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("POST", "/api/v1/apps/"+wiki+"/lifecycle/activate", nil), http.StatusNotFound, "E0000007")
	wantStatus(t, o.do("POST", "/api/v1/apps/"+saml+"/lifecycle/activate", nil), http.StatusOK)
	if s := o.do("GET", "/api/v1/apps/"+saml, nil).obj(t)["status"]; s != "ACTIVE" {
		t.Fatalf("activated status %v", s)
	}

	// Replace: the same checks as create; name and status in the body are ignored.
	body := customSWABody("Timesheets v2")
	body["name"], body["status"] = "hijack", "INACTIVE"
	body["settings"].(map[string]any)["signOn"].(map[string]any)["loginUrl"] = "https://time.example.com/login"
	r = o.do("PUT", "/api/v1/apps/"+swa, body)
	wantStatus(t, r, http.StatusOK)
	app := r.obj(t)
	if app["label"] != "Timesheets v2" || app["status"] != "ACTIVE" || !strings.HasSuffix(app["name"].(string), "_timesheets_1") ||
		at(app, "settings", "signOn", "loginUrl") != "https://time.example.com/login" {
		t.Fatalf("replaced %v", app)
	}
	delete(body["settings"].(map[string]any)["signOn"].(map[string]any), "loginUrl")
	wantError(t, o.do("PUT", "/api/v1/apps/"+swa, body), http.StatusBadRequest, "E0000001")
	body = bookmarkBody("Timesheets v2", "https://time.example.com")
	r = o.do("PUT", "/api/v1/apps/"+swa, body)
	wantError(t, r, http.StatusBadRequest, "E0000001")
	if !strings.Contains(string(r.body), "can't change from AUTO_LOGIN to BOOKMARK") {
		t.Fatalf("mode change %s", r.body)
	}

	for eventType, n := range map[string]int{"application.lifecycle.create": 3, "application.lifecycle.activate": 3,
		"application.lifecycle.deactivate": 1, "application.lifecycle.delete": 1, "application.lifecycle.update": 1} {
		evs := o.events(eventType)
		if len(evs) != n {
			t.Errorf("%d %s events, want %d", len(evs), eventType, n)
			continue
		}
		if tg := evs[0]["target"].([]any)[0].(map[string]any); tg["type"] != "AppInstance" {
			t.Errorf("%s target %v", eventType, tg)
		}
	}
}

func TestAppUserAssignments(t *testing.T) {
	o := newTestOrg(t, Options{})
	app := o.createApp(bookmarkBody("Team Wiki", "https://wiki.example.com"), "")
	id := app["id"].(string)
	ada := o.createUser("ada@example.com")
	grace := o.createUser("grace@example.com")

	r := o.do("POST", "/api/v1/apps/"+id+"/users", map[string]any{"id": ada, "scope": "USER",
		"credentials": map[string]any{"userName": "ada"}, "profile": map[string]any{"team": "engines"}})
	wantStatus(t, r, http.StatusOK)
	au := r.obj(t)
	if au["id"] != ada || au["scope"] != "USER" || au["status"] != "ACTIVE" || au["syncState"] != "DISABLED" ||
		at(au, "credentials", "userName") != "ada" || at(au, "profile", "team") != "engines" ||
		at(au, "_links", "app", "href") != o.e.BaseURL()+"/api/v1/apps/"+id || at(au, "_links", "user", "href") != o.e.BaseURL()+"/api/v1/users/"+ada {
		t.Fatalf("app user %s", r.body)
	}
	if _, ok := au["passwordChanged"]; !ok || au["passwordChanged"] != nil {
		t.Fatalf("passwordChanged %v", au["passwordChanged"])
	}
	// Without credentials the username comes from the app's template (the login).
	r = o.do("POST", "/api/v1/apps/"+id+"/users", map[string]any{"id": grace})
	wantStatus(t, r, http.StatusOK)
	if at(r.obj(t), "credentials", "userName") != "grace@example.com" {
		t.Fatalf("templated username %s", r.body)
	}
	// Assigning again updates the assignment.
	r = o.do("POST", "/api/v1/apps/"+id+"/users", map[string]any{"id": grace, "profile": map[string]any{"team": "compilers"}})
	wantStatus(t, r, http.StatusOK)

	users := appList(t, o.do("GET", "/api/v1/apps/"+id+"/users", nil))
	if ids(users) != ada+","+grace {
		t.Fatalf("app users %s", ids(users))
	}
	if got := ids(appList(t, o.do("GET", "/api/v1/apps/"+id+"/users?q=gra", nil))); got != grace {
		t.Fatalf("q=gra %s", got)
	}
	r = o.do("GET", "/api/v1/apps/"+id+"/users?limit=1", nil)
	if ids(appList(t, r)) != ada || !strings.Contains(nextLink(t, r), "after="+ada) {
		t.Fatalf("paged app users %s", r.header["Link"])
	}
	got := o.do("GET", "/api/v1/apps/"+id+"/users/"+grace+"?expand=user", nil)
	wantStatus(t, got, http.StatusOK)
	if at(got.obj(t), "_embedded", "user", "id") != grace || at(got.obj(t), "profile", "team") != "compilers" {
		t.Fatalf("get app user %s", got.body)
	}

	// Update through POST .../users/{userId}.
	r = o.do("POST", "/api/v1/apps/"+id+"/users/"+ada, map[string]any{"credentials": map[string]any{"userName": "ada.l"}})
	wantStatus(t, r, http.StatusOK)
	if at(r.obj(t), "credentials", "userName") != "ada.l" {
		t.Fatalf("updated %s", r.body)
	}

	// What Okta refuses.
	wantError(t, o.do("POST", "/api/v1/apps/"+id+"/users", map[string]any{}), http.StatusBadRequest, "E0000001")
	wantError(t, o.do("POST", "/api/v1/apps/"+id+"/users", map[string]any{"id": "00unobody00000000000"}), http.StatusNotFound, "E0000007")
	wantError(t, o.do("POST", "/api/v1/apps/"+id+"/users", map[string]any{"id": ada,
		"credentials": map[string]any{"password": map[string]any{"value": "secret-password"}}}), http.StatusBadRequest, "E0000041")
	wantError(t, o.do("POST", "/api/v1/apps/"+id+"/users", map[string]any{"id": ada, "scope": "GROUP"}), http.StatusBadRequest, "E0000001")
	wantError(t, o.do("POST", "/api/v1/apps/0oanothere0000000000/users", map[string]any{"id": ada}), http.StatusNotFound, "E0000007")
	deactivated := o.createUser("leaver@example.com")
	wantStatus(t, o.do("POST", "/api/v1/users/"+deactivated+"/lifecycle/deactivate", nil), http.StatusOK)
	wantError(t, o.do("POST", "/api/v1/apps/"+id+"/users", map[string]any{"id": deactivated}), http.StatusForbidden, "E0000117")
	r = o.do("GET", "/api/v1/apps/"+id+"/users/"+deactivated, nil)
	wantError(t, r, http.StatusNotFound, "E0000007")
	if !strings.Contains(string(r.body), "("+"AppUser)") {
		t.Fatalf("not assigned %s", r.body)
	}

	// A user's apps: filter user.id, expand the assignment; app links.
	list := appList(t, o.do("GET", "/api/v1/apps?filter="+url.QueryEscape(`user.id eq "`+ada+`"`)+"&expand=user/"+ada, nil))
	if ids(list) != id || at(list[0], "_embedded", "user", "id") != ada {
		t.Fatalf("apps of ada %v", list)
	}
	wantError(t, o.do("GET", "/api/v1/apps?expand=user/"+ada, nil), http.StatusBadRequest, "E0000001")
	links := appList(t, o.do("GET", "/api/v1/users/"+ada+"/appLinks", nil))
	if len(links) != 1 || links[0]["appInstanceId"] != id || links[0]["appName"] != "bookmark" || links[0]["label"] != "Team Wiki" {
		t.Fatalf("app links %v", links)
	}

	wantStatus(t, o.do("DELETE", "/api/v1/apps/"+id+"/users/"+ada, nil), http.StatusNoContent)
	wantError(t, o.do("DELETE", "/api/v1/apps/"+id+"/users/"+ada, nil), http.StatusNotFound, "E0000007")

	adds := o.events("application.user_membership.add")
	if len(adds) != 2 || len(o.events("application.user_membership.update")) != 2 || len(o.events("application.user_membership.remove")) != 1 {
		t.Fatalf("membership events: %d add", len(adds))
	}
	targets := adds[0]["target"].([]any)
	first := targets[0].(map[string]any)
	if len(targets) != 3 || first["type"] != "AppUser" || !strings.HasPrefix(first["id"].(string), "0ua") ||
		first["alternateId"] != "ada@example.com" || targets[1].(map[string]any)["id"] != id || targets[2].(map[string]any)["id"] != ada ||
		adds[0]["legacyEventType"] != "app.generic.provision.assign_user_to_app" || at(adds[0], "transaction", "type") != "WEB" {
		t.Fatalf("add event %v", adds[0])
	}
}

func TestAppGroupAssignments(t *testing.T) {
	o := newTestOrg(t, Options{})
	app := o.createApp(customSAMLBody("Payroll"), "")["id"].(string)
	other := o.createApp(bookmarkBody("Handbook", "https://handbook.example.com"), "")["id"].(string)
	finance := o.createGroup("Finance")
	auditors := o.createGroup("Auditors")
	ada := o.createUser("ada@example.com")
	grace := o.createUser("grace@example.com")
	wantStatus(t, o.do("PUT", "/api/v1/groups/"+finance+"/users/"+ada, nil), http.StatusNoContent)
	wantStatus(t, o.do("PUT", "/api/v1/groups/"+auditors+"/users/"+grace, nil), http.StatusNoContent)
	// grace is assigned directly before her group is.
	wantStatus(t, o.do("POST", "/api/v1/apps/"+app+"/users", map[string]any{"id": grace, "scope": "USER"}), http.StatusOK)

	r := o.do("PUT", "/api/v1/apps/"+app+"/groups/"+finance, nil)
	wantStatus(t, r, http.StatusOK)
	ag := r.obj(t)
	if ag["id"] != finance || ag["priority"] != float64(0) || at(ag, "_links", "self", "href") != o.e.BaseURL()+"/api/v1/apps/"+app+"/groups/"+finance ||
		at(ag, "_links", "group", "href") != o.e.BaseURL()+"/api/v1/groups/"+finance {
		t.Fatalf("group assignment %s", r.body)
	}
	r = o.do("PUT", "/api/v1/apps/"+app+"/groups/"+auditors, map[string]any{"priority": 5, "profile": map[string]any{"role": "auditor"}})
	wantStatus(t, r, http.StatusOK)
	if r.obj(t)["priority"] != float64(5) {
		t.Fatalf("priority %s", r.body)
	}
	wantError(t, o.do("PUT", "/api/v1/apps/"+app+"/groups/"+auditors, map[string]any{"priority": -1}), http.StatusBadRequest, "E0000001")
	wantError(t, o.do("PUT", "/api/v1/apps/"+app+"/groups/00gnothere0000000000", nil), http.StatusNotFound, "E0000007")

	scopes := func() map[string]string {
		out := map[string]string{}
		for _, u := range appList(t, o.do("GET", "/api/v1/apps/"+app+"/users", nil)) {
			out[u["id"].(string)] = u["scope"].(string)
		}
		return out
	}
	if s := scopes(); s[ada] != "GROUP" || s[grace] != "USER" || len(s) != 2 {
		t.Fatalf("scopes %v", s)
	}
	adaAU := o.do("GET", "/api/v1/apps/"+app+"/users/"+ada, nil).obj(t)
	if at(adaAU, "_links", "group", "href") != o.e.BaseURL()+"/api/v1/groups/"+finance {
		t.Fatalf("group link %v", adaAU["_links"])
	}
	// A group-assigned user can't be unassigned; neither can a direct one a group also grants the app to.
	wantError(t, o.do("DELETE", "/api/v1/apps/"+app+"/users/"+ada, nil), http.StatusForbidden, "E0000046")
	wantError(t, o.do("DELETE", "/api/v1/apps/"+app+"/users/"+grace, nil), http.StatusForbidden, "E0000046")

	// Membership changes of an assigned group reach the app.
	linus := o.createUser("linus@example.com")
	wantStatus(t, o.do("PUT", "/api/v1/groups/"+finance+"/users/"+linus, nil), http.StatusNoContent)
	if s := scopes(); s[linus] != "GROUP" {
		t.Fatalf("new member %v", s)
	}
	wantStatus(t, o.do("DELETE", "/api/v1/groups/"+finance+"/users/"+linus, nil), http.StatusNoContent)
	if _, ok := scopes()[linus]; ok {
		t.Fatal("a removed member keeps the app")
	}
	// A user created in an assigned group has the app at once.
	r = o.do("POST", "/api/v1/users?activate=false", map[string]any{"profile": map[string]any{"login": "new@example.com",
		"email": "new@example.com", "firstName": "New", "lastName": "Hire"}, "groupIds": []string{auditors}})
	wantStatus(t, r, http.StatusOK)
	newHire := r.obj(t)["id"].(string)
	if s := scopes(); s[newHire] != "GROUP" {
		t.Fatalf("new hire %v", s)
	}

	// Group assignments list by priority, q on the group name; the group filter of the apps list.
	groups := appList(t, o.do("GET", "/api/v1/apps/"+app+"/groups", nil))
	if ids(groups) != finance+","+auditors {
		t.Fatalf("app groups %s", ids(groups))
	}
	if got := ids(appList(t, o.do("GET", "/api/v1/apps/"+app+"/groups?q=aud&expand=group", nil))); got != auditors {
		t.Fatalf("q=aud %s", got)
	}
	got := o.do("GET", "/api/v1/apps/"+app+"/groups/"+auditors+"?expand=group", nil).obj(t)
	if at(got, "_embedded", "group", "profile", "name") != "Auditors" || at(got, "profile", "role") != "auditor" {
		t.Fatalf("get group assignment %v", got)
	}
	if got := ids(appList(t, o.do("GET", "/api/v1/apps?filter="+url.QueryEscape(`group.id eq "`+auditors+`"`), nil))); got != app {
		t.Fatalf("apps of auditors %s", got)
	}
	if got := ids(appList(t, o.do("GET", "/api/v1/apps?filter="+url.QueryEscape(`user.id eq "`+ada+`"`), nil))); got != app {
		t.Fatalf("apps of ada (through finance) %s", got)
	}

	// Unassigning a group takes the app from those it alone granted it to; grace stays, assigned directly.
	wantStatus(t, o.do("DELETE", "/api/v1/apps/"+app+"/groups/"+auditors, nil), http.StatusNoContent)
	wantError(t, o.do("GET", "/api/v1/apps/"+app+"/groups/"+auditors, nil), http.StatusNotFound, "E0000007")
	if s := scopes(); s[grace] != "USER" || s[newHire] != "" {
		t.Fatalf("after unassigning auditors %v", s)
	}
	wantStatus(t, o.do("DELETE", "/api/v1/apps/"+app+"/users/"+grace, nil), http.StatusNoContent)

	// Everyone: every user, new ones included.
	wantStatus(t, o.do("PUT", "/api/v1/apps/"+other+"/groups/"+o.e.everyoneID(), nil), http.StatusOK)
	late := o.createUser("late@example.com")
	if len(appList(t, o.do("GET", "/api/v1/apps/"+other+"/users", nil))) != len(o.e.Users()) {
		t.Fatal("Everyone's app is not every user's")
	}
	if links := appList(t, o.do("GET", "/api/v1/users/"+late+"/appLinks", nil)); len(links) != 1 || links[0]["appInstanceId"] != other {
		t.Fatalf("late's links %v", links)
	}

	// Deleting a group drops its assignments.
	wantStatus(t, o.do("DELETE", "/api/v1/groups/"+finance, nil), http.StatusNoContent)
	if len(appList(t, o.do("GET", "/api/v1/apps/"+app+"/groups", nil))) != 0 {
		t.Fatal("a deleted group is still assigned")
	}

	groupAdds := o.events("group.application_assignment.add")
	if len(groupAdds) != 3 || len(o.events("group.application_assignment.remove")) != 1 {
		t.Fatalf("%d group assignment events", len(groupAdds))
	}
	tg := groupAdds[0]["target"].([]any)
	if tg[0].(map[string]any)["type"] != "AppInstance" || tg[1].(map[string]any)["type"] != "UserGroup" {
		t.Fatalf("group assignment targets %v", tg)
	}
	jobs := 0
	for _, ev := range o.events("application.user_membership.add") {
		if at(ev, "transaction", "type") == "JOB" {
			jobs++
			if at(ev, "debugContext", "debugData", "appname") == nil {
				t.Errorf("job event without appname %v", ev["debugContext"])
			}
		}
	}
	if jobs < 4 {
		t.Fatalf("%d group-based membership events", jobs)
	}
}

func TestAppsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.json")
	const org = "http://apps.okta.test"
	o := newTestOrg(t, Options{BaseURL: org, StatePath: path})
	app := o.createApp(customSAMLBody("Payroll"), "")
	id := app["id"].(string)
	g := o.createGroup("Finance")
	ada := o.createUser("ada@example.com")
	wantStatus(t, o.do("PUT", "/api/v1/groups/"+g+"/users/"+ada, nil), http.StatusNoContent)
	wantStatus(t, o.do("PUT", "/api/v1/apps/"+id+"/groups/"+g, map[string]any{"priority": 3}), http.StatusOK)
	if err := o.e.Close(); err != nil {
		t.Fatal(err)
	}
	again := newTestOrg(t, Options{BaseURL: org, StatePath: path})
	got := again.do("GET", "/api/v1/apps/"+id, nil).obj(t)
	if got["name"] != app["name"] || at(got, "settings", "signOn", "audience") != "https://payroll.example.com" {
		t.Fatalf("app after restart %v", got)
	}
	users := appList(t, again.do("GET", "/api/v1/apps/"+id+"/users", nil))
	if len(users) != 1 || users[0]["id"] != ada || users[0]["scope"] != "GROUP" {
		t.Fatalf("app users after restart %v", users)
	}
	if ag := again.do("GET", "/api/v1/apps/"+id+"/groups/"+g, nil).obj(t); ag["priority"] != float64(3) {
		t.Fatalf("group assignment after restart %v", ag)
	}
	// A reset brings back the seeded org: no apps.
	wantStatus(t, again.do("POST", "/emulator/v1/reset", nil), http.StatusNoContent)
	if len(appList(t, again.do("GET", "/api/v1/apps", nil))) != 0 {
		t.Fatal("apps survive a reset")
	}
}
