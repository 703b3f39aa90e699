package postgres_test

import (
	"runtime"
	"testing"

	"github.com/trama-dev/trama/store/postgres"
)

// TestDefaultMaxConnsFollowsTheCPUs: a replica's default pool is its CPUs, at least 4 and at most 10, so
// that three replicas on 64-CPU machines still fit PostgreSQL's default of 100 connections.
func TestDefaultMaxConnsFollowsTheCPUs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tt := range []struct{ procs, want int }{{1, 4}, {2, 4}, {6, 6}, {10, 10}, {64, 10}} {
		runtime.GOMAXPROCS(tt.procs)
		if got := postgres.DefaultMaxConns(); int(got) != tt.want {
			t.Errorf("with GOMAXPROCS %d: %d connections, want %d", tt.procs, got, tt.want)
		}
	}
}
