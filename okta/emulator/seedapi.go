package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/trama-dev/trama/okta"
)

// Seed groups and apps are made by calling the emulator's own API as the admin, so a seeded org holds
// exactly what a client could have made, with the same validation, defaults, ids and links, and the
// seed needs no second implementation of any of it.

// seedingKey marks a request made by seedThroughAPI: it is not counted against the rate limits.
type seedingKey struct{}

func seeding(ctx context.Context) bool { return ctx.Value(seedingKey{}) != nil }

// seedThroughAPI creates the seed groups with their members, the group rules, then the seed apps with
// their assignments. The first refusal stops it with Okta's error and what was being seeded.
func (e *Emulator) seedThroughAPI() error {
	groupIDs := map[string]string{}
	for _, g := range e.opts.Groups {
		profile := map[string]any{"name": g.Name}
		if g.Description != "" {
			profile["description"] = g.Description
		}
		var created struct{ ID string }
		if err := e.seedCall("POST", "/api/v1/groups", map[string]any{"profile": profile}, &created); err != nil {
			return fmt.Errorf("seed group %q: %w", g.Name, err)
		}
		groupIDs[strings.ToLower(g.Name)] = created.ID
		for _, login := range g.Members {
			if err := e.seedCall("PUT", "/api/v1/groups/"+created.ID+"/users/"+e.seedUserID(login), nil, nil); err != nil {
				return fmt.Errorf("seed group %q: member %q: %w", g.Name, login, err)
			}
		}
	}
	for _, r := range e.opts.GroupRules {
		ids := make([]string, len(r.Groups))
		for i, name := range r.Groups {
			ids[i] = groupIDs[strings.ToLower(name)]
		}
		body := map[string]any{"type": "group_rule", "name": r.Name,
			"conditions": map[string]any{"expression": map[string]any{"type": "urn:okta:expression:1.0", "value": r.Expression}},
			"actions":    map[string]any{"assignUserToGroups": map[string]any{"groupIds": ids}}}
		var created struct{ ID string }
		if err := e.seedCall("POST", "/api/v1/groups/rules", body, &created); err != nil {
			return fmt.Errorf("seed group rule %q: %w", r.Name, err)
		}
		if !r.Inactive {
			if err := e.seedCall("POST", "/api/v1/groups/rules/"+created.ID+"/lifecycle/activate", nil, nil); err != nil {
				return fmt.Errorf("seed group rule %q: activate: %w", r.Name, err)
			}
		}
	}
	for i, a := range e.opts.Apps {
		path := "/api/v1/apps"
		if a.Inactive {
			path += "?activate=false"
		}
		var created struct{ ID string }
		if err := e.seedCall("POST", path, a.App, &created); err != nil {
			return fmt.Errorf("seed app %d (label %v): %w", i, a.App["label"], err)
		}
		for _, login := range a.Users {
			body := map[string]any{"id": e.seedUserID(login), "scope": "USER"}
			if err := e.seedCall("POST", "/api/v1/apps/"+created.ID+"/users", body, nil); err != nil {
				return fmt.Errorf("seed app %d (label %v): user %q: %w", i, a.App["label"], login, err)
			}
		}
		for _, name := range a.Groups {
			path := "/api/v1/apps/" + created.ID + "/groups/" + groupIDs[strings.ToLower(name)]
			if err := e.seedCall("PUT", path, map[string]any{}, nil); err != nil {
				return fmt.Errorf("seed app %d (label %v): group %q: %w", i, a.App["label"], name, err)
			}
		}
	}
	return nil
}

// seedUserID is the id of the user with login, or the login itself (which the API then refuses with
// Okta's 404, naming it).
func (e *Emulator) seedUserID(login string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if u := e.byLogin[strings.ToLower(login)]; u != nil {
		return u.ID
	}
	return url.PathEscape(login)
}

// seedCall makes one API call as the admin and decodes a 2xx answer into out. Any other answer is an
// error with Okta's code, summary and causes.
func (e *Emulator) seedCall(method, path string, body, out any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encode the body of %s %s: %w", method, path, err)
		}
	}
	base, err := url.Parse(e.opts.BaseURL)
	if err != nil {
		return fmt.Errorf("org URL %q: %w", e.opts.BaseURL, err)
	}
	req := httptest.NewRequestWithContext(context.WithValue(context.Background(), seedingKey{}, true), method, path, bytes.NewReader(b))
	req.Host = base.Host
	req.Header.Set("Authorization", string(e.token))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		var oe okta.Error
		if json.Unmarshal(rec.Body.Bytes(), &oe) == nil && oe.ErrorCode != "" {
			return fmt.Errorf("%s %s: %d %w", method, path, rec.Code, &oe)
		}
		return fmt.Errorf("%s %s: %d %s", method, path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return nil
}
