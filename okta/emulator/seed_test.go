package emulator

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedYAML is a realistic org: two teams, a wiki every engineer reaches through their group, and a
// partner app assigned to one person.
const seedYAML = `
users:
  - login: ada@example.com
    firstName: Ada
    lastName: Lovelace
  - login: grace@example.com
  - login: alan@example.com
  - login: hedy@example.com
    profile: {department: Engineering}
groups:
  - name: Engineering
    description: Everyone who ships code
    members: [ada@example.com, grace@example.com]
  - name: Finance
groupRules:
  - name: Engineering department
    expression: user.department=="Engineering"
    groups: [Engineering]
apps:
  - app:
      name: bookmark
      label: Wiki
      signOnMode: BOOKMARK
      settings: {app: {url: "https://wiki.example.com/"}}
    groups: [Engineering]
  - app: {name: okta_org2org, label: Partner Org, signOnMode: SAML_2_0}
    inactive: true
    users: [alan@example.com]
`

// TestSeedGroupsAndApps seeds groups, members, apps and assignments from a file, through the API, and
// gets the same org back after a reset, with an empty System Log.
func TestSeedGroupsAndApps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(path, []byte(seedYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	seed, err := LoadSeedFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o := newTestOrg(t, Options{Users: seed.Users, Groups: seed.Groups, Apps: seed.Apps, GroupRules: seed.GroupRules})

	check := func() {
		t.Helper()
		groups := o.do("GET", "/api/v1/groups?q=Engineering", nil).list(t)
		if len(groups) != 1 {
			t.Fatalf("groups %v", groups)
		}
		eng := groups[0]["id"].(string)
		if got := strings.Join(memberLogins(t, o, eng), ","); got != "ada@example.com,grace@example.com,hedy@example.com" {
			t.Errorf("Engineering members %s", got)
		}
		apps := o.do("GET", "/api/v1/apps", nil).list(t)
		if len(apps) != 2 || apps[0]["label"] != "Wiki" || apps[0]["status"] != "ACTIVE" || apps[1]["status"] != "INACTIVE" {
			t.Fatalf("apps %v", apps)
		}
		wiki, partner := apps[0]["id"].(string), apps[1]["id"].(string)
		// Ada reaches the wiki through Engineering; Alan the partner app directly.
		ada := o.do("GET", "/api/v1/users/ada@example.com", nil).obj(t)["id"].(string)
		if au := o.do("GET", "/api/v1/apps/"+wiki+"/users/"+ada, nil).obj(t); au["scope"] != "GROUP" {
			t.Errorf("ada's wiki assignment %v", au)
		}
		alan := o.do("GET", "/api/v1/users/alan@example.com", nil).obj(t)["id"].(string)
		if au := o.do("GET", "/api/v1/apps/"+partner+"/users/"+alan, nil).obj(t); au["scope"] != "USER" {
			t.Errorf("alan's partner assignment %v", au)
		}
		if logs := o.do("GET", "/api/v1/logs", nil).list(t); len(logs) != 0 {
			t.Errorf("a seeded org starts with %d System Log events", len(logs))
		}
	}
	check()
	// Seeding is not counted against the rate limit a client sees: of the apps endpoint's 600, check
	// spent one and this call another.
	if rem := o.do("GET", "/api/v1/apps", nil).header.Get("X-Rate-Limit-Remaining"); rem != "598" {
		t.Errorf("X-Rate-Limit-Remaining %s after seeding and two list calls", rem)
	}
	o.do("DELETE", "/api/v1/groups/"+o.do("GET", "/api/v1/groups?q=Finance", nil).list(t)[0]["id"].(string), nil)
	wantStatus(t, o.do("POST", "/emulator/v1/reset", nil), http.StatusNoContent)
	check()
	if n := len(o.do("GET", "/api/v1/groups?q=Finance", nil).list(t)); n != 1 {
		t.Errorf("reset brought back %d Finance groups", n)
	}
}

// TestSeedRefusals: what Okta would refuse stops the emulator from starting, with Okta's error and the
// item that caused it.
func TestSeedRefusals(t *testing.T) {
	for name, tc := range map[string]struct {
		opts Options
		want string
	}{
		"app Okta refuses": {Options{Apps: []SeedApp{{App: map[string]any{"name": "bookmark", "label": "Wiki", "signOnMode": "BOOKMARK"}}}},
			`seed app 0 (label Wiki): POST /api/v1/apps: 400 okta E0000001`},
		"member not seeded": {Options{Groups: []SeedGroup{{Name: "Sales", Members: []string{"nobody@example.com"}}}},
			`group "Sales": member "nobody@example.com" is not a seed user`},
		"group twice": {Options{Groups: []SeedGroup{{Name: "Sales"}, {Name: "sales"}}}, `group "sales": seeded twice`},
		"unknown app group": {Options{Apps: []SeedApp{{App: map[string]any{"label": "x"}, Groups: []string{"Ops"}}}},
			`group "Ops" is not a seed group`},
		"rule for no seed group": {Options{GroupRules: []SeedGroupRule{{Name: "r", Expression: `user.x=="y"`, Groups: []string{"Ops"}}}},
			`group rule "r": group "Ops" is not a seed group`},
		"rule Okta refuses": {Options{Groups: []SeedGroup{{Name: "Ops"}}, GroupRules: []SeedGroupRule{{Name: "r", Expression: `user.x ===`, Groups: []string{"Ops"}}}},
			`seed group rule "r": POST /api/v1/groups/rules: 400 okta E0000001`},
		"app without body": {Options{Apps: []SeedApp{{Users: []string{"admin@example.com"}}}}, `app 0: app (the body of POST /api/v1/apps) is required`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// memberLogins lists the logins of a group's members, in Okta's order.
func memberLogins(t *testing.T, o *testOrg, groupID string) []string {
	t.Helper()
	var logins []string
	for _, u := range o.do("GET", "/api/v1/groups/"+groupID+"/users", nil).list(t) {
		logins = append(logins, u["profile"].(map[string]any)["login"].(string))
	}
	return logins
}
