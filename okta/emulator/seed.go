package emulator

import (
	"encoding/json"
	"fmt"
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

// seedFile is the document LoadSeedFile reads: either a bare list of users or {"users": [...]}.
type seedFile struct {
	Users []SeedUser `json:"users" yaml:"users"`
}

// LoadSeedFile reads seed users from a JSON or YAML file (chosen by extension; anything that is not
// .json is read as YAML, which also accepts JSON). The file holds a list of users or {"users": [...]}.
func LoadSeedFile(path string) ([]SeedUser, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seed file: %w", err)
	}
	users, err := parseSeed(data, strings.EqualFold(filepath.Ext(path), ".json"))
	if err != nil {
		return nil, fmt.Errorf("seed file %s: %w", path, err)
	}
	return users, nil
}

func parseSeed(data []byte, isJSON bool) ([]SeedUser, error) {
	var list []SeedUser
	var doc seedFile
	trimmed := strings.TrimSpace(string(data))
	if isJSON {
		if strings.HasPrefix(trimmed, "[") {
			if err := json.Unmarshal(data, &list); err != nil {
				return nil, err
			}
		} else {
			if err := json.Unmarshal(data, &doc); err != nil {
				return nil, err
			}
			list = doc.Users
		}
	} else {
		if strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "-") {
			if err := yaml.Unmarshal(data, &list); err != nil {
				return nil, err
			}
		} else {
			if err := yaml.Unmarshal(data, &doc); err != nil {
				return nil, err
			}
			list = doc.Users
		}
	}
	for i, u := range list {
		if strings.TrimSpace(u.Login) == "" {
			return nil, fmt.Errorf("user %d: login is required", i)
		}
		if u.Status != "" && !validUserStatus(u.Status) {
			return nil, fmt.Errorf("user %q: unknown status %q", u.Login, u.Status)
		}
	}
	return list, nil
}

func validUserStatus(s string) bool {
	switch s {
	case statusActive, statusStaged, statusProvisioned, statusSuspended, statusDeprovisioned,
		statusRecovery, statusLockedOut, statusPasswordExpired:
		return true
	}
	return false
}
