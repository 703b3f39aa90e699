package emulator

import (
	"sync"
	"time"
)

// bucket is the fixed-window counter of one endpoint. Okta counts requests per endpoint per minute and
// reports the window in the X-Rate-Limit-* headers; a fixed window reproduces those headers exactly.
type bucket struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	start  time.Time
	used   int
}

// take counts one request at now. It returns the requests left in the window, the window's end, and
// whether the request is allowed.
func (b *bucket) take(now time.Time) (remaining int, reset time.Time, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.start) >= b.window || now.Before(b.start) {
		b.start = now.Truncate(b.window)
		b.used = 0
	}
	reset = b.start.Add(b.window)
	if b.used >= b.limit {
		return 0, reset, false
	}
	b.used++
	return b.limit - b.used, reset, true
}

func (b *bucket) reset() {
	b.mu.Lock()
	b.used = 0
	b.start = time.Time{}
	b.mu.Unlock()
}
