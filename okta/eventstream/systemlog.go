package eventstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/runner"
)

// Defaults for SystemLog fields left zero.
const (
	// DefaultInterval is how often a waiting step asks the System Log again, at most. The first queries
	// come sooner (250 ms, then doubling), because a person approving on a phone or an event Okta
	// persists within a second should not wait a whole interval; a filtered query every two seconds then
	// stays far inside the System Log API's rate limit.
	DefaultInterval = 2 * time.Second
	// firstInterval is the wait after the first query.
	firstInterval = 250 * time.Millisecond
	// DefaultTimeout bounds a receive step that sets no timeout of its own: a user who never approves
	// should not hold a script forever.
	DefaultTimeout = 5 * time.Minute
)

// maxPage caps one System Log response; a filtered page of up to 1000 events is far smaller.
const maxPage = 32 << 20

// clockSkew is how far before the run's start (this machine's clock) the query begins, because events
// carry Okta's clock: an event published just after the run started must not be missed when this clock
// runs a little ahead. Correlation keeps out the older events this lets in.
const clockSkew = 2 * time.Second

// pageLimit is the limit each query asks for, the System Log API's maximum.
const pageLimit = 1000

// sinceLayout is how since is written: UTC with milliseconds, as Okta writes published.
const sinceLayout = "2006-01-02T15:04:05.000Z"

// SystemLog is the Messenger of Okta's event stream in trama run: a receive step polls GET
// /api/v1/logs of the org at the channel's URL (the source's server, or --server NAME=URL), asking for
// the channel's event type and, when the step correlates by target, the target's id, published since
// the step started. Events come back oldest first; the first that correlates is the message.
//
// The step's header parameters (Authorization: SSWS …) are sent with each request, and Auth, when set,
// authenticates them instead (an OAuth service app with okta.logs.read). The zero value works.
type SystemLog struct {
	// HTTPClient sends the requests; nil uses http.DefaultClient.
	HTTPClient *http.Client
	// Auth authenticates the requests, replacing the step's Authorization header; nil sends the step's.
	Auth runner.Authenticator
	// Interval is the wait between two queries; 0 means DefaultInterval.
	Interval time.Duration
	// Timeout bounds a step without a timeout of its own; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Send refuses: Okta's event stream is written by Okta.
func (s *SystemLog) Send(_ context.Context, ch runner.Channel, _ runner.Message) error {
	return fmt.Errorf("channel %s is Okta's event stream: Okta publishes to it, a workflow can only receive (action: receive)", ch)
}

// Receive polls until an event correlates, the step's timeout passes (runner.ErrNoMessage) or ctx ends.
func (s *SystemLog) Receive(ctx context.Context, r runner.Receive) (runner.Message, error) {
	base, err := url.Parse(strings.TrimRight(r.Channel.URL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return runner.Message{}, fmt.Errorf("channel %s: the Okta org URL %q is not an http(s) URL; give it with --server %s=https://your-org.okta.com",
			r.Channel, r.Channel.URL, r.Channel.Source)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = s.Timeout
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	interval := s.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	u := *base
	u.Path += "/api/v1/logs"
	since := r.Since.Add(-clockSkew).UTC().Truncate(time.Millisecond)
	q := url.Values{"since": {since.Format(sinceLayout)}, "sortOrder": {"ASCENDING"}, "limit": {fmt.Sprint(pageLimit)}}
	if f := filter(r); f != "" {
		q.Set("filter", f)
	}
	u.RawQuery = q.Encode()
	seen := map[string]bool{}
	next := min(firstInterval, interval)
	for {
		wait := next
		next = min(2*next, interval)
		events, retry, err := s.fetch(ctx, &u, r)
		if err != nil {
			return runner.Message{}, err
		}
		if retry > 0 {
			wait = retry
		}
		last := since
		for _, raw := range events {
			ev, err := Event(raw)
			if err != nil {
				continue
			}
			if ev.Published.After(last) {
				last = ev.Published.UTC()
			}
			if seen[ev.UUID] {
				continue
			}
			seen[ev.UUID] = true
			m, err := Message(r.Channel.Address, raw)
			if err != nil {
				continue
			}
			if Correlates(r, ev, m) {
				return m, nil
			}
		}
		if len(events) >= pageLimit && last.After(since) {
			// A full page: the events after it are on the next one. Ask again at once from the last
			// event's time (since is inclusive; seen skips the events asked for twice), or the same
			// page would come back until the timeout.
			since = last.Truncate(time.Millisecond)
			q.Set("since", since.Format(sinceLayout))
			u.RawQuery = q.Encode()
			wait = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return runner.Message{}, ctx.Err()
		case <-deadline.C:
			t.Stop()
			return runner.Message{}, fmt.Errorf("%w: %s within %s on %s", runner.ErrNoMessage, Describe(r), timeout, r.Channel)
		case <-t.C:
		}
	}
}

// filter is the System Log filter that narrows the query to what the step can accept: the channel's
// event type and, when the step correlates by target id, that id. Values are quoted only when they are
// plain, so a correlation value cannot turn into a different filter.
func filter(r runner.Receive) string {
	var parts []string
	if t := EventType(r.Channel.Address); t != "*" && plain(t) {
		parts = append(parts, `eventType eq "`+t+`"`)
	}
	if r.Correlation != "" && r.CorrelationLocation == "" && plain(r.Correlation) {
		parts = append(parts, `target.id eq "`+r.Correlation+`"`)
	}
	return strings.Join(parts, " and ")
}

func plain(s string) bool {
	return !strings.ContainsFunc(s, func(c rune) bool { return c == '"' || c == '\\' || c < ' ' || c == 0x7f })
}

// fetch asks for one page. A 429 is not an error: it returns how long Okta asks to wait.
func (s *SystemLog) fetch(ctx context.Context, u *url.URL, r runner.Receive) ([]json.RawMessage, time.Duration, error) {
	shown := u.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", shown, err)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	req.Header.Set("Accept", "application/json")
	if s.Auth != nil {
		sec := runner.Security{Source: r.Channel.Source, Method: http.MethodGet, Path: "/api/v1/logs", ServerURL: r.Channel.URL}
		if err := s.Auth.Prepare(ctx, []runner.Security{sec}); err != nil {
			return nil, 0, fmt.Errorf("GET %s: %s: %w", shown, s.Auth, err)
		}
		if _, err := s.Auth.Authenticate(ctx, req, sec); err != nil {
			return nil, 0, fmt.Errorf("GET %s: %s: %w", shown, s.Auth, err)
		}
	}
	client := s.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, fmt.Errorf("GET %s: %w", shown, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxPage+1))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: read body: %w", shown, err)
	}
	switch {
	case res.StatusCode == http.StatusTooManyRequests:
		wait := okta.RateLimitWait(res.Header)
		if wait == 0 {
			wait = DefaultInterval
		}
		return nil, wait, nil
	case res.StatusCode != http.StatusOK:
		var oe struct{ ErrorCode, ErrorSummary string }
		_ = json.Unmarshal(body, &oe)
		msg := fmt.Sprintf("GET %s: %s", shown, res.Status)
		if oe.ErrorCode != "" {
			msg += fmt.Sprintf(" %s (%s)", oe.ErrorCode, truncate(oe.ErrorSummary, 200))
		}
		if res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden {
			msg += "; the receive step reads the System Log with its Authorization header parameter or the source's credential, which needs okta.logs.read"
		}
		return nil, 0, errors.New(msg)
	case len(body) > maxPage:
		return nil, 0, fmt.Errorf("GET %s: response larger than %d bytes", shown, maxPage)
	}
	var events []json.RawMessage
	if err := json.Unmarshal(body, &events); err != nil {
		return nil, 0, fmt.Errorf("GET %s: not a list of System Log events: %w", shown, err)
	}
	return events, 0, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…" // a cut inside a character drops its bytes
}

// Describe says which event a receive step waited for, for its timeout error.
func Describe(r runner.Receive) string {
	what := "no event"
	if t := EventType(r.Channel.Address); t != "*" {
		what = "no " + t + " event"
	}
	if r.Correlation != "" {
		what += fmt.Sprintf(" correlated with %q", r.Correlation)
	}
	return what
}
