package emulator

import (
	"net/http"
	"regexp"
	"testing"
	"time"
)

func TestErrorsAndHeaders(t *testing.T) {
	o := newTestOrg(t, Options{})
	errorID := regexp.MustCompile(`^oae[A-Za-z0-9_-]{22}$`)
	cases := []struct {
		name, method, path, auth string
		body                     any
		status                   int
		code                     string
	}{
		{"no authorization", "GET", "/api/v1/users", "", nil, 403, "E0000005"},
		{"wrong token", "GET", "/api/v1/users", "SSWS nope", nil, 401, "E0000011"},
		{"bearer refused", "GET", "/api/v1/users", "Bearer " + o.token, nil, 401, "E0000011"},
		{"bare token", "GET", "/api/v1/users", o.token, nil, 401, "E0000011"},
		{"unknown path", "GET", "/api/v1/nothing", "SSWS " + o.token, nil, 404, "E0000008"},
		{"wrong method", "PATCH", "/api/v1/users", "SSWS " + o.token, nil, 405, "E0000022"},
		{"malformed json", "POST", "/api/v1/users", "SSWS " + o.token, "{", 400, "E0000003"},
		{"unknown user", "GET", "/api/v1/users/00unope", "SSWS " + o.token, nil, 404, "E0000007"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := o.as(t).doAuth(c.method, c.path, c.body, c.auth)
			wantError(t, r, c.status, c.code)
			var e struct {
				ErrorCode, ErrorSummary, ErrorLink, ErrorID string
				ErrorCauses                                 []any
			}
			r.json(t, &e)
			if e.ErrorLink != e.ErrorCode || !errorID.MatchString(e.ErrorID) || e.ErrorSummary == "" || e.ErrorCauses == nil {
				t.Fatalf("error object not in Okta's shape: %s", r.body)
			}
			checkCommonHeaders(t, r)
		})
	}
	r := o.do("GET", "/api/v1/users", nil)
	checkCommonHeaders(t, r)
	for _, h := range []string{"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} {
		if r.header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
}

func checkCommonHeaders(t *testing.T, r response) {
	t.Helper()
	if id := r.header.Get("X-Okta-Request-Id"); len(id) != 27 {
		t.Errorf("X-Okta-Request-Id %q", id)
	}
	if _, err := time.Parse(http.TimeFormat, r.header.Get("Date")); err != nil {
		t.Errorf("Date: %v", err)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestRateLimit(t *testing.T) {
	o := newTestOrg(t, Options{RateLimit: 3})
	for i := range 3 {
		r := o.do("GET", "/api/v1/users/me", nil)
		wantStatus(t, r, 200)
		if got, want := r.header.Get("X-Rate-Limit-Remaining"), string(rune('2'-i)); got != want {
			t.Fatalf("request %d: remaining %s, want %s", i, got, want)
		}
	}
	r := o.do("GET", "/api/v1/users/me", nil)
	wantError(t, r, 429, "E0000047")
	// Other endpoints have their own budget.
	wantStatus(t, o.do("GET", "/api/v1/users", nil), 200)
	// A new window opens when the clock passes X-Rate-Limit-Reset.
	o.advance(61 * time.Second)
	wantStatus(t, o.do("GET", "/api/v1/users/me", nil), 200)
}
