package systemlog

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/trama-dev/trama/okta"
)

func strp(s string) *string { return &s }

// sampleEvent is a user.mfa.factor.activate event shaped like the ones Okta publishes, with every
// optional field set so its JSON form has the same attributes as the struct.
func sampleEvent() okta.LogEvent {
	return okta.LogEvent{
		Actor: &okta.Actor{ID: "00uadmin0000000000", Type: "User", AlternateID: "admin@example.com", DisplayName: "Ada Admin"},
		Client: &okta.Client{
			UserAgent: &okta.UserAgent{RawUserAgent: "okta-sdk-golang/6.0.3", OS: "Linux", Browser: "UNKNOWN"},
			Zone:      "null", Device: "Unknown", IPAddress: "127.0.0.1",
			GeographicalContext: &okta.GeographicalContext{Country: strp("United States"), Geolocation: &okta.Geolocation{Lat: 37.5, Lon: -122.25}},
		},
		DebugContext: &okta.DebugContext{DebugData: map[string]any{
			"requestId":  "aBcD-1234",
			"requestUri": "/api/v1/users/00u1/factors/mfa1/lifecycle/activate",
			"url":        "/api/v1/users/00u1/factors/mfa1/lifecycle/activate?",
		}},
		DisplayMessage:  "Activate factor for user",
		EventType:       "user.mfa.factor.activate",
		LegacyEventType: "core.user.factor.activate",
		Outcome:         &okta.Outcome{Result: "SUCCESS", Reason: "User set up OKTA_SOFT_TOKEN factor"},
		Published:       okta.Time{Time: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)},
		Severity:        "INFO",
		Target: []okta.Target{
			{ID: "00u1", Type: "User", AlternateID: "jo@example.com", DisplayName: "Jo Doe",
				ChangeDetails: &okta.ChangeDetails{From: map[string]any{"status": "PENDING"}, To: map[string]any{"status": "ACTIVE"}}},
			{ID: "mfa1", Type: "AuthenticatorEnrollment", AlternateID: "unknown", DisplayName: "Okta Verify"},
		},
		AuthenticationContext: &okta.AuthenticationContext{AuthenticationStep: 0, ExternalSessionID: "trs1"},
		Transaction:           &okta.Transaction{Type: "WEB", ID: "aBcD-1234", Detail: map[string]any{}},
		UUID:                  "e766d84e-a0a8-11ed-a750-9f5fc296ce63",
		Version:               "0",
	}
}

func TestFilterMatch(t *testing.T) {
	ev := sampleEvent()
	tests := []struct {
		filter string
		want   bool
	}{
		{`eventType eq "user.mfa.factor.activate"`, true},
		{`eventType EQ "USER.MFA.FACTOR.ACTIVATE"`, true},
		{`eventType eq "user.mfa.factor.deactivate"`, false},
		{`eventType ne "user.mfa.factor.deactivate"`, true},
		{`eventType sw "user.mfa"`, true},
		{`eventType sw "event_hook"`, false},
		{`eventType ew "activate"`, true},
		{`eventType co "factor"`, true},
		{`eventType co "session"`, false},
		{`target.id eq "mfa1"`, true},  // second element
		{`target.id eq "00u1"`, true},  // first element
		{`target.id eq "00u2"`, false}, // no element
		{`target.id ne "mfa1"`, false}, // ne negates eq over the whole array
		{`target.type eq "User" and target.alternateId eq "jo@example.com"`, true},
		{`target.changeDetails.to.status eq "ACTIVE"`, true},
		{`actor.id eq "00uadmin0000000000"`, true},
		{`actor.id ne "00uadmin0000000000"`, false},
		{`outcome.result eq "FAILURE"`, false},
		{`outcome.result eq "FAILURE" or outcome.result eq "SUCCESS"`, true},
		{`not (outcome.result eq "FAILURE")`, true},
		{`NOT outcome.result eq "SUCCESS"`, false},
		{`client.ipAddress eq "127.0.0.1"`, true},
		{`client.geographicalContext.country eq "United States"`, true},
		{`client.geographicalContext.city pr`, false},
		{`client.geographicalContext.city eq null`, true},
		{`client.geographicalContext.country ne null`, true},
		{`client.geographicalContext.geolocation.lat gt 37`, true},
		{`client.geographicalContext.geolocation.lon lt -122.3`, false},
		{`authenticationContext.authenticationStep eq 0`, true},
		{`debugContext.debugData.requestUri sw "/api/v1/users/"`, true},
		{`debugContext.debugData.requestId eq "abcd-1234"`, true},
		{`debugContext.debugData.missing pr`, false},
		{`device pr`, false},
		{`device eq null`, true},
		{`actor.detailEntry pr`, false},
		{`severity ge "INFO" and severity le "INFO"`, true},
		{`severity gt "WARN"`, false},
		{`displayMessage eq "Activate factor for user"`, true},
		{`displayMessage eq "Activate \"factor\" for user"`, false},
		{`eventtype eq "user.mfa.factor.activate"`, false}, // attribute names are case-sensitive
		{`(eventType eq "a" or eventType eq "user.mfa.factor.activate") and (severity eq "INFO")`, true},
		{`eventType eq "a" or eventType eq "b" and severity eq "INFO"`, false}, // and binds tighter
		{`eventType eq "user.mfa.factor.activate" or eventType eq "b" and severity eq "DEBUG"`, true},
		{`uuid eq "e766d84e-a0a8-11ed-a750-9f5fc296ce63"`, true},
		{`version eq "0"`, true},
		{`displayMessage co "\u0066actor"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			if got := f.MatchEvent(&ev); got != tt.want {
				t.Errorf("MatchEvent = %v, want %v", got, tt.want)
			}
			if got := f.Match(jsonForm(t, ev)); got != tt.want {
				t.Errorf("Match(JSON form) = %v, want %v", got, tt.want)
			}
		})
	}
}

func jsonForm(t testing.TB, ev okta.LogEvent) any {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		filter string
		pos    int
	}{
		{``, 0},
		{`eventType`, 9},
		{`eventType eq`, 12},
		{`eventType eq user`, 13},
		{`eventType equals "x"`, 10},
		{`eventType eq "x`, 13},
		{`eventType eq "x\q"`, 15},
		{`eventType eq "x" and`, 20},
		{`(eventType eq "x"`, 17},
		{`eventType eq "x")`, 16},
		{`target[type eq "User"]`, 6},
		{`eventType sw 5`, 13},
		{`a..b pr`, 0},
		{`eventType eq "x" eventType eq "y"`, 17},
		{`eventType eq "\u12"`, 14},
		{`eventType eq 1.2.3`, 13},
		{`eventType eq "x" # comment`, 17},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := ParseFilter(tt.filter)
			var fe *FilterError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseFilter(%q) error = %v, want *FilterError", tt.filter, err)
			}
			if fe.Pos != tt.pos {
				t.Errorf("position = %d (%v), want %d", fe.Pos, err, tt.pos)
			}
		})
	}
}

func TestParseFilterDepthLimit(t *testing.T) {
	deep := ""
	for range 10000 {
		deep += "("
	}
	if _, err := ParseFilter(deep + `a pr`); err == nil {
		t.Fatal("10000 nested parentheses parsed without error")
	}
}

func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		`eventType eq "user.mfa.factor.activate"`,
		`target.id eq "00u1" and not (outcome.result eq "FAILURE")`,
		`client.geographicalContext.geolocation.lat gt 37.5 or device pr`,
		`debugContext.debugData.requestUri sw "/api" OR eventType co "\u0041\""`,
		`((((a pr))))`, `a eq null`, `a ne true`, `"`, `(`, `not`, `x eq -`,
	} {
		f.Add(s)
	}
	ev := sampleEvent()
	doc := jsonForm(f, ev)
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := ParseFilter(expr)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) || fe.Pos < 0 || fe.Pos > len(expr) {
				t.Fatalf("ParseFilter(%q) = %v, want a *FilterError within the expression", expr, err)
			}
			return
		}
		// The struct walk and the JSON walk must agree: both stand for the same JSON document.
		if a, b := flt.MatchEvent(&ev), flt.Match(doc); a != b {
			t.Fatalf("%q: MatchEvent = %v but Match(JSON form) = %v", expr, a, b)
		}
	})
}
