package emulator

import (
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/okta/systemlog"
)

// lookupUser finds a user by id, by login (case-insensitive), or "me": the API token's admin. An access
// token of a service app has no user behind it, so "me" is not found for it. e.mu must be held.
func (e *Emulator) lookupUser(rq *request, key string) (*user, error) {
	if key == "me" {
		if rq.principal.oauth() {
			return nil, errNotFound(key, "User")
		}
		key = e.adminID
	}
	if u, ok := e.users[key]; ok {
		return u, nil
	}
	if u, ok := e.byLogin[strings.ToLower(key)]; ok {
		return u, nil
	}
	return nil, errNotFound(key, "User")
}

func (e *Emulator) getUser(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, u.render(e.opts.BaseURL, false), nil
}

// userBody is the request body of create, update and replace.
type userBody struct {
	Profile     map[string]any `json:"profile"`
	Credentials *struct {
		Password *struct {
			Value string `json:"value"`
		} `json:"password"`
	} `json:"credentials"`
	Type *struct {
		ID string `json:"id"`
	} `json:"type"`
	GroupIDs []string `json:"groupIds"`
}

func (b *userBody) hasPassword() bool {
	return b.Credentials != nil && b.Credentials.Password != nil && b.Credentials.Password.Value != ""
}

// passwordVerifier hashes the password the body sets, or is "" when it sets none.
func (b *userBody) passwordVerifier() string {
	if !b.hasPassword() {
		return ""
	}
	return hashPassword(b.Credentials.Password.Value)
}

// validateProfile checks the default user schema's required attributes and login uniqueness. self is
// the user being replaced (nil on create). e.mu must be held.
func (e *Emulator) validateProfile(p map[string]any, self *user) error {
	var causes []string
	first := ""
	for _, k := range []string{"login", "email", "firstName", "lastName"} {
		if s, _ := p[k].(string); strings.TrimSpace(s) == "" {
			causes = append(causes, k+": The field cannot be left blank")
			if first == "" {
				first = k
			}
		}
	}
	if len(causes) > 0 {
		return errValidation(first, causes...)
	}
	login := p["login"].(string)
	if other, ok := e.byLogin[strings.ToLower(login)]; ok && other != self {
		return errValidation("login", "login: An object with this field already exists in the current organization")
	}
	if email := p["email"].(string); !strings.Contains(email, "@") {
		return errValidation("email", "email: Does not match required pattern")
	}
	return nil
}

func (e *Emulator) createUser(rq *request) (int, any, error) {
	var body userBody
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	if body.Profile == nil {
		return 0, nil, errValidation("profile", "profile: The field cannot be left blank")
	}
	activate := boolQuery(rq.r, "activate", true)
	verifier := body.passwordVerifier()
	e.mu.Lock()
	if err := e.validateProfile(body.Profile, nil); err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	groups, err := e.checkGroupIDs(body.GroupIDs)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	profile := maps.Clone(body.Profile)
	for _, k := range []string{"mobilePhone", "secondEmail"} {
		if _, ok := profile[k]; !ok {
			profile[k] = nil
		}
	}
	u := &user{ID: newID("00u"), Status: statusStaged, Created: rq.now, LastUpdated: rq.now, Profile: profile}
	if verifier != "" {
		u.setPassword(verifier, rq.now)
	}
	events := []okta.LogEvent{e.event(rq, "user.lifecycle.create", "Create Okta user", "", u.target())}
	if activate {
		if u.HasPassword {
			u.setStatus(statusActive, rq.now)
		} else {
			u.setStatus(statusProvisioned, rq.now)
		}
		events = append(events, e.event(rq, "user.lifecycle.activate", "Activate Okta user", "", u.target()))
	}
	e.addUser(u)
	e.membershipChanged(rq.now)
	for _, g := range groups {
		g.Members = append(g.Members, u.ID)
		g.LastMembershipUpdated = rq.now
		events = append(events, e.membershipEvent(rq, true, u, g))
	}
	// The new user is in Everyone and its groupIds groups: apps assigned to them are now the user's.
	events = append(events, e.syncGroupApps(rq, append(groups, e.groups[e.everyoneID()])...)...)
	// Then the active group rules run for the new user, as Okta runs them for every user it creates.
	events = append(events, e.applyRules(rq, u)...)
	out := u.render(e.opts.BaseURL, false)
	e.mu.Unlock()
	e.emit(events...)
	return http.StatusOK, out, nil
}

// addUser indexes u. e.mu must be held.
func (e *Emulator) addUser(u *user) {
	e.users[u.ID] = u
	e.byLogin[strings.ToLower(u.login())] = u
	e.order = append(e.order, u)
}

func (e *Emulator) removeUser(u *user) {
	delete(e.users, u.ID)
	delete(e.byLogin, strings.ToLower(u.login()))
	for i, x := range e.order {
		if x == u {
			e.order = append(e.order[:i:i], e.order[i+1:]...)
			break
		}
	}
}

func (e *Emulator) updateUser(rq *request) (int, any, error)  { return e.writeUser(rq, false) }
func (e *Emulator) replaceUser(rq *request) (int, any, error) { return e.writeUser(rq, true) }

// writeUser merges (POST) or replaces (PUT) the profile. Profiles are replaced, never mutated in
// place, because responses render them after the lock is released.
func (e *Emulator) writeUser(rq *request, replace bool) (int, any, error) {
	var body userBody
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	verifier := body.passwordVerifier()
	e.mu.Lock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	var profile map[string]any
	if replace {
		if body.Profile == nil {
			e.mu.Unlock()
			return 0, nil, errValidation("profile", "profile: The field cannot be left blank")
		}
		profile = maps.Clone(body.Profile)
	} else {
		profile = maps.Clone(u.Profile)
		maps.Copy(profile, body.Profile)
	}
	if err := e.validateProfile(profile, u); err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	delete(e.byLogin, strings.ToLower(u.login()))
	u.Profile = profile
	e.byLogin[strings.ToLower(u.login())] = u
	u.LastUpdated = rq.now
	if verifier != "" {
		u.setPassword(verifier, rq.now)
	}
	events := []okta.LogEvent{e.event(rq, "user.account.update_profile", "Update user profile for Okta", "", u.target())}
	// A profile change runs the active group rules for the user again.
	events = append(events, e.applyRules(rq, u)...)
	out := u.render(e.opts.BaseURL, false)
	e.mu.Unlock()
	e.emit(events...)
	return http.StatusOK, out, nil
}

// deleteUser deletes a DEPROVISIONED user. On any other user it deactivates instead, as Okta does: a
// second DELETE is needed.
func (e *Emulator) deleteUser(rq *request) (int, any, error) {
	e.mu.Lock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	var ev okta.LogEvent
	e.dropSessions(u.ID)
	if u.Status != statusDeprovisioned {
		u.setStatus(statusDeprovisioned, rq.now)
		ev = e.event(rq, "user.lifecycle.deactivate", "Deactivate Okta user", "", u.target())
	} else {
		if u.ID == e.adminID {
			e.mu.Unlock()
			return 0, nil, errUserStatus()
		}
		e.removeUser(u)
		e.dropMemberships(u.ID, rq.now)
		e.forgetUser(u.ID)
		e.forgetRuleMember(u.ID)
		ev = e.event(rq, "user.lifecycle.delete.initiated", "Delete Okta user", "", u.target())
	}
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusNoContent, nil, nil
}

// lifecycle is one user status transition: the event it logs, which statuses allow it, the status it
// leads to, and the error when the user's status refuses it.
type lifecycle struct {
	eventType, message string
	allowed            func(status string) bool
	next               func(u *user) string
	refuse             func() error
}

func (e *Emulator) transition(rq *request, lc lifecycle) (*user, error) {
	e.mu.Lock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		e.mu.Unlock()
		return nil, err
	}
	if !lc.allowed(u.Status) {
		e.mu.Unlock()
		return nil, lc.refuse()
	}
	if u.ID == e.adminID && lc.eventType != "user.lifecycle.activate" && lc.eventType != "user.account.unlock_by_admin" {
		// The token's owner cannot lock itself out of the org it administers.
		e.mu.Unlock()
		return nil, errUserStatus()
	}
	u.setStatus(lc.next(u), rq.now)
	if u.Status == statusDeprovisioned {
		// A deactivated user is signed out everywhere.
		e.dropSessions(u.ID)
	}
	events := []okta.LogEvent{e.event(rq, lc.eventType, lc.message, "", u.target())}
	// Okta runs group rules for a reactivated user; for other transitions they change nothing, as rules
	// leave deactivated users alone.
	events = append(events, e.applyRules(rq, u)...)
	e.mu.Unlock()
	e.emit(events...)
	return u, nil
}

func (e *Emulator) activateUser(rq *request) (int, any, error) {
	sendEmail := boolQuery(rq.r, "sendEmail", true)
	_, err := e.transition(rq, lifecycle{
		eventType: "user.lifecycle.activate", message: "Activate Okta user",
		allowed: func(s string) bool { return s == statusStaged || s == statusDeprovisioned || s == statusProvisioned },
		next: func(u *user) string {
			if u.HasPassword {
				return statusActive
			}
			return statusProvisioned
		},
		refuse: func() error { return errActivationFailed() },
	})
	if err != nil {
		return 0, nil, err
	}
	if sendEmail {
		return http.StatusOK, []byte("{}"), nil
	}
	token := newID("")
	return http.StatusOK, map[string]string{
		"activationUrl":   e.opts.BaseURL + "/welcome/" + token,
		"activationToken": token,
	}, nil
}

func (e *Emulator) deactivateUser(rq *request) (int, any, error) {
	_, err := e.transition(rq, lifecycle{
		eventType: "user.lifecycle.deactivate", message: "Deactivate Okta user",
		allowed: func(s string) bool { return s != statusDeprovisioned },
		next:    func(*user) string { return statusDeprovisioned },
		refuse:  func() error { return errUserStatus() },
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, noBody, nil
}

func (e *Emulator) suspendUser(rq *request) (int, any, error) {
	_, err := e.transition(rq, lifecycle{
		eventType: "user.lifecycle.suspend", message: "Suspend Okta user",
		allowed: func(s string) bool { return s == statusActive },
		next:    func(*user) string { return statusSuspended },
		refuse: func() error {
			return errValidation("status", "Cannot suspend a user that is not active")
		},
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, noBody, nil
}

// unlockUser returns a LOCKED_OUT user to ACTIVE and clears the count of wrong passwords: 200 with an
// empty body, as the other lifecycle operations answer, and user.account.unlock_by_admin.
func (e *Emulator) unlockUser(rq *request) (int, any, error) {
	_, err := e.transition(rq, lifecycle{
		eventType: "user.account.unlock_by_admin", message: "User account unlock by admin",
		allowed: func(s string) bool { return s == statusLockedOut },
		next:    func(*user) string { return statusActive },
		refuse: func() error {
			return errValidation("status", "Cannot unlock a user that is not locked out")
		},
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, noBody, nil
}

func (e *Emulator) unsuspendUser(rq *request) (int, any, error) {
	_, err := e.transition(rq, lifecycle{
		eventType: "user.lifecycle.unsuspend", message: "Unsuspend Okta user",
		allowed: func(s string) bool { return s == statusSuspended },
		next:    func(*user) string { return statusActive },
		refuse: func() error {
			return errValidation("status", "Cannot unsuspend a user that is not suspended")
		},
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, noBody, nil
}

// filterView is the user as the filter and search parameters see it: the JSON names of the User object,
// timestamps in Okta's layout so gt and lt compare them in time order.
func (u *user) filterView() map[string]any {
	v := map[string]any{
		"id": u.ID, "status": u.Status, "profile": u.Profile, "type": map[string]any{"id": userTypeID},
		"created": u.Created.UTC().Format(okta.TimeLayout), "lastUpdated": u.LastUpdated.UTC().Format(okta.TimeLayout),
	}
	if !u.Activated.IsZero() {
		v["activated"] = u.Activated.UTC().Format(okta.TimeLayout)
	}
	if !u.StatusChanged.IsZero() {
		v["statusChanged"] = u.StatusChanged.UTC().Format(okta.TimeLayout)
	}
	return v
}

// listUsers implements q (prefix of firstName, lastName, email or login), filter and search (SCIM, with
// the System Log's parser and matcher), limit (default and maximum 200) and after (a user id from the
// next link), in creation order.
func (e *Emulator) listUsers(rq *request) (int, any, error) {
	qs := rq.r.URL.Query()
	limit := 200
	if v := qs.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, nil, errValidation("limit", "limit: must be a positive integer")
		}
		limit = min(n, 200)
	}
	var filters []*systemlog.Filter
	includeDeprovisioned := false
	for _, name := range []string{"search", "filter"} {
		v := qs.Get(name)
		if v == "" {
			continue
		}
		x, err := systemlog.ParseFilter(v)
		if err != nil {
			return 0, nil, errValidation(name, "Invalid "+name+" parameter: "+err.Error())
		}
		filters = append(filters, x)
		includeDeprovisioned = includeDeprovisioned || name == "search" || strings.Contains(v, "status")
	}
	q := strings.ToLower(qs.Get("q"))
	after := qs.Get("after")

	e.mu.Lock()
	out := make([]userJSON, 0, min(limit, len(e.order)))
	started := after == ""
	more := false
	var last string
	for _, u := range e.order {
		if !started {
			started = u.ID == after
			continue
		}
		if u.Status == statusDeprovisioned && !includeDeprovisioned {
			continue
		}
		if q != "" && !userMatchesQ(u, q) {
			continue
		}
		if !matchAll(filters, u) {
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

func userMatchesQ(u *user, q string) bool {
	for _, k := range []string{"firstName", "lastName", "email", "login"} {
		if s, _ := u.Profile[k].(string); strings.HasPrefix(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

// setPageLinks writes Okta's Link headers: self (the request as made) always, next (the same query
// with the cursor set) when there is more.
func setPageLinks(rq *request, base string, more bool, cursorParam, cursor string) {
	self := base + rq.r.URL.Path
	if rq.r.URL.RawQuery != "" {
		self += "?" + rq.r.URL.RawQuery
	}
	h := rq.w.Header()
	h.Add("Link", "<"+self+`>; rel="self"`)
	if more {
		qs := rq.r.URL.Query()
		qs.Set(cursorParam, cursor)
		h.Add("Link", "<"+base+rq.r.URL.Path+"?"+encodeQuery(qs)+`>; rel="next"`)
	}
}

func encodeQuery(v url.Values) string { return v.Encode() }

func matchAll(filters []*systemlog.Filter, u *user) bool {
	if len(filters) == 0 {
		return true
	}
	view := u.filterView()
	for _, f := range filters {
		if !f.Match(view) {
			return false
		}
	}
	return true
}
