// Package latency summarises measured durations: the percentiles trama's benchmarks and `trama bench`
// report, computed one way everywhere.
package latency

import (
	"math"
	"slices"
	"time"
)

// Summary is a set of durations in milliseconds.
type Summary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
}

// Summarize sorts ds and returns its nearest-rank percentiles.
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(ds)))) - 1
		return float64(ds[max(i, 0)].Microseconds()) / 1000
	}
	return Summary{Count: len(ds), P50: at(0.50), P99: at(0.99), Max: at(1)}
}

// Median is the middle of vs, or the mean of the two middle values when there are an even number: the
// typical run of a few, where a nearest-rank percentile would pick one side. It does not reorder vs.
func Median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
