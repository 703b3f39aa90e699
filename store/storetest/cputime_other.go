//go:build !unix

package storetest

import "time"

// cpuTime is not measured where getrusage is missing; benchmarks then leave the metric out.
func cpuTime() time.Duration { return 0 }
