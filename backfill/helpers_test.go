package backfill

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/trama-dev/trama/okta/emulator"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
)

// Event types the tests poll for. Creating a user with activate=true logs user.lifecycle.create and
// user.lifecycle.activate; polling only the first proves the filter reaches Okta.
const (
	typeCreate   = "user.lifecycle.create"
	typeActivate = "user.mfa.factor.activate"
)

// testOrg is the Okta emulator behind a loopback server, optionally wrapped by a handler that alters
// what the poller sees (a failing proxy, a foreign next link).
type testOrg struct {
	t   testing.TB
	e   *emulator.Emulator
	srv *httptest.Server
}

func newOrg(t testing.TB, opts emulator.Options, wrap func(http.Handler) http.Handler) *testOrg {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	opts.BaseURL = srv.URL
	e, err := emulator.New(opts)
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	var h http.Handler = e
	if wrap != nil {
		h = wrap(e)
	}
	srv.Config.Handler = h
	t.Cleanup(func() {
		srv.Close()
		if err := e.Close(); err != nil {
			t.Errorf("emulator Close: %v", err)
		}
	})
	return &testOrg{t: t, e: e, srv: srv}
}

// do calls the org's API with its token, bypassing any wrapper, and decodes the JSON answer into out.
func (o *testOrg) do(method, path string, body, out any) {
	o.t.Helper()
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Authorization", "SSWS "+o.e.Token())
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	o.e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		o.t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			o.t.Fatalf("%s %s: decode %s: %v", method, path, rec.Body, err)
		}
	}
}

// createUser creates an active user, which logs user.lifecycle.create and user.lifecycle.activate.
func (o *testOrg) createUser(login string) string {
	o.t.Helper()
	var u struct{ ID string }
	o.do("POST", "/api/v1/users?activate=true", map[string]any{
		"profile":     map[string]any{"login": login, "email": login, "firstName": "Backfill", "lastName": "Test"},
		"credentials": map[string]any{"password": map[string]any{"value": "Tr4ma-test-pass!"}},
	}, &u)
	return u.ID
}

// activateTOTP enrolls and activates a TOTP factor, which logs user.mfa.factor.activate.
func (o *testOrg) activateTOTP(userID string) {
	o.t.Helper()
	var f struct{ ID string }
	o.do("POST", "/api/v1/users/"+userID+"/factors", map[string]any{"factorType": "token:software:totp", "provider": "OKTA"}, &f)
	var pc struct{ PassCode string }
	o.do("GET", "/emulator/v1/users/"+userID+"/factors/"+f.ID+"/passcode", nil, &pc)
	o.do("POST", "/api/v1/users/"+userID+"/factors/"+f.ID+"/lifecycle/activate", map[string]string{"passCode": pc.PassCode}, nil)
}

// logged returns the org's events of one type as raw JSON, in persistence order.
func (o *testOrg) logged(eventType string) []json.RawMessage {
	o.t.Helper()
	var out []json.RawMessage
	o.do("GET", "/api/v1/logs?limit=1000&since="+url.QueryEscape(o.e.Clock().Now().Add(-24*time.Hour).UTC().Format(time.RFC3339))+
		"&filter="+url.QueryEscape(`eventType eq "`+eventType+`"`), nil, &out)
	return out
}

func uuidOf(t testing.TB, raw json.RawMessage) string {
	t.Helper()
	var e struct{ UUID string }
	if err := json.Unmarshal(raw, &e); err != nil || e.UUID == "" {
		t.Fatalf("no uuid in %s: %v", raw, err)
	}
	return e.UUID
}

func uuidsOf(t testing.TB, raws ...[]json.RawMessage) []string {
	var out []string
	for _, rs := range raws {
		for _, r := range rs {
			out = append(out, uuidOf(t, r))
		}
	}
	return out
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{Logger: slog.New(slog.DiscardHandler)}, store.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tempStore(t testing.TB) *store.Store {
	return openStore(t, filepath.Join(t.TempDir(), "trama.db"))
}

// newPoller returns a Poller for the org with the tests' defaults: both event types, an hour of
// lookback, the emulator's clock, and no logging.
func newPoller(o *testOrg, st Store) *Poller {
	return &Poller{
		Store:      st,
		OrgURL:     o.srv.URL,
		Token:      o.e.Token(),
		EventTypes: []string{typeCreate, typeActivate},
		Interval:   time.Minute,
		Lookback:   time.Hour,
		HTTPClient: o.srv.Client(),
		Logger:     slog.New(slog.DiscardHandler),
		Now:        o.e.Clock().Now,
	}
}

// storedUUIDs lists the uuids of the store's events, oldest first.
func storedUUIDs(t testing.TB, st *store.Store) []string {
	t.Helper()
	var out []string
	f := store.EventFilter{Page: store.Page{Limit: store.MaxPageSize}}
	for {
		evs, next, err := st.ListEvents(context.Background(), f)
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		for _, e := range evs {
			out = append(out, e.UUID)
		}
		if next == "" {
			break
		}
		f.After = next
	}
	slices.Reverse(out)
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// pinnedClock is an emulator clock that stands still unless a test advances it, so rate-limit windows
// and Date headers are exact.
func pinnedClock() *emulator.Clock {
	at := time.Date(2026, 3, 2, 10, 0, 20, 0, time.UTC)
	return &emulator.Clock{Base: func() time.Time { return at }}
}
