package main

import (
	"os"
	"runtime/debug"
)

// serveGCPercent is the garbage collector's target in a process that serves event hooks and runs
// workflows (trama serve, and trama bench, which measures it): 400, where Go's default is 100. Such a
// process keeps a small live heap (tens of MiB) and allocates quickly while runs drain, so at Go's
// default the collector runs many times a second and takes a tenth of the CPU. At 400 it runs about a
// quarter as often, for about 20 MiB more resident memory: `trama bench runs` on SQLite completed 6–23 %
// more runs per second in each of four alternating pairs (docs/performance.md). GOGC in the environment
// wins, for a process whose live heap is large enough that five times it would not fit.
const serveGCPercent = 400

// tuneServeGC applies serveGCPercent unless GOGC is set, and reports whether it did.
func tuneServeGC() bool {
	if v, ok := os.LookupEnv("GOGC"); ok && v != "" {
		return false
	}
	debug.SetGCPercent(serveGCPercent)
	return true
}
