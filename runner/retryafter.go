package runner

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxServerDelay caps a delay a server asks for, so a hostile or broken Retry-After cannot park a run for
// days; a step that needs longer should fail and be retried by whoever runs trama.
const maxServerDelay = 5 * time.Minute

// serverDelay returns how long the server asked the client to wait before retrying, if it did:
// Retry-After (seconds or an HTTP date) on any response, and on a 429 Okta's X-Rate-Limit-Reset (epoch
// seconds when the window resets), measured against the response's Date header when present so that
// clock skew between trama and the server does not matter. The spec says an HTTP Retry-After SHOULD
// overrule an action's retryAfter; this is that value.
func serverDelay(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	if v := strings.TrimSpace(resp.Header.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
			return clampDelay(time.Duration(secs * float64(time.Second))), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return clampDelay(t.Sub(serverNow(resp, now))), true
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if v := strings.TrimSpace(resp.Header.Get("X-Rate-Limit-Reset")); v != "" {
			if epoch, err := strconv.ParseInt(v, 10, 64); err == nil {
				return clampDelay(time.Unix(epoch, 0).Sub(serverNow(resp, now))), true
			}
		}
	}
	return 0, false
}

func serverNow(resp *http.Response, now time.Time) time.Time {
	if d := resp.Header.Get("Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			return t
		}
	}
	return now
}

func clampDelay(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	if d > maxServerDelay {
		return maxServerDelay
	}
	return d
}
