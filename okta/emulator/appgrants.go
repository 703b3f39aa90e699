package emulator

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Admin consent grants of Okta scopes to OAuth 2.0 clients: POST, GET and DELETE
// /api/v1/apps/{appId}/grants. A service app may request an access token with the scopes it was granted.

// scopeGrant is an admin's consent for the app to request one Okta scope. Fields are exported for the
// state file.
type scopeGrant struct {
	ID            string    `json:"id"`
	ScopeID       string    `json:"scopeId"`
	Issuer        string    `json:"issuer"`
	Created       time.Time `json:"created"`
	LastUpdated   time.Time `json:"lastUpdated"`
	CreatedByID   string    `json:"createdById"`
	CreatedByType string    `json:"createdByType"`
}

// grantedScopes lists the scopes the app may request, in grant order.
func (a *application) grantedScopes() []string {
	out := make([]string, 0, len(a.Grants))
	for _, g := range a.Grants {
		out = append(out, g.ScopeID)
	}
	return out
}

func (a *application) grant(scope string) *scopeGrant {
	for _, g := range a.Grants {
		if g.ScopeID == scope {
			return g
		}
	}
	return nil
}

// grantBody is the request body of POST /api/v1/apps/{appId}/grants.
type grantBody struct {
	ScopeID string `json:"scopeId"`
	Issuer  string `json:"issuer"`
}

func (e *Emulator) createGrant(rq *request) (int, any, error) {
	var body grantBody
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	switch {
	case body.ScopeID == "":
		return 0, nil, errValidation("scopeId", "scopeId: The field cannot be left blank")
	case !validScopeName(body.ScopeID):
		return 0, nil, errValidation("scopeId", "scopeId: "+body.ScopeID+" is not an Okta scope")
	case body.Issuer == "":
		return 0, nil, errValidation("issuer", "issuer: The field cannot be left blank")
	case strings.TrimRight(body.Issuer, "/") != e.opts.BaseURL:
		// Okta scopes are granted by the org authorization server, whose issuer is the org URL.
		return 0, nil, errValidation("issuer", "issuer: Okta scopes are issued by the org authorization server, "+e.opts.BaseURL)
	}
	e.mu.Lock()
	a, err := e.appFromPath(rq)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	if a.grant(body.ScopeID) != nil {
		e.mu.Unlock()
		return 0, nil, errValidation("scopeId", "scopeId: "+body.ScopeID+" is already granted to this app")
	}
	g := &scopeGrant{ID: newID("oag"), ScopeID: body.ScopeID, Created: rq.now, LastUpdated: rq.now}
	g.CreatedByID, g.CreatedByType = e.creator(rq)
	a.Grants = append(a.Grants, g)
	a.LastUpdated = rq.now
	ev := e.event(rq, "app.oauth2.admin.consent.grant", "Administrator consent granted for scope", "", a.target(), scopeTarget(g.ScopeID))
	out := e.renderGrant(a, g)
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusCreated, out, nil
}

func (e *Emulator) listGrants(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.appFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	out := make([]map[string]any, 0, len(a.Grants))
	for _, g := range a.Grants {
		out = append(out, e.renderGrant(a, g))
	}
	return http.StatusOK, out, nil
}

func (e *Emulator) getGrant(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, g, err := e.grantFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderGrant(a, g), nil
}

func (e *Emulator) deleteGrant(rq *request) (int, any, error) {
	e.mu.Lock()
	a, g, err := e.grantFromPath(rq)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	a.Grants = slices.DeleteFunc(a.Grants, func(x *scopeGrant) bool { return x == g })
	a.LastUpdated = rq.now
	ev := e.event(rq, "app.oauth2.admin.consent.revoke", "Administrator consent revoked for scope", "", a.target(), scopeTarget(g.ScopeID))
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusNoContent, nil, nil
}

// grantFromPath finds {appId} and its {grantId}. e.mu must be held.
func (e *Emulator) grantFromPath(rq *request) (*application, *scopeGrant, error) {
	a, err := e.appFromPath(rq)
	if err != nil {
		return nil, nil, err
	}
	id := rq.r.PathValue("grantId")
	for _, g := range a.Grants {
		if g.ID == id {
			return a, g, nil
		}
	}
	return nil, nil, errNotFound(id, "OAuth2ScopeConsentGrant")
}

// creator names who made a change, for createdBy: the token's admin or the service app.
func (e *Emulator) creator(rq *request) (id, typ string) {
	if rq.principal.oauth() {
		return rq.principal.clientID, "PublicClientApp"
	}
	return e.adminID, "User"
}

func scopeTarget(scope string) okta.Target {
	return okta.Target{ID: scope, Type: "OAuth2Scope", AlternateID: scope, DisplayName: scope}
}

// renderGrant is the grant as Okta's OAuth2ScopeConsentGrant. e.mu must be held.
func (e *Emulator) renderGrant(a *application, g *scopeGrant) map[string]any {
	base := e.opts.BaseURL
	appURL := base + "/api/v1/apps/" + a.ID
	return map[string]any{
		"id":          g.ID,
		"status":      "ACTIVE",
		"created":     okta.Time{Time: g.Created},
		"createdBy":   map[string]any{"id": g.CreatedByID, "type": g.CreatedByType},
		"lastUpdated": okta.Time{Time: g.LastUpdated},
		"issuer":      base,
		"clientId":    a.ClientID,
		"scopeId":     g.ScopeID,
		"source":      "ADMIN",
		"_embedded":   map[string]any{"scope": map[string]any{"id": g.ScopeID}},
		"_links": map[string]any{
			"app": map[string]any{"href": appURL, "title": a.Label},
			"self": map[string]any{"href": appURL + "/grants/" + g.ID,
				"hints": map[string]any{"allow": []string{"GET", "DELETE"}}},
			"client": map[string]any{"href": base + "/oauth2/v1/clients/" + a.ClientID, "title": a.Label},
		},
	}
}
