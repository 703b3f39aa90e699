package emulator

import (
	"sync/atomic"
	"time"
)

// Clock is the emulator's single source of time: the machine's clock plus an offset that tests move
// forward with POST /emulator/v1/clock. TOTP windows, one-time-code lifetimes, push expiry, rate-limit
// windows, System Log timestamps and the Date header all read it, so advancing it by 90 s makes every
// time-dependent rule behave as if 90 s had passed.
//
// The zero value is ready to use and follows the machine's clock. A Clock is safe for concurrent use.
type Clock struct {
	offset atomic.Int64 // nanoseconds
	// Base, when set, replaces time.Now as the underlying clock; tests use it to pin time.
	Base func() time.Time
}

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	base := time.Now
	if c.Base != nil {
		base = c.Base
	}
	return base().Add(time.Duration(c.offset.Load()))
}

// Advance moves the clock forward by d. A negative d is refused (it returns false) because Okta's
// limits and replay checks assume time never runs backwards.
func (c *Clock) Advance(d time.Duration) bool {
	if d < 0 {
		return false
	}
	c.offset.Add(int64(d))
	return true
}

// Offset returns how far the clock has been advanced in total.
func (c *Clock) Offset() time.Duration { return time.Duration(c.offset.Load()) }

func (c *Clock) setOffset(d time.Duration) { c.offset.Store(int64(d)) }
