package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A session is a signed cookie, not a row anywhere: every replica that knows the API token accepts it,
// nothing is stored, and rotating the token signs everyone out. The cookie holds the user name, the
// expiry and a random nonce, and an HMAC over them keyed by a key derived from the token (so the cookie
// says nothing about the token). Each session's CSRF token is another HMAC of its nonce.

const (
	sessionCookie = "trama_session"
	// signinCookie carries the nonce the sign-in form's CSRF token is made from, before any session.
	signinCookie = "trama_signin"
	// maxCookie bounds a cookie value before it is parsed; a real one is under 200 bytes.
	maxCookie = 1024
	nonceLen  = 16
)

// keys are the HMAC keys of one API token: sessions and CSRF tokens use different ones, so one can never
// be passed off as the other.
type keys struct {
	session, csrf, signin []byte
}

func deriveKeys(token string) keys {
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, []byte(token))
		m.Write([]byte("trama console " + purpose + " v1"))
		return m.Sum(nil)
	}
	return keys{session: derive("session"), csrf: derive("csrf"), signin: derive("signin")}
}

func mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		// Length-prefixed, so ("ab", "c") and ("a", "bc") sign differently.
		fmt.Fprintf(m, "%d:%s", len(p), p)
	}
	return m.Sum(nil)
}

var b64 = base64.RawURLEncoding

// session is a signed-in browser.
type session struct {
	User    string
	Expires time.Time
	Nonce   string // base64url, nonceLen random bytes
}

func newNonce() string {
	b := make([]byte, nonceLen)
	rand.Read(b) // never fails (crypto/rand)
	return b64.EncodeToString(b)
}

// encode is the cookie value: user.expiry.nonce.mac, each part base64url or decimal.
func (s session) encode(k keys) string {
	user := b64.EncodeToString([]byte(s.User))
	exp := strconv.FormatInt(s.Expires.Unix(), 10)
	return user + "." + exp + "." + s.Nonce + "." + b64.EncodeToString(mac(k.session, user, exp, s.Nonce))
}

// errSession is every reason a cookie is not a session; the reasons are for tests and logs, the person
// is simply asked to sign in.
var errSession = errors.New("not a valid session")

// decodeSession checks a cookie value and returns its session, or an error wrapping errSession.
func decodeSession(value string, k keys, now time.Time) (session, error) {
	if len(value) > maxCookie {
		return session{}, fmt.Errorf("%w: %d bytes", errSession, len(value))
	}
	parts := strings.Split(value, ".")
	if len(parts) != 4 {
		return session{}, fmt.Errorf("%w: %d parts, want 4", errSession, len(parts))
	}
	user, exp, nonce, sig := parts[0], parts[1], parts[2], parts[3]
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(k.session, user, exp, nonce)) {
		return session{}, fmt.Errorf("%w: bad signature", errSession)
	}
	// Signed by us from here on; the checks below guard against our own older formats.
	name, err := b64.DecodeString(user)
	if err != nil || !utf8.Valid(name) {
		return session{}, fmt.Errorf("%w: user", errSession)
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return session{}, fmt.Errorf("%w: expiry", errSession)
	}
	if raw, err := b64.DecodeString(nonce); err != nil || len(raw) != nonceLen {
		return session{}, fmt.Errorf("%w: nonce", errSession)
	}
	s := session{User: string(name), Expires: time.Unix(secs, 0), Nonce: nonce}
	if !now.Before(s.Expires) {
		return session{}, fmt.Errorf("%w: expired at %s", errSession, s.Expires.UTC().Format(time.RFC3339))
	}
	return s, nil
}

// csrf is the session's CSRF token, which every form carries.
func (s session) csrf(k keys) string { return b64.EncodeToString(mac(k.csrf, s.Nonce)) }

// checkCSRF compares a form's token with the session's in constant time.
func (s session) checkCSRF(k keys, got string) bool {
	want := mac(k.csrf, s.Nonce)
	raw, err := b64.DecodeString(got)
	return err == nil && hmac.Equal(raw, want)
}

// signinToken is the CSRF token of the sign-in form, bound to the nonce in the sign-in cookie.
func signinToken(k keys, nonce string) string { return b64.EncodeToString(mac(k.signin, nonce)) }

func checkSigninToken(k keys, nonce, got string) bool {
	if nonce == "" || len(nonce) > maxCookie {
		return false
	}
	raw, err := b64.DecodeString(got)
	return err == nil && hmac.Equal(raw, mac(k.signin, nonce))
}

// secure reports whether the browser reached trama over TLS, directly or through a proxy that says so;
// cookies are then marked Secure. A proxy that lies only makes cookies stricter.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (c *Console) cookie(r *http.Request, name, value string, maxAge time.Duration) *http.Cookie {
	ck := &http.Cookie{Name: name, Value: value, Path: Prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: secure(r)}
	if maxAge < 0 {
		ck.MaxAge = -1
	} else {
		ck.MaxAge = int(maxAge.Seconds())
	}
	return ck
}

// sessionOf returns the request's session, if it has a valid one.
func (c *Console) sessionOf(r *http.Request) (session, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	s, err := decodeSession(ck.Value, c.keys, time.Now())
	return s, err == nil
}
