package emulator

import (
	"sync"
	"time"
)

// replayCache remembers one-time identifiers (the jti of client assertions and of DPoP proofs) for as
// long as the credential carrying them could still be accepted, so a second use within that time is
// refused. Time is the emulator's virtual clock, so advancing it also forgets identifiers.
type replayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time // identifier → when it may be forgotten
	// pruneAt is the size at which expired entries are swept, doubling with the live set so the sweep
	// costs amortised constant time per insert.
	pruneAt int
}

// first records key until the given time and reports whether it was unused.
func (c *replayCache) first(key string, until, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	if forget, ok := c.seen[key]; ok && now.Before(forget) {
		return false
	}
	if len(c.seen) >= c.pruneAt {
		for k, forget := range c.seen {
			if !now.Before(forget) {
				delete(c.seen, k)
			}
		}
		c.pruneAt = max(2*len(c.seen), 256)
	}
	c.seen[key] = until
	return true
}

// reset forgets everything (POST /emulator/v1/reset).
func (c *replayCache) reset() {
	c.mu.Lock()
	c.seen = nil
	c.pruneAt = 0
	c.mu.Unlock()
}
