package latency

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := Summarize(ds)
	if l.Count != 100 || l.P50 != 50 || l.P99 != 99 || l.Max != 100 {
		t.Errorf("Summarize(1..100 ms) = %+v, want p50 50, p99 99, max 100", l)
	}
	if l := Summarize(nil); l.Count != 0 {
		t.Errorf("Summarize(nil) = %+v", l)
	}
}
