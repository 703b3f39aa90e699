package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// SeedUser is a user that exists when the emulator starts (and again after POST /emulator/v1/reset).
// Login is required; Email defaults to Login, Status to ACTIVE, and ID to a fresh "00u" id.
type SeedUser struct {
	ID          string         `json:"id,omitempty" yaml:"id,omitempty"`
	Login       string         `json:"login" yaml:"login"`
	Email       string         `json:"email,omitempty" yaml:"email,omitempty"`
	FirstName   string         `json:"firstName,omitempty" yaml:"firstName,omitempty"`
	LastName    string         `json:"lastName,omitempty" yaml:"lastName,omitempty"`
	MobilePhone string         `json:"mobilePhone,omitempty" yaml:"mobilePhone,omitempty"`
	Status      string         `json:"status,omitempty" yaml:"status,omitempty"`
	Profile     map[string]any `json:"profile,omitempty" yaml:"profile,omitempty"`
	// Password lets the user sign in through the Authentication API. A seed user without one has a
	// password no one knows, as before passwords were checked. It is never listed back.
	Password string `json:"password,omitempty" yaml:"password,omitempty"`
}

// SeedGroup is an OKTA_GROUP that exists when the emulator starts (and again after a reset), with the
// seed users whose logins Members lists.
type SeedGroup struct {
	Name        string   `json:"name" yaml:"name"`
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Members     []string `json:"members,omitempty" yaml:"members,omitempty"`
}

// SeedApp is an app integration that exists when the emulator starts (and again after a reset). App is
// the body of POST /api/v1/apps, validated exactly as that call would validate it; the app is ACTIVE
// unless Inactive. Users (logins) are assigned directly and Groups (names of seed groups) through group
// assignments, in the order given.
type SeedApp struct {
	App      map[string]any `json:"app" yaml:"app"`
	Inactive bool           `json:"inactive,omitempty" yaml:"inactive,omitempty"`
	Users    []string       `json:"users,omitempty" yaml:"users,omitempty"`
	Groups   []string       `json:"groups,omitempty" yaml:"groups,omitempty"`
}

// SeedGroupRule is a group rule that exists when the emulator starts (and again after a reset): users
// whose profile matches Expression (Okta Expression Language, e.g. user.department=="Engineering") are
// assigned to the seed groups Groups names. It is ACTIVE, assigning them at once, unless Inactive.
type SeedGroupRule struct {
	Name       string   `json:"name" yaml:"name"`
	Expression string   `json:"expression" yaml:"expression"`
	Groups     []string `json:"groups" yaml:"groups"`
	Inactive   bool     `json:"inactive,omitempty" yaml:"inactive,omitempty"`
}

// Seed is what a seed file holds.
type Seed struct {
	Users      []SeedUser      `json:"users,omitempty" yaml:"users,omitempty"`
	Groups     []SeedGroup     `json:"groups,omitempty" yaml:"groups,omitempty"`
	Apps       []SeedApp       `json:"apps,omitempty" yaml:"apps,omitempty"`
	GroupRules []SeedGroupRule `json:"groupRules,omitempty" yaml:"groupRules,omitempty"`
}

// LoadSeedFile reads a seed file, JSON or YAML (chosen by extension; anything that is not .json is read
// as YAML, which also accepts JSON): a bare list of users, or a document with users, groups and apps.
// Unknown members are errors, so a misspelt key does not silently seed nothing.
func LoadSeedFile(path string) (Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("read seed file: %w", err)
	}
	seed, err := parseSeed(data, strings.EqualFold(filepath.Ext(path), ".json"))
	if err != nil {
		return Seed{}, fmt.Errorf("seed file %s: %w", path, err)
	}
	return seed, nil
}

func parseSeed(data []byte, isJSON bool) (Seed, error) {
	var seed Seed
	trimmed := strings.TrimSpace(string(data))
	list := strings.HasPrefix(trimmed, "[") || (!isJSON && strings.HasPrefix(trimmed, "-"))
	var target any = &seed
	if list {
		target = &seed.Users
	}
	if isJSON {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(target); err != nil {
			return Seed{}, err
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(target); err != nil && !errors.Is(err, io.EOF) {
			return Seed{}, err
		}
	}
	if err := seed.check(""); err != nil {
		return Seed{}, err
	}
	return seed, nil
}

// check refuses what would fail only later, at start: a user without a login or with an unknown
// status, a group without a name or twice, an app without a body. With admin (the admin's login) it also
// refuses members and assignments that name no seed user or group; a seed file alone cannot know the
// admin, so LoadSeedFile leaves that to New.
func (s Seed) check(admin string) error {
	logins := map[string]bool{strings.ToLower(admin): true}
	for i, u := range s.Users {
		if strings.TrimSpace(u.Login) == "" {
			return fmt.Errorf("user %d: login is required", i)
		}
		if u.Status != "" && !validUserStatus(u.Status) {
			return fmt.Errorf("user %q: unknown status %q", u.Login, u.Status)
		}
		logins[strings.ToLower(u.Login)] = true
	}
	groups := map[string]bool{}
	for i, g := range s.Groups {
		if strings.TrimSpace(g.Name) == "" {
			return fmt.Errorf("group %d: name is required", i)
		}
		if groups[strings.ToLower(g.Name)] {
			return fmt.Errorf("group %q: seeded twice (group names are unique, case-insensitively)", g.Name)
		}
		groups[strings.ToLower(g.Name)] = true
		for _, m := range g.Members {
			if admin != "" && !logins[strings.ToLower(m)] {
				return fmt.Errorf("group %q: member %q is not a seed user", g.Name, m)
			}
		}
	}
	for i, r := range s.GroupRules {
		if strings.TrimSpace(r.Name) == "" || strings.TrimSpace(r.Expression) == "" || len(r.Groups) == 0 {
			return fmt.Errorf("group rule %d: name, expression and groups are required", i)
		}
		for _, g := range r.Groups {
			if admin != "" && !groups[strings.ToLower(g)] {
				return fmt.Errorf("group rule %q: group %q is not a seed group", r.Name, g)
			}
		}
	}
	for i, a := range s.Apps {
		if len(a.App) == 0 {
			return fmt.Errorf("app %d: app (the body of POST /api/v1/apps) is required", i)
		}
		for _, u := range a.Users {
			if admin != "" && !logins[strings.ToLower(u)] {
				return fmt.Errorf("app %d (%v): user %q is not a seed user", i, a.App["label"], u)
			}
		}
		for _, g := range a.Groups {
			if admin != "" && !groups[strings.ToLower(g)] {
				return fmt.Errorf("app %d (%v): group %q is not a seed group", i, a.App["label"], g)
			}
		}
	}
	return nil
}

func validUserStatus(s string) bool {
	switch s {
	case statusActive, statusStaged, statusProvisioned, statusSuspended, statusDeprovisioned,
		statusRecovery, statusLockedOut, statusPasswordExpired:
		return true
	}
	return false
}
