package main

import (
	"runtime/debug"
	"testing"
)

// A serving process collects garbage a quarter as often as Go's default, unless the operator set GOGC.
func TestServeGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	if !tuneServeGC() {
		t.Fatal("GOGC empty: the serve target was not applied")
	}
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("GC percent %d, want %d", got, serveGCPercent)
	}
	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150) // what the runtime read from GOGC at start
	if tuneServeGC() {
		t.Error("GOGC=150: trama overrode the operator's setting")
	}
	if got := debug.SetGCPercent(100); got != 150 {
		t.Errorf("GC percent %d, want the operator's 150", got)
	}
}
