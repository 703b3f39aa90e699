package systemlog

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/okta"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func event(id string, typ string, published time.Time) okta.LogEvent {
	return okta.LogEvent{
		UUID: id, EventType: typ, Published: okta.Time{Time: published}, Version: "0", Severity: "INFO",
		Outcome: &okta.Outcome{Result: "SUCCESS"},
		Target:  []okta.Target{{ID: "00u" + id, Type: "User"}},
	}
}

func uuids(events []okta.LogEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.UUID
	}
	return out
}

func mustQuery(t *testing.T, l *Log, q Query) Page {
	t.Helper()
	p, err := l.Query(q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	return p
}

func TestPollingReturnsPersistenceOrderAndAlwaysHasNext(t *testing.T) {
	l := New()
	now := t0.Add(time.Hour)
	// e2 is persisted after e3 but published before it: polling keeps persistence order.
	l.Append(event("e1", "user.lifecycle.create", t0), event("e3", "user.lifecycle.activate", t0.Add(2*time.Second)),
		event("e2", "user.mfa.factor.activate", t0.Add(time.Second)))

	p := mustQuery(t, l, Query{Since: t0, Limit: 2, LimitSet: true, Now: now})
	if got := uuids(p.Events); !slices.Equal(got, []string{"e1", "e3"}) || !p.HasNext {
		t.Fatalf("page 1 = %v next=%v, want [e1 e3] with next", got, p.HasNext)
	}
	p = mustQuery(t, l, Query{After: p.NextAfter, Limit: 2, LimitSet: true, Now: now})
	if got := uuids(p.Events); !slices.Equal(got, []string{"e2"}) || !p.HasNext {
		t.Fatalf("page 2 = %v next=%v, want [e2] with next", got, p.HasNext)
	}
	empty := mustQuery(t, l, Query{After: p.NextAfter, Now: now})
	if len(empty.Events) != 0 || !empty.HasNext || empty.NextAfter == "" {
		t.Fatalf("caught-up poll = %v next=%v %q, want empty page with a next cursor", uuids(empty.Events), empty.HasNext, empty.NextAfter)
	}
	l.Append(event("e4", "user.lifecycle.suspend", t0.Add(3*time.Second)))
	p = mustQuery(t, l, Query{After: empty.NextAfter, Now: now})
	if got := uuids(p.Events); !slices.Equal(got, []string{"e4"}) {
		t.Fatalf("poll after append = %v, want [e4]", got)
	}
}

func TestPollingOnEmptyLogSeesLaterEvents(t *testing.T) {
	l := New()
	p := mustQuery(t, l, Query{Since: t0, Now: t0})
	if len(p.Events) != 0 || !p.HasNext {
		t.Fatalf("empty log poll = %v next=%v", uuids(p.Events), p.HasNext)
	}
	l.Append(event("old", "x.y", t0.Add(-time.Hour)), event("new", "x.y", t0.Add(time.Second)))
	p = mustQuery(t, l, Query{After: p.NextAfter, Now: t0})
	// since travels in the cursor: the event published before since stays out.
	if got := uuids(p.Events); !slices.Equal(got, []string{"new"}) {
		t.Fatalf("poll = %v, want [new]", got)
	}
}

func TestPollingWithFilterSkipsRejectedEventsOnce(t *testing.T) {
	l := New()
	for i := range 10 {
		typ := "user.lifecycle.create"
		if i%3 == 0 {
			typ = "user.mfa.factor.activate"
		}
		l.Append(event(fmt.Sprint(i), typ, t0.Add(time.Duration(i)*time.Second)))
	}
	var got []string
	q := Query{Since: t0, Filter: `eventType eq "user.mfa.factor.activate"`, Limit: 1, LimitSet: true, Now: t0}
	for range 6 {
		p := mustQuery(t, l, q)
		got = append(got, uuids(p.Events)...)
		q.Since, q.After = time.Time{}, p.NextAfter
	}
	if !slices.Equal(got, []string{"0", "3", "6", "9"}) {
		t.Fatalf("filtered polling = %v, want [0 3 6 9]", got)
	}
}

func TestBoundedPagesInPublishedOrder(t *testing.T) {
	l := New()
	// Persisted out of published order; bounded requests sort by published.
	l.Append(event("c", "t", t0.Add(3*time.Second)), event("a", "t", t0.Add(1*time.Second)),
		event("d", "t", t0.Add(4*time.Second)), event("b", "t", t0.Add(2*time.Second)),
		event("late", "t", t0.Add(time.Hour)), event("early", "t", t0.Add(-time.Hour)))
	now := t0.Add(2 * time.Hour)
	for _, tt := range []struct {
		order string
		want  []string
	}{
		{"ASCENDING", []string{"a", "b", "c", "d"}},
		{"DESCENDING", []string{"d", "c", "b", "a"}},
	} {
		t.Run(tt.order, func(t *testing.T) {
			var got []string
			q := Query{Since: t0, Until: t0.Add(10 * time.Second), Limit: 3, LimitSet: true, SortOrder: tt.order, Now: now}
			pages := 0
			for {
				p := mustQuery(t, l, q)
				pages++
				got = append(got, uuids(p.Events)...)
				if !p.HasNext {
					break
				}
				if pages > 5 {
					t.Fatal("bounded query never ended")
				}
				q.Since, q.After = time.Time{}, p.NextAfter
			}
			if !slices.Equal(got, tt.want) || pages != 2 {
				t.Fatalf("got %v in %d pages, want %v in 2", got, pages, tt.want)
			}
		})
	}
}

func TestBoundedPagesKeepAnOldSince(t *testing.T) {
	l := New()
	now := t0
	l.Append(event("a", "t", now.Add(-20*24*time.Hour)), event("b", "t", now.Add(-19*24*time.Hour)))
	for _, order := range []string{"ASCENDING", "DESCENDING"} {
		q := Query{Since: now.Add(-30 * 24 * time.Hour), Until: now, Limit: 1, LimitSet: true, SortOrder: order, Now: now}
		var got []string
		for range 3 {
			p := mustQuery(t, l, q)
			got = append(got, uuids(p.Events)...)
			if !p.HasNext {
				break
			}
			// The next link replaces since with after; the default since (until - 7 days) must not apply.
			q.Since, q.After = time.Time{}, p.NextAfter
		}
		if len(got) != 2 {
			t.Errorf("%s: got %v across pages, want both events older than 7 days", order, got)
		}
	}
}

func TestBoundedExactPageHasNoNext(t *testing.T) {
	l := New()
	l.Append(event("a", "t", t0), event("b", "t", t0.Add(time.Second)))
	p := mustQuery(t, l, Query{Since: t0, Until: t0.Add(time.Minute), Limit: 2, LimitSet: true, Now: t0})
	if len(p.Events) != 2 || p.HasNext {
		t.Fatalf("got %v next=%v, want 2 events and no next", uuids(p.Events), p.HasNext)
	}
}

func TestDescendingDefaultsUntilToNow(t *testing.T) {
	l := New()
	l.Append(event("a", "t", t0.Add(-time.Minute)), event("future", "t", t0.Add(time.Minute)),
		event("old", "t", t0.Add(-8*24*time.Hour)))
	p := mustQuery(t, l, Query{SortOrder: "DESCENDING", Now: t0})
	if got := uuids(p.Events); !slices.Equal(got, []string{"a"}) || p.HasNext {
		t.Fatalf("got %v next=%v, want [a] (7-day window ending now) and no next", got, p.HasNext)
	}
}

func TestKeywordSearch(t *testing.T) {
	l := New()
	a := event("a", "user.session.start", t0)
	a.DisplayMessage = "User login to Okta"
	a.Actor = &okta.Actor{AlternateID: "jo-doe@example.com"}
	b := event("b", "user.lifecycle.create", t0)
	b.DisplayMessage = "Create okta user"
	l.Append(a, b)
	for _, tt := range []struct {
		q    string
		want []string
	}{
		{"okta", []string{"a", "b"}},
		{"OKTA login", []string{"a"}},
		{"jo", []string{"a"}},                 // hyphenated value matches its parts
		{"doe@example.com", []string{"a"}},    // and the last part
		{"jo-doe@example.com", []string{"a"}}, // and the whole
		{"log", []string{}},                   // keywords match whole words, not substrings
		{"create user", []string{"b"}},
	} {
		p := mustQuery(t, l, Query{Q: tt.q, Now: t0})
		if got := uuids(p.Events); !slices.Equal(got, tt.want) {
			t.Errorf("q=%q: got %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestQueryErrors(t *testing.T) {
	l := New()
	now := t0
	long := "abcdefghijabcdefghijabcdefghijabcdefghijX"
	tests := []struct {
		name string
		q    Query
		code string
	}{
		{"since over 180 days", Query{Since: now.Add(-181 * 24 * time.Hour)}, "E0000053"},
		{"since and after", Query{Since: now.Add(-time.Hour), After: "1_1"}, "E0000053"},
		{"bad cursor", Query{After: "nope"}, "E0000053"},
		{"limit over 1000", Query{Limit: 1001, LimitSet: true}, "E0000053"},
		{"negative limit", Query{Limit: -1, LimitSet: true}, "E0000053"},
		{"bad sort order", Query{SortOrder: "SIDEWAYS"}, "E0000053"},
		{"until before since", Query{Since: now.Add(-time.Hour), Until: now.Add(-2 * time.Hour)}, "E0000053"},
		{"bad filter", Query{Filter: `eventType eq`}, "E0000053"},
		{"published in filter", Query{Filter: `published gt "2026-01-01T00:00:00.000Z"`}, "E0000053"},
		{"co on requestUri", Query{Filter: `debugContext.debugData.requestUri co "users"`}, "E0000031"},
		{"co on url", Query{Filter: `eventType eq "x" or debugContext.debugData.url co "users"`}, "E0000031"},
		{"q keyword over 40", Query{Q: "ok " + long}, "E0000001"},
		{"q over 10 keywords", Query{Q: "a b c d e f g h i j k"}, "E0000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Now = now
			_, err := l.Query(tt.q)
			var oe *okta.Error
			if !errors.As(err, &oe) {
				t.Fatalf("error = %v, want *okta.Error", err)
			}
			if oe.ErrorCode != tt.code || oe.ErrorLink != tt.code || len(oe.ErrorID) != 25 || oe.ErrorCauses == nil {
				t.Fatalf("error = %+v, want code %s with link, id and non-nil causes", oe, tt.code)
			}
		})
	}
}

func TestQueryErrorSummaries(t *testing.T) {
	l := New()
	for _, tt := range []struct {
		q    Query
		want string
	}{
		{Query{Since: t0.Add(-200 * 24 * time.Hour), Now: t0}, "Invalid parameter: The since parameter is over 180 days prior to the current day."},
		{Query{Filter: `debugContext.debugData.url co "x"`, Now: t0},
			"The supplied combination of operator and field is not currently supported. Operator: co, Field: debugContext.debugData.url"},
		{Query{Filter: `eventType eq "x" and`, Now: t0}, `Invalid filter 'eventType eq "x" and': expected an attribute name but found end of filter at position 20`},
	} {
		_, err := l.Query(tt.q)
		var oe *okta.Error
		if !errors.As(err, &oe) || oe.ErrorSummary != tt.want {
			t.Errorf("Query(%+v) error = %v, want summary %q", tt.q, err, tt.want)
		}
	}
}

// TestConcurrentAppendAndQuery runs under -race: bounded queries rebuild the published index while
// other goroutines append out of order and poll.
func TestConcurrentAppendAndQuery(t *testing.T) {
	l := New()
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 300 {
				l.Append(event(fmt.Sprintf("%d-%d", w, i), "t", t0.Add(time.Duration((i*7919)%300)*time.Millisecond)))
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			after := ""
			for range 200 {
				if _, err := l.Query(Query{Since: t0, Until: t0.Add(time.Second), Limit: 50, LimitSet: true, Now: t0}); err != nil {
					t.Error(err)
					return
				}
				q := Query{After: after, Now: t0}
				if after == "" {
					q.Since = t0
				}
				p, err := l.Query(q)
				if err != nil {
					t.Error(err)
					return
				}
				after = p.NextAfter
			}
		})
	}
	wg.Wait()
	p := mustQuery(t, l, Query{Since: t0, Until: t0.Add(time.Second), Limit: 1000, LimitSet: true, Now: t0})
	if len(p.Events) != 600 {
		t.Fatalf("bounded query after concurrent appends = %d events, want 600", len(p.Events))
	}
	for i := 1; i < len(p.Events); i++ {
		if p.Events[i].Published.Before(p.Events[i-1].Published.Time) {
			t.Fatalf("bounded result not in published order at %d", i)
		}
	}
}

func TestParseQuery(t *testing.T) {
	q, err := ParseQuery(url.Values{"since": {"2026-11-20T10:00:00.000Z"}, "limit": {"5"}, "sortOrder": {"DESCENDING"},
		"filter": {`eventType eq "x"`}, "q": {"okta"}, "until": {"2026-11-21T10:00:00+02:00"}})
	if err != nil {
		t.Fatal(err)
	}
	if !q.Since.Equal(t0) || !q.Until.Equal(t0.Add(22*time.Hour)) || q.Limit != 5 || !q.LimitSet ||
		q.SortOrder != "DESCENDING" || q.Filter != `eventType eq "x"` || q.Q != "okta" || q.Polling() {
		t.Fatalf("ParseQuery = %+v", q)
	}
	for _, v := range []url.Values{{"since": {"yesterday"}}, {"until": {"2026-13-01T00:00:00Z"}}, {"limit": {"ten"}}} {
		_, err := ParseQuery(v)
		var oe *okta.Error
		if !errors.As(err, &oe) || oe.ErrorCode != "E0000001" || len(oe.ErrorCauses) != 1 {
			t.Errorf("ParseQuery(%v) error = %v, want E0000001 with one cause", v, err)
		}
	}
}

func TestRestoreResetAndEvents(t *testing.T) {
	l := New()
	l.Append(event("a", "t", t0), event("b", "t", t0))
	saved := l.Events()
	p := mustQuery(t, l, Query{Since: t0, Now: t0})
	l.Reset()
	if l.Len() != 0 {
		t.Fatalf("Len after Reset = %d", l.Len())
	}
	// Restored events are persisted anew: a cursor handed out before the reset sees them once more.
	l.Restore(saved)
	if got := uuids(l.Events()); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Events after Restore = %v", got)
	}
	after := mustQuery(t, l, Query{After: p.NextAfter, Now: t0})
	if len(after.Events) != 2 {
		t.Fatalf("poll after restore = %v, want the 2 restored events (they are new persistence)", uuids(after.Events))
	}
}

func BenchmarkPollWithFilter(b *testing.B) {
	l := New()
	const n = 100_000
	events := make([]okta.LogEvent, n)
	base := sampleEvent()
	for i := range events {
		ev := base
		ev.UUID = fmt.Sprintf("ev%06d", i)
		ev.Published = okta.Time{Time: t0.Add(time.Duration(i) * time.Millisecond)}
		if i%100 != 0 {
			ev.EventType = "user.session.start"
		}
		events[i] = ev
	}
	l.Append(events...)
	q := Query{Since: t0, Filter: `eventType eq "user.mfa.factor.activate" and outcome.result eq "SUCCESS"`, Limit: 1000, LimitSet: true, Now: t0}
	b.ReportAllocs()
	for b.Loop() {
		p, err := l.Query(q)
		if err != nil || len(p.Events) != 1000 {
			b.Fatalf("got %d events, err %v", len(p.Events), err)
		}
	}
	b.ReportMetric(float64(n)/(float64(b.Elapsed().Nanoseconds())/float64(b.N))*1e9, "events-scanned/s")
}

func BenchmarkBoundedOutOfOrder(b *testing.B) {
	l := New()
	const n = 100_000
	events := make([]okta.LogEvent, n)
	for i := range events {
		// Every tenth event is persisted late, so bounded queries need the published index.
		off := time.Duration(i) * time.Millisecond
		if i%10 == 0 {
			off -= 5 * time.Millisecond
		}
		events[i] = event(fmt.Sprint(i), "user.session.start", t0.Add(off))
	}
	l.Append(events...)
	q := Query{Since: t0.Add(50 * time.Second), Until: t0.Add(60 * time.Second), Now: t0}
	for b.Loop() {
		if p, err := l.Query(q); err != nil || len(p.Events) != DefaultLimit {
			b.Fatalf("got %d events, err %v", len(p.Events), err)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	l := New()
	ev := sampleEvent()
	b.ReportAllocs()
	for b.Loop() {
		l.Append(ev)
	}
}

func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"since=2026-11-20T09:00:00.000Z&limit=2",
		"after=1763629200000_2&limit=1",
		"since=2026-11-20T09:00:00Z&until=2026-11-20T11:00:00Z&sortOrder=DESCENDING&after=1763632800000_3_1763629200000",
		`filter=eventType+eq+"t"+and+target.id+pr&q=okta+user`,
		"limit=-5&sortOrder=x", "since=bad", "after=_", "q=" + strings.Repeat("a", 41),
	} {
		f.Add(s)
	}
	l := New()
	for i := range 5 {
		// Persisted out of published order so bounded queries use the index.
		l.Append(event(fmt.Sprint(i), "t", t0.Add(time.Duration(5-i)*time.Minute)))
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseQuery(v)
		if err == nil {
			q.Now = t0.Add(time.Hour)
			var p Page
			p, err = l.Query(q)
			if err == nil {
				if len(p.Events) > DefaultLimit && !q.LimitSet || (q.LimitSet && len(p.Events) > q.Limit) {
					t.Fatalf("page of %d events exceeds the limit of %+v", len(p.Events), q)
				}
				if p.HasNext != (p.NextAfter != "") {
					t.Fatalf("HasNext %v with NextAfter %q", p.HasNext, p.NextAfter)
				}
				return
			}
		}
		var oe *okta.Error
		if !errors.As(err, &oe) || oe.ErrorCode == "" {
			t.Fatalf("error %v is not an *okta.Error", err)
		}
	})
}
