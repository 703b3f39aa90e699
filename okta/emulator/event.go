package emulator

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/trama-dev/trama/okta"
)

// event builds a System Log event caused by the API call rq, with Okta's shape: the caller as actor (the
// API token's admin, or the service app whose access token it was), a v1 uuid, millisecond published,
// version "0", client.zone "null", and transaction.id equal to debugData.requestId equal to the
// response's X-Okta-Request-Id. e.mu must be held.
func (e *Emulator) event(rq *request, eventType, message, reason string, targets ...okta.Target) okta.LogEvent {
	var actor *okta.Actor
	detail := map[string]any{"requestApiTokenId": e.tokenID}
	if rq.principal.oauth() {
		actor = &okta.Actor{ID: rq.principal.clientID, Type: "PublicClientApp", AlternateID: rq.principal.clientID,
			DisplayName: rq.principal.label}
		// No API token was used, so Okta names none.
		detail = map[string]any{}
	} else if admin, ok := e.users[e.adminID]; ok {
		actor = admin.actor()
	} else {
		actor = &okta.Actor{ID: e.adminID, Type: "User", AlternateID: "unknown", DisplayName: "unknown"}
	}
	ip := clientIP(rq.r)
	ua := rq.r.UserAgent()
	url := rq.r.URL.Path + "?" + rq.r.URL.RawQuery
	ev := newEvent(rq.now)
	ev.Actor = actor
	ev.AuthenticationContext = &okta.AuthenticationContext{ExternalSessionID: "unknown"}
	ev.Client = &okta.Client{
		UserAgent: &okta.UserAgent{RawUserAgent: ua, OS: "Unknown", Browser: "UNKNOWN"},
		Zone:      "null", Device: "Unknown", IPAddress: ip,
		GeographicalContext: &okta.GeographicalContext{},
	}
	ev.DebugContext = &okta.DebugContext{DebugData: map[string]any{
		"requestId": rq.id, "requestUri": rq.r.URL.Path, "url": url,
	}}
	ev.DisplayMessage = message
	ev.EventType = eventType
	ev.Outcome = &okta.Outcome{Result: "SUCCESS", Reason: reason}
	ev.Request = &okta.Request{IPChain: []okta.IPAddress{{IP: ip, GeographicalContext: &okta.GeographicalContext{}, Version: ipVersion(ip)}}}
	ev.SecurityContext = &okta.SecurityContext{}
	ev.Target = targets
	ev.Transaction = &okta.Transaction{Type: "WEB", ID: rq.id, Detail: detail}
	return ev
}

// factorEvent is event for a factor operation; the legacy type mirrors Okta's core.user.factor.*.
func (e *Emulator) factorEvent(rq *request, u *user, f *factor, eventType, message, reason string) okta.LogEvent {
	targets := []okta.Target{u.target()}
	if key := enrollmentKeyOf(f); eventType == "user.mfa.factor.activate" && key != "" {
		// An Identity Engine org's activation also names the authenticator enrollment (okta.md,
		// "OIE"), so a workflow can wait for the activation of the factor it enrolled, not just of
		// the user. The enrollment's id is the factor's, as /authenticator-enrollments shows it.
		targets = append(targets, okta.Target{ID: f.ID, Type: "AuthenticatorEnrollment", AlternateID: "unknown",
			DisplayName: e.enrollmentName(key)})
	}
	ev := e.event(rq, eventType, message, reason, targets...)
	if rest, ok := strings.CutPrefix(eventType, "user.mfa.factor."); ok {
		ev.LegacyEventType = "core.user.factor." + rest
	} else {
		ev.LegacyEventType = "core.user.factor.attempt_success"
		if reason != "" {
			ev.LegacyEventType = "core.user.factor.attempt_fail"
		}
	}
	return ev
}

// newEvent fills the fields every event has: a v1 (time-based) uuid as real Okta uses, millisecond
// published, version "0".
func newEvent(now time.Time) okta.LogEvent {
	id, err := uuid.NewUUID()
	if err != nil {
		id = uuid.New()
	}
	ev := okta.LogEvent{UUID: id.String(), Version: "0", Severity: "INFO"}
	ev.Published.Time = now.UTC().Truncate(time.Millisecond)
	return ev
}

// clientIP is the first X-Forwarded-For address, which Okta honours, or the peer address.
func clientIP(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
			return ip.String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func ipVersion(ip string) string {
	if p := net.ParseIP(ip); p != nil && p.To4() == nil {
		return "V6"
	}
	return "V4"
}

// emit records events in the System Log and hands them to the event hooks, in that order, and marks
// the state dirty.
func (e *Emulator) emit(events ...okta.LogEvent) {
	if len(events) == 0 {
		return
	}
	e.log.Append(events...)
	e.hooks.Publish(events...)
	e.changed()
}

// emitBackground records an event the event-hook registry raises on its own (event_hook.delivery,
// event_hook.verified). Okta itself is the actor of those.
func (e *Emulator) emitBackground(ev okta.LogEvent) {
	base := newEvent(e.clock.Now())
	if ev.UUID == "" {
		ev.UUID = base.UUID
	}
	if ev.Published.IsZero() {
		ev.Published = base.Published
	}
	if ev.Version == "" {
		ev.Version = "0"
	}
	if ev.Severity == "" {
		ev.Severity = "INFO"
	}
	if ev.Actor == nil {
		ev.Actor = &okta.Actor{ID: "system", Type: "SystemPrincipal", AlternateID: "system@okta.com", DisplayName: "Okta System"}
	}
	if ev.Transaction == nil {
		ev.Transaction = &okta.Transaction{Type: "JOB", ID: newRequestID(), Detail: map[string]any{}}
	}
	if ev.Outcome == nil {
		ev.Outcome = &okta.Outcome{Result: "SUCCESS"}
	}
	e.log.Append(ev)
	e.changed()
}
