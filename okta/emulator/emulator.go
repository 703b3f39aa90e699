// Package emulator is trama's local Okta org: an http.Handler that answers the Users, Groups, Group
// Rules, admin Roles, Applications, Factors, Authenticators, Sessions, Policies, System Log and Event
// Hooks APIs and the Authentication API's primary authentication the way real Okta does (paths, status
// codes, bodies, _links, headers, error codes, rate limits), records a System Log event for every state
// change, delivers those events to
// verified event hooks, and adds test affordances under /emulator/v1/. It is also the org authorization
// server for OAuth 2.0 service apps: client credentials with private_key_jwt, DPoP-bound tokens, and
// Okta scopes enforced on every management route. See docs/emulator.md.
package emulator

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/okta/eventhook"
	"github.com/trama-dev/trama/okta/systemlog"
)

// DefaultToken is the SSWS API token used when Options.Token is empty. It is a well-known test value,
// never a real credential.
const DefaultToken = "00test-token"

// DefaultBaseURL is the org URL used in _links and hook sources until Options.BaseURL is set.
const DefaultBaseURL = "http://127.0.0.1:8080"

// Options configures an Emulator. The zero value runs an in-memory org with the default token and a
// default admin.
type Options struct {
	// BaseURL is the org URL written into _links, Link headers and event-hook sources, without a
	// trailing slash. Default DefaultBaseURL; set it once the listener's address is known.
	BaseURL string
	// Token is the SSWS API token clients must send. Default DefaultToken.
	Token string
	// Admin is the seeded super-admin who owns Token; every event caused by an API call names this user
	// as actor. Default login "admin@example.com".
	Admin SeedUser
	// Users are seeded at start and after POST /emulator/v1/reset.
	Users []SeedUser
	// Groups and Apps are seeded after Users, through the emulator's own API, so each is validated as a
	// POST from a client would be and New refuses one Okta would refuse. Their ids are new at every
	// start and reset; find them by name (GET /api/v1/groups?q=, /api/v1/apps?q=).
	Groups     []SeedGroup
	Apps       []SeedApp
	GroupRules []SeedGroupRule
	// ServiceApps are OAuth 2.0 service apps seeded at start and after POST /emulator/v1/reset, with
	// their public keys and granted scopes. Their client ids are fixed when New returns (a missing one
	// is generated), so a reset seeds the same ids; Emulator.ServiceApps lists them.
	ServiceApps []ServiceApp
	// Clock supplies all time. Default a Clock that follows the machine's clock.
	Clock *Clock
	// StatePath, when set, is a JSON file loaded at start (if it exists) and rewritten atomically after
	// changes and at Close, so an org survives restarts. Default: state only in memory.
	StatePath string
	// Logger receives the emulator's own diagnostics. Default slog.Default(). Secrets are never logged.
	Logger *slog.Logger
	// HTTPClient sends event-hook verifications and deliveries. Default: a client without a global
	// timeout (each delivery has Okta's 3 s timeout).
	HTTPClient *http.Client
	// AllowHTTPHooks lets event hooks use http://127.0.0.1 and http://localhost URIs. Real Okta requires
	// https://, so the default is false.
	AllowHTTPHooks bool
	// RateLimit is the number of requests each endpoint accepts per RateLimitWindow before answering 429
	// E0000047. Default 600, Okta's default for the user endpoints; a negative value turns limits off.
	RateLimit int
	// RateLimitWindow is the length of a rate-limit window. Default one minute, as in Okta.
	RateLimitWindow time.Duration
	// HookBatchWindow is how long events wait to be batched into one event-hook delivery. Default 0:
	// the event hook registry's own default.
	HookBatchWindow time.Duration
	// TOTPSkew is how many 30-second steps before and after now a TOTP code is accepted. Default 4
	// (two minutes either way, as Okta documents for Google Authenticator).
	TOTPSkew int
}

// Emulator is an in-process Okta org. It is an http.Handler; see the package documentation. Its methods
// are safe for concurrent use.
type Emulator struct {
	opts   Options
	clock  *Clock
	logger *slog.Logger
	mux    *http.ServeMux
	token  []byte
	// tokenID names the API token in transaction.detail.requestApiTokenId without revealing it.
	tokenID string

	buckets []*bucket

	log   *systemlog.Log
	hooks *eventhook.Registry

	hookMu      sync.Mutex
	hookPending []okta.LogEvent

	mu      sync.Mutex
	users   map[string]*user
	byLogin map[string]*user
	order   []*user
	outbox  []message
	pushTx  map[string]*pushTxn
	adminID string
	// apps and appOrder hold the org's app integrations, by app id and in creation order.
	apps     map[string]*application
	appOrder []*application
	// groups and groupOrder hold the org's groups, the built-in Everyone group first.
	groups     map[string]*group
	groupOrder []*group
	// rules and ruleOrder hold the org's group rules, by id and in creation order.
	rules     map[string]*groupRule
	ruleOrder []*groupRule
	// everyone is the id of the built-in Everyone group.
	everyone string
	// policies and policyOrder hold the org's policies (each with its rules), by id and in creation order.
	policies    map[string]*policy
	policyOrder []*policy
	// sessions are the users' Okta sessions by id; sessionTokens the unredeemed one-time session tokens
	// and authnTxns the authentication transactions waiting for a factor, both by the SHA-256 of the token.
	sessions      map[string]*session
	sessionTokens map[string]*sessionToken
	authnTxns     map[string]*authnTxn
	// authenticators and authOrder hold the org's Identity Engine authenticators, by id and in
	// creation order.
	authenticators map[string]*authenticator
	authOrder      []*authenticator

	// oauthMu guards the org authorization server's signing key, generated on first use.
	oauthMu sync.Mutex
	orgKey  *orgKey
	// nonceKey derives the DPoP nonces (see dpopNonce).
	nonceKey [32]byte
	// assertionJTIs and proofJTIs refuse replayed client assertions and DPoP proofs.
	assertionJTIs replayCache
	proofJTIs     replayCache

	// routeTable lists every API operation with the scopes an access token needs for it.
	routeTable []registeredRoute

	saver *saver
}

// New returns an Emulator with its seed users, or with the state from Options.StatePath when that file
// exists.
func New(opts Options) (*Emulator, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.Admin.Login == "" {
		opts.Admin = SeedUser{Login: "admin@example.com", FirstName: "Org", LastName: "Admin"}
	}
	if opts.Clock == nil {
		opts.Clock = &Clock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = 600
	}
	if opts.RateLimitWindow <= 0 {
		opts.RateLimitWindow = time.Minute
	}
	if opts.TOTPSkew <= 0 {
		opts.TOTPSkew = 4
	}
	if err := (Seed{Users: opts.Users, Groups: opts.Groups, Apps: opts.Apps, GroupRules: opts.GroupRules}).check(opts.Admin.Login); err != nil {
		return nil, fmt.Errorf("emulator seed: %w", err)
	}
	apps, err := normalizeServiceApps(opts.ServiceApps)
	if err != nil {
		return nil, fmt.Errorf("emulator service apps: %w", err)
	}
	opts.ServiceApps = apps
	e := &Emulator{
		opts:    opts,
		clock:   opts.Clock,
		logger:  opts.Logger,
		token:   []byte("SSWS " + opts.Token),
		tokenID: tokenID(opts.Token),
		log:     systemlog.New(),
	}
	rand.Read(e.nonceKey[:])
	e.everyone = "00g" + tokenID("everyone:" + opts.BaseURL)[3:]
	e.hooks = eventhook.NewRegistry(eventhook.Config{
		BaseURL:     opts.BaseURL,
		Now:         e.clock.Now,
		HTTPClient:  opts.HTTPClient,
		AllowHTTP:   opts.AllowHTTPHooks,
		Emit:        e.hookEmit,
		BatchWindow: opts.HookBatchWindow,
		Logger:      opts.Logger,
	})
	e.routes()
	if err := e.resetState(); err != nil {
		return nil, err
	}
	if opts.StatePath != "" {
		if err := e.loadState(opts.StatePath); err != nil {
			return nil, err
		}
		e.saver = newSaver(e, opts.StatePath)
	}
	return e, nil
}

// Close delivers pending event-hook batches, stops background work and, with a StatePath, writes the
// state a last time.
func (e *Emulator) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if err := e.hooks.Flush(ctx); err != nil {
		errs = append(errs, fmt.Errorf("flush event hooks: %w", err))
	}
	if err := e.hooks.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close event hooks: %w", err))
	}
	if e.saver != nil {
		if err := e.saver.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Clock returns the emulator's clock.
func (e *Emulator) Clock() *Clock { return e.clock }

// BaseURL returns the org URL used in links.
func (e *Emulator) BaseURL() string { return e.opts.BaseURL }

// Token returns the SSWS API token clients must send.
func (e *Emulator) Token() string { return e.opts.Token }

// ServeHTTP answers one request.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }

// request is what a handler sees of one API call.
type request struct {
	w   http.ResponseWriter
	r   *http.Request
	id  string
	now time.Time
	// principal is who authenticated: the API token (the zero value) or a service app.
	principal principal
	// anonymous marks a call to an endpoint that takes no credentials (public) made without any.
	anonymous bool
}

// handler answers one API operation. A nil body with a 2xx status writes no body.
type handler func(rq *request) (status int, body any, err error)

// noBody marks a 2xx response that has Content-Type: application/json but an empty body, which is what
// Okta sends for the user lifecycle operations and reset_factors.
var noBody = []byte{}

// registeredRoute is one API operation and the OAuth scopes an access token needs for it; nil scopes
// mean the operation takes only an API token.
type registeredRoute struct {
	pattern string
	// operation is the "METHOD /path" whose scopes apply, usually pattern itself.
	operation string
	scopes    []string
}

// route registers an authenticated Okta API operation with its own rate-limit bucket; access tokens
// need the scopes Okta's description gives the operation (okta.Scopes, looked up by the pattern's path
// template). Requests with another method or an unknown path reach unrouted.
func (e *Emulator) route(pattern string, h handler) { e.routeAs(pattern, pattern, h) }

// routeAs is route for a pattern that takes the scopes of another operation ("METHOD /path"): for a
// path Okta serves but its description does not list.
func (e *Emulator) routeAs(pattern, operation string, h handler) {
	method, path, _ := strings.Cut(operation, " ")
	e.register(pattern, operation, okta.Scopes(method, path), h)
}

// routeAPITokenOnly registers an operation Okta's description opens to API tokens only: access tokens
// are refused, whatever their scopes.
func (e *Emulator) routeAPITokenOnly(pattern string, h handler) { e.register(pattern, pattern, nil, h) }

// register records an API operation and routes its pattern to it; see api.
func (e *Emulator) register(pattern, operation string, scopes []string, h handler) {
	e.mux.HandleFunc(pattern, e.api(pattern, operation, scopes, h))
}

// api records an operation in the route table and returns its handler. It is the one home of
// authentication, the scope check and rate limiting for API operations. A route without scopes refuses
// every access token (fail closed).
func (e *Emulator) api(pattern, operation string, scopes []string, h handler) http.HandlerFunc {
	e.routeTable = append(e.routeTable, registeredRoute{pattern: pattern, operation: operation, scopes: scopes})
	b := e.newBucket()
	return func(w http.ResponseWriter, r *http.Request) {
		rq := e.begin(w, r)
		p, err := e.authenticate(rq)
		if err == nil {
			err = e.authorize(rq, p, scopes)
		}
		if err != nil {
			e.writeError(rq, err)
			return
		}
		rq.principal = p
		if !e.limit(rq, b) {
			return
		}
		e.finish(rq, h)
	}
}

// newBucket is a rate-limit bucket for one endpoint.
func (e *Emulator) newBucket() *bucket {
	b := &bucket{limit: e.opts.RateLimit, window: e.opts.RateLimitWindow}
	e.buckets = append(e.buckets, b)
	return b
}

// limit counts the request against b and stamps the X-Rate-Limit headers. It answers 429 E0000047 and
// returns false when the window is spent.
func (e *Emulator) limit(rq *request, b *bucket) bool {
	if e.opts.RateLimit <= 0 || seeding(rq.r.Context()) {
		return true
	}
	remaining, reset, ok := b.take(rq.now)
	h := rq.w.Header()
	h["X-Rate-Limit-Limit"] = []string{strconv.Itoa(b.limit)}
	h["X-Rate-Limit-Remaining"] = []string{strconv.Itoa(remaining)}
	h["X-Rate-Limit-Reset"] = []string{strconv.FormatInt(reset.Unix(), 10)}
	if !ok {
		e.writeError(rq, errRateLimit())
	}
	return ok
}

// unrouted answers a request no pattern took: 405 E0000022 when the path exists for another method,
// 404 E0000008 otherwise. Auth comes first for Okta's own paths, as on a real org.
func (e *Emulator) unrouted(w http.ResponseWriter, r *http.Request) {
	rq := e.begin(w, r)
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		if m == r.Method {
			continue
		}
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := e.mux.Handler(probe); pattern != "/" && pattern != "" && servesPath(pattern, r.URL.Path) {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				if _, err := e.authenticate(rq); err != nil {
					e.writeError(rq, err)
					return
				}
			}
			e.writeError(rq, errMethodNotAllowed())
			return
		}
	}
	e.writeError(rq, errPathNotFound())
}

// public registers an Okta endpoint that takes no credentials, such as the Authentication API: a call
// may come without Authorization, and one that sends an API token or access token has it checked. These
// operations are outside Okta's management API description, so they are not in the route table and
// need no OAuth scope. Each has its own rate-limit bucket, as API routes do.
func (e *Emulator) public(pattern string, h handler) {
	b := e.newBucket()
	e.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rq := e.begin(w, r)
		rq.anonymous = r.Header.Get("Authorization") == ""
		if !rq.anonymous {
			p, err := e.authenticate(rq)
			if err != nil {
				e.writeError(rq, err)
				return
			}
			rq.principal = p
		}
		if !e.limit(rq, b) {
			return
		}
		e.finish(rq, h)
	})
}

// open registers an unauthenticated endpoint: an emulator affordance, or one of Okta's public OAuth
// documents (keys, metadata).
func (e *Emulator) open(pattern string, h handler) {
	e.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		e.finish(e.begin(w, r), h)
	})
}

// begin stamps the headers Okta puts on every response.
func (e *Emulator) begin(w http.ResponseWriter, r *http.Request) *request {
	rq := &request{w: w, r: r, id: newRequestID(), now: e.clock.Now()}
	h := w.Header()
	h["X-Okta-Request-Id"] = []string{rq.id}
	// Date follows the virtual clock: SDKs compute their 429 back-off as X-Rate-Limit-Reset minus Date.
	h["Date"] = []string{rq.now.UTC().Format(http.TimeFormat)}
	h["Content-Type"] = []string{"application/json"}
	return rq
}

func (e *Emulator) finish(rq *request, h handler) {
	status, body, err := h(rq)
	if err != nil {
		e.writeError(rq, err)
		return
	}
	var data []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		data = b
	case json.RawMessage:
		data = b
	default:
		data, err = json.Marshal(b)
		if err != nil {
			e.logger.Error("encode response", "path", rq.r.URL.Path, "err", err)
			e.writeError(rq, newAPIError(http.StatusInternalServerError, "E0000009", "Internal Server Error"))
			return
		}
	}
	if rq.r.Method != http.MethodGet {
		// Not every change logs an event (a pending enrolment, a code sent, a push transaction), so
		// any successful write schedules a save.
		e.changed()
	}
	rq.w.WriteHeader(status)
	if len(data) > 0 {
		rq.w.Write(data)
	}
}

func (e *Emulator) writeError(rq *request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		var oe *okta.Error
		if errors.As(err, &oe) {
			ae = errFromOkta(oe)
		} else {
			e.logger.Error("request failed", "method", rq.r.Method, "path", rq.r.URL.Path, "err", err)
			ae = newAPIError(http.StatusInternalServerError, "E0000009", "Internal Server Error")
		}
	}
	body := ae.body
	body.ErrorID = okta.NewErrorID()
	data, _ := json.Marshal(body)
	if ae.challenge != "" {
		rq.w.Header().Set("WWW-Authenticate", ae.challenge)
	}
	rq.w.WriteHeader(ae.status)
	rq.w.Write(data)
}

// decodeBody reads a JSON request body into v. An empty body leaves v untouched; anything that is not
// JSON for v answers 400 E0000003 as Okta does.
func decodeBody(r *http.Request, v any) (empty bool, err error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return false, errMalformed()
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return true, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, errMalformed()
	}
	return false, nil
}

// boolQuery reads a boolean query parameter, with def when absent or unparsable.
func boolQuery(r *http.Request, name string, def bool) bool {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def
	}
	return b
}
