package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trama-dev/trama/bench/latency"
	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/server"
	"github.com/trama-dev/trama/store"
)

// IngestOptions shape an ingest benchmark; `trama bench ingest` sets them from its flags.
type IngestOptions struct {
	Deliveries  int
	Batch       int
	Concurrency int
	Probes      int
	ProbeGap    time.Duration
	NoRuns      bool
	BulkRuns    bool
	Timeout     time.Duration
	// Dir keeps the store and the generated files; "" uses a temporary directory removed at the end.
	Dir string
	// CPUProfile, when set, receives a pprof CPU profile of the ingest phase.
	CPUProfile string
}

// IngestReport is what an ingest benchmark measured; `trama bench ingest` prints it.
type IngestReport struct {
	Deliveries  int `json:"deliveries"`
	Batch       int `json:"batch"`
	Concurrency int `json:"concurrency"`
	// Acknowledged counts events in deliveries answered 200; Errors counts deliveries answered
	// otherwise or not at all.
	Acknowledged   int             `json:"acknowledgedEvents"`
	Errors         int             `json:"errors"`
	Seconds        float64         `json:"seconds"`
	EventsPerSec   float64         `json:"eventsPerSecond"`
	DeliveriesPerS float64         `json:"deliveriesPerSecond"`
	Ack            latency.Summary `json:"ackLatency"`
	// DrainSeconds is how long after the last acknowledgement the queue was empty (every event
	// dispatched, every run finished).
	DrainSeconds float64 `json:"drainSeconds"`
	// BulkRuns is set with --bulk-runs: the runs of the bulk events and their event-to-run-start.
	BulkRuns *latency.Summary `json:"bulkRunStart,omitempty"`
	// RunStart is the probes' event-to-run-start; absent with --no-runs.
	RunStart *latency.Summary `json:"runStart,omitempty"`
	Store    string           `json:"store"`
}

// WriteText writes the report for a terminal.
func (r *IngestReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "trama bench ingest: %s × %d events, %s, SQLite store %s\n",
		strconv.Itoa(r.Deliveries)+" deliveries", r.Batch, clients(r.Concurrency), r.Store)
	fmt.Fprintf(w, "  acknowledged   %d events in %.2fs = %.0f events/s (%.0f deliveries/s), %d errors\n",
		r.Acknowledged, r.Seconds, r.EventsPerSec, r.DeliveriesPerS, r.Errors)
	fmt.Fprintf(w, "  ack latency    p50 %.2fms  p99 %.2fms  max %.2fms\n", r.Ack.P50, r.Ack.P99, r.Ack.Max)
	fmt.Fprintf(w, "  queue drained  %.2fs after the last acknowledgement\n", r.DrainSeconds)
	if r.BulkRuns != nil {
		fmt.Fprintf(w, "  bulk runs      %d: event sent → run started p50 %.2fms  p99 %.2fms  max %.2fms\n",
			r.BulkRuns.Count, r.BulkRuns.P50, r.BulkRuns.P99, r.BulkRuns.Max)
	}
	if r.RunStart != nil {
		fmt.Fprintf(w, "  run start      %d probes: event sent → run started p50 %.2fms  p99 %.2fms  max %.2fms\n",
			r.RunStart.Count, r.RunStart.P50, r.RunStart.P99, r.RunStart.Max)
	}
}

// The bench's hook secret is not a secret: the receiver runs on loopback for the length of the bench.
const benchSecret = "trama-bench-hook-secret"

const benchOpenAPI = `openapi: 3.0.3
info: {title: trama bench target, version: "1"}
servers:
  - url: http://127.0.0.1:1
paths:
  /ping:
    get:
      operationId: ping
      responses:
        "200": {description: pong}
`

// benchWorkflow is the workflow the bench's trigger runs: k steps, each one GET of the target.
func benchWorkflow(k int) string {
	var b strings.Builder
	b.WriteString(`arazzo: 1.0.1
info: {title: trama bench, version: 1.0.0}
sourceDescriptions:
  - {name: target, url: ./bench.openapi.yaml, type: openapi}
workflows:
  - workflowId: ping
    steps:
`)
	for i := range k {
		fmt.Fprintf(&b, "      - stepId: ping%d\n        operationId: ping\n        successCriteria:\n          - condition: $statusCode == 200\n", i+1)
	}
	return b.String()
}

// eventTypes of the bench: probes (and --bulk-runs events) fire the trigger, other bulk events do not.
const (
	firingType = "user.mfa.factor.activate"
	quietType  = "user.session.start"
)

// benchUUID names event i of delivery d; probes use group "4001" so the two sets never collide.
func benchUUID(d, i int, probe bool) string {
	g := "4000"
	if probe {
		g = "4001"
	}
	return fmt.Sprintf("%08x-%04x-%s-8000-000000000000", d, i, g)
}

// parseBenchUUID returns the delivery index and whether the uuid is a probe's.
func parseBenchUUID(u string) (d int, probe bool, ok bool) {
	if len(u) != 36 {
		return 0, false, false
	}
	n, err := strconv.ParseUint(u[:8], 16, 32)
	if err != nil {
		return 0, false, false
	}
	return int(n), u[14:18] == "4001", true
}

// appendDelivery appends an event-hook delivery of n events of eventType, named for delivery d.
func appendDelivery(b []byte, d, n int, eventType string, probe bool) []byte {
	now := time.Now()
	evs := make([]oktatest.Event, n)
	for i := range evs {
		evs[i] = oktatest.Event{UUID: benchUUID(d, i, probe), Type: eventType, Published: now,
			UserID: fmt.Sprintf("00ubench%06d", d)}
	}
	return oktatest.AppendDelivery(b, benchUUID(d, 0xffff, probe), evs...)
}

// Ingest starts trama serve in this process on a temporary SQLite store and measures it over loopback
// HTTP (see `trama bench ingest --help` for the two phases), and returns the report.
func Ingest(ctx context.Context, o IngestOptions) (*IngestReport, error) {
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	dir, cleanup, err := benchDir(o.Dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	tgt, err := startTarget()
	if err != nil {
		return nil, err
	}
	defer tgt.close()

	cfgText := "store: sqlite:./bench.db\nhooks:\n  okta:\n    auth: { value: " + benchSecret + " }\n" +
		"servers:\n  target: http://" + tgt.addr + "\n"
	if !o.NoRuns {
		cfgText += "triggers:\n  - name: bench\n    on: " + firingType + "\n    run: { file: bench.arazzo.yaml, workflow: ping }\n"
	}
	if err := writeFiles(dir, map[string]string{"bench.openapi.yaml": benchOpenAPI, "bench.arazzo.yaml": benchWorkflow(1), "trama.yaml": cfgText}); err != nil {
		return nil, err
	}
	cfg, err := config.Load(filepath.Join(dir, "trama.yaml"), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, fmt.Errorf("bench configuration: %w", err)
	}

	var startsMu sync.Mutex
	starts := map[string]time.Time{} // event uuid → run StartedAt
	srv, err := server.Start(ctx, cfg, server.Options{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnRunFinished: func(r store.Run, _ *runner.Result) {
			startsMu.Lock()
			starts[r.EventUUID] = r.StartedAt
			startsMu.Unlock()
		},
	})
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	hookURL := srv.URL + "/hooks/okta"

	rep := &IngestReport{Deliveries: o.Deliveries, Batch: o.Batch, Concurrency: o.Concurrency, Store: filepath.Join(dir, "bench.db")}
	hc := newHookClient(ctx, o.Concurrency)
	defer hc.close()
	send := func(body []byte) (time.Time, time.Duration, error) { return hc.send(hookURL, body) }

	// Phase 1: ingest.
	bulkType := quietType
	if o.BulkRuns {
		bulkType = firingType
	}
	sentAt := make([]time.Time, o.Deliveries)
	var next, errs, acked atomic.Int64
	lat := make([][]time.Duration, o.Concurrency)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	began := time.Now()
	for c := range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for ctx.Err() == nil {
				d := int(next.Add(1)) - 1
				if d >= o.Deliveries {
					return
				}
				buf = appendDelivery(buf[:0], d, o.Batch, bulkType, false)
				sent, took, err := send(buf)
				sentAt[d] = sent
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				acked.Add(int64(o.Batch))
				lat[c] = append(lat[c], took)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	if o.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ingest phase: %w", err)
	}
	rep.Acknowledged, rep.Errors = int(acked.Load()), int(errs.Load())
	if rep.Errors == o.Deliveries {
		return nil, fmt.Errorf("every delivery failed: %v", firstErr.Load())
	}
	rep.Seconds = elapsed.Seconds()
	rep.EventsPerSec = float64(rep.Acknowledged) / elapsed.Seconds()
	rep.DeliveriesPerS = float64(o.Deliveries-rep.Errors) / elapsed.Seconds()
	rep.Ack = latency.Summarize(slices.Concat(lat...))

	drained := time.Now()
	if err := waitDrained(ctx, srv.Store()); err != nil {
		return nil, err
	}
	rep.DrainSeconds = time.Since(drained).Seconds()
	recorded := func() int {
		startsMu.Lock()
		defer startsMu.Unlock()
		return len(starts)
	}
	bulk := 0
	if o.BulkRuns {
		bulk = rep.Acknowledged
		if err := awaitRecorded(ctx, recorded, bulk); err != nil {
			return nil, err
		}
		startsMu.Lock()
		var ds []time.Duration
		for u, st := range starts {
			if d, probe, ok := parseBenchUUID(u); ok && !probe && d < len(sentAt) {
				ds = append(ds, st.Sub(sentAt[d]))
			}
		}
		startsMu.Unlock()
		l := latency.Summarize(ds)
		rep.BulkRuns = &l
	}

	// Phase 2: event to run start on a drained queue.
	if !o.NoRuns && o.Probes > 0 {
		probeSent := make([]time.Time, o.Probes)
		var buf []byte
		for p := range o.Probes {
			buf = appendDelivery(buf[:0], p, 1, firingType, true)
			sent, _, err := send(buf)
			if err != nil {
				return nil, fmt.Errorf("probe %d: %w", p, err)
			}
			probeSent[p] = sent
			if o.ProbeGap > 0 {
				select {
				case <-time.After(o.ProbeGap):
				case <-ctx.Done():
					return nil, fmt.Errorf("probes: %w", ctx.Err())
				}
			}
		}
		if err := waitDrained(ctx, srv.Store()); err != nil {
			return nil, err
		}
		if err := awaitRecorded(ctx, recorded, bulk+o.Probes); err != nil {
			return nil, err
		}
		startsMu.Lock()
		var ds []time.Duration
		for u, st := range starts {
			if d, probe, ok := parseBenchUUID(u); ok && probe && d < len(probeSent) {
				ds = append(ds, st.Sub(probeSent[d]))
			}
		}
		startsMu.Unlock()
		if len(ds) != o.Probes {
			return nil, fmt.Errorf("%d of %d probes ran", len(ds), o.Probes)
		}
		l := latency.Summarize(ds)
		rep.RunStart = &l
	}
	return rep, nil
}

// waitDrained waits until no event waits for dispatch and no run is unfinished. It asks with
// Store.Busy, two index probes: counting every run each time cost the measured server a tenth of its
// CPU while it drained.
func waitDrained(ctx context.Context, st *store.Store) error {
	for {
		busy, err := st.Busy(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the queue to drain: %w", err)
		}
		if !busy {
			return nil
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return errors.New("the queue did not drain before --timeout")
		}
	}
}

// awaitRecorded waits until OnRunFinished has recorded want runs. The store counts a run finished when
// its batch of finishes commits, a moment before the server calls OnRunFinished for each run in it, so a
// drained queue does not yet mean every run was seen.
func awaitRecorded(ctx context.Context, recorded func() int, want int) error {
	for recorded() < want {
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("%d of %d runs were reported finished before --timeout", recorded(), want)
		}
	}
	return nil
}

func clients(n int) string {
	if n == 1 {
		return "1 client"
	}
	return strconv.Itoa(n) + " clients"
}
