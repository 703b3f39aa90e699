// Package oktatest makes Okta System Log events and event-hook deliveries shaped and sized like Okta's,
// for tests and for `trama bench`: one fixture, so that every test and benchmark feeds trama the same
// kind of event.
package oktatest

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is a System Log event to render; zero fields take realistic defaults.
type Event struct {
	// UUID is required.
	UUID string
	// Type defaults to user.mfa.factor.activate.
	Type string
	// Published defaults to 2026-11-22T07:00:00.000Z.
	Published time.Time
	// ActorID is the actor (the admin, or trama's own identity); default 00uadmin.
	ActorID string
	// UserID is the target user; default 00uann.
	UserID string
	// Reason is outcome.reason; default "User set up OKTA_SOFT_TOKEN factor".
	Reason string
}

// JSON returns the event as Okta writes it: about 1.2 KB with client, geography, debug and security
// context.
func (e Event) JSON() []byte { return e.Append(nil) }

// Append appends JSON to b.
func (e Event) Append(b []byte) []byte {
	typ, actor, user, reason := e.Type, e.ActorID, e.UserID, e.Reason
	if typ == "" {
		typ = "user.mfa.factor.activate"
	}
	if actor == "" {
		actor = "00uadmin"
	}
	if user == "" {
		user = "00uann"
	}
	if reason == "" {
		reason = "User set up OKTA_SOFT_TOKEN factor"
	}
	published := e.Published
	if published.IsZero() {
		published = time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	}
	return fmt.Appendf(b, `{"uuid":%s,"published":"%s","eventType":%s,"version":"0",`+
		`"displayMessage":"Activate factor or authenticator","severity":"INFO",`+
		`"client":{"userAgent":{"rawUserAgent":"Mozilla/5.0 (X11; Linux x86_64)","os":"Linux","browser":"CHROME"},`+
		`"zone":"null","device":"Computer","id":null,"ipAddress":"198.51.100.7",`+
		`"geographicalContext":{"city":"Lisbon","state":"Lisbon","country":"Portugal","postalCode":"1000-001",`+
		`"geolocation":{"lat":38.7223,"lon":-9.1393}}},`+
		`"actor":{"id":%s,"type":"User","alternateId":"admin@example.com","displayName":"Admin"},`+
		`"outcome":{"result":"SUCCESS","reason":%s},`+
		`"target":[{"id":%s,"type":"User","alternateId":"ann@example.com","displayName":"Ann Lee"},`+
		`{"id":"mfa1abcd2EFGH3ijk4l5","type":"AuthenticatorEnrollment","alternateId":"unknown","displayName":"Google Authenticator"}],`+
		`"transaction":{"type":"WEB","id":%s,"detail":{}},`+
		`"debugContext":{"debugData":{"requestId":%s,"requestUri":%s,"url":%s}},`+
		`"authenticationContext":{"authenticationStep":0,"externalSessionId":"trs1"},`+
		`"securityContext":{"asNumber":null,"asOrg":null,"isp":null,"domain":null,"isProxy":null}}`,
		q(e.UUID), published.UTC().Format("2006-01-02T15:04:05.000Z"), q(typ),
		q(actor), q(reason), q(user), q("tx-"+e.UUID),
		q("req-"+e.UUID), q("/api/v1/users/"+user+"/factors"), q("/api/v1/users/"+user+"/factors?"))
}

// q returns s as a JSON string. Plain ASCII, which is nearly everything a benchmark renders, is quoted
// as it is; anything else goes through encoding/json.
func q(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := json.Marshal(s)
			return string(b)
		}
	}
	return `"` + s + `"`
}

// Delivery returns an event-hook request body carrying events, as Okta POSTs it.
func Delivery(eventID string, events ...Event) []byte { return AppendDelivery(nil, eventID, events...) }

// AppendDelivery appends Delivery to b, for callers that build many without allocating.
func AppendDelivery(b []byte, eventID string, events ...Event) []byte {
	b = fmt.Appendf(b, `{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1",`+
		`"source":"https://example.okta.com/api/v1/eventHooks/who1","eventId":%s,"eventTime":"2026-11-22T07:00:01.000Z",`+
		`"contentType":"application/json","data":{"events":[`, q(eventID))
	for i, e := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.Append(b)
	}
	return append(b, "]}}"...)
}
