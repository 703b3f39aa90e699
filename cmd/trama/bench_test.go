package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/trama-dev/trama/bench"
	"github.com/trama-dev/trama/internal/pgtest"
)

func TestBenchIngest(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		wantRunStart int // probes measured; 0 when none
		wantBulk     int // bulk runs measured; -1 when not reported
	}{
		{"batches with probes", []string{"--deliveries", "20", "--batch", "5", "--concurrency", "2", "--probes", "5", "--probe-gap", "0s"}, 5, -1},
		{"single events without runs", []string{"--deliveries", "30", "--batch", "1", "--concurrency", "3", "--no-runs"}, 0, -1},
		{"every event runs", []string{"--deliveries", "6", "--batch", "4", "--concurrency", "2", "--probes", "2", "--bulk-runs"}, 2, 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := trama(t, append([]string{"bench", "ingest", "--output", "json"}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var rep bench.IngestReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("%v:\n%s", err, stdout)
			}
			if rep.Errors != 0 || rep.Acknowledged != rep.Deliveries*rep.Batch || rep.Ack.Count != rep.Deliveries {
				t.Errorf("report = %+v; want every delivery acknowledged and timed", rep)
			}
			if rep.EventsPerSec <= 0 || rep.Ack.P50 <= 0 || rep.Ack.P50 > rep.Ack.P99 || rep.Ack.P99 > rep.Ack.Max {
				t.Errorf("implausible figures: %+v", rep)
			}
			switch {
			case tt.wantRunStart == 0 && rep.RunStart != nil:
				t.Errorf("run start reported without runs: %+v", rep.RunStart)
			case tt.wantRunStart > 0 && (rep.RunStart == nil || rep.RunStart.Count != tt.wantRunStart || rep.RunStart.P50 <= 0):
				t.Errorf("run start = %+v, want %d probes", rep.RunStart, tt.wantRunStart)
			}
			switch {
			case tt.wantBulk < 0 && rep.BulkRuns != nil:
				t.Errorf("bulk runs reported: %+v", rep.BulkRuns)
			case tt.wantBulk >= 0 && (rep.BulkRuns == nil || rep.BulkRuns.Count != tt.wantBulk):
				t.Errorf("bulk runs = %+v, want %d", rep.BulkRuns, tt.wantBulk)
			}
		})
	}
}

func TestBenchIngestText(t *testing.T) {
	code, stdout, stderr := trama(t, "bench", "ingest", "--deliveries", "4", "--batch", "2", "--concurrency", "1", "--probes", "1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"8 events in", "events/s", "ack latency    p50", "run start      1 probes"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestBenchIngestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--deliveries", "0"},
		{"--no-runs", "--bulk-runs"},
		{"--output", "yaml"},
	} {
		if code, _, _ := trama(t, append([]string{"bench", "ingest"}, args...)...); code != exitUsage {
			t.Errorf("bench ingest %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// TestBenchRuns: every event's run finishes, with a k-step workflow, at a rate, and on PostgreSQL with
// two replicas; the report's figures hang together.
func TestBenchRuns(t *testing.T) {
	pg := pgtest.URL(t)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"sqlite", []string{"--events", "60", "--batch", "7", "--steps", "2"}},
		{"at a rate", []string{"--events", "40", "--batch", "1", "--rate", "400"}},
		// pool_max_conns is pgxpool's: the replicas' pools take it, the bench's own connection must not
		// send it to the server.
		{"postgres replicas", []string{"--events", "200", "--batch", "5", "--store", withParam(pg, "pool_max_conns=4"), "--replicas", "2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := trama(t, append([]string{"bench", "runs", "-o", "json"}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var rep bench.RunsReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("%v:\n%s", err, stdout)
			}
			if rep.Succeeded != rep.Events || rep.Failed != 0 || rep.RunsPerSec <= 0 || rep.StepsPerSec != rep.RunsPerSec*float64(rep.Steps) ||
				rep.RunStart.Count != rep.Events || rep.RunFinish.P50 < rep.RunStart.P50 || rep.RunFinish.P99 > rep.RunFinish.Max {
				t.Errorf("report = %+v", rep)
			}
			// trama's own acknowledgement time is part of what the client waited for, delivery by delivery.
			if rep.ServerAck.Count != rep.Ack.Count || rep.ServerAck.P50 <= 0 || rep.ServerAck.P50 > rep.Ack.P50 || rep.ServerAck.Max > rep.Ack.Max {
				t.Errorf("ack %+v, in trama %+v", rep.Ack, rep.ServerAck)
			}
			// The CPU a run cost: some, and no more than the machine's cores could give over the span.
			if rep.CPUPerRunMs <= 0 || rep.Cores <= 0 || rep.Cores > float64(runtime.NumCPU())*1.05 {
				t.Errorf("cpu %.3f ms per run, %.2f cores", rep.CPUPerRunMs, rep.Cores)
			}
			// What PostgreSQL did, counted after the replicas reported it. A run writes its event, its
			// event's dispatch queue row, itself and its step (four inserts: its first attempt is kept in
			// its own row; up to 15 % more for the deliveries, one per five events here, and what the
			// schema's creation reported late), updates the queue row when its dispatch is claimed and
			// itself when claimed and when finished (three, and the deliveries' totals), and deletes the
			// queue row. One more write per run, in any table, fails here: that is what a run costs on
			// PostgreSQL.
			if d := rep.Database; (rep.Store == "PostgreSQL") != (d != nil) {
				t.Errorf("store %s, database work %+v", rep.Store, d)
			} else if d != nil && (d.Commits <= 0 || d.RowsInserted < 4 || d.RowsInserted > 4.6 ||
				d.RowsUpdated < 3 || d.RowsUpdated > 3.6 || d.RowsDeleted < 1 || d.RowsDeleted > 1.3 ||
				d.HeapOnly > d.RowsUpdated || d.WALBytes < 0 || d.CPUPerRunMs < 0 || d.CPUPerRunMs > 100) {
				t.Errorf("database work per run %+v", *d)
			}
		})
	}
	// --wait: every run stops waiting for its input; no goroutine stays behind for one.
	code, stdout, stderr := trama(t, "bench", "runs", "-o", "json", "--wait", "--events", "300", "--batch", "50")
	var rep bench.RunsReport
	if code != exitOK || json.Unmarshal([]byte(stdout), &rep) != nil {
		t.Fatalf("--wait: exit %d: %s%s", code, stdout, stderr)
	}
	if rep.Waiting != 300 || rep.Succeeded != 0 || rep.Goroutines == 0 || rep.Goroutines > 100 || rep.HeapMiB <= 0 {
		t.Errorf("--wait report = %+v", rep)
	}
	if code, _, _ := trama(t, "bench", "runs", "--replicas", "2"); code != exitUsage {
		t.Errorf("--replicas 2 on SQLite: exit %d, want %d", code, exitUsage)
	}
}

// withParam adds a query parameter (name=value) to a URL.
func withParam(url, param string) string {
	if strings.Contains(url, "?") {
		return url + "&" + param
	}
	return url + "?" + param
}
