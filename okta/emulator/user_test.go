package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestUserLifecycle(t *testing.T) {
	o := newTestOrg(t, Options{})
	id := o.createUser("ada@example.com")
	if !strings.HasPrefix(id, "00u") || len(id) != 20 {
		t.Fatalf("user id %q: want 00u prefix and 20 characters", id)
	}

	for _, key := range []string{id, "ada@example.com", url.PathEscape("ADA@example.com")} {
		r := o.do("GET", "/api/v1/users/"+key, nil)
		wantStatus(t, r, http.StatusOK)
		if got := r.obj(t)["id"]; got != id {
			t.Fatalf("GET by %q returned %v", key, got)
		}
	}
	me := o.do("GET", "/api/v1/users/me", nil)
	wantStatus(t, me, http.StatusOK)
	if got := me.obj(t)["profile"].(map[string]any)["login"]; got != "admin@example.com" {
		t.Fatalf("me is %v, want the token's admin", got)
	}

	upd := o.do("POST", "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"nickName": "Countess"}})
	wantStatus(t, upd, http.StatusOK)
	p := upd.obj(t)["profile"].(map[string]any)
	if p["nickName"] != "Countess" || p["firstName"] != "Test" {
		t.Fatalf("partial update lost or missed fields: %v", p)
	}

	steps := []struct {
		method, path string
		status       int
		code         string
		userStatus   string
	}{
		{"POST", "/lifecycle/unsuspend", 400, "E0000001", "ACTIVE"},
		{"POST", "/lifecycle/suspend", 200, "", "SUSPENDED"},
		{"POST", "/lifecycle/suspend", 400, "E0000001", "SUSPENDED"},
		{"POST", "/lifecycle/unsuspend", 200, "", "ACTIVE"},
		{"POST", "/lifecycle/activate", 403, "E0000016", "ACTIVE"},
		{"POST", "/lifecycle/deactivate", 200, "", "DEPROVISIONED"},
		{"POST", "/lifecycle/deactivate", 403, "E0000038", "DEPROVISIONED"},
		{"POST", "/lifecycle/activate?sendEmail=false", 200, "", "ACTIVE"},
		{"DELETE", "", 204, "", "DEPROVISIONED"}, // first DELETE only deactivates, as in Okta
	}
	for _, s := range steps {
		r := o.do(s.method, "/api/v1/users/"+id+s.path, nil)
		if s.code != "" {
			wantError(t, r, s.status, s.code)
		} else {
			wantStatus(t, r, s.status)
		}
		got := o.do("GET", "/api/v1/users/"+id, nil).obj(t)["status"]
		if got != s.userStatus {
			t.Fatalf("after %s %s: status %v, want %s", s.method, s.path, got, s.userStatus)
		}
	}
	wantStatus(t, o.do("DELETE", "/api/v1/users/"+id, nil), http.StatusNoContent)
	wantError(t, o.do("GET", "/api/v1/users/"+id, nil), http.StatusNotFound, "E0000007")

	var types []string
	for _, ev := range o.events("user.lifecycle.suspend") {
		types = append(types, ev["eventType"].(string))
	}
	if len(types) != 1 {
		t.Fatalf("want one user.lifecycle.suspend event, got %d", len(types))
	}
	if n := len(o.events("user.lifecycle.delete.initiated")); n != 1 {
		t.Fatalf("want one delete event, got %d", n)
	}
}

func TestCreateUserValidation(t *testing.T) {
	o := newTestOrg(t, Options{})
	o.createUser("dup@example.com")
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"duplicate login", map[string]any{"profile": map[string]any{"login": "DUP@example.com", "email": "d@example.com", "firstName": "a", "lastName": "b"}}, 400, "E0000001"},
		{"missing login", map[string]any{"profile": map[string]any{"email": "x@example.com", "firstName": "a", "lastName": "b"}}, 400, "E0000001"},
		{"no profile", map[string]any{}, 400, "E0000001"},
		{"malformed json", `{"profile":`, 400, "E0000003"},
		{"wrong json type", `{"profile":"x"}`, 400, "E0000003"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, o.as(t).do("POST", "/api/v1/users", c.body), c.status, c.code)
		})
	}
	staged := o.do("POST", "/api/v1/users?activate=false", map[string]any{
		"profile": map[string]any{"login": "st@example.com", "email": "st@example.com", "firstName": "S", "lastName": "T"}})
	wantStatus(t, staged, 200)
	if s := staged.obj(t)["status"]; s != "STAGED" {
		t.Fatalf("activate=false gave %v, want STAGED", s)
	}
	prov := o.do("POST", "/api/v1/users", map[string]any{
		"profile": map[string]any{"login": "pr@example.com", "email": "pr@example.com", "firstName": "P", "lastName": "R"}})
	if s := prov.obj(t)["status"]; s != "PROVISIONED" {
		t.Fatalf("activate without password gave %v, want PROVISIONED", s)
	}
}

func TestListUsers(t *testing.T) {
	o := newTestOrg(t, Options{})
	for _, l := range []string{"alice@example.com", "albert@example.com", "bob@example.com", "carol@example.com"} {
		o.createUser(l)
	}
	logins := func(r response) []string {
		var us []map[string]any
		r.json(t, &us)
		var out []string
		for _, u := range us {
			out = append(out, u["profile"].(map[string]any)["login"].(string))
			if links := u["_links"].(map[string]any); len(links) != 1 {
				t.Errorf("collection user has links %v, want self only", links)
			}
		}
		return out
	}
	cases := []struct {
		query string
		want  string
	}{
		{"q=al", "alice@example.com,albert@example.com"},
		{"filter=" + url.QueryEscape(`profile.login eq "bob@example.com"`), "bob@example.com"},
		{"search=" + url.QueryEscape(`profile.login sw "c" or profile.login sw "b"`), "bob@example.com,carol@example.com"},
		{"search=" + url.QueryEscape(`not (profile.firstName eq "Test")`), "admin@example.com"},
		{"filter=" + url.QueryEscape(`status eq "ACTIVE" and profile.firstName eq "Test"`), "alice@example.com,albert@example.com,bob@example.com,carol@example.com"},
	}
	for _, c := range cases {
		r := o.do("GET", "/api/v1/users?"+c.query, nil)
		wantStatus(t, r, 200)
		if got := strings.Join(logins(r), ","); got != c.want {
			t.Errorf("%s: got %s, want %s", c.query, got, c.want)
		}
	}
	wantError(t, o.do("GET", "/api/v1/users?search="+url.QueryEscape(`profile.login zz "a"`), nil), 400, "E0000001")

	// Page through everyone two at a time by following rel="next".
	var all []string
	next := "/api/v1/users?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		r := o.do("GET", next, nil)
		wantStatus(t, r, 200)
		all = append(all, logins(r)...)
		next = ""
		sawSelf := false
		for _, l := range r.header.Values("Link") {
			if strings.HasSuffix(l, `rel="self"`) {
				sawSelf = true
			}
			if strings.HasSuffix(l, `rel="next"`) {
				u, err := url.Parse(strings.Trim(strings.SplitN(l, ";", 2)[0], "<>"))
				if err != nil {
					t.Fatal(err)
				}
				next = u.RequestURI()
			}
		}
		if !sawSelf {
			t.Fatalf("page without rel=self: %v", r.header.Values("Link"))
		}
	}
	if len(all) != 5 { // admin + 4
		t.Fatalf("paged through %d users, want 5: %v", len(all), all)
	}
}
