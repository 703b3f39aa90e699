package emulator

import (
	"slices"
	"strings"
	"time"

	"github.com/trama-dev/trama/okta"
)

// standardRoles are the standard admin roles a user or group can be assigned through
// POST .../roles: the standard types of the description's StandardRoleAssignmentSchema, with the label
// Okta shows on the assignment. The IAM-based standard roles (WORKFLOWS_ADMIN,
// ACCESS_CERTIFICATIONS_ADMIN, ACCESS_REQUESTS_ADMIN) and CUSTOM roles are bound to resource sets and
// not emulated; MOBILE_ADMIN is retired (the description still decodes it in lists but no longer
// accepts it in assignments).
var standardRoles = map[string]roleInfo{
	"SUPER_ADMIN":                 {"Super Organization Administrator", "Super administrator"},
	"ORG_ADMIN":                   {"Organization Administrator", "Organization administrator"},
	"APP_ADMIN":                   {"Application Administrator", "Application administrator (all)"},
	"USER_ADMIN":                  {"Group Administrator", "Group administrator (all)"},
	"HELP_DESK_ADMIN":             {"Help Desk Administrator", "Help Desk administrator (all)"},
	"READ_ONLY_ADMIN":             {"Read-only Administrator", "Read only admin"},
	"API_ACCESS_MANAGEMENT_ADMIN": {"API Access Management Administrator", "API Access Management administrator"},
	"REPORT_ADMIN":                {"Report Administrator", "Report administrator"},
	"GROUP_MEMBERSHIP_ADMIN":      {"Group Membership Administrator", "Group Membership administrator (all)"},
}

// notEmulatedRoles are role types Okta knows that the emulator refuses with a cause saying why.
var notEmulatedRoles = map[string]string{
	"CUSTOM":                      "custom roles are assigned through a resource set binding, which is not emulated",
	"WORKFLOWS_ADMIN":             "IAM-based standard roles are not emulated",
	"ACCESS_CERTIFICATIONS_ADMIN": "IAM-based standard roles are not emulated",
	"ACCESS_REQUESTS_ADMIN":       "IAM-based standard roles are not emulated",
	"MOBILE_ADMIN":                "the Mobile Administrator role is retired and can no longer be assigned",
}

// roleInfo is how a role type reads: label on the assignment object, privilege in the System Log's
// privilegeGranted/privilegeRevoked debug data (Okta's wording, unscoped roles marked "(all)").
type roleInfo struct{ label, privilege string }

// roleAssignment is one standard role assigned to a user (id ra…) or a group (id gra…), the prefixes
// Okta's examples use. Fields are exported for the state file.
type roleAssignment struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Created     time.Time `json:"created"`
	LastUpdated time.Time `json:"lastUpdated"`
}

// newUserRoleID and newGroupRoleID are 20-character ids with Okta's prefixes for direct and group
// assignments.
func newUserRoleID() string  { return newID("ra") }
func newGroupRoleID() string { return newID("gra") }

// roleJSON is the wire form of a StandardRole assignment.
type roleJSON struct {
	ID             string         `json:"id"`
	Label          string         `json:"label"`
	Type           string         `json:"type"`
	Status         string         `json:"status"`
	Created        okta.Time      `json:"created"`
	LastUpdated    okta.Time      `json:"lastUpdated"`
	AssignmentType string         `json:"assignmentType"`
	Links          map[string]any `json:"_links"`
}

// render shows the assignment as Okta does; assignee is the user or group it was made to, assigneePath
// its API path ("/api/v1/users/00u…" or "/api/v1/groups/00g…").
func (ra *roleAssignment) render(base, assignmentType, assigneePath string) roleJSON {
	return roleJSON{
		ID: ra.ID, Label: standardRoles[ra.Type].label, Type: ra.Type, Status: "ACTIVE",
		Created: okta.Time{Time: ra.Created}, LastUpdated: okta.Time{Time: ra.LastUpdated},
		AssignmentType: assignmentType,
		Links:          map[string]any{"assignee": map[string]any{"href": base + assigneePath}},
	}
}

// effectiveRole is a role a user holds, directly (via nil) or through a group's assignment.
type effectiveRole struct {
	ra  *roleAssignment
	via *group
}

// userRoles lists the roles u holds: its own assignments, then those of its groups in group order.
// e.mu must be held.
func (e *Emulator) userRoles(u *user) []effectiveRole {
	out := make([]effectiveRole, 0, len(u.Roles))
	for _, ra := range u.Roles {
		out = append(out, effectiveRole{ra: ra})
	}
	for _, g := range e.userGroups(u) {
		for _, ra := range g.Roles {
			out = append(out, effectiveRole{ra: ra, via: g})
		}
	}
	return out
}

func (r effectiveRole) render(base string, u *user) roleJSON {
	if r.via != nil {
		return r.ra.render(base, "GROUP", "/api/v1/groups/"+r.via.ID)
	}
	return r.ra.render(base, "USER", "/api/v1/users/"+u.ID)
}

// privileges is the privilegeGranted text of a System Log event: the roles' privilege names, each once,
// comma-separated, as Okta writes them.
func privileges(roles []*roleAssignment) string {
	var names []string
	for _, ra := range roles {
		if p := standardRoles[ra.Type].privilege; p != "" && !slices.Contains(names, p) {
			names = append(names, p)
		}
	}
	return strings.Join(names, ", ")
}

// hasRoleType reports whether roles has an assignment of type t.
func hasRoleType(roles []*roleAssignment, t string) bool {
	return slices.ContainsFunc(roles, func(ra *roleAssignment) bool { return ra.Type == t })
}
