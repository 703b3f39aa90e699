package backfill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trama-dev/trama/metrics"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
	"github.com/trama-dev/trama/store"
)

// Store is the part of trama's inbox the poller needs; *store.Store satisfies it.
type Store interface {
	IngestPolled(ctx context.Context, cursorName, cursor string, events []store.NewEvent) (store.IngestResult, error)
	GetCursor(ctx context.Context, name string) (string, error)
}

var _ Store = (*store.Store)(nil)

// Defaults of the Poller fields.
const (
	// DefaultInterval is the pause between polls once caught up. Backfill only catches what event hooks
	// missed, so a minute of delay is cheap, and it keeps the poller to a small share of the System Log
	// rate limit, which it shares with every other tool reading the org's log.
	DefaultInterval = time.Minute
	// DefaultPageSize is Okta's largest page, so catching up after an outage takes the fewest
	// rate-limited requests.
	DefaultPageSize = 1000
	// DefaultCursorName names the stored cursor. Give each org its own name when one store polls
	// several.
	DefaultCursorName = "okta-system-log"
	// MaxLookback is the furthest back Okta lets a query start (it answers 400 E0000053 beyond it).
	MaxLookback = 180 * 24 * time.Hour
	// maxPageSize is Okta's limit on the limit parameter.
	maxPageSize = 1000
)

// userAgent identifies trama's requests in the org's own System Log.
const userAgent = "trama"

// retryBase is the first delay after a failed poll; each consecutive failure doubles it up to four
// Intervals.
const retryBase = time.Second

// Poller fetches System Log events of the given types and feeds them into the store, where their uuid
// de-duplicates them against event-hook deliveries, so an event runs exactly once whichever way it
// came. A Poller must not be copied after first use; run one Poller per cursor.
type Poller struct {
	// Store receives the events and keeps the cursor. Required.
	Store Store
	// OrgURL is the org's base URL, e.g. https://example.okta.com. Required; http:// only for loopback
	// hosts such as the emulator, because the token would otherwise travel in clear text.
	OrgURL string
	// Token is an Okta API token (sent as "SSWS <token>") or a whole Authorization value with its
	// scheme ("Bearer …"). It never appears in logs or errors. Token or Auth is required.
	Token string
	// Auth authenticates the requests instead of Token: trama's Okta connection, an OAuth 2.0 service
	// app with the okta.logs.read scope (credential.New). Its tokens never appear in logs or errors.
	Auth runner.Authenticator
	// EventTypes are the event types to fetch, e.g. "user.mfa.factor.activate": the types the
	// triggers are bound to. Required, because polling every event type would fill the inbox with
	// events no trigger wants.
	EventTypes []string
	// Interval is the pause between polls once caught up. Default DefaultInterval.
	Interval time.Duration
	// Lookback is where the very first poll starts: since = Now() - Lookback. Once a cursor is stored
	// it is ignored. Default 0, start now: running flows for events from before trama was set up
	// would surprise people; raise it to pick up deliveries missed before the first start. At most
	// MaxLookback (and Okta keeps only 90 days).
	Lookback time.Duration
	// PageSize is the limit of each request, 1 to 1000. Default DefaultPageSize.
	PageSize int
	// HTTPClient sends the requests. Default: a client with a 60 s timeout (Okta stops a query after
	// 30 s) that follows no redirects, since Okta's API never redirects and a redirect is the one way
	// a request could leave the org.
	HTTPClient *http.Client
	// Logger receives progress and failures. Default slog.Default().
	Logger *slog.Logger
	// Metrics counts polled events as source "poll". Nil records nothing.
	Metrics *metrics.Metrics
	// Now is the clock for the first poll's since. Default time.Now.
	Now func() time.Time
	// CursorName names the stored cursor. Default DefaultCursorName.
	CursorName string

	// sleep waits between polls; tests replace it so that waits cost no real time.
	sleep func(ctx context.Context, d time.Duration) error
}

// defaultClient is the HTTPClient used when none is configured.
var defaultClient = &http.Client{
	Timeout: 60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// settings are a Poller's fields checked and with defaults applied.
type settings struct {
	store      Store
	metrics    *metrics.Metrics
	org        *url.URL
	auth       string
	authn      runner.Authenticator
	prepared   bool
	secrets    *secret.Set
	filter     string
	interval   time.Duration
	lookback   time.Duration
	pageSize   int
	client     *http.Client
	logger     *slog.Logger
	now        func() time.Time
	cursorName string
}

func (p *Poller) settings() (*settings, error) {
	c := &settings{
		store:      p.Store,
		metrics:    p.Metrics,
		interval:   p.Interval,
		lookback:   p.Lookback,
		pageSize:   p.PageSize,
		client:     p.HTTPClient,
		logger:     p.Logger,
		now:        p.Now,
		cursorName: p.CursorName,
		secrets:    &secret.Set{},
	}
	if c.store == nil {
		return nil, errors.New("backfill: Store is nil")
	}
	org, err := parseOrgURL(p.OrgURL)
	if err != nil {
		return nil, err
	}
	c.org = org
	c.authn = p.Auth
	if c.authn == nil && strings.TrimSpace(p.Token) == "" {
		return nil, errors.New("backfill: Token and Auth are empty; want an Okta API token or a service app")
	}
	if strings.ContainsFunc(p.Token, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return nil, errors.New("backfill: Token contains a control character")
	}
	if c.authn == nil {
		c.auth = authorization(p.Token)
		c.secrets.Add(p.Token, c.auth)
		if _, credential, ok := strings.Cut(p.Token, " "); ok {
			c.secrets.Add(strings.TrimSpace(credential))
		}
	}
	if c.filter, err = eventTypeFilter(p.EventTypes); err != nil {
		return nil, err
	}
	if c.interval <= 0 {
		c.interval = DefaultInterval
	}
	if c.lookback < 0 {
		c.lookback = 0
	}
	if c.lookback > MaxLookback {
		return nil, fmt.Errorf("backfill: Lookback %s is beyond Okta's limit of %s", c.lookback, MaxLookback)
	}
	switch {
	case c.pageSize == 0:
		c.pageSize = DefaultPageSize
	case c.pageSize < 0 || c.pageSize > maxPageSize:
		return nil, fmt.Errorf("backfill: PageSize %d: want 1 to %d", c.pageSize, maxPageSize)
	}
	if c.client == nil {
		c.client = defaultClient
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.cursorName == "" {
		c.cursorName = DefaultCursorName
	}
	return c, nil
}

// eventTypeFilter builds the SCIM filter `eventType eq "a" or eventType eq "b"`. Event types are dotted
// names; anything else is refused rather than quoted, so a typo cannot turn into a different filter.
func eventTypeFilter(types []string) (string, error) {
	if len(types) == 0 {
		return "", errors.New("backfill: EventTypes is empty; want the event types the triggers are bound to")
	}
	parts := make([]string, 0, len(types))
	for _, t := range types {
		if t == "" || strings.Trim(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
			return "", fmt.Errorf("backfill: event type %q: want a dotted name such as user.mfa.factor.activate", t)
		}
		parts = append(parts, `eventType eq "`+t+`"`)
	}
	return strings.Join(parts, " or "), nil
}

// Run polls, waits Interval, and repeats until ctx is done, then returns nil. A failed poll is logged
// and retried: after a 429 when Okta's rate-limit headers say, otherwise with a backoff that doubles
// from one second up to four Intervals (straight to four Intervals when the token is refused, since
// that needs a person). Run returns an error only when the Poller's configuration is invalid.
func (p *Poller) Run(ctx context.Context) error {
	c, err := p.settings()
	if err != nil {
		return err
	}
	sleep := p.sleep
	if sleep == nil {
		sleep = sleepContext
	}
	failures := 0
	for {
		_, err := c.poll(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := c.interval
		if err != nil {
			failures++
			wait = c.retryDelay(err, failures)
			c.logFailure(err, failures, wait)
		} else if failures > 0 {
			c.logger.Info("System Log polling recovered", "failures", failures)
			failures = 0
		}
		if sleep(ctx, wait) != nil {
			return nil
		}
	}
}

// Poll runs one round: it requests the page at the stored cursor (or, the first time, the events since
// Now() - Lookback), ingests the page and stores the page's next link as the cursor in the same
// IngestPolled transaction, and follows next links while pages are non-empty. It stops at the first
// empty page, keeping that page's next link as the cursor, which is where the next round resumes.
// ingested counts the events handed to the store, new and duplicate alike; pages stored before an
// error stay stored.
func (p *Poller) Poll(ctx context.Context) (ingested int, err error) {
	c, err := p.settings()
	if err != nil {
		return 0, err
	}
	return c.poll(ctx)
}

func (c *settings) poll(ctx context.Context) (int, error) {
	cursor, err := c.store.GetCursor(ctx, c.cursorName)
	if err != nil {
		return 0, fmt.Errorf("backfill: %w", err)
	}
	var u *url.URL
	if cursor == "" {
		u = c.firstURL()
	} else {
		if u, err = checkSameOrg(c.org, c.org, cursor); err != nil {
			return 0, fmt.Errorf("backfill: stored cursor %q: %w", c.cursorName, err)
		}
		c.applyConfig(u)
	}
	ingested := 0
	for {
		pg, err := c.fetch(ctx, u)
		if err != nil {
			return ingested, err
		}
		next := u
		if pg.next == "" {
			// Okta always sends next on a polling request. Without one, asking for the same page again
			// is the safe choice: its events come back as duplicates, none is skipped.
			c.logger.Warn("System Log page has no next link; the next poll repeats it", "url", displayURL(u))
		} else if next, err = checkSameOrg(c.org, u, pg.next); err != nil {
			return ingested, fmt.Errorf("backfill: GET %s: next %w", displayURL(u), err)
		}
		nextCursor := next.String()
		if len(pg.events) > 0 || nextCursor != cursor {
			res, err := c.store.IngestPolled(ctx, c.cursorName, nextCursor, pg.events)
			if err != nil {
				return ingested, fmt.Errorf("backfill: %w", err)
			}
			cursor = nextCursor
			ingested += len(pg.events)
			c.metrics.Events(string(store.SourcePoll), len(res.New), len(res.Duplicates), res.Quarantined)
			if len(pg.events) > 0 {
				c.logger.Info("polled System Log events", "events", len(pg.events), "new", len(res.New),
					"duplicates", len(res.Duplicates), "url", displayURL(u))
			}
		}
		if len(pg.events) == 0 || nextCursor == u.String() {
			return ingested, nil
		}
		u = next
	}
}

// firstURL is the polling request of the very first round.
func (c *settings) firstURL() *url.URL {
	q := url.Values{}
	q.Set("since", c.now().Add(-c.lookback).UTC().Format("2006-01-02T15:04:05.000Z"))
	q.Set("sortOrder", "ASCENDING")
	q.Set("limit", strconv.Itoa(c.pageSize))
	q.Set("filter", c.filter)
	u := *c.org
	u.Path = logsPath
	u.RawQuery = q.Encode()
	return &u
}

// applyConfig makes a stored cursor ask for the configured event types and page size. The position
// lives in Okta's opaque after parameter; filter and limit are ordinary parameters beside it, so a
// changed configuration takes effect without starting over (events of a newly added type that are
// older than the cursor are not fetched).
func (c *settings) applyConfig(u *url.URL) {
	q := u.Query()
	if q.Get("filter") == c.filter && q.Get("limit") == strconv.Itoa(c.pageSize) {
		return
	}
	if q.Get("filter") != c.filter {
		c.logger.Info("System Log event types changed; continuing from the stored cursor with the new filter",
			"cursor", c.cursorName, "filter", c.filter)
	}
	q.Set("filter", c.filter)
	q.Set("limit", strconv.Itoa(c.pageSize))
	u.RawQuery = q.Encode()
}

// retryDelay is how long Run waits after the failures-th consecutive failed poll.
func (c *settings) retryDelay(err error, failures int) time.Duration {
	limit := 4 * c.interval
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.StatusCode == http.StatusTooManyRequests && ae.RetryAfter > 0 {
			return ae.RetryAfter
		}
		if ae.tokenRefused() {
			return limit
		}
	}
	d := retryBase << min(failures-1, 20)
	return min(d, limit)
}

// logFailure reports a failed poll. A refused token needs a person, so it is an error at once; other
// failures are warnings until they persist, because a network blip or a 503 usually heals by itself.
func (c *settings) logFailure(err error, failures int, wait time.Duration) {
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.tokenRefused():
		c.logger.Error("the backfill token was refused", "status", ae.StatusCode, "errorCode", ae.ErrorCode,
			"errorSummary", ae.ErrorSummary, "url", ae.URL, "retryIn", wait)
	case errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests:
		c.logger.Warn("System Log rate limit reached", "errorCode", ae.ErrorCode, "url", ae.URL, "retryIn", wait)
	case failures < 3:
		c.logger.Warn("System Log poll failed", "err", c.secrets.Redact(err.Error()), "failures", failures, "retryIn", wait)
	default:
		c.logger.Error("System Log poll keeps failing", "err", c.secrets.Redact(err.Error()), "failures", failures, "retryIn", wait)
	}
}

// sleepContext waits d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
