package eventstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/okta/emulator"
	"github.com/trama-dev/trama/okta/eventstream"
	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/runner"
)

const activate = "okta/events/user.mfa.factor.activate"

// TestIsOktaAndEventType reads the channel addresses the package documentation lists.
func TestIsOktaAndEventType(t *testing.T) {
	tests := []struct {
		address   string
		okta      bool
		eventType string
	}{
		{"okta/events/user.mfa.factor.activate", true, "user.mfa.factor.activate"},
		{"okta/events/group.user_membership.add", true, "group.user_membership.add"},
		{"okta/events", true, "*"},
		{"okta/events/", true, "*"},
		{"okta/event-hook/delivery", true, "*"},
		{"okta/log-stream/aws-eventbridge", true, "*"},
		{"okta/log-stream/splunk-cloud", true, "*"},
		{"orders.placed", false, "*"},
		{"oktaevents", false, "*"},
		{"/okta/events/user.mfa.factor.activate", false, "*"},
		{"", false, "*"},
	}
	for _, tt := range tests {
		if got := eventstream.IsOkta(tt.address); got != tt.okta {
			t.Errorf("IsOkta(%q) = %v", tt.address, got)
		}
		if got := eventstream.EventType(tt.address); got != tt.eventType {
			t.Errorf("EventType(%q) = %q, want %q", tt.address, got, tt.eventType)
		}
	}
}

// TestMessage: an event is the message itself on the LogEvent channels, and wrapped in an event-hook
// delivery's envelope (data.events holds the one event) on okta/event-hook/delivery; numbers stay
// json.Number, so ids and coordinates keep their digits.
func TestMessage(t *testing.T) {
	raw := oktatest.Event{UUID: "uuid-1", UserID: "00uann1"}.JSON()
	var want map[string]any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&want); err != nil {
		t.Fatal(err)
	}
	for _, address := range []string{activate, "okta/events", "okta/log-stream/splunk-cloud"} {
		m, err := eventstream.Message(address, raw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m.Payload, want) {
			t.Errorf("%s: payload %v", address, m.Payload)
		}
		if m.ID != "uuid-1" || m.ContentType != "application/json" || m.Header["Content-Type"] != "application/json" {
			t.Errorf("%s: message %+v", address, m)
		}
	}
	ev := want
	geo := ev["client"].(map[string]any)["geographicalContext"].(map[string]any)["geolocation"].(map[string]any)
	if geo["lat"] != json.Number("38.7223") {
		t.Errorf("lat %#v, want json.Number", geo["lat"])
	}

	m, err := eventstream.Message("okta/event-hook/delivery", raw)
	if err != nil {
		t.Fatal(err)
	}
	env, ok := m.Payload.(map[string]any)
	if !ok || env["eventType"] != "com.okta.event_hook" || env["cloudEventsVersion"] != "0.1" {
		t.Fatalf("envelope %v", m.Payload)
	}
	// Read from the System Log, an event had no delivery: the envelope leaves out what only a delivery has.
	for _, k := range []string{"eventId", "eventTime", "source"} {
		if _, ok := env[k]; ok {
			t.Errorf("a System Log event's envelope has %s: %v", k, env[k])
		}
	}
	// Delivered by a hook, the envelope carries the delivery's own fields.
	at := time.Date(2026, 11, 22, 7, 0, 1, 93e6, time.UTC)
	hooked, err := eventstream.MessageOf("okta/event-hook/delivery", raw, okta.DeliveryMeta{EventID: "delivery-7",
		EventTime: okta.Time{Time: at}, Source: "https://org.example/api/v1/eventHooks/who1"})
	if err != nil {
		t.Fatal(err)
	}
	if henv := hooked.Payload.(map[string]any); henv["eventId"] != "delivery-7" || henv["eventTime"] != "2026-11-22T07:00:01.093Z" ||
		henv["source"] != "https://org.example/api/v1/eventHooks/who1" {
		t.Errorf("a delivered event's envelope %v", henv)
	}
	events, _ := env["data"].(map[string]any)["events"].([]any)
	if len(events) != 1 || !reflect.DeepEqual(events[0], want) {
		t.Errorf("data.events %v", env["data"])
	}
	if m.ID != "uuid-1" {
		t.Errorf("ID %q", m.ID)
	}
	// The envelope's event reads as an event hook's: $message.payload#/data/events/0/target/0/id.
	r := runner.Receive{Correlation: "00uann1", CorrelationLocation: "$message.payload#/data/events/0/target/0/id"}
	if !r.Correlates(m) {
		t.Error("the wrapped event does not correlate at data.events[0].target[0].id")
	}

	for _, bad := range []string{"", "{", `{"uuid":`, "nope"} {
		if _, err := eventstream.Message(activate, json.RawMessage(bad)); err == nil {
			t.Errorf("Message(%q): no error", bad)
		}
		if _, err := eventstream.Event(json.RawMessage(bad)); err == nil {
			t.Errorf("Event(%q): no error", bad)
		}
	}
}

// TestCorrelates: an event is a step's when it is of the channel's type and carries the step's
// correlationId where the AsyncAPI message declares it, or, without a declared location, as any target's
// id (package documentation, "Correlation").
func TestCorrelates(t *testing.T) {
	raw := oktatest.Event{UUID: "uuid-2", UserID: "00uann2", ActorID: "00uadmin2"}.JSON()
	ev, err := eventstream.Event(raw)
	if err != nil {
		t.Fatal(err)
	}
	if ev.EventType != "user.mfa.factor.activate" || ev.UUID != "uuid-2" || len(ev.Target) != 2 {
		t.Fatalf("event %+v", ev)
	}
	tests := []struct {
		address, correlation, location string
		want                           bool
	}{
		{activate, "", "", true},
		{"okta/events/user.mfa.factor.deactivate", "", "", false}, // another type's channel
		{"okta/events/user.mfa.factor.deactivate", "00uann2", "", false},
		{"okta/events", "00uann2", "", true},
		{activate, "00uann2", "", true},              // the first target, the user
		{activate, "mfa1abcd2EFGH3ijk4l5", "", true}, // any target
		{activate, "00uadmin2", "", false},           // the actor is no target
		{activate, "00uother", "", false},
		{activate, "00uadmin2", "$message.payload#/actor/id", true}, // a declared location
		{activate, "00uann2", "$message.payload#/actor/id", false},  // the location, not the targets
		{activate, "uuid-2", "$message.payload#/uuid", true},
		{activate, "00uann2", "$message.payload#/nothing", false},
		{"okta/event-hook/delivery", "00uann2", "", true},
		{"okta/event-hook/delivery", "00uann2", "$message.payload#/data/events/0/target/0/id", true},
		{"okta/event-hook/delivery", "00uann2", "$message.payload#/target/0/id", false},
	}
	for _, tt := range tests {
		m, err := eventstream.Message(tt.address, raw)
		if err != nil {
			t.Fatal(err)
		}
		r := runner.Receive{Channel: runner.Channel{Address: tt.address}, Correlation: tt.correlation, CorrelationLocation: tt.location}
		if got := eventstream.Correlates(r, ev, m); got != tt.want {
			t.Errorf("%s, %q at %q: Correlates = %v, want %v", tt.address, tt.correlation, tt.location, got, tt.want)
		}
	}
	// An event without targets correlates only without a correlation.
	bare := &okta.LogEvent{EventType: "user.mfa.factor.activate"}
	if eventstream.Correlates(runner.Receive{Channel: runner.Channel{Address: activate}, Correlation: "00uann2"}, bare, runner.Message{}) {
		t.Error("an event without targets correlates by target")
	}
}

// recorder is an http.RoundTripper that remembers each request's URL and Authorization before passing it on.
type recorder struct {
	mu   sync.Mutex
	urls []*url.URL
	auth []string
}

func (rec *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec.mu.Lock()
	u := *req.URL
	rec.urls = append(rec.urls, &u)
	rec.auth = append(rec.auth, req.Header.Get("Authorization"))
	rec.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (rec *recorder) queries() []url.Values {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var qs []url.Values
	for _, u := range rec.urls {
		qs = append(qs, u.Query())
	}
	return qs
}

// startEmulator serves an Okta emulator that accepts token on loopback and returns its URL.
func startEmulator(t *testing.T, token string) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	emu, err := emulator.New(emulator.Options{Token: token, BaseURL: srv.URL, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	srv.Config.Handler = emu
	return srv.URL
}

// call sends an Okta API request with token and decodes the JSON answer into out.
func call(t *testing.T, method, u, token, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "SSWS "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s", method, u, resp.Status)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
	}
}

// createUser creates an active user and returns its id.
func createUser(t *testing.T, base, token, login string) string {
	t.Helper()
	var u struct{ ID string }
	call(t, "POST", base+"/api/v1/users?activate=true", token,
		`{"profile":{"firstName":"Ann","lastName":"Lee","email":"`+login+`","login":"`+login+`"}}`, &u)
	return u.ID
}

// enrollPush enrolls Okta Verify push for the user and returns the factor's id; it waits for the phone.
func enrollPush(t *testing.T, base, token, userID string) string {
	t.Helper()
	var f struct{ ID, Status string }
	call(t, "POST", base+"/api/v1/users/"+userID+"/factors", token, `{"factorType":"push","provider":"OKTA"}`, &f)
	if f.ID == "" || f.Status != "PENDING_ACTIVATION" {
		t.Fatalf("enrolled %+v", f)
	}
	return f.ID
}

// approvePush plays the user's phone.
func approvePush(t *testing.T, base, factorID string) {
	t.Helper()
	call(t, "POST", base+"/emulator/v1/push/"+factorID, "", `{"result":"APPROVE"}`, nil)
}

func oktaChannel(base, address string) runner.Channel {
	return runner.Channel{Source: "oktaEvents", OperationID: "receiveFactorActivated", Address: address, Protocol: "https", URL: base}
}

// TestSystemLogReceive enrolls Okta Verify push on the emulator, approves it while the step waits, and
// receives the user's user.mfa.factor.activate event from the System Log; another user's activation,
// logged first, is not this step's. The query asks for the event type and the target's id.
func TestSystemLogReceive(t *testing.T) {
	const token = "canaryTok-eventstream-3f9a1c"
	base := startEmulator(t, token)
	since := time.Now().Add(-time.Second)
	userID := createUser(t, base, token, "push.user@example.com")
	other := createUser(t, base, token, "someone.else@example.com")
	approvePush(t, base, enrollPush(t, base, token, other))
	factorID := enrollPush(t, base, token, userID)

	rec := &recorder{}
	s := &eventstream.SystemLog{HTTPClient: &http.Client{Transport: rec}, Interval: 50 * time.Millisecond}
	r := runner.Receive{WorkflowID: "wf", StepID: "wait", Seq: 3, Channel: oktaChannel(base, activate), Correlation: userID,
		Since: since, Timeout: 20 * time.Second, Header: map[string]string{"Authorization": "SSWS " + token}}
	approved := make(chan error, 1)
	go func() {
		time.Sleep(150 * time.Millisecond) // the step is waiting by now (or not: the event is found either way)
		resp, err := http.Post(base+"/emulator/v1/push/"+factorID, "application/json", strings.NewReader(`{"result":"APPROVE"}`))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = errors.New(resp.Status)
			}
		}
		approved <- err
	}()
	m, err := s.Receive(context.Background(), r)
	if aerr := <-approved; aerr != nil {
		t.Fatalf("approve: %v", aerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := m.Payload.(map[string]any)
	if ev["eventType"] != "user.mfa.factor.activate" || m.ID == "" || ev["uuid"] != m.ID {
		t.Fatalf("received %v", m.Payload)
	}
	targets, _ := ev["target"].([]any)
	if len(targets) == 0 || targets[0].(map[string]any)["id"] != userID {
		t.Errorf("received the activation of %v, want %s's", targets, userID)
	}
	// What the step's successCriteria in the push example read.
	if !strings.Contains(toJSON(ev["outcome"]), `"result":"SUCCESS"`) {
		t.Errorf("outcome %v", ev["outcome"])
	}

	qs := rec.queries()
	if len(qs) == 0 {
		t.Fatal("no request")
	}
	for i, q := range qs {
		if want := `eventType eq "user.mfa.factor.activate" and target.id eq "` + userID + `"`; q.Get("filter") != want {
			t.Errorf("request %d: filter %q, want %q", i, q.Get("filter"), want)
		}
		if q.Get("sortOrder") != "ASCENDING" || q.Get("since") != since.Add(-2*time.Second).UTC().Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("request %d: query %v", i, q)
		}
		if rec.urls[i].Path != "/api/v1/logs" || rec.auth[i] != "SSWS "+token {
			t.Errorf("request %d: %s with Authorization %q", i, rec.urls[i].Path, rec.auth[i])
		}
	}

	// Without a correlation the first activation since the start is the message: the other user's.
	m, err = (&eventstream.SystemLog{Interval: 50 * time.Millisecond}).Receive(context.Background(),
		runner.Receive{Channel: oktaChannel(base, activate), Since: since, Timeout: 5 * time.Second, Header: r.Header})
	if err != nil {
		t.Fatal(err)
	}
	if id := m.Payload.(map[string]any)["target"].([]any)[0].(map[string]any)["id"]; id != other {
		t.Errorf("the first activation is %v's, want %s's", id, other)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSystemLogRefusedToken: Okta's 401 is the step's error, naming the status and never the token.
func TestSystemLogRefusedToken(t *testing.T) {
	const good, bad = "canaryTok-good-51d2", "canaryTok-refused-8c3e7b"
	base := startEmulator(t, good)
	s := &eventstream.SystemLog{Interval: 50 * time.Millisecond}
	r := runner.Receive{Channel: oktaChannel(base, activate), Correlation: "00uann", Since: time.Now(), Timeout: 5 * time.Second,
		Header: map[string]string{"Authorization": "SSWS " + bad}}
	_, err := s.Receive(context.Background(), r)
	if err == nil {
		t.Fatal("a refused token received a message")
	}
	msg := err.Error()
	if !strings.Contains(msg, "401") || !strings.Contains(msg, "okta.logs.read") {
		t.Errorf("error %q: want the status and the scope it needs", msg)
	}
	if errors.Is(err, runner.ErrNoMessage) {
		t.Errorf("a refused token is no timeout: %v", err)
	}
	if strings.Contains(msg, bad) || strings.Contains(msg, good) {
		t.Errorf("the token is in the error: %q", msg)
	}

	// A password in the org URL is not shown either.
	u, _ := url.Parse(base)
	u.User = url.UserPassword("admin", "canaryPw-url-77aa")
	r.Channel.URL = u.String()
	_, err = s.Receive(context.Background(), r)
	if err == nil || strings.Contains(err.Error(), "canaryPw-url-77aa") {
		t.Errorf("error %v", err)
	}
}

// TestSystemLogTimeout: nothing correlates within the step's timeout: the error wraps runner.ErrNoMessage
// (the step fails and its onFailure actions apply). A correlation value with a quote is left out of the
// filter, so it cannot change the query, and is still compared with each event's targets.
func TestSystemLogTimeout(t *testing.T) {
	const token = "canaryTok-timeout-0b1c"
	base := startEmulator(t, token)
	since := time.Now().Add(-time.Second)
	// An activation that is not the step's.
	approvePush(t, base, enrollPush(t, base, token, createUser(t, base, token, "ann@example.com")))

	for _, tt := range []struct {
		correlation, location string
		filter                string
	}{
		{"00unobody", "", `eventType eq "user.mfa.factor.activate" and target.id eq "00unobody"`},
		{`00u" or eventType eq "user.mfa.factor.activate`, "", `eventType eq "user.mfa.factor.activate"`},
		{"00unobody", "$message.payload#/actor/id", `eventType eq "user.mfa.factor.activate"`},
	} {
		rec := &recorder{}
		s := &eventstream.SystemLog{HTTPClient: &http.Client{Transport: rec}, Interval: 50 * time.Millisecond}
		r := runner.Receive{Channel: oktaChannel(base, activate), Correlation: tt.correlation, CorrelationLocation: tt.location,
			Since: since, Timeout: 300 * time.Millisecond, Header: map[string]string{"Authorization": "SSWS " + token}}
		start := time.Now()
		_, err := s.Receive(context.Background(), r)
		if !errors.Is(err, runner.ErrNoMessage) {
			t.Fatalf("%q: err %v, want ErrNoMessage", tt.correlation, err)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("a 300 ms wait took %s", took)
		}
		if !strings.Contains(err.Error(), "user.mfa.factor.activate") {
			t.Errorf("error %q does not say what it waited for", err)
		}
		qs := rec.queries()
		if len(qs) == 0 {
			t.Fatal("no request")
		}
		for _, q := range qs {
			if got := q.Get("filter"); got != tt.filter {
				t.Errorf("%q: filter %q, want %q", tt.correlation, got, tt.filter)
			}
		}
	}

	// The channel of every event type, without correlation, asks for no filter at all.
	rec := &recorder{}
	s := &eventstream.SystemLog{HTTPClient: &http.Client{Transport: rec}, Interval: 50 * time.Millisecond}
	_, err := s.Receive(context.Background(), runner.Receive{Channel: oktaChannel(base, "okta/events"), Since: since,
		Timeout: 300 * time.Millisecond, Header: map[string]string{"Authorization": "SSWS " + token}})
	if err != nil {
		t.Fatalf("okta/events: %v", err)
	}
	if q := rec.queries()[0]; q.Has("filter") {
		t.Errorf("okta/events: filter %q", q.Get("filter"))
	}
}

// TestSystemLogCancel: the run's context ends the wait with its own error, not ErrNoMessage.
func TestSystemLogCancel(t *testing.T) {
	const token = "canaryTok-cancel"
	base := startEmulator(t, token)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := (&eventstream.SystemLog{Interval: 50 * time.Millisecond}).Receive(ctx, runner.Receive{Channel: oktaChannel(base, activate),
		Correlation: "00unobody", Since: time.Now(), Timeout: time.Minute, Header: map[string]string{"Authorization": "SSWS " + token}})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, runner.ErrNoMessage) {
		t.Errorf("err %v", err)
	}
}

// TestSystemLogRefuses: Okta's event stream cannot be sent to, and an org URL that is not http(s) says
// how to give one.
func TestSystemLogRefuses(t *testing.T) {
	s := &eventstream.SystemLog{}
	if err := s.Send(context.Background(), oktaChannel("https://x.okta.com", activate), runner.Message{}); err == nil ||
		!strings.Contains(err.Error(), "action: receive") {
		t.Errorf("Send: %v", err)
	}
	for _, u := range []string{"", "your-subdomain.okta.com", "nats://127.0.0.1:4222", "https://"} {
		_, err := s.Receive(context.Background(), runner.Receive{Channel: oktaChannel(u, activate), Timeout: time.Second})
		if err == nil || !strings.Contains(err.Error(), "--server oktaEvents=https://your-org.okta.com") {
			t.Errorf("URL %q: %v", u, err)
		}
	}
}

// FuzzMessage: whatever bytes arrive as an event, Message and Event return an error or a value, and
// Correlates decides without panicking.
func FuzzMessage(f *testing.F) {
	f.Add(oktatest.Event{UUID: "uuid-f1"}.JSON())
	f.Add(oktatest.Event{UUID: "uuid-f2", Type: "user.mfa.factor.deactivate", UserID: `00u"q`}.JSON())
	f.Add(oktatest.Delivery("evt-1", oktatest.Event{UUID: "uuid-f3"}))
	for _, s := range []string{"", "null", "{}", "[]", `{"target":null}`, `{"target":[null,{"id":1}]}`, `{"uuid":7}`, `"text"`, `1e999`, `{"a":1} trailing`} {
		f.Add([]byte(s))
	}
	addresses := []string{activate, "okta/events", "okta/event-hook/delivery"}
	locations := []string{"", "$message.payload#/target/0/id", "$message.payload#/data/events/0/uuid", "$message.header#/Content-Type"}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, evErr := eventstream.Event(raw)
		for i, address := range addresses {
			m, err := eventstream.Message(address, raw)
			if err != nil || evErr != nil {
				continue
			}
			if address == "okta/event-hook/delivery" {
				if _, ok := m.Payload.(map[string]any); !ok {
					t.Fatalf("the delivery envelope is %T", m.Payload)
				}
			}
			r := runner.Receive{Channel: runner.Channel{Address: address}, Correlation: "00uann", CorrelationLocation: locations[i%len(locations)]}
			eventstream.Correlates(r, ev, m)
			r.CorrelationLocation = locations[(i+1)%len(locations)]
			eventstream.Correlates(r, ev, m)
		}
	})
}

// fakeLog is a System Log API over fixed events: GET /api/v1/logs answers the events published at or after
// since, oldest first, at most limit of them (the filter is not applied: the step checks each event).
type fakeLog struct {
	events [][]byte
	times  []time.Time
}

func (l *fakeLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err := time.Parse(time.RFC3339Nano, q.Get("since"))
	if err != nil || q.Get("sortOrder") != "ASCENDING" {
		http.Error(w, "bad query", http.StatusBadRequest)
		return
	}
	limit := 100
	if n, err := json.Number(q.Get("limit")).Int64(); err == nil {
		limit = int(n)
	}
	var page []json.RawMessage
	for i, ev := range l.events {
		if !l.times[i].Before(since) && len(page) < limit {
			page = append(page, ev)
		}
	}
	if page == nil {
		page = []json.RawMessage{}
	}
	json.NewEncoder(w).Encode(page)
}

// TestSystemLogFullPages: more events than one page holds come before the step's: the query moves on
// past a full page instead of asking for the same page again until the timeout.
func TestSystemLogFullPages(t *testing.T) {
	start := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	l := &fakeLog{}
	for i := range 1500 {
		published := start.Add(time.Duration(i) * time.Millisecond)
		user := "00uother"
		if i == 1400 {
			user = "00uann"
		}
		l.events = append(l.events, oktatest.Event{UUID: "uuid-" + strconv.Itoa(i), UserID: user, Published: published}.JSON())
		l.times = append(l.times, published)
	}
	srv := httptest.NewServer(l)
	defer srv.Close()
	rec := &recorder{}
	s := &eventstream.SystemLog{HTTPClient: &http.Client{Transport: rec}, Interval: 20 * time.Millisecond}
	// Correlated at a declared location, so the filter cannot narrow the query to the user.
	m, err := s.Receive(context.Background(), runner.Receive{Channel: oktaChannel(srv.URL, activate), Correlation: "00uann",
		CorrelationLocation: "$message.payload#/target/0/id", Since: start, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("%v after %d requests", err, len(rec.queries()))
	}
	if got := m.Payload.(map[string]any)["published"]; got != start.Add(1400*time.Millisecond).Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("received the event published %v", got)
	}
}
