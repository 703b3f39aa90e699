package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/trama-dev/trama/okta"
)

// Standard admin role assignments to users and groups. A user's list shows its own assignments
// (assignmentType USER) and those of its groups (assignmentType GROUP, the group as assignee). Roles are
// recorded and reported; the emulator does not restrict what an admin may do by them.

// roleBody is the request body of an assignment: a standard role names only its type; a custom role
// also names a role and a resource set.
type roleBody struct {
	Type        string `json:"type"`
	Role        string `json:"role"`
	ResourceSet string `json:"resource-set"`
}

// roleTypeNames lists the assignable types for error causes, sorted.
var roleTypeNames = func() string {
	names := make([]string, 0, len(standardRoles))
	for t := range standardRoles {
		names = append(names, t)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}()

// decodeRole reads and checks an assignment request.
func decodeRole(rq *request) (string, error) {
	var body roleBody
	if _, err := decodeBody(rq.r, &body); err != nil {
		return "", err
	}
	t := body.Type
	switch {
	case t == "":
		return "", errValidation("type", "type: The field cannot be left blank")
	case notEmulatedRoles[t] != "":
		return "", errValidation("type", "type: "+t+" cannot be assigned here: "+notEmulatedRoles[t])
	case standardRoles[t] == roleInfo{}:
		return "", errValidation("type", "type: "+strconv.Quote(t)+" is not a standard role type; use one of "+roleTypeNames)
	}
	return t, nil
}

// privilegeEvent logs a principal's admin privileges after a change, as Okta's catalog describes the
// pair: *.privilege.grant when privileges were granted or changed (privilegeGranted lists all it now
// holds), *.privilege.revoke when none remain (privilegeRevoked names what was taken). kind is "user" or
// "group". e.mu must be held.
func (e *Emulator) privilegeEvent(rq *request, kind string, target okta.Target, now []*roleAssignment, revoked *roleAssignment) okta.LogEvent {
	var ev okta.LogEvent
	switch {
	case kind == "user" && len(now) > 0:
		ev = e.event(rq, "user.account.privilege.grant", "Grant user privilege", "", target)
		ev.LegacyEventType = "core.user.admin_privilege.granted"
		ev.DebugContext.DebugData["privilegeGranted"] = privileges(now)
	case kind == "user":
		ev = e.event(rq, "user.account.privilege.revoke", "Revoke user privilege", "", target)
		ev.LegacyEventType = "core.user.admin_privilege.revoked"
		ev.DebugContext.DebugData["privilegeRevoked"] = privileges([]*roleAssignment{revoked})
	case len(now) > 0:
		ev = e.event(rq, "group.privilege.grant", "Group Privilege granted", "", target)
		ev.LegacyEventType = "group.privilege.grant"
		ev.DebugContext.DebugData["privilegeGranted"] = privileges(now)
	default:
		ev = e.event(rq, "group.privilege.revoke", "Group Privilege revoked", "", target)
		ev.LegacyEventType = "group.privilege.revoke"
		ev.DebugContext.DebugData["privilegeRevoked"] = privileges([]*roleAssignment{revoked})
	}
	return ev
}

func assignments(roles []effectiveRole) []*roleAssignment {
	out := make([]*roleAssignment, len(roles))
	for i, r := range roles {
		out[i] = r.ra
	}
	return out
}

// assignUserRole assigns a standard role to a user: 201 with the assignment. A role the user already
// holds directly is 409 E0000090; holding it through a group does not prevent a direct assignment.
func (e *Emulator) assignUserRole(rq *request) (int, any, error) {
	t, err := decodeRole(rq)
	if err != nil {
		return 0, nil, err
	}
	e.mu.Lock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err == nil && hasRoleType(u.Roles, t) {
		err = errDuplicateRole()
	}
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	ra := &roleAssignment{ID: newUserRoleID(), Type: t, Created: rq.now, LastUpdated: rq.now}
	u.Roles = append(u.Roles, ra)
	ev := e.privilegeEvent(rq, "user", u.target(), assignments(e.userRoles(u)), nil)
	out := effectiveRole{ra: ra}.render(e.opts.BaseURL, u)
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusCreated, out, nil
}

func (e *Emulator) listUserRoles(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	roles := e.userRoles(u)
	out := make([]roleJSON, 0, len(roles))
	for _, r := range roles {
		out = append(out, r.render(e.opts.BaseURL, u))
	}
	return http.StatusOK, out, nil
}

// userRoleFromPath finds {id} and one of the roles it holds, {roleAssignmentId}. e.mu must be held.
func (e *Emulator) userRoleFromPath(rq *request) (*user, effectiveRole, error) {
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		return nil, effectiveRole{}, err
	}
	id := rq.r.PathValue("roleAssignmentId")
	for _, r := range e.userRoles(u) {
		if r.ra.ID == id {
			return u, r, nil
		}
	}
	return nil, effectiveRole{}, errNotFound(id, "RoleAssignment")
}

func (e *Emulator) getUserRole(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, r, err := e.userRoleFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, r.render(e.opts.BaseURL, u), nil
}

// unassignUserRole removes one of the user's own assignments: 204. A role the user holds through a
// group is unassigned from the group, so its id is not found here.
func (e *Emulator) unassignUserRole(rq *request) (int, any, error) {
	e.mu.Lock()
	u, r, err := e.userRoleFromPath(rq)
	if err == nil && r.via != nil {
		err = errNotFound(r.ra.ID, "RoleAssignment")
	}
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	u.Roles = slices.DeleteFunc(u.Roles, func(x *roleAssignment) bool { return x == r.ra })
	ev := e.privilegeEvent(rq, "user", u.target(), assignments(e.userRoles(u)), r.ra)
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusNoContent, nil, nil
}

// assignGroupRole assigns a standard role to a group: 200 with the assignment (Okta's description
// documents 200 with a body for groups, 201 for users). Every member then holds it. The built-in
// Everyone group cannot hold roles (400 E0000211).
func (e *Emulator) assignGroupRole(rq *request) (int, any, error) {
	t, err := decodeRole(rq)
	if err != nil {
		return 0, nil, err
	}
	e.mu.Lock()
	g, err := e.groupFromPath(rq)
	switch {
	case err != nil:
	case g.Type == groupBuiltIn:
		err = errBuiltInGroupRole(g.name())
	case hasRoleType(g.Roles, t):
		err = errDuplicateRole()
	case e.ruleAssigning(g) != nil:
		// Okta's help: "A group that is already the target of a group rule cannot be granted admin
		// privileges." The status and text are inferred.
		err = errValidation("type", fmt.Sprintf("type: %s is assigned users by the group rule %q and cannot be granted admin roles",
			g.name(), e.ruleAssigning(g).Name))
	}
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	ra := &roleAssignment{ID: newGroupRoleID(), Type: t, Created: rq.now, LastUpdated: rq.now}
	g.Roles = append(g.Roles, ra)
	ev := e.privilegeEvent(rq, "group", g.target(), g.Roles, nil)
	out := ra.render(e.opts.BaseURL, "GROUP", "/api/v1/groups/"+g.ID)
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusOK, out, nil
}

func (e *Emulator) listGroupRoles(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, err := e.groupFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	out := make([]roleJSON, 0, len(g.Roles))
	for _, ra := range g.Roles {
		out = append(out, ra.render(e.opts.BaseURL, "GROUP", "/api/v1/groups/"+g.ID))
	}
	return http.StatusOK, out, nil
}

// groupRoleFromPath finds {groupId} and its assignment {roleAssignmentId}. e.mu must be held.
func (e *Emulator) groupRoleFromPath(rq *request) (*group, *roleAssignment, error) {
	g, err := e.groupFromPath(rq)
	if err != nil {
		return nil, nil, err
	}
	id := rq.r.PathValue("roleAssignmentId")
	for _, ra := range g.Roles {
		if ra.ID == id {
			return g, ra, nil
		}
	}
	return nil, nil, errNotFound(id, "RoleAssignment")
}

func (e *Emulator) getGroupRole(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ra, err := e.groupRoleFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ra.render(e.opts.BaseURL, "GROUP", "/api/v1/groups/"+g.ID), nil
}

func (e *Emulator) unassignGroupRole(rq *request) (int, any, error) {
	e.mu.Lock()
	g, ra, err := e.groupRoleFromPath(rq)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	g.Roles = slices.DeleteFunc(g.Roles, func(x *roleAssignment) bool { return x == ra })
	ev := e.privilegeEvent(rq, "group", g.target(), g.Roles, ra)
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusNoContent, nil, nil
}
