//go:build !unix

package bench

import "time"

// peakRSSMiB is unknown where getrusage is missing; the report then leaves it out.
func peakRSSMiB() float64 { return 0 }

// cpuTime is unknown where getrusage is missing; the report then leaves the CPU out.
func cpuTime() time.Duration { return 0 }
