package okta

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateLimitWait is how long Okta asks a client to wait after a 429: X-Rate-Limit-Reset (epoch seconds)
// minus the response's Date header, never less than one second (both are whole seconds, and a retry in
// the same second would only be refused again) and never more than an hour. Both come from Okta's
// clock, so the wait is right even when the local clock is not. Zero when either header is missing.
func RateLimitWait(h http.Header) time.Duration {
	reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-Rate-Limit-Reset")), 10, 64)
	if err != nil {
		return 0
	}
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return 0
	}
	// Clamp before converting so an absurd reset cannot overflow time.Duration.
	secs := reset - date.Unix()
	const maxWait = int64(time.Hour / time.Second)
	switch {
	case secs < 1:
		secs = 1
	case secs > maxWait:
		secs = maxWait
	}
	return time.Duration(secs) * time.Second
}
