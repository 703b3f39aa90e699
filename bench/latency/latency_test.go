package latency

import (
	"slices"
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

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{4, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := slices.Clone(tt.in)
		if got := Median(in); got != tt.want || !slices.Equal(in, tt.in) {
			t.Errorf("Median(%v) = %v, want %v, and its input unchanged (now %v)", tt.in, got, tt.want, in)
		}
	}
}
