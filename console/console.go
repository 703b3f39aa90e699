// Package console is trama serve's web console at /console/: the runs and events of the history as
// pages a person reads in a browser — a failed run's steps with their requests, responses and the
// criteria that failed, an event's card — and the actions of the API (replay an event, resolve an
// uncertain run, supply the input a waiting run asks for) as forms. Pages are rendered on the server
// from embedded templates and CSS, with one small script for live updates; nothing comes from another
// origin and nothing needs building, so the console works offline from the binary alone.
//
// A person signs in with the API token (config api.token) and gets a signed session cookie; every form
// carries a CSRF token; the pages show the history exactly as the API does (history.ShowRun and
// friends), secrets masked.
package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/store"
)

// Prefix is the path the console is served under.
const Prefix = "/console/"

// Options are what a Console reads and acts on.
type Options struct {
	// Store is trama serve's store.
	Store *store.Store
	// Config gives the API token to sign in with, the console settings and the triggers (the flows
	// page).
	Config *config.Config
	// Logger receives sign-in failures and errors; nil discards them.
	Logger *slog.Logger
	// Poll is how often live pages look for changes; 0 means DefaultPoll.
	Poll time.Duration
	// ReadOnly shows the history without its actions (replay, resolve, resume): what `trama console`
	// serves over a store file, which no queue works.
	ReadOnly bool
}

// DefaultPoll is how often a live page asks the store whether what it shows changed: often enough that
// a step finishing shows within a second, rare enough that an open tab costs a query a second.
const DefaultPoll = time.Second

// Console is the web console's http.Handler.
type Console struct {
	st      *store.Store
	cfg     *config.Config
	logger  *slog.Logger
	keys    keys
	token   []byte
	user    string
	session time.Duration
	poll    time.Duration
	mux     *http.ServeMux
	pages   *pages
	docs    docCache
	signins limiter
	// readOnly hides and refuses the actions.
	readOnly bool

	// streams counts open live streams; done ends them when the server shuts down.
	streamMu  sync.Mutex
	streams   int
	done      chan struct{}
	closeOnce sync.Once
}

// New builds the console. The configuration must have an API token.
func New(opts Options) (*Console, error) {
	if opts.Store == nil || opts.Config == nil {
		return nil, errors.New("console: needs a store and a configuration")
	}
	if !opts.Config.API.Enabled() {
		return nil, errors.New("console: needs api.token, the token people sign in with")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	c := &Console{
		st: opts.Store, cfg: opts.Config, logger: logger, keys: deriveKeys(opts.Config.API.Token),
		token: []byte(opts.Config.API.Token), user: opts.Config.Console.User, session: opts.Config.Console.Session,
		poll: opts.Poll, pages: p, done: make(chan struct{}),
		signins: limiter{max: maxSigninFailures, window: time.Minute}, readOnly: opts.ReadOnly,
	}
	if c.user == "" {
		c.user = config.DefaultConsoleUser
	}
	if c.session <= 0 {
		c.session = config.DefaultConsoleSession
	}
	if c.poll <= 0 {
		c.poll = DefaultPoll
	}
	c.routes()
	return c, nil
}

func (c *Console) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /console/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix+"runs", http.StatusSeeOther)
	})
	m.HandleFunc("GET /console/static/{file}", c.static)
	m.HandleFunc("GET /console/signin", c.signinForm)
	m.HandleFunc("POST /console/signin", c.signin)
	m.Handle("POST /console/signout", c.action(c.signout))
	m.Handle("GET /console/runs", c.page(c.runs))
	m.Handle("GET /console/runs/{id}", c.page(c.run))
	m.Handle("POST /console/runs/{id}/resolve", c.action(c.resolve))
	m.Handle("POST /console/runs/{id}/resume", c.action(c.resume))
	m.Handle("GET /console/events", c.page(c.events))
	m.Handle("GET /console/events/{uuid}", c.page(c.event))
	m.Handle("POST /console/events/{uuid}/replay", c.action(c.replay))
	m.Handle("GET /console/flows", c.page(c.flows))
	m.HandleFunc("GET /console/live", c.live)
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, nil, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
	})
	c.mux = m
}

// ServeHTTP serves the console's pages with its security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Everything the console loads comes from itself; nothing may frame it, and forms post only to it.
	h.Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with a form, which
	// sameOrigin must refuse. Nothing reaches another site either way.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	// The pages show the history, which may name people: no cache keeps them. Static files say otherwise.
	h.Set("Cache-Control", "no-store")
	if r.URL.Path == "/console" {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	c.mux.ServeHTTP(w, r)
}

// Close ends the live streams, so that a server shutting down need not wait for open browser tabs.
func (c *Console) Close() { c.closeOnce.Do(func() { close(c.done) }) }

// page wraps a GET handler that needs a session: without one the browser goes to the sign-in form and
// comes back.
func (c *Console) page(h func(http.ResponseWriter, *http.Request, session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.sessionOf(r)
		if !ok {
			http.Redirect(w, r, Prefix+"signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, s)
	})
}

// maxForm bounds a form body: a reason, an input value and a token.
const maxForm = 64 << 10

// action wraps a POST handler: it needs a session, a request from the console's own origin and the
// session's CSRF token; anything else is refused before the handler runs.
func (c *Console) action(h func(http.ResponseWriter, *http.Request, session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.sessionOf(r)
		if !ok {
			c.fail(w, r, nil, http.StatusForbidden, "Your session has ended. Sign in again, then repeat what you did.")
			return
		}
		if c.readOnly && !strings.HasSuffix(r.URL.Path, "/signout") {
			c.fail(w, r, &s, http.StatusForbidden, "This console is read-only: it shows a store file no trama serve works. Act from trama serve's console, or with trama events replay, trama runs resolve and trama runs resume.")
			return
		}
		if err := sameOrigin(r); err != nil {
			c.logger.Warn("console: refused a cross-origin form", "path", r.URL.Path, "reason", err.Error())
			c.fail(w, r, &s, http.StatusForbidden, "This form was not sent from the console ("+err.Error()+"); nothing was done.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			c.fail(w, r, &s, http.StatusBadRequest, "The form could not be read: "+formError(err))
			return
		}
		if !s.checkCSRF(c.keys, r.PostForm.Get("csrf")) {
			c.logger.Warn("console: refused a form without a valid CSRF token", "path", r.URL.Path)
			c.fail(w, r, &s, http.StatusForbidden, "This form's security token is missing or out of date; nothing was done. Reload the page and try again.")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, s)
	})
}

// sameOrigin refuses a request whose Origin names another site. Browsers send Origin with every POST;
// a request without one comes from a tool, which the CSRF token still has to pass. Behind a proxy that
// passes the request on under another Host, the proxy's X-Forwarded-Host names the site the browser
// saw (a cross-site form cannot set that header).
func sameOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	switch origin {
	case "":
		return nil
	case "null":
		return errors.New("the browser hid where it came from")
	}
	host := origin
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if strings.EqualFold(host, r.Host) {
		return nil
	}
	if fwd, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Host"), ","); fwd != "" && strings.EqualFold(host, strings.TrimSpace(fwd)) {
		return nil
	}
	return fmt.Errorf("it came from %s", origin)
}

func formError(err error) string {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fmt.Sprintf("it is over %d KiB", maxForm>>10)
	}
	return err.Error()
}

// checkToken compares a token given at sign-in with the API token in constant time.
func (c *Console) checkToken(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), c.token) == 1
}

// ctx bounds the store queries of one page.
func (c *Console) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 10*time.Second)
}

// storeError says what went wrong reading or changing the history, with the status it calls for.
func storeError(err error) (int, string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "Not found: " + err.Error() + "."
	case errors.Is(err, store.ErrInvalidCursor):
		return http.StatusBadRequest, "That page link is not valid any more (" + err.Error() + "); start from the first page."
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, err.Error()
	default:
		return http.StatusInternalServerError, "The store could not answer: " + strings.SplitN(err.Error(), "\n", 2)[0]
	}
}
