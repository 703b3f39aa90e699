package emulator

import (
	"net/http"
	"strings"
	"testing"
)

func roleList(t testing.TB, r response) []map[string]any {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var out []map[string]any
	r.json(t, &out)
	return out
}

func debugData(ev map[string]any) map[string]any {
	return ev["debugContext"].(map[string]any)["debugData"].(map[string]any)
}

func TestUserRoleAssignments(t *testing.T) {
	o := newTestOrg(t, Options{})
	// The token's owner is a super admin, as the owner of an API token is.
	admin := roleList(t, o.do("GET", "/api/v1/users/me/roles", nil))
	if len(admin) != 1 || admin[0]["type"] != "SUPER_ADMIN" || admin[0]["assignmentType"] != "USER" {
		t.Fatalf("admin roles %v", admin)
	}

	uid := o.createUser("helpdesk@example.com")
	r := o.do("POST", "/api/v1/users/"+uid+"/roles", map[string]string{"type": "USER_ADMIN"})
	wantStatus(t, r, http.StatusCreated)
	ra := r.obj(t)
	raID := ra["id"].(string)
	if !strings.HasPrefix(raID, "ra") || len(raID) != 20 || ra["label"] != "Group Administrator" || ra["status"] != "ACTIVE" ||
		ra["assignmentType"] != "USER" {
		t.Fatalf("assignment %v", ra)
	}
	if href := ra["_links"].(map[string]any)["assignee"].(map[string]any)["href"]; href != o.srv.URL+"/api/v1/users/"+uid {
		t.Errorf("assignee %v", href)
	}

	// Refusals.
	wantError(t, o.do("POST", "/api/v1/users/"+uid+"/roles", map[string]string{"type": "USER_ADMIN"}), http.StatusConflict, "E0000090")
	for _, typ := range []string{"", "NOT_A_ROLE", "CUSTOM", "MOBILE_ADMIN", "WORKFLOWS_ADMIN"} {
		bad := o.do("POST", "/api/v1/users/"+uid+"/roles", map[string]string{"type": typ})
		wantError(t, bad, http.StatusBadRequest, "E0000001")
		if typ != "" && !strings.Contains(string(bad.body), typ) {
			t.Errorf("%q: the error does not name the type: %s", typ, bad.body)
		}
	}
	wantError(t, o.do("POST", "/api/v1/users/00umissing0000000000/roles", map[string]string{"type": "ORG_ADMIN"}), http.StatusNotFound, "E0000007")
	wantError(t, o.do("GET", "/api/v1/users/00umissing0000000000/roles", nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("GET", "/api/v1/users/"+uid+"/roles/ramissing00000000000", nil), http.StatusNotFound, "E0000007")

	r = o.do("POST", "/api/v1/users/"+uid+"/roles?disableNotifications=true", map[string]string{"type": "HELP_DESK_ADMIN"})
	wantStatus(t, r, http.StatusCreated)
	second := r.obj(t)["id"].(string)
	if got := roleList(t, o.do("GET", "/api/v1/users/"+uid+"/roles", nil)); len(got) != 2 {
		t.Fatalf("roles %v", got)
	}
	wantStatus(t, o.do("GET", "/api/v1/users/"+uid+"/roles/"+raID, nil), http.StatusOK)

	grants := o.events("user.account.privilege.grant")
	if len(grants) != 2 || debugData(grants[1])["privilegeGranted"] != "Group administrator (all), Help Desk administrator (all)" ||
		grants[1]["displayMessage"] != "Grant user privilege" || grants[1]["legacyEventType"] != "core.user.admin_privilege.granted" {
		t.Fatalf("grant events %v", grants)
	}

	// Unassigning one of two roles changes the privileges; unassigning the last revokes them.
	wantStatus(t, o.do("DELETE", "/api/v1/users/"+uid+"/roles/"+raID, nil), http.StatusNoContent)
	wantError(t, o.do("GET", "/api/v1/users/"+uid+"/roles/"+raID, nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("DELETE", "/api/v1/users/"+uid+"/roles/"+raID, nil), http.StatusNotFound, "E0000007")
	if g := o.events("user.account.privilege.grant"); len(g) != 3 || debugData(g[2])["privilegeGranted"] != "Help Desk administrator (all)" {
		t.Errorf("after a partial unassign: %v", g)
	}
	if n := len(o.events("user.account.privilege.revoke")); n != 0 {
		t.Errorf("%d revoke events while a role remains", n)
	}
	wantStatus(t, o.do("DELETE", "/api/v1/users/"+uid+"/roles/"+second, nil), http.StatusNoContent)
	rev := o.events("user.account.privilege.revoke")
	if len(rev) != 1 || debugData(rev[0])["privilegeRevoked"] != "Help Desk administrator (all)" {
		t.Errorf("revoke events %v", rev)
	}
	if got := roleList(t, o.do("GET", "/api/v1/users/"+uid+"/roles", nil)); len(got) != 0 {
		t.Errorf("roles after unassigning all: %v", got)
	}
}

func TestGroupRoleAssignments(t *testing.T) {
	o := newTestOrg(t, Options{})
	gid := o.createGroup("Help Desk")
	uid := o.createUser("member@example.com")
	wantStatus(t, o.do("PUT", "/api/v1/groups/"+gid+"/users/"+uid, nil), http.StatusNoContent)

	r := o.do("POST", "/api/v1/groups/"+gid+"/roles", map[string]string{"type": "HELP_DESK_ADMIN"})
	wantStatus(t, r, http.StatusOK)
	ra := r.obj(t)
	graID := ra["id"].(string)
	if !strings.HasPrefix(graID, "gra") || len(graID) != 20 || ra["assignmentType"] != "GROUP" || ra["label"] != "Help Desk Administrator" {
		t.Fatalf("assignment %v", ra)
	}
	wantError(t, o.do("POST", "/api/v1/groups/"+gid+"/roles", map[string]string{"type": "HELP_DESK_ADMIN"}), http.StatusConflict, "E0000090")
	wantError(t, o.do("POST", "/api/v1/groups/"+gid+"/roles", map[string]string{"type": "BOSS"}), http.StatusBadRequest, "E0000001")
	wantError(t, o.do("POST", "/api/v1/groups/00gmissing0000000000/roles", map[string]string{"type": "ORG_ADMIN"}), http.StatusNotFound, "E0000007")
	everyone := o.e.everyoneID()
	builtIn := o.do("POST", "/api/v1/groups/"+everyone+"/roles", map[string]string{"type": "READ_ONLY_ADMIN"})
	wantError(t, builtIn, http.StatusBadRequest, "E0000211")

	if got := roleList(t, o.do("GET", "/api/v1/groups/"+gid+"/roles", nil)); len(got) != 1 || got[0]["id"] != graID {
		t.Fatalf("group roles %v", got)
	}
	wantStatus(t, o.do("GET", "/api/v1/groups/"+gid+"/roles/"+graID, nil), http.StatusOK)

	// The member holds the role through the group: assignmentType GROUP, the group as assignee.
	member := roleList(t, o.do("GET", "/api/v1/users/"+uid+"/roles", nil))
	if len(member) != 1 || member[0]["id"] != graID || member[0]["assignmentType"] != "GROUP" ||
		member[0]["_links"].(map[string]any)["assignee"].(map[string]any)["href"] != o.srv.URL+"/api/v1/groups/"+gid {
		t.Fatalf("member roles %v", member)
	}
	wantStatus(t, o.do("GET", "/api/v1/users/"+uid+"/roles/"+graID, nil), http.StatusOK)
	// It is unassigned from the group, not from the user.
	wantError(t, o.do("DELETE", "/api/v1/users/"+uid+"/roles/"+graID, nil), http.StatusNotFound, "E0000007")
	// A direct assignment of the same type is a second assignment, not a duplicate.
	wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/roles", map[string]string{"type": "HELP_DESK_ADMIN"}), http.StatusCreated)
	if got := roleList(t, o.do("GET", "/api/v1/users/"+uid+"/roles", nil)); len(got) != 2 || got[0]["assignmentType"] != "USER" {
		t.Errorf("member roles %v", got)
	}

	grant := o.events("group.privilege.grant")
	if len(grant) != 1 || debugData(grant[0])["privilegeGranted"] != "Help Desk administrator (all)" ||
		grant[0]["target"].([]any)[0].(map[string]any)["type"] != "UserGroup" {
		t.Fatalf("group.privilege.grant %v", grant)
	}
	wantStatus(t, o.do("DELETE", "/api/v1/groups/"+gid+"/roles/"+graID, nil), http.StatusNoContent)
	wantError(t, o.do("DELETE", "/api/v1/groups/"+gid+"/roles/"+graID, nil), http.StatusNotFound, "E0000007")
	if rev := o.events("group.privilege.revoke"); len(rev) != 1 || debugData(rev[0])["privilegeRevoked"] != "Help Desk administrator (all)" {
		t.Errorf("group.privilege.revoke %v", rev)
	}

	// Leaving the group takes the group's roles away.
	wantStatus(t, o.do("POST", "/api/v1/groups/"+gid+"/roles", map[string]string{"type": "REPORT_ADMIN"}), http.StatusOK)
	wantStatus(t, o.do("DELETE", "/api/v1/groups/"+gid+"/users/"+uid, nil), http.StatusNoContent)
	if got := roleList(t, o.do("GET", "/api/v1/users/"+uid+"/roles", nil)); len(got) != 1 || got[0]["type"] != "HELP_DESK_ADMIN" {
		t.Errorf("roles after leaving the group %v", got)
	}
}
