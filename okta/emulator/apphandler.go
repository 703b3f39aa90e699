package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/trama-dev/trama/internal/lazyregexp"
	"github.com/trama-dev/trama/okta"
)

// The Applications API: create (activate=false makes the app INACTIVE), read, list with q, filter and
// paging, replace, the activate and deactivate lifecycle, and delete, which Okta allows only once an
// app is inactive. Requests are checked per sign-on mode in signon.go.

// appLifecycleEvent is application.lifecycle.<change> targeting the app; the display messages are the
// event catalog's descriptions, as Okta writes them. e.mu must be held.
func (e *Emulator) appLifecycleEvent(rq *request, change string, a *application) okta.LogEvent {
	message := map[string]string{"create": "Create application", "activate": "Activate application",
		"deactivate": "Deactivate application", "delete": "Delete application", "update": "Update application"}[change]
	return e.event(rq, "application.lifecycle."+change, message, "", a.target())
}

// apply stores what a checked request sets and returns the client secret to show, if one was given or
// generated.
func (a *application) apply(s *appSpec, now time.Time) string {
	hadSharedPassword := a.SharedPassword
	a.Label = s.label
	a.Settings, a.Credentials = s.settings, s.credentials
	a.Visibility, a.Accessibility = s.visibility, s.accessibility
	// A shared password that a replace does not repeat stays, as Okta keeps credentials it is not sent.
	a.SharedPassword = s.sharedPassword || hadSharedPassword && s.credentials["scheme"] == "SHARED_USERNAME_AND_PASSWORD"
	a.LastUpdated = now
	o := s.oidc
	if o == nil {
		return ""
	}
	a.Profile = s.profile
	a.AuthMethod, a.PKCERequired, a.ManualKeyRotation, a.RequireDPoP = o.authMethod, o.pkce, o.manualKeyRotation, o.dpop
	a.setKeys(o.keys, now)
	return o.clientSecret
}

// checkUnique refuses what Okta keeps unique: a client id, and the label among the instances of one
// catalog app definition. self is the app being replaced. e.mu must be held.
func (e *Emulator) checkUnique(a, self *application) error {
	for _, other := range e.appOrder {
		if other == self {
			continue
		}
		if a.ClientID != "" && (other.ClientID == a.ClientID || other.ID == a.ID) {
			return errValidation("credentials.oauthClient.client_id",
				"credentials.oauthClient.client_id: An object with this field already exists in the current organization")
		}
		if _, catalog := appDefinitions[a.Name]; catalog && a.Name != appNameOIDC && other.Name == a.Name &&
			strings.EqualFold(other.Label, a.Label) {
			return errDuplicateAppLabel()
		}
	}
	return nil
}

// createApp creates an app: 200 with the Application, ACTIVE unless activate=false. A custom SAML or
// SWA app gets a generated name; an OpenID Connect client gets its app id as client id unless it
// brings one, and a generated client secret when its authentication method needs one and none was
// given, shown in this answer only.
func (e *Emulator) createApp(rq *request) (int, any, error) {
	body, err := decodeObject(rq.r)
	if err != nil {
		return 0, nil, err
	}
	spec, err := checkApp(body, nil)
	if err != nil {
		return 0, nil, err
	}
	activate := boolQuery(rq.r, "activate", true)
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a := &application{ID: newID("0oa"), Name: spec.name, SignOnMode: spec.mode, Status: appActive, Created: rq.now,
			AppLinkID: newID("aln")}
		switch {
		case spec.name == "":
			a.Name = e.customAppName(spec.label)
		case spec.name == appNameOIDC:
			a.AppLinkID = oidcAppLinkID
		}
		if signsAssertions(spec.mode) {
			a.SigningKid = newKid()
		}
		if spec.oidc != nil {
			a.ClientID = a.ID
			if id := spec.oidc.clientID; id != "" {
				a.ClientID, a.ID = id, appIDFor(id)
			}
		}
		secret := a.apply(spec, rq.now)
		if err := e.checkUnique(a, nil); err != nil {
			return 0, nil, nil, err
		}
		events := []okta.LogEvent{e.appLifecycleEvent(rq, "create", a)}
		if activate {
			events = append(events, e.appLifecycleEvent(rq, "activate", a))
		} else {
			a.Status = appInactive
		}
		e.addApp(a)
		return http.StatusOK, e.renderApp(a, secret), events, nil
	})
}

// getApp answers one app; expand=user/{userId} embeds that user's assignment.
func (e *Emulator) getApp(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.appFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	out := e.renderApp(a, "")
	if uid, ok := strings.CutPrefix(rq.r.URL.Query().Get("expand"), "user/"); ok {
		e.embedAppUser(out, a, uid)
	}
	return http.StatusOK, out, nil
}

// embedAppUser puts the assignment of user uid, if any, in the app's _embedded.user.
func (e *Emulator) embedAppUser(out map[string]any, a *application, uid string) {
	if au := e.appUserFor(a, uid); au != nil {
		if u, ok := e.users[uid]; ok {
			out["_embedded"] = map[string]any{"user": e.renderAppUser(a, au, u, false)}
		}
	}
}

// appFilter is the one `eq` expression GET /api/v1/apps accepts.
var appFilter = lazyregexp.New(`^\s*([A-Za-z.]+)\s+eq\s+(?:"((?:[^"\\]|\\.)*)"|(true|false))\s*$`)

// appFilterAttributes are the properties Okta filters apps by: the description's list and the retired
// reference's user.id and group.id.
var appFilterAttributes = []string{"id", "status", "name", "user.id", "group.id", "credentials.signing.kid",
	"settings.slo.enabled"}

// parseAppFilter reads filter: one eq expression on a supported property, as Okta documents ("Only a
// single expression is supported as this time. The only supported filter type is eq.").
func parseAppFilter(s string) (attr, value string, err error) {
	if s == "" {
		return "", "", nil
	}
	m := appFilter.FindStringSubmatch(s)
	if m == nil || !slices.Contains(appFilterAttributes, m[1]) {
		return "", "", errValidation("filter", fmt.Sprintf(
			"Invalid filter parameter: apps are filtered by one eq expression on %s, not %q", strings.Join(appFilterAttributes, ", "), s))
	}
	value = strings.ReplaceAll(m[2], `\"`, `"`)
	if m[3] != "" {
		value = m[3]
	}
	return m[1], value, nil
}

// appMatches applies a parsed filter and q (a case-insensitive prefix of the name or label) to a.
// e.mu must be held.
func (e *Emulator) appMatches(a *application, attr, value, q string) bool {
	if q != "" && !strings.HasPrefix(strings.ToLower(a.Name), q) && !strings.HasPrefix(strings.ToLower(a.Label), q) {
		return false
	}
	switch attr {
	case "":
		return true
	case "id":
		return a.ID == value
	case "status":
		return a.Status == value
	case "name":
		return a.Name == value
	case "user.id":
		return e.appUserFor(a, value) != nil
	case "group.id":
		return e.appGroupFor(a, e.groups[value]) != nil
	case "credentials.signing.kid":
		return a.SigningKid != "" && a.SigningKid == value
	case "settings.slo.enabled":
		signOn, _ := a.Settings["signOn"].(map[string]any)
		slo, _ := signOn["slo"].(map[string]any)
		return fmt.Sprint(slo["enabled"] == true) == value
	}
	return false
}

// listApps lists the org's apps in creation order: q, filter, limit (default 20, at most 200, Okta's),
// after (an app id from the next link) and expand=user/{userId}, which Okta allows only with the filter
// user.id eq "{userId}" and which embeds that user's assignment.
func (e *Emulator) listApps(rq *request) (int, any, error) {
	limit, err := pageLimit(rq, 20, 200)
	if err != nil {
		return 0, nil, err
	}
	qs := rq.r.URL.Query()
	attr, value, err := parseAppFilter(qs.Get("filter"))
	if err != nil {
		return 0, nil, err
	}
	expandUser := ""
	if x := qs.Get("expand"); x != "" {
		uid, ok := strings.CutPrefix(x, "user/")
		if !ok || attr != "user.id" || value != uid {
			return 0, nil, errValidation("expand", fmt.Sprintf(
				"expand: %q is not supported; expand=user/{userId} goes with filter=user.id eq \"{userId}\"", x))
		}
		expandUser = uid
	}
	q := strings.ToLower(qs.Get("q"))
	after := qs.Get("after")
	e.mu.Lock()
	out := make([]any, 0, min(limit, len(e.appOrder)))
	started := after == ""
	more := false
	var last string
	for _, a := range e.appOrder {
		if !started {
			started = a.ID == after
			continue
		}
		if !e.appMatches(a, attr, value, q) {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		m := e.renderApp(a, "")
		if expandUser != "" {
			e.embedAppUser(m, a, expandUser)
		}
		out = append(out, m)
		last = a.ID
	}
	e.mu.Unlock()
	setPageLinks(rq, e.opts.BaseURL, more, "after", last)
	return http.StatusOK, out, nil
}

// replaceApp replaces an app's properties: 200 with the Application. Okta ignores the system-assigned
// properties (id, name, status, created, lastUpdated) in the body and checks the rest as on create; the
// sign-on mode and an OpenID Connect client's application type and client id can't change.
func (e *Emulator) replaceApp(rq *request) (int, any, error) {
	body, err := decodeObject(rq.r)
	if err != nil {
		return 0, nil, err
	}
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, err := e.appFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		spec, err := checkApp(body, a)
		if err != nil {
			return 0, nil, nil, err
		}
		probe := *a
		probe.Label = spec.label
		if err := e.checkUnique(&probe, a); err != nil {
			return 0, nil, nil, err
		}
		secret := a.apply(spec, rq.now)
		return http.StatusOK, e.renderApp(a, secret), []okta.LogEvent{e.appLifecycleEvent(rq, "update", a)}, nil
	})
}

// deleteApp deletes an INACTIVE app: 204. An ACTIVE app is refused with 403 E0000056, as Okta's Apps
// reference shows. Its assignments and grants go with it.
func (e *Emulator) deleteApp(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, err := e.appFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if a.Status == appActive {
			return 0, nil, nil, errDeleteActiveApp()
		}
		e.removeApp(a)
		return http.StatusNoContent, nil, []okta.LogEvent{e.appLifecycleEvent(rq, "delete", a)}, nil
	})
}

func (e *Emulator) activateApp(rq *request) (int, any, error) { return e.appLifecycle(rq, appActive) }
func (e *Emulator) deactivateApp(rq *request) (int, any, error) {
	return e.appLifecycle(rq, appInactive)
}

// appLifecycle moves an app to status: 200 with an empty JSON object, Okta's answer. An app already
// there answers the same and logs nothing.
func (e *Emulator) appLifecycle(rq *request, status string) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		a, err := e.appFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if a.Status == status {
			return http.StatusOK, []byte("{}"), nil, nil
		}
		a.Status = status
		a.LastUpdated = rq.now
		change := "activate"
		if status == appInactive {
			change = "deactivate"
		}
		return http.StatusOK, []byte("{}"), []okta.LogEvent{e.appLifecycleEvent(rq, change, a)}, nil
	})
}
