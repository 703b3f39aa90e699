package hook

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/store"
)

// FuzzReadHead holds readHead to encoding/json: on any event that encoding/json accepts as JSON, both give
// the same uuid, eventType and published, or both fail; and the user read from its target is the card's
// Okta User.
func FuzzReadHead(f *testing.F) {
	for _, s := range []string{
		`{"uuid":"u1","eventType":"user.mfa.factor.activate","published":"2026-11-22T07:00:00.000Z","actor":{"id":"x","nested":[1,{"a":"}"}]}}`,
		`{"UUID":"a","uuid":"b","EventType":"t","actor":"with \"quotes\" and \\ slashes"}`,
		`{"uu\u0069d":"escaped","published":null,"x":true,"y":-1.5e3}`,
		`{"eventType":5}`, `{}`, ` { "uuid" : "spaced" } `, `{"published":"not a time"}`, `[]`, `{"a":[]}`,
		`{"uuid":"t1","target":[{"id":"x","type":"AppInstance"},{"id":"00u1","type":"User","alternateId":"Ann@Example.com"}]}`,
		`{"target":[{"id":"00u1","type":"User"}],"Target":[{"id":"00u2","type":"User"}],"target":[{"id":"00u3","type":"User","type":"Group"}]}`,
		`{"t\u0061rget":[7,null,{"ID":"no","Type":"User"},{"id":"00u4","type":"User","alternateId":5}]}`, `{"target":{"id":"00u5","type":"User"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var raw json.RawMessage
		if json.Unmarshal([]byte(s), &raw) != nil {
			return // readHead only sees events the envelope decode accepted
		}
		var want eventHead
		wantErr := json.Unmarshal(raw, &want)
		got, err := readHead(raw)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%s: readHead error %v, encoding/json error %v", s, err, wantErr)
		}
		if err == nil && (got.UUID != want.UUID || got.EventType != want.EventType || !got.Published.Equal(want.Published.Time)) {
			t.Fatalf("%s: readHead %+v, encoding/json %+v", s, got, want)
		}
		// The user the store records on arrival is the Okta User of the card dispatch builds.
		if card, cerr := okta.CardOfJSON(okta.DeliveryMeta{}, raw); err == nil && cerr == nil {
			var want store.EventUser
			if u := card.OktaUser; u != nil {
				want = store.EventUser{ID: u.ID, Login: u.AlternateID}
			}
			if user := store.UserOfTarget(got.target); user != want {
				t.Fatalf("%s: user on arrival %+v, the card's %+v", s, user, want)
			}
		}
	})
}

func BenchmarkParse50(b *testing.B) {
	body := []byte(delivery50())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("application/json", body); err != nil {
			b.Fatal(err)
		}
	}
}

// delivery50 is a delivery of 50 realistic user.mfa.factor.activate events (about 60 KB).
func delivery50() string { return deliveryOf(50) }

// deliveryOf is a delivery of n realistic user.mfa.factor.activate events.
func deliveryOf(n int) string {
	const ev = `{"actor":{"id":"00u85ek33bjW0rqu75d7","type":"User","alternateId":"admin@example.com","displayName":"Admin","detailEntry":null},"client":{"userAgent":{"rawUserAgent":"okta-sdk-golang/6.0.3 golang/go1.26.8 linux/amd64","os":"Linux","browser":"UNKNOWN"},"zone":"null","device":"Computer","id":null,"ipAddress":"127.0.0.1","geographicalContext":{"city":null,"state":null,"country":"United States","postalCode":null,"geolocation":{"lat":37.77,"lon":-122.41}}},"device":null,"authenticationContext":{"authenticationProvider":null,"credentialProvider":null,"credentialType":null,"issuer":null,"interface":null,"authenticationStep":0,"externalSessionId":"trs1a2b3c"},"displayMessage":"Activate factor for user","eventType":"user.mfa.factor.activate","outcome":{"result":"SUCCESS","reason":"User set up OKTA_SOFT_TOKEN factor"},"published":"2026-11-22T07:00:00.000Z","securityContext":{"asNumber":null,"asOrg":null,"isp":null,"domain":null,"isProxy":null},"severity":"INFO","debugContext":{"debugData":{"requestId":"Y9fRmYykc1ctVN0C0LEKkgAABQw","requestUri":"/api/v1/users/00u1/factors/ost1/lifecycle/activate","url":"/api/v1/users/00u1/factors/ost1/lifecycle/activate?"}},"legacyEventType":"core.user.factor.activate","transaction":{"type":"WEB","id":"Y9fRmYykc1ctVN0C0LEKkgAABQw","detail":{}},"uuid":"%UUID%","version":"0","request":{"ipChain":[{"ip":"127.0.0.1","geographicalContext":null,"version":"V4","source":null}]},"target":[{"id":"00u1","type":"User","alternateId":"ann@example.com","displayName":"Ann Lee","detailEntry":null}]}`
	var events []string
	for i := range n {
		events = append(events, strings.Replace(ev, "%UUID%", fmt.Sprintf("e766d84e-a0a8-11ed-a750-%012d", i), 1))
	}
	return `{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1","source":"https://org.example/api/v1/eventHooks/who1","eventId":"85b60edb-4263-4e13-993b-818e26201052","data":{"events":[` +
		strings.Join(events, ",") + `]},"eventTime":"2026-11-22T07:00:01.000Z","contentType":"application/json"}`
}

// FuzzReadEnvelope holds readEnvelope to encoding/json: on any body, both fail or both give the same
// envelope, every event byte for byte.
func FuzzReadEnvelope(f *testing.F) {
	for _, s := range []string{
		deliveryOf(2), // small: the fuzzer minimizes every input it finds interesting
		`{"eventType":"com.okta.event_hook","data":{"events":[]}}`,
		`{"eventType":"com.okta.event_hook","data":{"events":[{"uuid":"a"}, null, 1, "s", [2]]},"eventTime":"2026-11-22T07:00:01.000Z"}`,
		`{"EVENTTYPE":"x","eventtype":"y","data":{"events":[1]},"data":{"other":2},"Data":{"EVENTS":null}}`,
		`{"data":null,"data":{"events":[{}]}}`, `{"data":{"events":{}}}`, `{"data":[]}`, `{"data":"x"}`,
		`{"eventId":5}`, `{"source":"with \"escape\""}`, `{"source":null}`, `{"eventTime":null}`, `{"eventTime":"bad"}`,
		`{"ev\u0065ntId":"escaped name"}`, `{"source":"\xff\xfe invalid UTF-8"}`, `null`, `[]`, `"s"`, `{`, ``,
		` { "data" : { "events" : [ { "uuid" : "u" } , { } ] } } `,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want envelope
		wantErr := json.Unmarshal([]byte(s), &want)
		got, err := readEnvelope([]byte(s))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: readEnvelope error %v, encoding/json error %v", s, err, wantErr)
		}
		if err != nil {
			return
		}
		if got.EventType != want.EventType || got.EventTypeVersion != want.EventTypeVersion || got.CloudEventsVersion != want.CloudEventsVersion ||
			got.Source != want.Source || got.EventID != want.EventID || !got.EventTime.Equal(want.EventTime.Time) || (got.Data == nil) != (want.Data == nil) {
			t.Fatalf("%q: readEnvelope %+v, encoding/json %+v", s, got, want)
		}
		if got.Data == nil {
			return
		}
		if (got.Data.Events == nil) != (want.Data.Events == nil) || len(got.Data.Events) != len(want.Data.Events) {
			t.Fatalf("%q: events %q, encoding/json %q", s, got.Data.Events, want.Data.Events)
		}
		for i := range got.Data.Events {
			if string(got.Data.Events[i]) != string(want.Data.Events[i]) {
				t.Fatalf("%q: event %d %q, encoding/json %q", s, i, got.Data.Events[i], want.Data.Events[i])
			}
		}
	})
}
