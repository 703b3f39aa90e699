package emulator

import (
	"slices"
	"strings"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Group types, as Okta names them (GroupType): OKTA_GROUP groups are created and managed through the
// API; BUILT_IN is the Everyone group, whose profile and members Okta manages; APP_GROUP groups are
// imported from an app (Active Directory, LDAP, ...) and managed there.
const (
	groupOkta    = "OKTA_GROUP"
	groupBuiltIn = "BUILT_IN"
	groupApp     = "APP_GROUP"
)

// everyoneName and everyoneDescription are the profile Okta gives the built-in group every org has.
const (
	everyoneName        = "Everyone"
	everyoneDescription = "All users in your organization"
)

// group is one org group with its members and admin role assignments. Fields are exported for the
// state file. The Everyone group stores no members: every user is one.
type group struct {
	ID                    string            `json:"id"`
	Type                  string            `json:"type"`
	Created               time.Time         `json:"created"`
	LastUpdated           time.Time         `json:"lastUpdated"`
	LastMembershipUpdated time.Time         `json:"lastMembershipUpdated"`
	Profile               map[string]any    `json:"profile"`
	Members               []string          `json:"members,omitempty"`
	Roles                 []*roleAssignment `json:"roles,omitempty"`
}

func (g *group) name() string { s, _ := g.Profile["name"].(string); return s }

// target is the System Log view of the group. Okta writes alternateId "unknown" for groups (a recorded
// group.user_membership.add event shows it) and the group's name as displayName.
func (g *group) target() okta.Target {
	return okta.Target{ID: g.ID, Type: "UserGroup", AlternateID: "unknown", DisplayName: g.name()}
}

// hasMember reports whether the user is a member. e.mu must be held by the caller.
func (g *group) hasMember(userID string) bool {
	return g.Type == groupBuiltIn || slices.Contains(g.Members, userID)
}

// everyoneID is the id of the org's Everyone group. A new org derives it from the org URL; a state
// file keeps the one it had, so resets and restarts never change it.
func (e *Emulator) everyoneID() string { return e.everyone }

func newEveryoneGroup(id string, now time.Time) *group {
	return &group{ID: id, Type: groupBuiltIn, Created: now, LastUpdated: now, LastMembershipUpdated: now,
		Profile: map[string]any{"name": everyoneName, "description": everyoneDescription}}
}

// addGroup indexes g. e.mu must be held.
func (e *Emulator) addGroup(g *group) {
	e.groups[g.ID] = g
	e.groupOrder = append(e.groupOrder, g)
}

// removeGroup drops g from the indexes. e.mu must be held.
func (e *Emulator) removeGroup(g *group) {
	delete(e.groups, g.ID)
	e.groupOrder = slices.DeleteFunc(e.groupOrder, func(x *group) bool { return x == g })
}

// groupNamed finds a group by name, case-insensitively. e.mu must be held.
func (e *Emulator) groupNamed(name string) *group {
	for _, g := range e.groupOrder {
		if strings.EqualFold(g.name(), name) {
			return g
		}
	}
	return nil
}

// userGroups lists the groups u belongs to, in group order (Everyone first). e.mu must be held.
func (e *Emulator) userGroups(u *user) []*group {
	var out []*group
	for _, g := range e.groupOrder {
		if g.hasMember(u.ID) {
			out = append(out, g)
		}
	}
	return out
}

// membershipChanged stamps lastMembershipUpdated on the Everyone group when a user joins or leaves the
// org. e.mu must be held.
func (e *Emulator) membershipChanged(now time.Time) {
	if g, ok := e.groups[e.everyoneID()]; ok {
		g.LastMembershipUpdated = now
	}
}

// dropMemberships removes a deleted user from every group. e.mu must be held.
func (e *Emulator) dropMemberships(userID string, now time.Time) {
	for _, g := range e.groupOrder {
		if i := slices.Index(g.Members, userID); i >= 0 {
			g.Members = slices.Delete(g.Members, i, i+1)
			g.LastMembershipUpdated = now
		}
	}
	e.membershipChanged(now)
}

// groupJSON is the wire form of a Group.
type groupJSON struct {
	ID                    string         `json:"id"`
	Created               okta.Time      `json:"created"`
	LastUpdated           okta.Time      `json:"lastUpdated"`
	LastMembershipUpdated okta.Time      `json:"lastMembershipUpdated"`
	ObjectClass           []string       `json:"objectClass"`
	Type                  string         `json:"type"`
	Profile               map[string]any `json:"profile"`
	Links                 map[string]any `json:"_links"`
}

// render returns the group as Okta shows it: objectClass okta:user_group, the group logos, and links
// to its users and apps. Profiles are replaced, never mutated, so the map may be shared.
func (g *group) render(base string) groupJSON {
	self := base + "/api/v1/groups/" + g.ID
	logo := func(size string) map[string]any {
		return map[string]any{"name": size, "href": base + "/img/logos/groups/okta-" + size + ".png", "type": "image/png"}
	}
	objectClass := "okta:user_group"
	if g.Type == groupApp {
		objectClass = "okta:windows_security_principal"
	}
	return groupJSON{
		ID: g.ID, Created: okta.Time{Time: g.Created}, LastUpdated: okta.Time{Time: g.LastUpdated},
		LastMembershipUpdated: okta.Time{Time: g.LastMembershipUpdated}, ObjectClass: []string{objectClass},
		Type: g.Type, Profile: g.Profile,
		Links: map[string]any{
			"logo":  []any{logo("medium"), logo("large")},
			"users": map[string]any{"href": self + "/users"},
			"apps":  map[string]any{"href": self + "/apps"},
		},
	}
}

// filterView is the group as the filter and search parameters see it, timestamps in Okta's layout so gt
// and lt compare them in time order.
func (g *group) filterView() map[string]any {
	return map[string]any{
		"id": g.ID, "type": g.Type, "profile": g.Profile,
		"created":               g.Created.UTC().Format(okta.TimeLayout),
		"lastUpdated":           g.LastUpdated.UTC().Format(okta.TimeLayout),
		"lastMembershipUpdated": g.LastMembershipUpdated.UTC().Format(okta.TimeLayout),
	}
}
