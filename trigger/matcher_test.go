package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/config/configtest"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/secret"
)

// activate builds a user.mfa.factor.activate LogEvent shaped like the real one in okta.md §3.4.
func activate(uuid, actorID, actorLogin, userID, userLogin, factor string) string {
	return `{"actor":{"id":"` + actorID + `","type":"User","alternateId":"` + actorLogin + `","displayName":"` + actorLogin + `","detailEntry":null},
 "client":{"userAgent":{"rawUserAgent":"Mozilla/5.0","os":"Windows 10","browser":"CHROME"},"zone":"null","device":"Computer","id":null,"ipAddress":"1.1.1.1","geographicalContext":null},
 "device":null,"displayMessage":"Activate factor for user","eventType":"user.mfa.factor.activate",
 "outcome":{"result":"SUCCESS","reason":"User set up ` + factor + ` factor"},
 "published":"2023-01-30T14:18:01.558Z","severity":"INFO",
 "debugContext":{"debugData":{"requestId":"Y9fRmYykc1ctVN0C0LEKkgAABQw","requestUri":"/api/v1/users/` + userID + `/factors/mbl1/lifecycle/activate"}},
 "legacyEventType":"core.user.factor.activate","transaction":{"type":"WEB","id":"Y9fRmYykc1ctVN0C0LEKkgAABQw","detail":{}},
 "uuid":"` + uuid + `","version":"0",
 "target":[{"id":"` + userID + `","type":"User","alternateId":"` + userLogin + `","displayName":"` + userLogin + `","detailEntry":null}]}`
}

const deactivate = `{"actor":{"id":"00uADMIN","type":"User","alternateId":"admin@example.com","displayName":"Ada"},
 "eventType":"user.mfa.factor.deactivate","displayMessage":"Reset factor for user","published":"2023-01-30T14:20:00.000Z",
 "outcome":{"result":"SUCCESS","reason":"User reset OKTA_SOFT_TOKEN factor"},"uuid":"d-1","version":"0",
 "target":[{"id":"00uEND","type":"User","alternateId":"end@example.com","displayName":"End"}]}`

const matchConfig = `okta: {orgUrl: https://example.okta.com, token: "${OKTA_API_TOKEN}"}
triggers:
  - name: welcome-new-factor
    on: user.mfa.factor.activate
    when: $event.reason != 'User set up SMS_FACTOR factor'
    run: { file: flows/notify.arazzo.yaml, workflow: notify-security }
    inputs:
      userId: $event.oktaUser.id
      oktaApiToken: $env.OKTA_API_TOKEN
      result: $event.eventDetails#/outcome/result
      requestUri: $event.debugContext.debugData.requestUri
      note: "factor for {$event.oktaUser.alternateId} at $event.dateAndTime"
      nested: {ids: [$event.eventId, $event.uuid], contentType: $event.headers.content-type}
      limit: 3
    ignoreActor: self
  - name: audit
    on: [user.mfa.factor.activate, user.mfa.factor.deactivate]
    run: { file: flows/notify.arazzo.yaml, workflow: notify-security }
    inputs:
      who: $event.admin.alternateId
    ignoreActor: 00uBOT
  - name: broken-when
    on: user.mfa.factor.activate
    when: $event.eventDetails#/outcome > 3
    run: { file: flows/notify.arazzo.yaml, workflow: notify-security }
  - name: needs-env
    on: user.mfa.factor.activate
    run: { file: flows/notify.arazzo.yaml, workflow: notify-security }
    inputs:
      hookUrl: $env.SLACK_WEBHOOK_URL
`

// fakeOkta is an httptest server answering GET /api/v1/users/me like Okta, for the SSWS token given.
func fakeOkta(t *testing.T, token, id string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/api/v1/users/me" || r.Method != http.MethodGet {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(okta.Error{ErrorCode: "E0000007", ErrorSummary: "Not found: Resource not found: me (User)", ErrorCauses: []okta.ErrorCause{}})
			return
		}
		if r.Header.Get("Authorization") != "SSWS "+token {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(okta.Error{ErrorCode: "E0000011", ErrorSummary: "Invalid token provided", ErrorCauses: []okta.ErrorCause{}})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"id": id, "status": "ACTIVE", "type": map[string]string{"id": "oty1"},
			"profile": map[string]string{"login": "trama-bot@example.com", "email": "trama-bot@example.com"},
			"_links":  map[string]any{"self": map[string]string{"href": "https://example.okta.com/api/v1/users/" + id}},
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func cardsOf(t *testing.T, events ...string) []okta.Card {
	t.Helper()
	body := `{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1",
	 "source":"https://example.okta.com/api/v1/eventHooks/who1","eventId":"85b60edb-4263-4e13-993b-818e26201052",
	 "data":{"events":[` + strings.Join(events, ",") + `]},"eventTime":"2023-01-30T14:18:03.093Z","contentType":"application/json"}`
	cards, err := okta.NewCards([]byte(body), http.Header{"Content-Type": {"application/json"}, "Authorization": {secret.Mask}})
	if err != nil {
		t.Fatal(err)
	}
	return cards
}

type outcome struct {
	fired   []string
	skipped map[string]SkipReason
}

func summarize(fired []Fire, skipped []Skip) outcome {
	o := outcome{skipped: map[string]SkipReason{}}
	for _, f := range fired {
		o.fired = append(o.fired, f.Trigger.Name)
	}
	for _, s := range skipped {
		o.skipped[s.Trigger.Name] = s.Reason
	}
	return o
}

func TestMatchBatch(t *testing.T) {
	srv, calls := fakeOkta(t, configtest.OktaToken, "00uTRAMA")
	cfg, err := config.Load(configtest.Write(t, matchConfig), configtest.Env(nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(cfg, SelfActor(OktaSelf(srv.Client(), srv.URL, cfg.Okta.Token)))
	if err != nil {
		t.Fatal(err)
	}
	// One delivery, four events, each matched on its own.
	cards := cardsOf(t,
		activate("e1", "00uAPS", "aps@example.com", "00uAPS", "aps@example.com", "EMAIL_FACTOR"),            // self-service
		activate("e2", "00uAPS", "aps@example.com", "00uAPS", "aps@example.com", "SMS_FACTOR"),              // when false
		activate("e3", "00uTRAMA", "trama-bot@example.com", "00uEND", "end@example.com", "OKTA_SOFT_TOKEN"), // trama's own call
		deactivate,
		activate("e5", "00uBOT", "bot@example.com", "00uEND", "end@example.com", "OKTA_VERIFY_PUSH"), // ignored by id
	)
	want := []outcome{
		{fired: []string{"welcome-new-factor", "audit"}, skipped: map[string]SkipReason{"broken-when": SkippedWhenError, "needs-env": SkippedInputError}},
		{fired: []string{"audit"}, skipped: map[string]SkipReason{"welcome-new-factor": SkippedWhenFalse, "broken-when": SkippedWhenError, "needs-env": SkippedInputError}},
		{fired: []string{"audit"}, skipped: map[string]SkipReason{"welcome-new-factor": SkippedLoopGuard, "broken-when": SkippedWhenError, "needs-env": SkippedInputError}},
		{fired: []string{"audit"}, skipped: map[string]SkipReason{}},
		{fired: []string{"welcome-new-factor"}, skipped: map[string]SkipReason{"audit": SkippedLoopGuard, "broken-when": SkippedWhenError, "needs-env": SkippedInputError}},
	}
	var first []Fire
	for i, c := range cards {
		fired, skipped, err := m.Match(context.Background(), c, configtest.Env(nil))
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if got := summarize(fired, skipped); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("event %d (%s): fired %v skipped %v; want fired %v skipped %v", i, c.EventID, got.fired, got.skipped, want[i].fired, want[i].skipped)
		}
		if i == 0 {
			first = fired
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("/users/me called %d times, want once (cached)", n)
	}

	welcome := first[0]
	wantInputs := map[string]any{
		"userId":       "00uAPS",
		"oktaApiToken": configtest.OktaToken,
		"result":       "SUCCESS",
		"requestUri":   "/api/v1/users/00uAPS/factors/mbl1/lifecycle/activate",
		"note":         "factor for aps@example.com at 2023-01-30T14:18:01.558Z",
		"nested":       map[string]any{"ids": []any{"e1", "85b60edb-4263-4e13-993b-818e26201052"}, "contentType": "application/json"},
		"limit":        3,
	}
	if !reflect.DeepEqual(welcome.Inputs, wantInputs) {
		t.Errorf("inputs\n got %#v\nwant %#v", welcome.Inputs, wantInputs)
	}
	if !reflect.DeepEqual(welcome.SecretInputs, []string{"oktaApiToken"}) {
		t.Errorf("secret inputs %v", welcome.SecretInputs)
	}
	if masked := welcome.MaskedInputs(); masked["oktaApiToken"] != secret.Mask || masked["userId"] != "00uAPS" {
		t.Errorf("masked inputs %v", masked)
	}
	if first[1].Inputs["who"] != "aps@example.com" {
		t.Errorf("audit who = %v", first[1].Inputs["who"])
	}
}

func TestMatchSkipMessages(t *testing.T) {
	cfg, err := config.Load(configtest.Write(t, matchConfig), configtest.Env(nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(cfg, SelfActor(func(context.Context) (string, error) { return "00uTRAMA", nil }))
	if err != nil {
		t.Fatal(err)
	}
	card := cardsOf(t, activate("e1", "00uTRAMA", "bot@example.com", "00uEND", "end@example.com", "SMS_FACTOR"))[0]
	_, skipped, err := m.Match(context.Background(), card, configtest.Env(nil))
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]string{}
	for _, s := range skipped {
		msgs[s.Trigger.Name] = s.Message
	}
	for name, want := range map[string]string{
		"welcome-new-factor": "actor 00uTRAMA is ignored (ignoreActor: self)",
		"broken-when":        "when $event.eventDetails#/outcome > 3:",
		"needs-env":          "input hookUrl: $env.SLACK_WEBHOOK_URL: value not found",
	} {
		if !strings.Contains(msgs[name], want) {
			t.Errorf("%s skipped with %q, want it to contain %q", name, msgs[name], want)
		}
	}
}

func TestMatchEnvSecretsStayOutOfMessages(t *testing.T) {
	text := `triggers:
  - name: t
    on: user.mfa.factor.activate
    when: $env.MODE == 'on' && $event.eventDetails#/outcome < $env.OKTA_API_TOKEN
    run: { file: flows/notify.arazzo.yaml, workflow: notify-security }
`
	cfg, err := config.Load(configtest.Write(t, text), configtest.Env(nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	card := cardsOf(t, activate("e1", "00uA", "a@example.com", "00uA", "a@example.com", "SMS_FACTOR"))[0]
	_, skipped, err := m.Match(context.Background(), card, configtest.Env(map[string]string{"MODE": "on"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || skipped[0].Reason != SkippedWhenError {
		t.Fatalf("skipped %+v", skipped)
	}
	t.Logf("message: %s", skipped[0].Message)
	if strings.Contains(skipped[0].Message, configtest.OktaToken) {
		t.Errorf("skip message leaks the token: %s", skipped[0].Message)
	}
}

func TestMatchOtherEventTypes(t *testing.T) {
	cfg, err := config.Load(configtest.Write(t, matchConfig), configtest.Env(nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(cfg, SelfActor(func(context.Context) (string, error) {
		t.Error("self resolved for an event no self-guarded trigger listens to")
		return "", nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	card := cardsOf(t, `{"eventType":"group.user_membership.add","uuid":"g1","actor":{"id":"00uA"}}`)[0]
	fired, skipped, err := m.Match(context.Background(), card, nil)
	if err != nil || fired != nil || skipped != nil {
		t.Errorf("unrelated event: fired %v skipped %v err %v", fired, skipped, err)
	}
	if got := m.EventTypes(); !reflect.DeepEqual(got, []string{"user.mfa.factor.activate", "user.mfa.factor.deactivate"}) {
		t.Errorf("EventTypes %v", got)
	}
}

func TestMatchSelfFailureIsAnError(t *testing.T) {
	srv, _ := fakeOkta(t, "another-token-value", "00uTRAMA")
	cfg, err := config.Load(configtest.Write(t, matchConfig), configtest.Env(nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(cfg, SelfActor(OktaSelf(srv.Client(), srv.URL, cfg.Okta.Token)))
	if err != nil {
		t.Fatal(err)
	}
	card := cardsOf(t, activate("e1", "00uA", "a@example.com", "00uA", "a@example.com", "EMAIL_FACTOR"))[0]
	_, _, err = m.Match(context.Background(), card, configtest.Env(nil))
	var oe *okta.Error
	if err == nil || !errors.As(err, &oe) || oe.ErrorCode != "E0000011" {
		t.Fatalf("Match error %v, want Okta's E0000011 so the dispatch is retried", err)
	}
	if strings.Contains(err.Error(), configtest.OktaToken) {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestOktaSelf(t *testing.T) {
	srv, calls := fakeOkta(t, configtest.OktaToken, "00uTRAMA")
	tests := []struct {
		name, token, wantID, wantErr string
	}{
		{"api token", configtest.OktaToken, "00uTRAMA", ""},
		{"token with scheme", "SSWS " + configtest.OktaToken, "00uTRAMA", ""},
		{"wrong token", "wrong-token-1234", "", "401 Unauthorized: okta E0000011: Invalid token provided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			self := OktaSelf(srv.Client(), srv.URL+"/", tt.token)
			for i := 0; i < 3; i++ {
				id, err := self(context.Background())
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), tt.token) {
						t.Fatalf("error %v, want %q without the token", err, tt.wantErr)
					}
					continue
				}
				if err != nil || id != tt.wantID {
					t.Fatalf("id %q, %v", id, err)
				}
			}
		})
	}
	// Two successful lookers-up, each cached after one call; the failing one asks every time.
	if n := calls.Load(); n != 5 {
		t.Errorf("%d calls to /users/me, want 5", n)
	}
	down := OktaSelf(srv.Client(), "http://127.0.0.1:1", configtest.OktaToken)
	if _, err := down(context.Background()); err == nil {
		t.Error("no error for an unreachable org")
	}
}

func TestNewMatcherSelfWithoutOkta(t *testing.T) {
	cfg := &config.Config{Triggers: []*config.Trigger{{Name: "t", On: []string{"a.b"}, IgnoreActor: config.IgnoreSelf}}}
	if _, err := NewMatcher(cfg); err == nil || !strings.Contains(err.Error(), "okta section") {
		t.Errorf("NewMatcher error %v", err)
	}
	if _, err := NewMatcher(cfg, SelfActor(func(context.Context) (string, error) { return "00u1", nil })); err != nil {
		t.Errorf("with SelfActor: %v", err)
	}
}

func BenchmarkMatch(b *testing.B) {
	cfg, err := config.Load(configtest.Write(b, matchConfig), configtest.Env(nil))
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewMatcher(cfg, SelfActor(func(context.Context) (string, error) { return "00uTRAMA", nil }))
	if err != nil {
		b.Fatal(err)
	}
	body := `{"source":"s","eventId":"d","eventTime":"2023-01-30T14:18:03.093Z","data":{"events":[` +
		activate("e1", "00uAPS", "aps@example.com", "00uAPS", "aps@example.com", "EMAIL_FACTOR") + `]}}`
	cards, err := okta.NewCards([]byte(body), nil)
	if err != nil {
		b.Fatal(err)
	}
	env := configtest.Env(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.Match(context.Background(), cards[0], env); err != nil {
			b.Fatal(err)
		}
	}
}
