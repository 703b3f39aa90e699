package emulator

import (
	"encoding/json"
	"maps"

	"github.com/trama-dev/trama/okta"
)

// Rendering apps, app users and group assignments as Okta answers them. The shapes follow Okta's
// recorded answers (okta/terraform-provider-okta fixtures): no self link on an app, uploadLogo with its
// hints, a single sign-in link, settings with notifications and emOptInStatus. Members Okta sends as
// null are left out, because the description declares them non-nullable.

// renderApp is the app as Okta's Application of its sign-on mode. secret is a client secret to show,
// which Okta does only in the answer that set it. e.mu must be held.
func (e *Emulator) renderApp(a *application, secret string) map[string]any {
	base := e.opts.BaseURL
	self := base + "/api/v1/apps/" + a.ID
	links := map[string]any{
		"uploadLogo": map[string]any{"href": self + "/logo", "hints": map[string]any{"allow": []string{"POST"}}},
		"appLinks": []any{map[string]any{"name": a.linkName(), "href": base + "/home/" + a.Name + "/" + a.ID + "/" + a.AppLinkID,
			"type": "text/html"}},
		"groups": map[string]any{"href": self + "/groups"},
		"users":  map[string]any{"href": self + "/users"},
		"logo": []any{map[string]any{"name": "medium", "href": base + "/assets/img/logos/" + a.logo(),
			"type": "image/png"}},
	}
	if a.Status == appActive {
		links["deactivate"] = map[string]any{"href": self + "/lifecycle/deactivate"}
	} else {
		links["activate"] = map[string]any{"href": self + "/lifecycle/activate"}
	}
	if a.SignOnMode == modeSAML2 {
		links["metadata"] = map[string]any{"href": self + "/sso/saml/metadata", "type": "application/xml"}
	}
	if a.SignOnMode == modeOIDC && a.AuthMethod != authNone && a.AuthMethod != authPrivateKeyJWT {
		links["clientCredentials"] = []any{map[string]any{"name": "secrets", "href": self + "/credentials/secrets"}}
	}
	visibility := deepCopy(a.Visibility)
	if _, ok := visibility["appLinks"]; !ok {
		visibility["appLinks"] = map[string]any{a.linkName(): true}
	}
	out := map[string]any{
		"id":            a.ID,
		"orn":           "orn:okta:idp:" + e.orgID() + ":apps:" + a.Name + ":" + a.ID,
		"name":          a.Name,
		"label":         a.Label,
		"status":        a.Status,
		"created":       okta.Time{Time: a.Created},
		"lastUpdated":   okta.Time{Time: a.LastUpdated},
		"accessibility": deepCopy(a.Accessibility),
		"visibility":    visibility,
		"features":      []string{},
		"signOnMode":    a.SignOnMode,
		"credentials":   e.renderCredentials(a, secret),
		"settings":      e.renderSettings(a),
		"_links":        links,
	}
	if a.SignOnMode == modeOIDC && a.Profile != nil {
		out["profile"] = deepCopy(a.Profile)
	}
	return out
}

func (e *Emulator) renderCredentials(a *application, secret string) map[string]any {
	c := deepCopy(a.Credentials)
	if c == nil {
		c = defaultCredentials()
	}
	c["signing"] = map[string]any{}
	if signsAssertions(a.SignOnMode) {
		c["signing"] = map[string]any{"kid": a.SigningKid}
	}
	if a.SharedPassword {
		c["password"] = map[string]any{}
	}
	if a.SignOnMode == modeOIDC {
		oc := map[string]any{"autoKeyRotation": !a.ManualKeyRotation, "client_id": a.ClientID,
			"token_endpoint_auth_method": a.AuthMethod, "pkce_required": a.PKCERequired}
		if secret != "" {
			oc["client_secret"] = secret
		}
		c["oauthClient"] = oc
	}
	return c
}

func (e *Emulator) renderSettings(a *application) map[string]any {
	s := deepCopy(a.Settings)
	if s == nil {
		s = map[string]any{}
	}
	if _, ok := s["app"]; !ok {
		s["app"] = map[string]any{}
	}
	if _, ok := s["notes"]; !ok {
		s["notes"] = map[string]any{}
	}
	s["notifications"] = map[string]any{"vpn": map[string]any{"network": map[string]any{"connection": "DISABLED"}}}
	s["manualProvisioning"] = false
	s["emOptInStatus"] = "NONE"
	if oc, ok := s["oauthClient"].(map[string]any); ok {
		oc["dpop_bound_access_tokens"] = a.RequireDPoP
		if len(a.Keys) > 0 {
			keys := make([]any, 0, len(a.Keys))
			for _, k := range a.Keys {
				var m map[string]any
				json.Unmarshal(k.JWK, &m)
				m["id"] = k.ID
				m["status"] = "ACTIVE"
				m["created"] = okta.Time{Time: k.Created}
				m["lastUpdated"] = okta.Time{Time: k.Created}
				keys = append(keys, m)
			}
			oc["jwks"] = map[string]any{"keys": keys}
		}
	}
	return s
}

// deepCopy copies a JSON-shaped value so a rendering can be changed and encoded after the lock is
// released without touching the store.
func deepCopy(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopy(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopyValue(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	}
	return v
}

// renderAppUser is the assignment as Okta's AppUser: the user's id, scope USER for a direct assignment
// and GROUP for one through group membership, status ACTIVE and syncState DISABLED (SSO without
// provisioning, as Okta documents), the username the app's template makes or the one assigned, and the
// app-specific profile. e.mu must be held.
func (e *Emulator) renderAppUser(a *application, au *appUser, u *user, embedUser bool) map[string]any {
	base := e.opts.BaseURL
	creds := map[string]any{"userName": e.appUserName(a, au, u)}
	if au.HasPassword {
		creds["password"] = map[string]any{}
	}
	var pwChanged any
	if !au.PasswordChanged.IsZero() {
		pwChanged = okta.Time{Time: au.PasswordChanged}
	}
	links := map[string]any{
		"app":  map[string]any{"href": base + "/api/v1/apps/" + a.ID},
		"user": map[string]any{"href": base + "/api/v1/users/" + u.ID},
	}
	if g := e.appUserGroup(a, au); g != nil && !au.Direct {
		links["group"] = map[string]any{"href": base + "/api/v1/groups/" + g.ID, "name": g.name()}
	}
	out := map[string]any{
		"id":              u.ID,
		"created":         okta.Time{Time: au.Created},
		"lastUpdated":     okta.Time{Time: au.LastUpdated},
		"scope":           au.scope(),
		"status":          appActive,
		"statusChanged":   okta.Time{Time: au.StatusChanged},
		"passwordChanged": pwChanged,
		"syncState":       "DISABLED",
		"credentials":     creds,
		"profile":         e.appUserProfile(a, au, u),
		"_links":          links,
	}
	if embedUser {
		data, _ := json.Marshal(u.render(base, false))
		var m map[string]any
		json.Unmarshal(data, &m)
		out["_embedded"] = map[string]any{"user": m}
	}
	return out
}

// appUserProfile is the app-specific profile: for an OpenID Connect client the user's standard claims,
// as Okta's recorded answers show them; then the profile of the assigning group with the highest
// priority; then what the assignment itself set.
func (e *Emulator) appUserProfile(a *application, au *appUser, u *user) map[string]any {
	p := map[string]any{}
	if a.SignOnMode == modeOIDC {
		first, _ := u.Profile["firstName"].(string)
		last, _ := u.Profile["lastName"].(string)
		p = map[string]any{"given_name": nilIfEmpty(first), "family_name": nilIfEmpty(last), "name": nilIfEmpty(u.displayName()),
			"email": nilIfEmpty(u.email()), "locale": "en_US", "zoneinfo": "America/Los_Angeles",
			"middle_name": nil, "nickname": nil, "profile": nil, "picture": nil, "website": nil, "gender": nil,
			"birthdate": nil, "phone_number": nil, "street_address": nil, "locality": nil, "region": nil,
			"postal_code": nil, "country": nil, "formatted": nil}
	}
	if ag := e.appGroupFor(a, e.appUserGroup(a, au)); ag != nil {
		maps.Copy(p, deepCopy(ag.Profile))
	}
	maps.Copy(p, deepCopy(au.Profile))
	return p
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// renderAppGroup is the group assignment as Okta's ApplicationGroupAssignment. e.mu must be held.
func (e *Emulator) renderAppGroup(a *application, ag *appGroup, embedGroup bool) map[string]any {
	base := e.opts.BaseURL
	appURL := base + "/api/v1/apps/" + a.ID
	profile := deepCopy(ag.Profile)
	out := map[string]any{
		"id":          ag.GroupID,
		"lastUpdated": okta.Time{Time: ag.LastUpdated},
		"priority":    ag.Priority,
		"profile":     profile,
		"_links": map[string]any{
			"app":   map[string]any{"href": appURL},
			"self":  map[string]any{"href": appURL + "/groups/" + ag.GroupID},
			"group": map[string]any{"href": base + "/api/v1/groups/" + ag.GroupID},
		},
	}
	if g, ok := e.groups[ag.GroupID]; ok && embedGroup {
		data, _ := json.Marshal(g.render(base))
		var m map[string]any
		json.Unmarshal(data, &m)
		out["_embedded"] = map[string]any{"group": m}
	}
	return out
}
