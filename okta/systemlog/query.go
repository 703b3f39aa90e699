package systemlog

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Query holds the parameters of GET /api/v1/logs.
type Query struct {
	// Since is the inclusive lower bound on published. Zero means Until minus 7 days, Okta's default.
	// It may not be more than 180 days before Now, and may not be combined with After.
	Since time.Time
	// Until is the exclusive upper bound on published. Zero with ascending order makes the request a
	// polling request; zero with descending order means Now.
	Until time.Time
	// After is the opaque cursor from a previous Page.NextAfter.
	After string
	// Filter is a SCIM expression over the event's JSON attributes; see ParseFilter.
	Filter string
	// Q is up to 10 white-space-separated keywords of at most 40 characters; every one must occur.
	Q string
	// Limit is the page size, 0 to 1000. Without LimitSet it is 100, Okta's default.
	Limit    int
	LimitSet bool
	// SortOrder is ASCENDING (the default) or DESCENDING.
	SortOrder string
	// Now is the emulator's clock; zero means time.Now(). It matters for the 180-day rule and the
	// default bounds.
	Now time.Time
}

// Page is one page of a query. HasNext says whether the response carries a rel="next" link whose
// after parameter is NextAfter. A polling request always has a next page, even when this one is
// empty: the next page returns events appended later.
type Page struct {
	Events    []okta.LogEvent
	NextAfter string
	HasNext   bool
}

// Okta's limits for GET /api/v1/logs.
const (
	DefaultLimit   = 100
	MaxLimit       = 1000
	defaultWindow  = 7 * 24 * time.Hour
	maxSinceWindow = 180 * 24 * time.Hour
)

// Sort orders accepted in Query.SortOrder.
const (
	Ascending  = "ASCENDING"
	Descending = "DESCENDING"
)

// Polling reports whether q is a polling request: no until and ascending order.
func (q Query) Polling() bool {
	return q.Until.IsZero() && !strings.EqualFold(q.SortOrder, Descending)
}

// ParseQuery reads the query parameters of GET /api/v1/logs. Malformed dates and numbers are 400
// E0000001 with an errorCause naming the parameter, as Okta reports them; the remaining rules are
// checked by Log.Query.
func ParseQuery(v url.Values) (Query, error) {
	var q Query
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		t, err := parseTime(s)
		if err != nil {
			return Query{}, okta.NewError("E0000001", "Api validation failed: "+p.name,
				p.name+": The date format in your query is not recognized. Please enter dates using ISO8601 string format.")
		}
		*p.dst = t
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return Query{}, okta.NewError("E0000001", "Api validation failed: limit", "limit: "+strconv.Quote(s)+" is not a number.")
		}
		q.Limit, q.LimitSet = n, true
	}
	q.After = v.Get("after")
	q.Filter = v.Get("filter")
	q.Q = v.Get("q")
	q.SortOrder = v.Get("sortOrder")
	return q, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("parse time %q", s)
}

// plan is a validated Query.
type plan struct {
	polling    bool
	descending bool
	sinceMs    int64
	untilMs    int64
	limit      int
	after      *cursor
	filter     *Filter
	keywords   keywords
}

func (q Query) plan() (plan, error) {
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	p := plan{limit: DefaultLimit}
	switch strings.ToUpper(q.SortOrder) {
	case "", Ascending:
	case Descending:
		p.descending = true
	default:
		return plan{}, okta.NewError("E0000053", fmt.Sprintf("Invalid parameter: sortOrder %q is neither ASCENDING nor DESCENDING.", q.SortOrder))
	}
	p.polling = q.Until.IsZero() && !p.descending
	if q.LimitSet {
		if q.Limit < 0 || q.Limit > MaxLimit {
			return plan{}, okta.NewError("E0000053", fmt.Sprintf("Invalid parameter: limit %d is not between 0 and %d.", q.Limit, MaxLimit))
		}
		p.limit = q.Limit
	}
	if q.After != "" && !q.Since.IsZero() {
		return plan{}, okta.NewError("E0000053", "Invalid parameter: since and after are mutually exclusive.")
	}
	until := q.Until
	if until.IsZero() {
		until = now
	}
	since := q.Since
	if since.IsZero() {
		since = until.Add(-defaultWindow)
	} else if since.Before(now.Add(-maxSinceWindow)) {
		return plan{}, okta.NewError("E0000053", "Invalid parameter: The since parameter is over 180 days prior to the current day.")
	}
	if !p.polling && !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		return plan{}, okta.NewError("E0000053", "Invalid parameter: until is before since.")
	}
	p.sinceMs, p.untilMs = since.UnixMilli(), until.UnixMilli()
	if q.After != "" {
		c, err := parseCursor(q.After)
		if err != nil {
			return plan{}, okta.NewError("E0000053", "Invalid parameter: "+err.Error())
		}
		p.after = &c
		switch {
		case p.polling:
			p.sinceMs = c.ms
		case !p.descending:
			// The position is past the original since, which the next link no longer carries.
			p.sinceMs = math.MinInt64
		case c.hasSince:
			p.sinceMs = c.sinceMs
		}
	}
	if q.Filter != "" {
		f, err := ParseFilter(q.Filter)
		if err != nil {
			return plan{}, okta.NewError("E0000053", fmt.Sprintf("Invalid filter '%s': %v", q.Filter, err))
		}
		if err := checkLogFilter(f); err != nil {
			return plan{}, err
		}
		p.filter = f
	}
	if q.Q != "" {
		k, err := parseKeywords(q.Q)
		if err != nil {
			return plan{}, okta.NewError("E0000001", "Api validation failed: q", err.Error())
		}
		p.keywords = k
	}
	return p, nil
}

// checkLogFilter refuses what Okta's System Log refuses although the SCIM grammar allows it.
func checkLogFilter(f *Filter) error {
	var err error
	f.Walk(func(attr string, op Operator) bool {
		switch {
		case attr == "published":
			err = okta.NewError("E0000053", fmt.Sprintf("Invalid filter '%s': published may not be filtered; use since and until", f.String()))
		case op == OpCo && (attr == "debugContext.debugData.url" || attr == "debugContext.debugData.requestUri"):
			err = okta.NewError("E0000031", "The supplied combination of operator and field is not currently supported. Operator: co, Field: "+attr)
		}
		return err == nil
	})
	return err
}

func (p *plan) match(e *okta.LogEvent) bool {
	if p.filter != nil && !p.filter.MatchEvent(e) {
		return false
	}
	return len(p.keywords) == 0 || p.keywords.matchEvent(e)
}

// Query runs q. Errors are *okta.Error values carrying Okta's codes: E0000053 for an invalid filter or
// parameter, E0000031 for co on debugContext.debugData.url or requestUri, E0000001 for a bad q.
func (l *Log) Query(q Query) (Page, error) {
	p, err := q.plan()
	if err != nil {
		return Page{}, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if p.polling {
		return l.poll(&p), nil
	}
	return l.bounded(&p), nil
}

// poll returns events in persistence order. Its cursor records the last event examined, not only the
// last returned, so the next poll does not rescan events this filter already rejected.
func (l *Log) poll(p *plan) Page {
	page := Page{HasNext: true, Events: []okta.LogEvent{}}
	start := 0
	last := int64(0)
	if p.after != nil {
		last = p.after.seq
		start = sort.Search(l.entries.len(), func(i int) bool { return l.entries.at(i).seq > last })
	} else if l.entries.len() > 0 {
		last = l.entries.at(0).seq - 1
	} else {
		last = l.lastSeq
	}
	for i := start; i < l.entries.len() && len(page.Events) < p.limit; i++ {
		e := l.entries.at(i)
		last = e.seq
		if e.pubMs >= p.sinceMs && p.match(&e.event) {
			page.Events = append(page.Events, e.event)
		}
	}
	page.NextAfter = cursor{ms: p.sinceMs, seq: last}.String()
	return page
}

// bounded returns events with since <= published < until in published order, ascending or
// descending; the last page has no next link.
func (l *Log) bounded(p *plan) Page {
	idx := l.ordered()
	n := l.entries.len()
	if idx != nil {
		n = min(n, len(idx))
	}
	at := func(i int) *entry {
		if idx != nil {
			return l.entries.at(idx[i])
		}
		return l.entries.at(i)
	}
	page := Page{Events: []okta.LogEvent{}}
	var lastKey key
	var have bool
	if !p.descending {
		from := key{pubMs: p.sinceMs, seq: -1}
		if p.after != nil {
			from = key{pubMs: p.after.ms, seq: p.after.seq}
		}
		i := sort.Search(n, func(i int) bool { return at(i).key().compare(from) > 0 })
		for ; i < n; i++ {
			e := at(i)
			if e.pubMs >= p.untilMs {
				break
			}
			if e.pubMs < p.sinceMs || !p.match(&e.event) {
				continue
			}
			if len(page.Events) == p.limit {
				page.HasNext = true
				break
			}
			page.Events = append(page.Events, e.event)
			lastKey, have = e.key(), true
		}
		if page.HasNext {
			if !have {
				lastKey = from
			}
			page.NextAfter = cursor{ms: lastKey.pubMs, seq: lastKey.seq}.String()
		}
		return page
	}
	from := key{pubMs: p.untilMs, seq: -1}
	if p.after != nil {
		from = key{pubMs: p.after.ms, seq: p.after.seq}
	}
	i := sort.Search(n, func(i int) bool { return at(i).key().compare(from) >= 0 }) - 1
	for ; i >= 0; i-- {
		e := at(i)
		if e.pubMs < p.sinceMs {
			break
		}
		if e.pubMs >= p.untilMs || !p.match(&e.event) {
			continue
		}
		if len(page.Events) == p.limit {
			page.HasNext = true
			break
		}
		page.Events = append(page.Events, e.event)
		lastKey, have = e.key(), true
	}
	if page.HasNext {
		if !have {
			lastKey = from
		}
		page.NextAfter = cursor{ms: lastKey.pubMs, seq: lastKey.seq, sinceMs: p.sinceMs, hasSince: true}.String()
	}
	return page
}
