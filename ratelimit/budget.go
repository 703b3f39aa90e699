// Package ratelimit holds Budget, an http.RoundTripper that keeps the requests of every run that shares
// it inside what the API's rate-limit headers say is left. Okta answers each request with
// X-Rate-Limit-Limit, -Remaining and -Reset (the Unix second the window resets) per endpoint, and since
// 2025 enforces its limits strictly: a burst of events must wait for the reset instead of turning into
// a storm of 429s and failed runs.
package ratelimit

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Budget tracks, per endpoint, the requests the API's last answer said are left in the current window,
// and holds a request back until the window resets when none is. A 429 that still comes (another client
// of the same org spent the budget) is waited out and the request sent again: the API refused it without
// acting on it. The zero value is ready to use.
type Budget struct {
	// Key names the endpoint a request counts against; nil means DefaultKey.
	Key func(*http.Request) string
	// OnWait, when set, is told each time a request waits for a window to reset, and for how long (for
	// metrics).
	OnWait func(key string, d time.Duration)
	// MaxResends bounds how often a request answered 429 is sent again; 0 means 3.
	MaxResends int

	mu      sync.Mutex
	windows map[string]*window
	now     func() time.Time // tests
}

// window is one endpoint's budget as the API last reported it, less the requests sent since.
type window struct {
	limit     int // requests per window (X-Rate-Limit-Limit); 0 when not said
	remaining int
	reset     time.Time
	// length is how long a window lasts, as far as the answers tell (a minute for Okta); it bounds the
	// guess of a new window's reset until an answer says it.
	length time.Duration
}

// DefaultKey counts a request against its host, method and path: the finest grain, right for APIs that
// limit per endpoint when paths carry no ids. Okta's keys come from OktaKey.
func DefaultKey(r *http.Request) string { return r.URL.Host + " " + r.Method + " " + r.URL.Path }

// Transport returns next (http.DefaultTransport when nil) wrapped in the budget.
func (b *Budget) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper{b: b, next: next}
}

type roundTripper struct {
	b    *Budget
	next http.RoundTripper
}

func (t roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	b := t.b
	key := b.key(req)
	maxResends := b.MaxResends
	if maxResends <= 0 {
		maxResends = 3
	}
	for resends := 0; ; resends++ {
		if err := b.take(req.Context(), key); err != nil {
			return nil, err
		}
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		wait := b.update(key, resp)
		if resp.StatusCode != http.StatusTooManyRequests || resends >= maxResends || wait <= 0 {
			return resp, nil
		}
		// Refused before it was acted on: send it again once the window resets, if the body can be.
		next, ok := rewind(req)
		if !ok {
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		req = next
	}
}

// take waits, when key's window has nothing left, until it resets, then counts one request against it.
func (b *Budget) take(ctx context.Context, key string) error {
	for {
		b.mu.Lock()
		w := b.windows[key]
		now := b.clock()
		if w != nil && !now.Before(w.reset) {
			if w.limit <= 0 {
				// A new window of unknown size: the next answer says it.
				delete(b.windows, key)
				w = nil
			} else {
				// A new window of the size the API last said, one window long; the next answer
				// corrects both.
				w.remaining = w.limit
				w.reset = now.Add(w.length)
			}
		}
		if w == nil || w.remaining > 0 {
			if w != nil {
				w.remaining--
			}
			b.mu.Unlock()
			return nil
		}
		wait := w.reset.Sub(now)
		b.mu.Unlock()
		if b.OnWait != nil {
			b.OnWait(key, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// update records what resp says of key's window and returns how long until it resets (0 when the
// answer has no rate-limit headers).
func (b *Budget) update(key string, resp *http.Response) time.Duration {
	remaining, err1 := strconv.Atoi(strings.TrimSpace(resp.Header.Get("X-Rate-Limit-Remaining")))
	resetAt, err2 := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("X-Rate-Limit-Reset")), 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	limit, _ := strconv.Atoi(strings.TrimSpace(resp.Header.Get("X-Rate-Limit-Limit")))
	now := b.clock()
	// The reset is on the server's clock: measure it from the answer's Date, as Okta's SDKs do, so a
	// skewed local clock neither waits too long nor sends too early.
	until := time.Unix(resetAt, 0).Sub(now)
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		until = time.Unix(resetAt, 0).Sub(d)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		remaining = 0
		// The reset is given in whole seconds: a refusal in the last fraction of a window may name a
		// second that has begun already. Wait for the next one rather than send again at once.
		until = max(until, time.Second)
	}
	if until < 0 {
		until = 0
	}
	reset := now.Add(until)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.windows == nil {
		b.windows = map[string]*window{}
	}
	w := b.windows[key]
	switch {
	case w == nil:
		b.windows[key] = &window{limit: limit, remaining: remaining, reset: reset, length: until}
	case reset.Sub(w.reset) > time.Second:
		// A window we had not seen: the answer is the best word on it. Its length is at least the
		// time from now to its reset.
		w.limit, w.remaining, w.reset, w.length = limit, remaining, reset, max(w.length, until)
	default:
		// Answers of one window arrive out of order: the smallest remaining is the latest word.
		w.remaining = min(w.remaining, remaining)
		w.limit = limit
	}
	return until
}

func (b *Budget) key(r *http.Request) string {
	if b.Key != nil {
		return b.Key(r)
	}
	return DefaultKey(r)
}

func (b *Budget) clock() time.Time {
	if b.now != nil {
		return b.now()
	}
	return time.Now()
}

// rewind returns a copy of req whose body can be sent again, or false when it cannot.
func rewind(req *http.Request) (*http.Request, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	next := req.Clone(req.Context())
	next.Body = body
	return next, true
}
