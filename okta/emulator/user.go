package emulator

import (
	"strings"
	"time"

	"github.com/trama-dev/trama/okta"
)

// User statuses, as Okta names them.
const (
	statusActive          = "ACTIVE"
	statusStaged          = "STAGED"
	statusProvisioned     = "PROVISIONED"
	statusSuspended       = "SUSPENDED"
	statusDeprovisioned   = "DEPROVISIONED"
	statusRecovery        = "RECOVERY"
	statusLockedOut       = "LOCKED_OUT"
	statusPasswordExpired = "PASSWORD_EXPIRED"
)

// userTypeID is the id of the org's default user type; every emulated user has it.
const userTypeID = "oty1emulatordefault0"

// user is one org user and its factors. Fields are exported for the state file.
type user struct {
	ID              string    `json:"id"`
	Status          string    `json:"status"`
	Created         time.Time `json:"created"`
	Activated       time.Time `json:"activated"`
	StatusChanged   time.Time `json:"statusChanged"`
	LastUpdated     time.Time `json:"lastUpdated"`
	PasswordChanged time.Time `json:"passwordChanged"`
	HasPassword     bool      `json:"hasPassword"`
	// PasswordHash verifies the password (see password.go); empty when no one knows it, as for a seed
	// user without one.
	PasswordHash string         `json:"passwordHash,omitempty"`
	Profile      map[string]any `json:"profile"`
	Factors      []*factor      `json:"factors"`
	// FailedLogins counts sign-in attempts with a wrong password since the last good one; the password
	// policy's lockout.maxAttempts locks the user out when it is reached.
	FailedLogins int `json:"failedLogins,omitempty"`
	// Roles are the admin roles assigned to the user directly.
	Roles  []*roleAssignment `json:"roles,omitempty"`
	Seeded bool              `json:"seeded,omitempty"`
}

func (u *user) login() string { s, _ := u.Profile["login"].(string); return s }
func (u *user) email() string { s, _ := u.Profile["email"].(string); return s }

func (u *user) displayName() string {
	first, _ := u.Profile["firstName"].(string)
	last, _ := u.Profile["lastName"].(string)
	name := strings.TrimSpace(first + " " + last)
	if name == "" {
		return u.login()
	}
	return name
}

// target is the System Log view of the user.
func (u *user) target() okta.Target {
	return okta.Target{ID: u.ID, Type: "User", AlternateID: u.login(), DisplayName: u.displayName()}
}

func (u *user) actor() *okta.Actor {
	return &okta.Actor{ID: u.ID, Type: "User", AlternateID: u.login(), DisplayName: u.displayName()}
}

func (u *user) factorByID(id string) (int, *factor) {
	for i, f := range u.Factors {
		if f.ID == id {
			return i, f
		}
	}
	return -1, nil
}

func (u *user) setStatus(s string, now time.Time) {
	u.Status = s
	u.StatusChanged = now
	u.LastUpdated = now
	if s == statusActive && u.Activated.IsZero() {
		u.Activated = now
	}
	if s == statusActive {
		// An unlocked (or newly active) user starts counting wrong passwords afresh.
		u.FailedLogins = 0
	}
}

// newSeededUser builds a user from a seed entry.
func newSeededUser(s SeedUser, now time.Time) *user {
	profile := map[string]any{}
	for k, v := range s.Profile {
		profile[k] = v
	}
	profile["login"] = s.Login
	email := s.Email
	if email == "" {
		email = s.Login
	}
	profile["email"] = email
	first, last := s.FirstName, s.LastName
	if first == "" {
		first, _, _ = strings.Cut(s.Login, "@")
	}
	if last == "" {
		last = "User"
	}
	profile["firstName"] = first
	profile["lastName"] = last
	if s.MobilePhone != "" {
		profile["mobilePhone"] = s.MobilePhone
	} else if _, ok := profile["mobilePhone"]; !ok {
		profile["mobilePhone"] = nil
	}
	if _, ok := profile["secondEmail"]; !ok {
		profile["secondEmail"] = nil
	}
	id := s.ID
	if id == "" {
		id = newID("00u")
	}
	status := s.Status
	if status == "" {
		status = statusActive
	}
	u := &user{ID: id, Created: now, LastUpdated: now, StatusChanged: now, Status: status, Profile: profile,
		HasPassword: true, PasswordChanged: now, Seeded: true}
	if s.Password != "" {
		u.setPassword(hashPassword(s.Password), now)
	}
	if status != statusStaged && status != statusProvisioned {
		u.Activated = now
	}
	return u
}

// userJSON is the wire form of a User.
type userJSON struct {
	ID              string         `json:"id"`
	Status          string         `json:"status"`
	Created         okta.Time      `json:"created"`
	Activated       *okta.Time     `json:"activated"`
	StatusChanged   *okta.Time     `json:"statusChanged"`
	LastLogin       *okta.Time     `json:"lastLogin"`
	LastUpdated     okta.Time      `json:"lastUpdated"`
	PasswordChanged *okta.Time     `json:"passwordChanged"`
	Type            map[string]any `json:"type"`
	Profile         map[string]any `json:"profile"`
	Credentials     map[string]any `json:"credentials"`
	Links           map[string]any `json:"_links"`
}

func optTime(t time.Time) *okta.Time {
	if t.IsZero() {
		return nil
	}
	return &okta.Time{Time: t}
}

// render returns the user as Okta shows it. A collection shows only the self link.
func (u *user) render(base string, collection bool) userJSON {
	self := base + "/api/v1/users/" + u.ID
	links := map[string]any{"self": map[string]any{"href": self}}
	if !collection {
		post := func(name, path string) {
			links[name] = map[string]any{"href": self + path, "method": "POST"}
		}
		switch u.Status {
		case statusStaged, statusDeprovisioned:
			post("activate", "/lifecycle/activate")
		case statusProvisioned:
			post("reactivate", "/lifecycle/reactivate")
		case statusSuspended:
			post("unsuspend", "/lifecycle/unsuspend")
		case statusLockedOut:
			post("unlock", "/lifecycle/unlock")
		case statusActive:
			post("suspend", "/lifecycle/suspend")
			post("resetPassword", "/lifecycle/reset_password")
			post("expirePassword", "/lifecycle/expire_password")
			post("changeRecoveryQuestion", "/credentials/change_recovery_question")
			post("forgotPassword", "/credentials/forgot_password")
			post("changePassword", "/credentials/change_password")
			if len(u.Factors) > 0 {
				post("resetFactors", "/lifecycle/reset_factors")
			}
		}
		if u.Status != statusDeprovisioned {
			post("deactivate", "/lifecycle/deactivate")
		} else {
			links["delete"] = map[string]any{"href": self, "method": "DELETE"}
		}
		links["type"] = map[string]any{"href": base + "/api/v1/meta/types/user/" + userTypeID}
		links["schema"] = map[string]any{"href": base + "/api/v1/meta/schemas/user/osc1emulatordefault0"}
	}
	creds := map[string]any{"provider": map[string]any{"type": "OKTA", "name": "OKTA"}}
	if u.HasPassword {
		creds["password"] = map[string]any{}
	}
	return userJSON{
		ID: u.ID, Status: u.Status, Created: okta.Time{Time: u.Created}, Activated: optTime(u.Activated),
		StatusChanged: optTime(u.StatusChanged), LastUpdated: okta.Time{Time: u.LastUpdated},
		PasswordChanged: optTime(u.PasswordChanged), Type: map[string]any{"id": userTypeID},
		Profile: u.Profile, Credentials: creds, Links: links,
	}
}

// Users lists the org's users in creation order, the token's admin first, in the SeedUser shape so
// `trama okta-emulator` can print who exists (ids included).
func (e *Emulator) Users() []SeedUser {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]SeedUser, 0, len(e.order))
	for _, u := range e.order {
		first, _ := u.Profile["firstName"].(string)
		last, _ := u.Profile["lastName"].(string)
		phone, _ := u.Profile["mobilePhone"].(string)
		out = append(out, SeedUser{ID: u.ID, Login: u.login(), Email: u.email(), FirstName: first, LastName: last,
			MobilePhone: phone, Status: u.Status})
	}
	return out
}
