package okta

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// activateEvent is a real user.mfa.factor.activate event (IPs anonymised), as quoted in okta.md §3.4, with
// an insertionTimestamp member that LogEvent does not model.
const activateEvent = `{"actor":{"id":"00u85ek33bjW0rqu75d7","type":"User","alternateId":"aps@google.com","displayName":"aps","detailEntry":null},
 "client":{"userAgent":{"rawUserAgent":"Mozilla/5.0","os":"Windows 10","browser":"CHROME"},"zone":"null","device":"Computer","id":null,"ipAddress":"1.1.1.1",
   "geographicalContext":{"city":null,"state":null,"country":"India","postalCode":null,"geolocation":{"lat":21.9974,"lon":79.0011}}},
 "device":null,
 "authenticationContext":{"authenticationProvider":null,"credentialProvider":null,"credentialType":null,"issuer":null,"interface":null,"authenticationStep":0,"externalSessionId":"102SVz3tGtUS9iOMunoGfsHOw"},
 "displayMessage":"Activate factor for user","eventType":"user.mfa.factor.activate",
 "outcome":{"result":"SUCCESS","reason":"User set up EMAIL_FACTOR factor"},
 "published":"2023-01-30T14:18:01.558Z",
 "securityContext":{"asNumber":396982,"asOrg":"avago technologies u.s. inc.","isp":"google","domain":".","isProxy":false},
 "severity":"INFO",
 "debugContext":{"debugData":{"requestId":"Y9fRmYykc1ctVN0C0LEKkgAABQw","requestUri":"/api/v1/users","url":"/api/v1/users?activate=true","threatSuspected":"false","attempts":12345678901234567}},
 "legacyEventType":"core.user.factor.activate",
 "transaction":{"type":"WEB","id":"Y9fRmYykc1ctVN0C0LEKkgAABQw","detail":{}},
 "uuid":"e766d84e-a0a8-11ed-a750-9f5fc296ce63","version":"0",
 "insertionTimestamp":null,
 "request":{"ipChain":[{"ip":"2.2.2.2","geographicalContext":null,"version":"V4","source":null}]},
 "target":[{"id":"00u85ek33bjW0rqu75d7","type":"User","alternateId":"aps@google.com","displayName":"aps","detailEntry":null}]}`

const hookSource = "https://example.okta.com/api/v1/eventHooks/who7hphp39JoHLni81d7"

func delivery(events ...string) string {
	return `{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1",
 "source":"` + hookSource + `","eventId":"85b60edb-4263-4e13-993b-818e26201052",
 "data":{"events":[` + strings.Join(events, ",") + `]},"eventTime":"2023-01-30T14:18:03.093Z","contentType":"application/json"}`
}

func decodeEvent(t *testing.T, raw string) LogEvent {
	t.Helper()
	var ev LogEvent
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestNewCardActivateMapping(t *testing.T) {
	headers := http.Header{
		"Content-Type":  {"application/json"},
		"Authorization": {"****"},
		"X-Other":       {"a", "b"},
	}
	cards, err := NewCards([]byte(delivery(activateEvent)), headers)
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 1 {
		t.Fatalf("%d cards, want 1", len(cards))
	}
	c := cards[0]
	user := &CardEntity{ID: "00u85ek33bjW0rqu75d7", AlternateID: "aps@google.com", DisplayName: "aps", Type: "User"}
	checks := []struct {
		field string
		got   any
		want  any
	}{
		{"Date and Time", c.DateAndTime, "2023-01-30T14:18:01.558Z"},
		{"Message", c.Message, "Activate factor for user"},
		{"Event ID (LogEvent uuid)", c.EventID, "e766d84e-a0a8-11ed-a750-9f5fc296ce63"},
		{"Event Type (not the envelope's)", c.EventType, "user.mfa.factor.activate"},
		{"Event Time (envelope)", c.EventTime, "2023-01-30T14:18:03.093Z"},
		{"Version", c.Version, "0"},
		{"Admin (actor)", c.Admin, user},
		{"Okta User (User target)", c.OktaUser, user},
		{"Reason", c.Reason, "User set up EMAIL_FACTOR factor"},
		{"UUID (envelope eventId)", c.UUID, "85b60edb-4263-4e13-993b-818e26201052"},
		{"Source", c.Source, hookSource},
		{"Headers", c.Headers, map[string]string{"content-type": "application/json", "authorization": "****", "x-other": "a, b"}},
		{"Debug Data requestUri", c.DebugContext.DebugData["requestUri"], "/api/v1/users"},
		{"Debug Data numbers stay exact", c.DebugContext.DebugData["attempts"], json.Number("12345678901234567")},
		{"Event Details keeps unknown members", hasKey(c.EventDetails, "insertionTimestamp"), true},
		{"Event Details outcome", c.EventDetails["outcome"], map[string]any{"result": "SUCCESS", "reason": "User set up EMAIL_FACTOR factor"}},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.field, ch.got, ch.want)
		}
	}
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func TestNewCardShapes(t *testing.T) {
	// An admin resets a user's factor through the API: actor and User target differ, and the event also
	// carries an AuthenticatorEnrollment target that must not be taken for the user.
	adminReset := `{"actor":{"id":"00uADMIN","type":"User","alternateId":"admin@example.com","displayName":"Ada Admin"},
	  "eventType":"user.mfa.factor.deactivate","displayMessage":"Reset factor for user","published":"2024-05-01T10:00:00Z",
	  "outcome":{"result":"SUCCESS","reason":"User reset FIDO_WEBAUTHN factor"},"uuid":"u-2","version":"0",
	  "target":[{"id":"pfd1","type":"AuthenticatorEnrollment","alternateId":"unknown","displayName":"Okta Verify"},
	            {"id":"00uEND","type":"User","alternateId":"end@example.com","displayName":"End User"}]}`
	resetAll := `{"actor":{"id":"00uADMIN","type":"User","alternateId":"admin@example.com","displayName":"Ada Admin"},
	  "eventType":"user.mfa.factor.reset_all","displayMessage":"Reset all factors for user","published":"2024-05-01T10:00:00.000Z",
	  "outcome":{"result":"SUCCESS"},"uuid":"u-3","version":"0","target":null,"debugContext":null}`
	appEvent := `{"actor":{"id":"0oaAPP","type":"PublicClientApp","alternateId":"svc","displayName":"Service"},
	  "eventType":"group.user_membership.add","displayMessage":"Add user to group membership","published":"2024-05-01T10:00:00.000Z",
	  "outcome":{"result":"SUCCESS"},"uuid":"u-4","version":"0","target":[{"id":"00g1","type":"UserGroup","displayName":"Sales"}]}`
	noActor := `{"eventType":"system.import.start","uuid":"u-5","version":"0","actor":null,"target":[]}`

	tests := []struct {
		name      string
		raw       string
		wantAdmin *CardEntity
		wantUser  *CardEntity
		reason    string
	}{
		{"deactivate by admin", adminReset,
			&CardEntity{ID: "00uADMIN", AlternateID: "admin@example.com", DisplayName: "Ada Admin", Type: "User"},
			&CardEntity{ID: "00uEND", AlternateID: "end@example.com", DisplayName: "End User", Type: "User"},
			"User reset FIDO_WEBAUTHN factor"},
		{"reset_all without targets keeps both objects", resetAll,
			&CardEntity{ID: "00uADMIN", AlternateID: "admin@example.com", DisplayName: "Ada Admin", Type: "User"},
			&CardEntity{}, ""},
		{"generic card without a User target", appEvent,
			&CardEntity{ID: "0oaAPP", AlternateID: "svc", DisplayName: "Service", Type: "PublicClientApp"}, nil, ""},
		{"generic card without an actor", noActor, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCard(DeliveryMeta{}, decodeEvent(t, tt.raw), json.RawMessage(tt.raw))
			if !reflect.DeepEqual(c.Admin, tt.wantAdmin) {
				t.Errorf("Admin = %+v, want %+v", c.Admin, tt.wantAdmin)
			}
			if !reflect.DeepEqual(c.OktaUser, tt.wantUser) {
				t.Errorf("OktaUser = %+v, want %+v", c.OktaUser, tt.wantUser)
			}
			if c.Reason != tt.reason {
				t.Errorf("Reason = %q, want %q", c.Reason, tt.reason)
			}
			v := c.Value()
			if _, ok := v["oktaUser"]; ok != (tt.wantUser != nil) {
				t.Errorf("Value has oktaUser = %v, want %v", ok, tt.wantUser != nil)
			}
		})
	}
}

func TestNewCardTimeIsMillisecondUTC(t *testing.T) {
	raw := `{"eventType":"user.mfa.factor.update","published":"2024-05-01T12:00:00.5+02:00","uuid":"u"}`
	c := NewCard(DeliveryMeta{}, decodeEvent(t, raw), json.RawMessage(raw))
	if c.DateAndTime != "2024-05-01T10:00:00.500Z" {
		t.Errorf("DateAndTime = %q", c.DateAndTime)
	}
	if c.EventTime != "" {
		t.Errorf("EventTime without a delivery time = %q, want empty", c.EventTime)
	}
}

func TestNewCardPolledEvent(t *testing.T) {
	fetched := time.Date(2024, 5, 1, 10, 0, 7, 0, time.UTC)
	ev := decodeEvent(t, activateEvent)
	c := NewCard(SystemLogMeta("https://example.okta.com/", fetched), ev, nil)
	if c.UUID != "" || len(c.Headers) != 0 || c.Headers == nil {
		t.Errorf("polled card UUID %q, headers %#v; want empty uuid and an empty object", c.UUID, c.Headers)
	}
	if c.Source != "https://example.okta.com/api/v1/logs" || c.EventTime != "2024-05-01T10:00:07.000Z" {
		t.Errorf("polled card source %q, eventTime %q", c.Source, c.EventTime)
	}
	// Without raw JSON, Event Details is the typed event re-encoded: still an object with the outcome.
	if got, _ := c.Lookup("eventDetails.outcome.reason"); got != "User set up EMAIL_FACTOR factor" {
		t.Errorf("eventDetails.outcome.reason = %#v", got)
	}
	if got, _ := c.Lookup("oktaUser.id"); got != "00u85ek33bjW0rqu75d7" {
		t.Errorf("oktaUser.id = %#v", got)
	}
}

func TestCardJSONAndValueAgree(t *testing.T) {
	cards, err := NewCards([]byte(delivery(activateEvent)), http.Header{"Content-Type": {"application/json"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(cards[0])
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, cards[0].Value()) {
		t.Errorf("JSON form and Value differ:\njson  %v\nvalue %v", fromJSON, cards[0].Value())
	}
}

func TestNewCardsBatchKeepsOrder(t *testing.T) {
	second := strings.Replace(activateEvent, "e766d84e-a0a8-11ed-a750-9f5fc296ce63", "f00dd84e-a0a8-11ed-a750-9f5fc296ce63", 1)
	cards, err := NewCards([]byte(delivery(activateEvent, second)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 2 || cards[0].EventID != "e766d84e-a0a8-11ed-a750-9f5fc296ce63" || cards[1].EventID != "f00dd84e-a0a8-11ed-a750-9f5fc296ce63" {
		t.Fatalf("cards %v", cards)
	}
	if cards[0].UUID != cards[1].UUID {
		t.Errorf("events of one delivery have different delivery ids %q and %q", cards[0].UUID, cards[1].UUID)
	}
}

func TestNewCardsErrors(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"data":{"events":[1]}}`, `{"data":{"events":[{"published":"yesterday"}]}}`} {
		if _, err := NewCards([]byte(body), nil); err == nil {
			t.Errorf("NewCards(%q) succeeded, want an error", body)
		}
	}
}

func TestCardFields(t *testing.T) {
	fields := CardFields("user.mfa.factor.activate")
	var names []string
	for _, f := range fields {
		names = append(names, f.Name)
	}
	want := []string{"Date and Time", "Message", "Event ID", "Event Type", "Event Time", "Version", "Admin", "Okta User",
		"Reason", "UUID", "Event Details", "Headers", "Source", "Debug Context"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("field names %q, want %q", names, want)
	}
	cards, err := NewCards([]byte(delivery(activateEvent)), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Every documented key, nested ones included, must exist in the card a trigger sees.
	var walk func([]CardField)
	walk = func(fs []CardField) {
		for _, f := range fs {
			if _, ok := cards[0].Lookup(f.Key); !ok {
				t.Errorf("card has no %s (%q)", f.Key, f.Name)
			}
			walk(f.Fields)
		}
	}
	walk(fields)
	if d := CardFields("user.mfa.factor.deactivate")[8].Definition; d != "The outcome of the MFA factor being deactivated." {
		t.Errorf("deactivate Reason definition %q", d)
	}
	if d := CardFields("group.user_membership.add")[6].Definition; !strings.Contains(d, "Actor") {
		t.Errorf("generic Admin definition %q should describe the actor", d)
	}
}

func FuzzNewCard(f *testing.F) {
	f.Add([]byte(delivery(activateEvent)))
	f.Add([]byte(delivery(activateEvent, `{"eventType":"x","target":[{"type":"User"}],"debugContext":{"debugData":[]}}`)))
	f.Add([]byte(`{"data":{"events":[{"actor":null,"outcome":null,"debugContext":{"debugData":null}}]}}`))
	f.Add([]byte(`{"data":{"events":[null]}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cards, err := NewCards(body, http.Header{"X": {"1"}})
		if err != nil {
			return
		}
		for _, c := range cards {
			if c.EventDetails == nil || c.Headers == nil {
				t.Fatalf("card with nil EventDetails or Headers: %+v", c)
			}
			c.Value()
			if _, err := json.Marshal(c); err != nil {
				t.Fatalf("card does not marshal: %v", err)
			}
		}
	})
}

// BenchmarkNewCards maps a delivery of 50 events, the batch size the ingest targets are set for.
func BenchmarkNewCards(b *testing.B) {
	events := make([]string, 50)
	for i := range events {
		events[i] = activateEvent
	}
	body := []byte(delivery(events...))
	headers := http.Header{"Content-Type": {"application/json"}, "Authorization": {"****"}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewCards(body, headers); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzUserTargetJSON holds the user read from a target member on arrival to the card's Okta User: on any
// valid JSON both name the same target (or none), and on any input it returns without panicking.
func FuzzUserTargetJSON(f *testing.F) {
	for _, s := range []string{
		`[{"id":"x","type":"AppInstance"},{"id":"00u1","type":"User","alternateId":"Ann@Example.com"}]`,
		`[{"id":"00u3","type":"User","type":"Group"},{"id":"00u4","type":"User","id":7}]`,
		`[7,null,"User",{"ID":"no","Type":"User"},{"i\u0064":"esc","type":"Us\u0065r","alternateId":"a\u00e9"}]`,
		`{"id":"00u5","type":"User"}`, `null`, `[]`, `[{"type":"User","alternateId":"\xff"}]`, `[{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := UserTargetJSON(b)
		if !json.Valid(b) {
			return
		}
		card, err := CardOfJSON(DeliveryMeta{}, []byte(`{"target":`+string(b)+`}`))
		if err != nil {
			t.Fatalf("CardOfJSON: %v", err)
		}
		var want CardEntity
		if card.OktaUser != nil {
			want = *card.OktaUser
		}
		if ok != (card.OktaUser != nil) || got.ID != want.ID || got.Type != want.Type || got.AlternateID != want.AlternateID {
			t.Fatalf("%s: UserTargetJSON = %+v, %v; the card's Okta User %+v", b, got, ok, card.OktaUser)
		}
	})
}
