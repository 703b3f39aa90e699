package bench

import (
	"net/url"
	"strings"
	"testing"

	"github.com/trama-dev/trama/secret"
)

// The flags a comparison prints keep no password, whichever way a URL is written.
func TestMaskURLsKeepsPasswords(t *testing.T) {
	const canary = "canary-pw-91d0"
	args := []string{
		"--store", "postgres://trama:" + canary + "@127.0.0.1:5432/trama?sslmode=disable",
		"--store=postgres://trama:" + canary + "@db.internal/trama",
		"--store", "postgres://trama@db.internal/trama?password=" + canary,
		"--events", "20000",
	}
	got := strings.Join(maskURLs(args), " ")
	if strings.Contains(got, canary) {
		t.Fatalf("a password is left: %s", got)
	}
	for _, want := range []string{"127.0.0.1:5432/trama", "--store=postgres://trama:", "db.internal/trama", "--events 20000"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q is gone: %s", want, got)
		}
	}
}

// FuzzMaskURLs: whatever the user, password and host, a URL among the bench's flags comes out of maskURLs
// with its password masked.
func FuzzMaskURLs(f *testing.F) {
	f.Add("trama", "canary-pw-91d0", "127.0.0.1:5432")
	f.Add("a b", "p@ss:w/rd?x=1", "db.internal")
	f.Add("0", "**", "0")
	f.Fuzz(func(t *testing.T, user, password, host string) {
		u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: host, Path: "/trama"}
		raw := u.String()
		if _, err := url.Parse(raw); err != nil || password == secret.Mask {
			return // not a URL the bench could connect to; or a password that looks masked already
		}
		for i, arg := range maskURLs([]string{raw, "--store=" + raw}) {
			if i == 1 {
				arg = strings.TrimPrefix(arg, "--store=")
			}
			m, err := url.Parse(arg)
			if err != nil {
				t.Fatalf("maskURLs(%q) = %q, which does not parse: %v", raw, arg, err)
			}
			if pw, _ := m.User.Password(); pw != secret.Mask {
				t.Fatalf("maskURLs(%q) = %q: password %q", raw, arg, pw)
			}
		}
	})
}
