//go:build !unix

package bench

// peakRSSMiB is unknown where getrusage is missing; the report then leaves it out.
func peakRSSMiB() float64 { return 0 }
