package backfill

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trama-dev/trama/okta/emulator"

	"github.com/trama-dev/trama/internal/syncbuf"
)

// syncBuffer collects output written from many goroutines.
type syncBuffer = syncbuf.Buffer

// runRounds runs p until it has waited rounds times and returns the waits; the waits take no time.
func runRounds(t *testing.T, p *Poller, rounds int) []time.Duration {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	p.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		if len(waits) >= rounds {
			cancel()
			return ctx.Err()
		}
		return nil
	}
	if err := p.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return waits
}

func TestTokenNeverReachesLogsOrErrors(t *testing.T) {
	const orgToken = "00orgTokenValue-never-in-logs"
	o := newOrg(t, emulator.Options{Token: orgToken}, nil)
	o.createUser("logged@example.com")

	t.Run("refused", func(t *testing.T) {
		const wrong = "00wrongTokenValue-never-in-logs"
		var logs syncBuffer
		p := newPoller(o, tempStore(t))
		p.Token = wrong
		p.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		_, err := p.Poll(context.Background())
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized || ae.ErrorCode != "E0000011" {
			t.Fatalf("Poll: %v; want 401 E0000011", err)
		}
		waits := runRounds(t, p, 2)
		out := logs.String()
		for _, want := range []string{"the backfill token was refused", "E0000011", "Invalid token provided"} {
			if !strings.Contains(out, want) {
				t.Errorf("logs lack %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, wrong) || strings.Contains(err.Error(), wrong) {
			t.Errorf("the token leaked:\nerr: %v\nlogs: %s", err, out)
		}
		// A refused token needs a person: no fast retries.
		if want := []time.Duration{4 * p.Interval, 4 * p.Interval}; !slices.Equal(waits, want) {
			t.Errorf("waits %v, want %v", waits, want)
		}
	})

	t.Run("accepted", func(t *testing.T) {
		var logs syncBuffer
		p := newPoller(o, tempStore(t))
		p.Token = orgToken
		p.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if n, err := p.Poll(context.Background()); err != nil || n != 1 {
			t.Fatalf("Poll: %d, %v", n, err)
		}
		if out := logs.String(); !strings.Contains(out, "polled System Log events") || strings.Contains(out, orgToken) {
			t.Errorf("logs must report the poll without the token:\n%s", out)
		}
	})

	t.Run("echoed by a proxy", func(t *testing.T) {
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"errorCode":"E0000006","errorSummary":"refused ` + r.Header.Get("Authorization") + `"}`))
		}))
		defer echo.Close()
		var logs syncBuffer
		p := newPoller(o, tempStore(t))
		p.OrgURL, p.Token = echo.URL, orgToken
		p.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		_, err := p.Poll(context.Background())
		runRounds(t, p, 1)
		if err == nil || strings.Contains(err.Error(), orgToken) || strings.Contains(logs.String(), orgToken) {
			t.Errorf("an echoed token must be masked:\nerr: %v\nlogs: %s", err, logs.String())
		}
	})
}

func TestRequestHeaders(t *testing.T) {
	var mu sync.Mutex
	var seen http.Header
	o := newOrg(t, emulator.Options{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = r.Header.Clone()
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	})
	tests := []struct {
		token, wantAuth string
		wantStatus      int // 0 for success
	}{
		{o.e.Token(), "SSWS " + o.e.Token(), 0},
		{"SSWS " + o.e.Token(), "SSWS " + o.e.Token(), 0},
		// The emulator issues no OAuth tokens, so a Bearer value is sent as is and refused.
		{"Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		p := newPoller(o, tempStore(t))
		p.Token = tc.token
		_, err := p.Poll(context.Background())
		var ae *APIError
		switch {
		case tc.wantStatus == 0 && err != nil:
			t.Errorf("token %.10q…: %v", tc.token, err)
		case tc.wantStatus != 0 && (!errors.As(err, &ae) || ae.StatusCode != tc.wantStatus):
			t.Errorf("token %.10q…: %v, want status %d", tc.token, err, tc.wantStatus)
		}
		mu.Lock()
		got := seen
		mu.Unlock()
		if got.Get("Authorization") != tc.wantAuth || got.Get("Accept") != "application/json" || got.Get("User-Agent") != "trama" {
			t.Errorf("token %.10q…: sent Authorization %.12q…, Accept %q, User-Agent %q", tc.token,
				got.Get("Authorization"), got.Get("Accept"), got.Get("User-Agent"))
		}
	}
}

// rewriteNext answers as the emulator does but replaces the next link's target with to(next).
func rewriteNext(to func(next string) string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			for k, vs := range rec.Header() {
				for _, v := range vs {
					if k == "Link" && strings.HasSuffix(v, `rel="next"`) {
						target := v[1:strings.IndexByte(v, '>')]
						v = "<" + to(target) + `>; rel="next"`
					}
					w.Header().Add(k, v)
				}
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		})
	}
}

func TestLinksOutsideTheOrgAreRefused(t *testing.T) {
	var evilHits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		w.Write([]byte("[]"))
	}))
	defer evil.Close()
	toEvil := func(next string) string { return evil.URL + next[strings.Index(next, "/api/"):] }

	t.Run("tampered cursor", func(t *testing.T) {
		o := newOrg(t, emulator.Options{}, nil)
		for _, cursor := range []string{
			evil.URL + "/api/v1/logs?after=1_1",
			strings.Replace(o.srv.URL, "http://", "https://", 1) + "/api/v1/logs?after=1_1",
			o.srv.URL + "/api/v1/users?after=1_1",
			"http://user:pw@" + strings.TrimPrefix(o.srv.URL, "http://") + "/api/v1/logs?after=1_1",
		} {
			st := tempStore(t)
			if err := st.SetCursor(context.Background(), DefaultCursorName, cursor); err != nil {
				t.Fatal(err)
			}
			if _, err := newPoller(o, st).Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "refusing") {
				t.Errorf("cursor %s: Poll err %v, want a refusal", cursor, err)
			}
		}
	})

	t.Run("next link to another host", func(t *testing.T) {
		o := newOrg(t, emulator.Options{}, rewriteNext(toEvil))
		o.createUser("n@example.com")
		st := tempStore(t)
		_, err := newPoller(o, st).Poll(context.Background())
		if err == nil || !strings.Contains(err.Error(), "refusing to send the API token outside the org") {
			t.Fatalf("Poll: %v, want a refusal", err)
		}
		cursor, _ := st.GetCursor(context.Background(), DefaultCursorName)
		if cursor != "" || len(storedUUIDs(t, st)) != 0 {
			t.Errorf("a refused page must not be stored: cursor %q, events %v", cursor, storedUUIDs(t, st))
		}
	})

	t.Run("relative next link", func(t *testing.T) {
		o := newOrg(t, emulator.Options{}, rewriteNext(func(next string) string { return next[strings.Index(next, "/api/"):] }))
		o.createUser("rel@example.com")
		st := tempStore(t)
		p := newPoller(o, st)
		if n, err := p.Poll(context.Background()); err != nil || n != 1 {
			t.Fatalf("Poll: %d, %v", n, err)
		}
		if cursor, _ := st.GetCursor(context.Background(), DefaultCursorName); !strings.HasPrefix(cursor, o.srv.URL+"/api/v1/logs?") {
			t.Errorf("cursor %q, want the link resolved against the org", cursor)
		}
	})

	if evilHits.Load() != 0 {
		t.Errorf("the other host received %d requests", evilHits.Load())
	}
}

func TestCheckSameOrg(t *testing.T) {
	org, err := parseOrgURL("https://Example.okta.com")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref string
		ok  bool
	}{
		{"https://example.okta.com/api/v1/logs?after=1", true},
		{"https://EXAMPLE.okta.com:443/api/v1/logs?after=1", true},
		{"/api/v1/logs?after=1", true},
		{"https://example.okta.com/api/v1/logs#frag", true},
		{"http://example.okta.com/api/v1/logs", false},
		{"https://example.okta.com:8443/api/v1/logs", false},
		{"https://example.okta.com.evil.test/api/v1/logs", false},
		{"https://evil.test/api/v1/logs?x=https://example.okta.com", false},
		{"//evil.test/api/v1/logs", false},
		{"https://a:b@example.okta.com/api/v1/logs", false},
		{"https://example.okta.com/api/v1/logs/../../v1/users", false},
		{"https://example.okta.com/api/v1/users", false},
		{"https://example.okta.com%2f/api", false},
	}
	for _, tc := range tests {
		u, err := checkSameOrg(org, org, tc.ref)
		if (err == nil) != tc.ok {
			t.Errorf("checkSameOrg(%q) = %v, %v; want ok=%v", tc.ref, u, err, tc.ok)
		}
	}
}

func TestOrgURLRules(t *testing.T) {
	tests := []struct {
		raw string
		ok  bool
	}{
		{"https://example.okta.com", true},
		{"https://example.okta.com/", true},
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"http://example.okta.com", false}, // the token would travel in clear text
		{"https://example.okta.com/api/v1", false},
		{"https://example.okta.com?x=1", false},
		{"https://user:pw@example.okta.com", false},
		{"ftp://example.okta.com", false},
		{"ftp://user:pw@example.okta.com", false},
		{"https://user:pw@example.okta.com/%zz", false},
		{"example.okta.com", false},
		{"", false},
	}
	for _, tc := range tests {
		_, err := parseOrgURL(tc.raw)
		if (err == nil) != tc.ok {
			t.Errorf("parseOrgURL(%q): %v, want ok=%v", tc.raw, err, tc.ok)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("parseOrgURL(%q): error shows the password: %v", tc.raw, err)
		}
	}
}

func TestMalformedPageNamesTheURL(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"not JSON", `[{"uuid":`, "want a JSON array"},
		{"object", `{"errorCode":"E0000009"}`, "want a JSON array"},
		{"no uuid", `[{"eventType":"user.lifecycle.create","published":"2026-01-01T00:00:00.000Z"}]`, "event 0: no uuid"},
		{"bad published", `[{"uuid":"u1","eventType":"user.lifecycle.create","published":"yesterday"}]`, `published "yesterday"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", `<`+r.URL.String()+`>; rel="next"`)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			st := tempStore(t)
			if err := st.SetCursor(context.Background(), DefaultCursorName,
				srv.URL+"/api/v1/logs?after=1_1&api_token=hunter2-in-query"); err != nil {
				t.Fatal(err)
			}
			p := &Poller{Store: st, OrgURL: srv.URL, Token: "00tok-en", EventTypes: []string{typeCreate},
				Logger: slog.New(slog.DiscardHandler)}
			_, err := p.Poll(context.Background())
			if err == nil {
				t.Fatal("Poll accepted a malformed page")
			}
			msg := err.Error()
			if !strings.Contains(msg, srv.URL+"/api/v1/logs?after=1_1") || !strings.Contains(msg, tc.want) ||
				strings.Contains(msg, "hunter2") {
				t.Errorf("error %q: want the URL without the query secret, and %q", msg, tc.want)
			}
			if cursor, _ := st.GetCursor(context.Background(), DefaultCursorName); !strings.Contains(cursor, "after=1_1") {
				t.Errorf("cursor moved past a malformed page: %q", cursor)
			}
		})
	}
}

func TestTransientFailuresBackOff(t *testing.T) {
	var failures atomic.Int64
	failures.Store(6)
	o := newOrg(t, emulator.Options{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if failures.Add(-1) >= 0 {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`{"errorCode":"E0000009","errorSummary":"Internal Server Error"}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	o.createUser("flaky@example.com")
	st := tempStore(t)
	var logs syncBuffer
	p := newPoller(o, st)
	p.Interval = 4 * time.Second
	p.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	waits := runRounds(t, p, 7)
	// Doubling from one second, capped at four Intervals, then back to the Interval once caught up.
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 16 * time.Second, 4 * time.Second}
	if !slices.Equal(waits, want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	if got := storedUUIDs(t, st); len(got) != 1 {
		t.Errorf("store holds %v, want the one event", got)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN msg=\"System Log poll failed\"") || !strings.Contains(out, "System Log poll keeps failing") ||
		!strings.Contains(out, "System Log polling recovered") {
		t.Errorf("logs:\n%s", out)
	}

	t.Run("network", func(t *testing.T) {
		down := httptest.NewServer(http.NotFoundHandler())
		down.Close()
		p := &Poller{Store: tempStore(t), OrgURL: down.URL, Token: "00tok-en-network", EventTypes: []string{typeCreate},
			Logger: slog.New(slog.DiscardHandler)}
		_, err := p.Poll(context.Background())
		if err == nil || !strings.Contains(err.Error(), down.URL+"/api/v1/logs?") {
			t.Fatalf("Poll: %v, want a network error naming the URL", err)
		}
		if waits := runRounds(t, p, 3); !slices.Equal(waits, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}) {
			t.Errorf("waits %v", waits)
		}
	})
}

func TestConfigurationErrors(t *testing.T) {
	st := tempStore(t)
	valid := func() *Poller {
		return &Poller{Store: st, OrgURL: "https://example.okta.com", Token: "00tok-en", EventTypes: []string{typeCreate}}
	}
	tests := []struct {
		name   string
		change func(p *Poller)
		want   string
	}{
		{"no store", func(p *Poller) { p.Store = nil }, "Store"},
		{"no org", func(p *Poller) { p.OrgURL = "" }, "OrgURL"},
		{"clear-text org", func(p *Poller) { p.OrgURL = "http://example.okta.com" }, "clear text"},
		{"no token", func(p *Poller) { p.Token = " " }, "Token"},
		{"header injection", func(p *Poller) { p.Token = "00tok\r\nX-Evil: 1" }, "control character"},
		{"no event types", func(p *Poller) { p.EventTypes = nil }, "EventTypes"},
		{"quote in event type", func(p *Poller) { p.EventTypes = []string{`a" or eventType ne "b`} }, `"a\" or eventType ne \"b"`},
		{"page too large", func(p *Poller) { p.PageSize = 1001 }, "PageSize 1001"},
		{"lookback too long", func(p *Poller) { p.Lookback = 200 * 24 * time.Hour }, "Lookback 4800h"},
	}
	for _, tc := range tests {
		p := valid()
		tc.change(p)
		_, pollErr := p.Poll(context.Background())
		runErr := p.Run(context.Background())
		for _, err := range []error{pollErr, runErr} {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.want)
			}
		}
	}
}
