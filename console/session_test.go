package console

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSessionRoundTrip(t *testing.T) {
	k := deriveKeys("api-token-0123456789")
	now := time.Now()
	s := session{User: "ann.operator", Expires: now.Add(time.Hour).Truncate(time.Second), Nonce: newNonce()}
	got, err := decodeSession(s.encode(k), k, now)
	if err != nil || got != s {
		t.Fatalf("decode(encode) = %+v, %v; want %+v", got, err, s)
	}
	if _, err := decodeSession(s.encode(k), k, now.Add(2*time.Hour)); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired session: %v", err)
	}
	if _, err := decodeSession(s.encode(deriveKeys("another-token-0123")), k, now); err == nil {
		t.Error("a session signed with another token is accepted")
	}
	if !s.checkCSRF(k, s.csrf(k)) || s.checkCSRF(k, s.csrf(deriveKeys("another-token-0123"))) {
		t.Error("CSRF tokens do not tell sessions apart")
	}
	other := session{User: "ann.operator", Expires: s.Expires, Nonce: newNonce()}
	if s.checkCSRF(k, other.csrf(k)) {
		t.Error("one session's CSRF token passes for another's")
	}
	// A session cookie is not a CSRF token, and the other way round.
	if s.checkCSRF(k, strings.Split(s.encode(k), ".")[3]) {
		t.Error("the cookie's signature passes as the CSRF token")
	}
}

// FuzzSessionCookie: any cookie value is a session or an error, never a panic; a session decoded from
// anything but encode's output does not exist (forging needs the key).
func FuzzSessionCookie(f *testing.F) {
	k := deriveKeys("api-token-0123456789")
	now := time.Unix(1_800_000_000, 0)
	// A fixed nonce: fuzzing workers are other processes, and must agree on the one valid cookie.
	good := session{User: "console", Expires: now.Add(time.Hour), Nonce: "AAECAwQFBgcICQoLDA0ODw"}.encode(k)
	for _, s := range []string{good, good + "x", "", ".", "...", "a.b.c.d", "Y29uc29sZQ.1800003600.AAAAAAAAAAAAAAAAAAAAAA.x",
		strings.Repeat(".", 2000), "\x00.\xff.\n.\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, err := decodeSession(v, k, now)
		if err == nil && v != good {
			t.Fatalf("%q decoded to %+v", v, s)
		}
	})
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/console/runs?status=failed":   "/console/runs?status=failed",
		"/console/events/x":             "/console/events/x",
		"":                              "/console/runs",
		"//evil.example/console/":       "/console/runs",
		"https://evil.example/console/": "/console/runs",
		"/\\evil.example":               "/console/runs",
		"/console/..//evil":             "/console/runs",
		"/metrics":                      "/console/runs",
		"javascript:alert(1)":           "/console/runs",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSafeNext: wherever a sign-in was asked to go next, it goes to a console path on this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/console/runs", "//x", "/console/%2F%2Fx", "/console/\x00", "http:/console/", "/console/?next=//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/console/") || strings.HasPrefix(got, "//") || strings.Contains(got, "\\") {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
	})
}
