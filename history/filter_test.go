package history

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

func TestParseRunFilter(t *testing.T) {
	f, err := ParseRunFilter(url.Values{"status": {"waiting"}, "trigger": {" audit "}, "workflow": {"notify"},
		"user": {"Ann@Example.com"}, "since": {"2026-11-22T07:00"}, "until": {"2026-11-23"}, "limit": {"20"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != store.RunWaiting || f.Trigger != "audit" || f.Workflow != "notify" || f.User != "Ann@Example.com" ||
		!f.Since.Equal(time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)) || !f.Until.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)) || f.Limit != 20 {
		t.Errorf("filter = %+v", f)
	}
	for q, want := range map[string]string{
		"status=lost":                          "status \"lost\": want one of queued, running, retrying, uncertain, waiting, succeeded, failed",
		"since=yesterday":                      "since: \"yesterday\" is not a time",
		"since=2026-11-23&until=2026-11-22":    "is not before until",
		"limit=0":                              "limit: want a positive integer",
		"user=a&user=b":                        "user is given 2 times",
		"trigger=" + strings.Repeat("x", 300):  "trigger is 300 bytes long",
		"workflow=a%00b":                       "workflow holds a control character",
		"since=2026-11-22T07:00:00%2B02:00&x=": "",
	} {
		v, _ := url.ParseQuery(q)
		_, err := ParseRunFilter(v)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", q, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want %q", q, err, want)
		}
	}
}

func TestParseEventFilter(t *testing.T) {
	f, err := ParseEventFilter(url.Values{"type": {"user.mfa.factor.activate"}, "outcome": {"skipped"}, "source": {"poll"}, "user": {"00u1"}})
	if err != nil || f.Type != "user.mfa.factor.activate" || f.Outcome != store.OutcomeSkipped || f.Source != store.SourcePoll || f.User != "00u1" {
		t.Errorf("filter = %+v, %v", f, err)
	}
	for _, q := range []string{"outcome=exploded", "source=mail", "until=later"} {
		v, _ := url.ParseQuery(q)
		if _, err := ParseEventFilter(v); err == nil {
			t.Errorf("%s: no error", q)
		}
	}
}

// FuzzParseFilters: any query gives a filter or an error, never a panic, and a filter's values are ones
// the store can take (known status and outcome, bounded values, since before until).
func FuzzParseFilters(f *testing.F) {
	for _, s := range []string{"status=failed&user=ann%40example.com", "since=2026-11-22T07:00&until=2026-11-22T08:00",
		"outcome=ran&type=user.session.start&limit=5", "after=cnVuczox", "since=2026-11-22T07:00:00.5-03:00", "limit=-1",
		"user=a&user=b", "%zz", "until=9999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if rf, err := ParseRunFilter(q); err == nil {
			if rf.Status != "" && !rf.Status.Valid() || len(rf.User) > maxFilterValue ||
				!rf.Since.IsZero() && !rf.Until.IsZero() && !rf.Since.Before(rf.Until) {
				t.Fatalf("%q gave %+v", raw, rf)
			}
		}
		if ef, err := ParseEventFilter(q); err == nil {
			if ef.Outcome != "" && !ef.Outcome.Valid() || len(ef.Type) > maxFilterValue {
				t.Fatalf("%q gave %+v", raw, ef)
			}
		}
	})
}
