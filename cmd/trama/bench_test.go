package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trama-dev/trama/bench"
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
