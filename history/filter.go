package history

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trama-dev/trama/store"
)

// The listings' query parameters, read the same way by the HTTP API and the console, so a filtered
// console page and an API call with the same query show the same runs.

// maxFilterValue bounds one filter value: ids, logins, names and times are far shorter.
const maxFilterValue = 256

// ParseRunFilter reads a runs listing's query: status, trigger, workflow, event (uuid), user (an Okta
// user id or login), since and until (times, see ParseTime), limit and after (the cursor). Empty values
// are ignored. Errors name the parameter and say what it takes.
func ParseRunFilter(q url.Values) (store.RunFilter, error) {
	var f store.RunFilter
	var err error
	if f.Page, err = parsePage(q); err != nil {
		return f, err
	}
	get := func(name string) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = value(q, name)
		return v
	}
	f.Status = store.RunStatus(get("status"))
	f.Trigger, f.Workflow, f.EventUUID, f.User = get("trigger"), get("workflow"), get("event"), get("user")
	since, until := get("since"), get("until")
	if err != nil {
		return f, err
	}
	if f.Status != "" && !f.Status.Valid() {
		return f, fmt.Errorf("status %q: want one of %s", f.Status, joinStatuses())
	}
	if f.Since, f.Until, err = parseRange(since, until); err != nil {
		return f, err
	}
	return f, nil
}

// ParseEventFilter reads an events listing's query: type, source (hook, poll), user, outcome (ran,
// skipped, duplicate, pending, none), since and until (bounds of the published time), limit and after.
func ParseEventFilter(q url.Values) (store.EventFilter, error) {
	var f store.EventFilter
	var err error
	if f.Page, err = parsePage(q); err != nil {
		return f, err
	}
	get := func(name string) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = value(q, name)
		return v
	}
	f.Type, f.User = get("type"), get("user")
	f.Source, f.Outcome = store.Source(get("source")), store.EventOutcome(get("outcome"))
	since, until := get("since"), get("until")
	if err != nil {
		return f, err
	}
	if f.Source != "" && f.Source != store.SourceHook && f.Source != store.SourcePoll {
		return f, fmt.Errorf("source %q: want hook or poll", f.Source)
	}
	if f.Outcome != "" && !f.Outcome.Valid() {
		outcomes := make([]string, len(store.EventOutcomes))
		for i, o := range store.EventOutcomes {
			outcomes[i] = string(o)
		}
		return f, fmt.Errorf("outcome %q: want one of %s", f.Outcome, strings.Join(outcomes, ", "))
	}
	if f.Since, f.Until, err = parseRange(since, until); err != nil {
		return f, err
	}
	return f, nil
}

// value is one query parameter, trimmed; a parameter given twice or too long is an error rather than a
// silent choice.
func value(q url.Values, name string) (string, error) {
	vs := q[name]
	if len(vs) == 0 {
		return "", nil
	}
	if len(vs) > 1 {
		return "", fmt.Errorf("%s is given %d times; give it once", name, len(vs))
	}
	v := strings.TrimSpace(vs[0])
	if len(v) > maxFilterValue {
		return "", fmt.Errorf("%s is %d bytes long; at most %d", name, len(v), maxFilterValue)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%s holds a control character", name)
		}
	}
	return v, nil
}

func parsePage(q url.Values) (store.Page, error) {
	var p store.Page
	after, err := value(q, "after")
	if err != nil {
		return p, err
	}
	p.After = after
	l, err := value(q, "limit")
	if err != nil || l == "" {
		return p, err
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 {
		return p, errors.New("limit: want a positive integer")
	}
	p.Limit = n
	return p, nil
}

func parseRange(since, until string) (time.Time, time.Time, error) {
	var s, u time.Time
	var err error
	if since != "" {
		if s, err = ParseTime(since); err != nil {
			return s, u, fmt.Errorf("since: %w", err)
		}
	}
	if until != "" {
		if u, err = ParseTime(until); err != nil {
			return s, u, fmt.Errorf("until: %w", err)
		}
	}
	if !s.IsZero() && !u.IsZero() && !s.Before(u) {
		return s, u, fmt.Errorf("since %s is not before until %s", since, until)
	}
	return s, u, nil
}

// timeLayouts are the forms ParseTime accepts without a zone, read as UTC: what a browser's date and
// datetime-local fields send, with and without seconds.
var timeLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// ParseTime reads a filter's time: RFC 3339 (2026-11-22T07:00:00Z, with any offset), a date and time
// without a zone, which is UTC (2026-11-22T07:00, 2026-11-22), or an age before now (90m, 24h).
func ParseTime(s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(-d).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want 2026-11-22T07:00:00Z, 2026-11-22T07:00 (UTC), 2026-11-22 or an age such as 24h", s)
}

func joinStatuses() string {
	out := make([]string, len(store.RunStatuses))
	for i, s := range store.RunStatuses {
		out[i] = string(s)
	}
	return strings.Join(out, ", ")
}
