package emulator

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trama-dev/trama/internal/lazyregexp"
	"github.com/trama-dev/trama/okta"
)

// App assignments: users assigned directly (scope USER) and through the groups assigned to the app
// (scope GROUP), group assignments with their priority, and a user's app links. A direct assignment
// stays USER when a group also grants the app, as on Okta; a user who has the app only through groups
// is GROUP. Membership changes of an assigned group add and remove app users at once (Okta does it in a
// background job, whose events the emulator writes with transaction type JOB).

// appUser is one user's assignment to an app. Groups lists the assigned groups that grant the app, kept
// current by syncAppUsers. Fields are exported for the state file.
type appUser struct {
	// ID is the assignment's own id: System Log events name it (target type AppUser) and app links carry
	// it as appAssignmentId. The API's AppUser object is identified by the user's id.
	ID              string         `json:"id"`
	UserID          string         `json:"userId"`
	Direct          bool           `json:"direct,omitempty"`
	Groups          []string       `json:"groups,omitempty"`
	Created         time.Time      `json:"created"`
	LastUpdated     time.Time      `json:"lastUpdated"`
	StatusChanged   time.Time      `json:"statusChanged"`
	PasswordChanged time.Time      `json:"passwordChanged"`
	UserName        string         `json:"userName,omitempty"`
	HasPassword     bool           `json:"hasPassword,omitempty"`
	Profile         map[string]any `json:"profile,omitempty"`
}

func (au *appUser) scope() string {
	if au.Direct {
		return "USER"
	}
	return "GROUP"
}

// appGroup is a group's assignment to an app. Fields are exported for the state file.
type appGroup struct {
	GroupID     string         `json:"groupId"`
	Priority    int            `json:"priority"`
	Profile     map[string]any `json:"profile,omitempty"`
	Created     time.Time      `json:"created"`
	LastUpdated time.Time      `json:"lastUpdated"`
}

func (e *Emulator) appUserFor(a *application, userID string) *appUser {
	for _, au := range a.Users {
		if au.UserID == userID {
			return au
		}
	}
	return nil
}

// appGroupFor is g's assignment to a, nil when g is nil or not assigned.
func (e *Emulator) appGroupFor(a *application, g *group) *appGroup {
	if g == nil {
		return nil
	}
	for _, ag := range a.Groups {
		if ag.GroupID == g.ID {
			return ag
		}
	}
	return nil
}

// sortedAppGroups lists a's group assignments by priority (0 first), then in the order they were made.
func sortedAppGroups(a *application) []*appGroup {
	out := slices.Clone(a.Groups)
	slices.SortStableFunc(out, func(x, y *appGroup) int { return cmp.Compare(x.Priority, y.Priority) })
	return out
}

// appUserGroup is the group with the highest priority among those granting au the app, nil for none.
func (e *Emulator) appUserGroup(a *application, au *appUser) *group {
	for _, ag := range sortedAppGroups(a) {
		if slices.Contains(au.Groups, ag.GroupID) {
			return e.groups[ag.GroupID]
		}
	}
	return nil
}

// groupMembers lists g's users: every user for the Everyone group. e.mu must be held.
func (e *Emulator) groupMembers(g *group) []*user {
	if g.Type == groupBuiltIn {
		return e.order
	}
	out := make([]*user, 0, len(g.Members))
	for _, id := range g.Members {
		if u, ok := e.users[id]; ok {
			out = append(out, u)
		}
	}
	return out
}

// attributeTemplate matches the username templates that name one profile attribute, with or without
// the ${} of Okta's expression language: ${source.email}, user.firstName.
var attributeTemplate = lazyregexp.New(`^(?:\$\{)?(?:source|user)\.([A-Za-z0-9_]+)\}?$`)

// appUserName is the username the assignment shows: the one assigned, or what the app's username
// template makes of the user's profile. Okta's built-in templates and single-attribute expressions are
// evaluated; other expressions are not, and the login stands in for them.
func (e *Emulator) appUserName(a *application, au *appUser, u *user) string {
	if au.UserName != "" {
		return au.UserName
	}
	tmpl, _ := a.Credentials["userNameTemplate"].(map[string]any)
	t, _ := tmpl["template"].(string)
	attr := func(name string) string { s, _ := u.Profile[name].(string); return s }
	before := func(s string) string { b, _, _ := strings.Cut(s, "@"); return b }
	var name string
	switch t {
	case `${fn:substringBefore(source.login, "@")}`:
		name = before(u.login())
	case `${fn:substringBefore(source.email, "@")}`:
		name = before(u.email())
	case "${fn:toLowerCase(source.email)}":
		name = strings.ToLower(u.email())
	default:
		if m := attributeTemplate.FindStringSubmatch(t); m != nil {
			name = attr(m[1])
		}
	}
	if name == "" {
		name = u.login()
	}
	return name
}

// appUserTarget is the System Log view of an assignment, as Okta's recorded events show it: type
// AppUser, the assignment id, and the user's login and name.
func appUserTarget(au *appUser, u *user) okta.Target {
	t := u.target()
	return okta.Target{ID: au.ID, Type: "AppUser", AlternateID: t.AlternateID, DisplayName: t.DisplayName}
}

// appUserEvent is application.user_membership.add, .update or .remove, targeting the assignment, the
// app and the user, as recorded Okta events do. A change made by Okta's background job (group-based
// assignment) has a JOB transaction and debugData naming the app, as recorded. e.mu must be held.
func (e *Emulator) appUserEvent(rq *request, change string, a *application, au *appUser, u *user, job bool) okta.LogEvent {
	var message string
	switch change {
	case "add":
		message = "Add user to application membership"
	case "update":
		message = "Updated user application property"
	default:
		message = "Remove user's application membership"
	}
	ev := e.event(rq, "application.user_membership."+change, message, "", appUserTarget(au, u), a.target(), u.target())
	if change == "add" {
		ev.LegacyEventType = "app.generic.provision.assign_user_to_app"
	}
	if job {
		ev.Transaction = &okta.Transaction{Type: "JOB", ID: newRequestID(), Detail: map[string]any{}}
		ev.DebugContext = &okta.DebugContext{DebugData: map[string]any{"appname": a.Label}}
	}
	return ev
}

// appGroupEvent is group.application_assignment.add, .update or .remove, targeting the app and the
// group; the display messages are the event catalog's descriptions. e.mu must be held.
func (e *Emulator) appGroupEvent(rq *request, change string, a *application, g *group) okta.LogEvent {
	message := map[string]string{"add": "Add assigned application to group", "update": "Update assigned application in group",
		"remove": "Remove assigned application from group"}[change]
	return e.event(rq, "group.application_assignment."+change, message, "", a.target(), g.target())
}

// syncAppUsers brings a's group-based assignments in line with its group assignments and their
// members: members gain the app, users no group grants any longer lose it unless assigned directly.
// It returns the events, JOB transactions, in the order of the changes. e.mu must be held.
func (e *Emulator) syncAppUsers(rq *request, a *application) []okta.LogEvent {
	grants := map[string][]string{}
	var order []*user
	for _, ag := range sortedAppGroups(a) {
		g, ok := e.groups[ag.GroupID]
		if !ok {
			continue
		}
		for _, u := range e.groupMembers(g) {
			if _, seen := grants[u.ID]; !seen {
				order = append(order, u)
			}
			grants[u.ID] = append(grants[u.ID], g.ID)
		}
	}
	var events []okta.LogEvent
	kept := make([]*appUser, 0, len(a.Users))
	for _, au := range a.Users {
		au.Groups = grants[au.UserID]
		if au.Direct || len(au.Groups) > 0 {
			kept = append(kept, au)
			continue
		}
		if u, ok := e.users[au.UserID]; ok {
			events = append(events, e.appUserEvent(rq, "remove", a, au, u, true))
		}
	}
	a.Users = kept
	for _, u := range order {
		if e.appUserFor(a, u.ID) != nil {
			continue
		}
		au := &appUser{ID: newID("0ua"), UserID: u.ID, Groups: grants[u.ID], Created: rq.now, LastUpdated: rq.now,
			StatusChanged: rq.now}
		a.Users = append(a.Users, au)
		events = append(events, e.appUserEvent(rq, "add", a, au, u, true))
	}
	return events
}

// syncGroupApps re-syncs the apps assigned to any of groups after their members changed, and returns
// the events. e.mu must be held.
func (e *Emulator) syncGroupApps(rq *request, groups ...*group) []okta.LogEvent {
	var events []okta.LogEvent
	for _, a := range e.appOrder {
		if slices.ContainsFunc(groups, func(g *group) bool { return e.appGroupFor(a, g) != nil }) {
			events = append(events, e.syncAppUsers(rq, a)...)
		}
	}
	return events
}

// forgetUser drops a deleted user's assignments. Like group memberships, they go without events.
// e.mu must be held.
func (e *Emulator) forgetUser(userID string) {
	for _, a := range e.appOrder {
		a.Users = slices.DeleteFunc(a.Users, func(au *appUser) bool { return au.UserID == userID })
	}
}

// forgetGroup drops a deleted group's app assignments and the access it granted, without events, as
// deleting a group logs no membership events. e.mu must be held.
func (e *Emulator) forgetGroup(rq *request, g *group) {
	for _, a := range e.appOrder {
		if e.appGroupFor(a, g) == nil {
			continue
		}
		a.Groups = slices.DeleteFunc(a.Groups, func(ag *appGroup) bool { return ag.GroupID == g.ID })
		e.syncAppUsers(rq, a)
	}
}

// appUserBody is the request body of an assignment or an assignment update.
type appUserBody struct {
	id, scope string
	userName  string
	password  bool
	profile   map[string]any
}

func decodeAppUser(rq *request) (*appUserBody, error) {
	m, err := decodeObject(rq.r)
	if err != nil {
		return nil, err
	}
	b := &appUserBody{}
	if b.id, _, err = jsonString(m, "id"); err != nil {
		return nil, err
	}
	if b.scope, _, err = jsonString(m, "scope"); err != nil {
		return nil, err
	}
	if b.profile, err = jsonObject(m, "profile"); err != nil {
		return nil, err
	}
	creds, err := jsonObject(m, "credentials")
	if err != nil {
		return nil, err
	}
	if b.userName, _, err = jsonString(orEmpty(creds), "userName"); err != nil {
		return nil, err
	}
	pw, err := jsonObject(orEmpty(creds), "password")
	if err != nil {
		return nil, err
	}
	value, _, err := jsonString(orEmpty(pw), "value")
	if err != nil {
		return nil, err
	}
	b.password = value != ""
	switch {
	case b.scope != "" && b.scope != "USER" && b.scope != "GROUP":
		return nil, errValidation("scope", fmt.Sprintf("scope: %q is not one of USER, GROUP", b.scope))
	case len(b.userName) > 100:
		return nil, errValidation("userName", fmt.Sprintf("userName: Must be at most 100 characters, not %d", len(b.userName)))
	}
	return b, nil
}

// checkAppUserCredentials refuses user credentials the app's authentication scheme does not take, with
// Okta's E0000041: an app that signs users on by federation or bookmark takes a username only, a shared
// scheme neither, and a synced Okta password no password.
func checkAppUserCredentials(a *application, b *appUserBody) error {
	scheme, _ := a.Credentials["scheme"].(string)
	switch {
	case b.password && (!usesScheme(a.SignOnMode) || scheme == "SHARED_USERNAME_AND_PASSWORD" || scheme == "EXTERNAL_PASSWORD_SYNC"):
		return errCredentialsScheme()
	case b.userName != "" && scheme == "SHARED_USERNAME_AND_PASSWORD":
		return errCredentialsScheme()
	}
	return nil
}

// apply sets what the body says on the assignment.
func (b *appUserBody) apply(au *appUser, now time.Time) {
	if b.userName != "" {
		au.UserName = b.userName
	}
	if b.password {
		au.HasPassword = true
		au.PasswordChanged = now
	}
	if b.profile != nil {
		p := deepCopy(au.Profile)
		maps.Copy(p, deepCopy(b.profile))
		maps.DeleteFunc(p, func(_ string, v any) bool { return v == nil })
		au.Profile = p
	}
	au.LastUpdated = now
}

// assignAppUser assigns a user to an app: 200 with the AppUser. A user the app already has is updated:
// scope USER makes a group-based assignment direct, no scope keeps it as it is (Okta keeps a
// group-assigned user GROUP when it is assigned again without a scope). A deactivated user is refused
// with Okta's E0000117.
func (e *Emulator) assignAppUser(rq *request) (int, any, error) {
	b, err := decodeAppUser(rq)
	if err != nil {
		return 0, nil, err
	}
	if b.id == "" {
		return 0, nil, errValidation("id", "id: The field cannot be left blank")
	}
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, err := e.appFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		u, err := e.lookupUser(rq, b.id)
		if err != nil {
			return 0, nil, nil, err
		}
		if u.Status == statusDeprovisioned {
			return 0, nil, nil, errInactiveUser()
		}
		if err := checkAppUserCredentials(a, b); err != nil {
			return 0, nil, nil, err
		}
		au := e.appUserFor(a, u.ID)
		if b.scope == "GROUP" && (au == nil || len(au.Groups) == 0) {
			return 0, nil, nil, errValidation("scope", fmt.Sprintf(
				"scope: GROUP needs a group assigned to %s that %s is a member of", a.Label, u.login()))
		}
		change := "update"
		if au == nil {
			au = &appUser{ID: newID("0ua"), UserID: u.ID, Direct: true, Created: rq.now, StatusChanged: rq.now}
			a.Users = append(a.Users, au)
			change = "add"
		} else if b.scope == "USER" {
			au.Direct = true
		}
		b.apply(au, rq.now)
		ev := e.appUserEvent(rq, change, a, au, u, false)
		return http.StatusOK, e.renderAppUser(a, au, u, false), []okta.LogEvent{ev}, nil
	})
}

// locked runs f with e.mu held, then records the events it returns once the lock is released, as
// every handler does.
func (e *Emulator) locked(f func() (int, any, []okta.LogEvent, error)) (int, any, error) {
	e.mu.Lock()
	status, out, events, err := f()
	e.mu.Unlock()
	if err != nil {
		return 0, nil, err
	}
	e.emit(events...)
	return status, out, nil
}

// appUserFromPath finds {appId} and the assignment of {userId}. e.mu must be held.
func (e *Emulator) appUserFromPath(rq *request) (*application, *appUser, *user, error) {
	a, err := e.appFromPath(rq)
	if err != nil {
		return nil, nil, nil, err
	}
	id := rq.r.PathValue("userId")
	u, err := e.lookupUser(rq, id)
	if err != nil {
		return nil, nil, nil, err
	}
	au := e.appUserFor(a, u.ID)
	if au == nil {
		return nil, nil, nil, errNotFound(id, "AppUser")
	}
	return a, au, u, nil
}

func (e *Emulator) getAppUser(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, au, u, err := e.appUserFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderAppUser(a, au, u, rq.r.URL.Query().Get("expand") == "user"), nil
}

// updateAppUser updates an assignment's credentials or profile: 200 with the AppUser.
func (e *Emulator) updateAppUser(rq *request) (int, any, error) {
	b, err := decodeAppUser(rq)
	if err != nil {
		return 0, nil, err
	}
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, au, u, err := e.appUserFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if u.Status == statusDeprovisioned {
			return 0, nil, nil, errInactiveUser()
		}
		if err := checkAppUserCredentials(a, b); err != nil {
			return 0, nil, nil, err
		}
		if b.scope == "USER" {
			au.Direct = true
		}
		b.apply(au, rq.now)
		ev := e.appUserEvent(rq, "update", a, au, u, false)
		return http.StatusOK, e.renderAppUser(a, au, u, false), []okta.LogEvent{ev}, nil
	})
}

// unassignAppUser removes a direct assignment: 204. Okta refuses while a group assigned to the app
// grants it to the user, whether or not the user is also assigned directly (403 E0000046,
// okta/terraform-provider-okta#120 and gravitational/teleport#53947).
func (e *Emulator) unassignAppUser(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, au, u, err := e.appUserFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if len(au.Groups) > 0 {
			return 0, nil, nil, errDeactivateAppUser()
		}
		a.Users = slices.DeleteFunc(a.Users, func(x *appUser) bool { return x == au })
		return http.StatusNoContent, nil, []okta.LogEvent{e.appUserEvent(rq, "remove", a, au, u, false)}, nil
	})
}

// pageLimit reads limit: def when absent, at most max; anything but a positive integer is 400 E0000001.
func pageLimit(rq *request, def, maxLimit int) (int, error) {
	v := rq.r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errValidation("limit", "limit: must be a positive integer, not "+strconv.Quote(v))
	}
	return min(n, maxLimit), nil
}

// listAppUsers lists an app's users in the order they were assigned: q (a prefix of the username,
// firstName, lastName or email, case-insensitive, as Okta documents), limit (default 50, at most 500),
// after (a user id from the next link), expand=user.
func (e *Emulator) listAppUsers(rq *request) (int, any, error) {
	limit, err := pageLimit(rq, 50, 500)
	if err != nil {
		return 0, nil, err
	}
	qs := rq.r.URL.Query()
	q := strings.ToLower(qs.Get("q"))
	after := qs.Get("after")
	expand := qs.Get("expand") == "user"
	e.mu.Lock()
	a, err := e.appFromPath(rq)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	out := make([]any, 0, min(limit, len(a.Users)))
	started := after == ""
	more := false
	var last string
	for _, au := range a.Users {
		u, ok := e.users[au.UserID]
		if !ok {
			continue
		}
		if !started {
			started = u.ID == after
			continue
		}
		if q != "" && !appUserMatches(u, e.appUserName(a, au, u), q) {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, e.renderAppUser(a, au, u, expand))
		last = u.ID
	}
	e.mu.Unlock()
	setPageLinks(rq, e.opts.BaseURL, more, "after", last)
	return http.StatusOK, out, nil
}

func appUserMatches(u *user, userName, q string) bool {
	if strings.HasPrefix(strings.ToLower(userName), q) {
		return true
	}
	for _, k := range []string{"firstName", "lastName", "email"} {
		if s, _ := u.Profile[k].(string); strings.HasPrefix(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

// assignAppGroup assigns a group to an app, or updates its assignment: 200 with the
// ApplicationGroupAssignment. Without a priority a new assignment gets the next one (0 for the first),
// as Okta documents and its recorded answers show; the group's members gain the app.
func (e *Emulator) assignAppGroup(rq *request) (int, any, error) {
	m, err := decodeObject(rq.r)
	if err != nil {
		return 0, nil, err
	}
	priority, hasPriority, err := jsonInt(m, "priority")
	if err != nil {
		return 0, nil, err
	}
	profile, err := jsonObject(m, "profile")
	if err != nil {
		return 0, nil, err
	}
	if priority < 0 {
		return 0, nil, errValidation("priority", fmt.Sprintf("priority: Must be 0 or more, not %d", priority))
	}
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, err := e.appFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		g, err := e.groupFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		return e.putAppGroup(rq, a, g, priority, hasPriority, profile)
	})
}

// putAppGroup makes or updates g's assignment to a and syncs the app's users. e.mu must be held.
func (e *Emulator) putAppGroup(rq *request, a *application, g *group, priority int, hasPriority bool,
	profile map[string]any) (int, any, []okta.LogEvent, error) {
	var events []okta.LogEvent
	ag := e.appGroupFor(a, g)
	if ag == nil {
		if !hasPriority {
			priority = 0
			for _, x := range a.Groups {
				priority = max(priority, x.Priority+1)
			}
		}
		ag = &appGroup{GroupID: g.ID, Priority: priority, Profile: map[string]any{}, Created: rq.now}
		a.Groups = append(a.Groups, ag)
		events = append(events, e.appGroupEvent(rq, "add", a, g))
	} else {
		if hasPriority {
			ag.Priority = priority
		}
		events = append(events, e.appGroupEvent(rq, "update", a, g))
	}
	if profile != nil {
		ag.Profile = deepCopy(profile)
		maps.DeleteFunc(ag.Profile, func(_ string, v any) bool { return v == nil })
	}
	ag.LastUpdated = rq.now
	events = append(events, e.syncAppUsers(rq, a)...)
	return http.StatusOK, e.renderAppGroup(a, ag, false), events, nil
}

// appGroupFromPath finds {appId}, {groupId} and the group's assignment. e.mu must be held.
func (e *Emulator) appGroupFromPath(rq *request) (*application, *group, *appGroup, error) {
	a, err := e.appFromPath(rq)
	if err != nil {
		return nil, nil, nil, err
	}
	g, err := e.groupFromPath(rq)
	if err != nil {
		return nil, nil, nil, err
	}
	ag := e.appGroupFor(a, g)
	if ag == nil {
		return nil, nil, nil, errNotFound(g.ID, "ApplicationGroupAssignment")
	}
	return a, g, ag, nil
}

func (e *Emulator) getAppGroup(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, _, ag, err := e.appGroupFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderAppGroup(a, ag, rq.r.URL.Query().Get("expand") == "group"), nil
}

// unassignAppGroup removes a group assignment: 204; members the group alone granted the app lose it.
func (e *Emulator) unassignAppGroup(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, g, ag, err := e.appGroupFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		a.Groups = slices.DeleteFunc(a.Groups, func(x *appGroup) bool { return x == ag })
		events := append([]okta.LogEvent{e.appGroupEvent(rq, "remove", a, g)}, e.syncAppUsers(rq, a)...)
		return http.StatusNoContent, nil, events, nil
	})
}

// listAppGroups lists an app's group assignments by priority: q (a prefix of the group's name),
// limit (default 20, at most 200, the description's), after (a group id), expand=group.
func (e *Emulator) listAppGroups(rq *request) (int, any, error) {
	limit, err := pageLimit(rq, 20, 200)
	if err != nil {
		return 0, nil, err
	}
	qs := rq.r.URL.Query()
	q := strings.ToLower(qs.Get("q"))
	after := qs.Get("after")
	expand := qs.Get("expand") == "group"
	e.mu.Lock()
	a, err := e.appFromPath(rq)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	groups := sortedAppGroups(a)
	out := make([]any, 0, min(limit, len(groups)))
	started := after == ""
	more := false
	var last string
	for _, ag := range groups {
		if !started {
			started = ag.GroupID == after
			continue
		}
		g, ok := e.groups[ag.GroupID]
		if !ok || q != "" && !strings.HasPrefix(strings.ToLower(g.name()), q) {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, e.renderAppGroup(a, ag, expand))
		last = ag.GroupID
	}
	e.mu.Unlock()
	setPageLinks(rq, e.opts.BaseURL, more, "after", last)
	return http.StatusOK, out, nil
}

// listAppLinks lists the sign-in links of the active apps a user is assigned to, directly or through a
// group, as Okta's AssignedAppLink.
func (e *Emulator) listAppLinks(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	base := e.opts.BaseURL
	out := []any{}
	for _, a := range e.appOrder {
		au := e.appUserFor(a, u.ID)
		if au == nil || a.Status != appActive {
			continue
		}
		hide, _ := a.Visibility["hide"].(map[string]any)
		out = append(out, map[string]any{
			"id": u.ID, "label": a.Label, "appName": a.Name, "appInstanceId": a.ID, "appAssignmentId": au.ID,
			"linkUrl":          base + "/home/" + a.Name + "/" + a.ID + "/" + a.AppLinkID,
			"logoUrl":          base + "/assets/img/logos/" + a.logo(),
			"credentialsSetup": false, "hidden": hide["web"] == true, "sortOrder": len(out),
		})
	}
	return http.StatusOK, out, nil
}
