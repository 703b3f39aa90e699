package console

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxSigninFailures is how many wrong tokens one address may try a minute: plenty for a person who
// mistyped, nothing for a guesser (a token has at least 16 characters).
const maxSigninFailures = 10

type signinView struct {
	Next  string
	Token string // the sign-in form's CSRF token
}

// signinForm shows the sign-in form, with a fresh nonce for its CSRF token.
func (c *Console) signinForm(w http.ResponseWriter, r *http.Request) {
	c.showSignin(w, r, http.StatusOK, "")
}

func (c *Console) showSignin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	nonce := newNonce()
	http.SetCookie(w, c.cookie(r, signinCookie, nonce, time.Hour))
	w.Header().Set("Cache-Control", "no-store")
	c.render(w, r, status, "signin", view{Title: "Sign in", Error: msg,
		Body: signinView{Next: safeNext(r.FormValue("next")), Token: signinToken(c.keys, nonce)}})
}

// signin checks the API token and starts a session. The token never goes back to the browser, not
// even into the form after a mistake.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	addr := remoteHost(r)
	if !c.signins.allow(addr, time.Now()) {
		c.logger.Warn("console: sign-in refused after too many failures", "remote", addr)
		c.showSignin(w, r, http.StatusTooManyRequests, "Too many wrong tokens from your address; wait a minute and try again.")
		return
	}
	if err := sameOrigin(r); err != nil {
		c.showSignin(w, r, http.StatusForbidden, "This sign-in was not sent from the console ("+err.Error()+").")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		c.showSignin(w, r, http.StatusBadRequest, "The form could not be read: "+formError(err))
		return
	}
	ck, err := r.Cookie(signinCookie)
	if err != nil || !checkSigninToken(c.keys, ck.Value, r.PostForm.Get("csrf")) {
		c.showSignin(w, r, http.StatusForbidden, "The sign-in form was out of date; enter the token again.")
		return
	}
	if !c.checkToken(r.PostForm.Get("token")) {
		c.signins.fail(addr, time.Now())
		c.logger.Warn("console: sign-in with a wrong token", "remote", addr)
		c.showSignin(w, r, http.StatusUnauthorized, "That is not the API token (api.token in trama's configuration).")
		return
	}
	s := session{User: c.user, Expires: time.Now().Add(c.session), Nonce: newNonce()}
	http.SetCookie(w, c.cookie(r, sessionCookie, s.encode(c.keys), c.session))
	http.SetCookie(w, c.cookie(r, signinCookie, "", -1))
	c.logger.Info("console: signed in", "user", s.User, "remote", addr)
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, s session) {
	http.SetCookie(w, c.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}

// safeNext is where to go after signing in: a console path, never another site ("//evil", "/\evil").
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, Prefix) ||
		strings.Contains(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return Prefix + "runs"
	}
	return u.RequestURI()
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter counts failures per address over a sliding window.
type limiter struct {
	max    int
	window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
}

func (l *limiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(addr, now)) < l.max
}

func (l *limiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failures == nil {
		l.failures = map[string][]time.Time{}
	}
	// Forget old addresses now and then, so the map stays as small as the attack.
	if len(l.failures) > 1000 {
		for a := range l.failures {
			if len(l.recent(a, now)) == 0 {
				delete(l.failures, a)
			}
		}
	}
	l.failures[addr] = append(l.recent(addr, now), now)
}

// recent returns addr's failures within the window; the caller holds mu.
func (l *limiter) recent(addr string, now time.Time) []time.Time {
	ts := l.failures[addr]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.failures, addr)
		return nil
	}
	l.failures[addr] = ts
	return ts
}
