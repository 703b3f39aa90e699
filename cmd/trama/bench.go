package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/report"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/server"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/trigger"
)

func init() { subcommands = append(subcommands, newBenchCmd) }

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure trama on this machine",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newBenchIngestCmd())
	return cmd
}

// ingestOptions are the flags of `trama bench ingest`.
type ingestOptions struct {
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

func newBenchIngestCmd() *cobra.Command {
	var o ingestOptions
	var output string
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Load trama serve's event-hook receiver and report acknowledged events/s and latencies",
		Long: `ingest starts trama serve in this process (a temporary SQLite store, one hook, one trigger bound to a
one-step workflow that calls a loopback server) and measures it over real loopback HTTP, in two phases:

1. Ingest: --concurrency clients send --deliveries event-hook deliveries of --batch events each, as fast
   as trama acknowledges them. Reported: acknowledged events per second (events in 200-answered
   deliveries over the phase's wall time) and the acknowledgement latency each client saw (request sent
   to response read), p50/p99/max. Every event is stored and dispatched, as in production; by default
   the bulk events are of a type no trigger listens to (most of an org's events are), so the phase
   measures what one SQLite file can commit while the workers dispatch. --bulk-runs makes every bulk
   event fire the trigger instead: one run per event, all competing with the receiver.
2. Event to run start: once the queue has drained, --probes single-event deliveries of
   user.mfa.factor.activate, one every --probe-gap, each firing the trigger. Reported: the time from
   sending the delivery to the run's start as the store records it (its StartedAt), p50/p99/max.

--no-runs configures no trigger at all and skips the second phase. The targets on a 2-core machine are
at least 10 000 acknowledged events/s in batches of 50 with a p99 acknowledgement of at most 5 ms, and an
event-to-run-start p50 of at most 10 ms.`,
		Example: `  trama bench ingest
  trama bench ingest --deliveries 2000 --batch 50 --concurrency 4 --output json
  trama bench ingest --batch 1 --deliveries 5000      # single events
  trama bench ingest --no-runs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat("output", output, "text", "json"); err != nil {
				return err
			}
			switch {
			case o.Deliveries < 1, o.Batch < 1, o.Concurrency < 1, o.Probes < 0:
				return usageErr("--deliveries, --batch and --concurrency must be at least 1, --probes at least 0")
			case o.NoRuns && o.BulkRuns:
				return usageErr("--no-runs and --bulk-runs contradict each other")
			}
			rep, err := benchIngest(cmd.Context(), o)
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			if output == "json" {
				return report.WriteJSON(cmd.OutOrStdout(), rep)
			}
			rep.writeText(cmd.OutOrStdout())
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Deliveries, "deliveries", 2000, "event-hook deliveries to send in the ingest phase")
	fl.IntVar(&o.Batch, "batch", 50, "events per delivery (Okta batches up to 50)")
	fl.IntVar(&o.Concurrency, "concurrency", 4, "concurrent clients")
	fl.IntVar(&o.Probes, "probes", 200, "single-event deliveries that measure event-to-run-start")
	fl.DurationVar(&o.ProbeGap, "probe-gap", 5*time.Millisecond, "pause between probes")
	fl.BoolVar(&o.NoRuns, "no-runs", false, "configure no trigger: measure ingestion alone")
	fl.BoolVar(&o.BulkRuns, "bulk-runs", false, "make every bulk event fire the trigger (one run per event)")
	fl.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "give up after this long")
	fl.StringVar(&o.Dir, "dir", "", "keep the store and generated files in this directory")
	fl.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the ingest phase to this file (go tool pprof)")
	fl.StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// latency summarises a set of durations in milliseconds.
type latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
}

func summarize(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(ds)))) - 1
		return float64(ds[max(i, 0)].Microseconds()) / 1000
	}
	return latency{Count: len(ds), P50: at(0.50), P99: at(0.99), Max: at(1)}
}

// ingestReport is what `trama bench ingest` prints.
type ingestReport struct {
	Deliveries  int `json:"deliveries"`
	Batch       int `json:"batch"`
	Concurrency int `json:"concurrency"`
	// Acknowledged counts events in deliveries answered 200; Errors counts deliveries answered
	// otherwise or not at all.
	Acknowledged   int     `json:"acknowledgedEvents"`
	Errors         int     `json:"errors"`
	Seconds        float64 `json:"seconds"`
	EventsPerSec   float64 `json:"eventsPerSecond"`
	DeliveriesPerS float64 `json:"deliveriesPerSecond"`
	Ack            latency `json:"ackLatency"`
	// DrainSeconds is how long after the last acknowledgement the queue was empty (every event
	// dispatched, every run finished).
	DrainSeconds float64 `json:"drainSeconds"`
	// BulkRuns is set with --bulk-runs: the runs of the bulk events and their event-to-run-start.
	BulkRuns *latency `json:"bulkRunStart,omitempty"`
	// RunStart is the probes' event-to-run-start; absent with --no-runs.
	RunStart *latency `json:"runStart,omitempty"`
	Store    string   `json:"store"`
}

func (r *ingestReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "trama bench ingest: %s × %d events, %s, SQLite store %s\n",
		strconv.Itoa(r.Deliveries)+" deliveries", r.Batch, plural(r.Concurrency, "client"), r.Store)
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

const benchWorkflow = `arazzo: 1.0.1
info: {title: trama bench, version: 1.0.0}
sourceDescriptions:
  - {name: target, url: ./bench.openapi.yaml, type: openapi}
workflows:
  - workflowId: ping
    steps:
      - stepId: ping
        operationId: ping
        successCriteria:
          - condition: $statusCode == 200
`

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

// appendDelivery appends an event-hook envelope with n events of eventType, shaped and sized like
// Okta's (about 1 KB per event).
func appendDelivery(b []byte, d, n int, eventType string, probe bool) []byte {
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	b = fmt.Appendf(b, `{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1",`+
		`"source":"https://bench.okta.com/api/v1/eventHooks/whobench","eventId":"%s","eventTime":"%s",`+
		`"contentType":"application/json","data":{"events":[`, benchUUID(d, 0xffff, probe), now)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"uuid":"%s","published":"%s","eventType":"%s","version":"0",`+
			`"displayMessage":"Activate factor for user","severity":"INFO",`+
			`"client":{"userAgent":{"rawUserAgent":"Mozilla/5.0 (X11; Linux x86_64)","os":"Linux","browser":"CHROME"},`+
			`"zone":"null","device":"Computer","id":null,"ipAddress":"198.51.100.7",`+
			`"geographicalContext":{"city":"Lisbon","state":"Lisbon","country":"Portugal","postalCode":"1000-001",`+
			`"geolocation":{"lat":38.7223,"lon":-9.1393}}},`+
			`"actor":{"id":"00ubenchadmin","type":"User","alternateId":"admin@example.com","displayName":"Bench Admin"},`+
			`"outcome":{"result":"SUCCESS","reason":"User set up OKTA_SOFT_TOKEN factor"},`+
			`"target":[{"id":"00ubench%06d","type":"User","alternateId":"user%d@example.com","displayName":"Bench User"}],`+
			`"transaction":{"type":"WEB","id":"bench-%d-%d","detail":{}},`+
			`"debugContext":{"debugData":{"requestId":"bench-%d-%d","requestUri":"/api/v1/users/00ubench/factors","url":"/api/v1/users/00ubench/factors?"}},`+
			`"authenticationContext":{"authenticationStep":0,"externalSessionId":"trsbench"},`+
			`"securityContext":{"asNumber":null,"asOrg":null,"isp":null,"domain":null,"isProxy":null}}`,
			benchUUID(d, i, probe), now, eventType, i, i, d, i, d, i)
	}
	return append(b, "]}}"...)
}

// benchIngest runs the bench and returns its report.
func benchIngest(ctx context.Context, o ingestOptions) (*ingestReport, error) {
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	dir := o.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "trama-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}

	// The workflow's target: the cheapest HTTP server there is, on loopback.
	targetLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the target: %w", err)
	}
	target := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"pong":true}`))
	}), ReadHeaderTimeout: 5 * time.Second}
	go target.Serve(targetLn)
	defer target.Close()

	cfgText := "store: sqlite:./bench.db\nhooks:\n  okta:\n    auth: { value: " + benchSecret + " }\n" +
		"servers:\n  target: http://" + targetLn.Addr().String() + "\n"
	if !o.NoRuns {
		cfgText += "triggers:\n  - name: bench\n    on: " + firingType + "\n    run: { file: bench.arazzo.yaml, workflow: ping }\n"
	}
	for name, text := range map[string]string{"bench.openapi.yaml": benchOpenAPI, "bench.arazzo.yaml": benchWorkflow, "trama.yaml": cfgText} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			return nil, err
		}
	}
	cfg, err := trigger.Load(filepath.Join(dir, "trama.yaml"), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, fmt.Errorf("bench configuration: %w", err)
	}

	var startsMu sync.Mutex
	starts := map[string]time.Time{} // event uuid → run StartedAt
	srv, err := server.Open(ctx, cfg, server.Options{
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, err
	}
	hookURL := "http://" + ln.Addr().String() + "/hooks/okta"
	serveCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, ln) }()
	defer func() {
		stop()
		<-served
		srv.Close()
	}()

	rep := &ingestReport{Deliveries: o.Deliveries, Batch: o.Batch, Concurrency: o.Concurrency, Store: filepath.Join(dir, "bench.db")}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency + 1, MaxConnsPerHost: o.Concurrency + 1}}
	defer client.CloseIdleConnections()
	send := func(body []byte) (time.Time, time.Duration, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, hookURL, bytes.NewReader(body))
		if err != nil {
			return time.Time{}, 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", benchSecret)
		sent := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return sent, 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took := time.Since(sent)
		if resp.StatusCode != http.StatusOK {
			return sent, took, fmt.Errorf("delivery answered %s", resp.Status)
		}
		return sent, took, nil
	}

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
	rep.Ack = summarize(slices.Concat(lat...))

	drained := time.Now()
	if err := waitDrained(ctx, srv.Store()); err != nil {
		return nil, err
	}
	rep.DrainSeconds = time.Since(drained).Seconds()
	if o.BulkRuns {
		startsMu.Lock()
		var ds []time.Duration
		for u, st := range starts {
			if d, probe, ok := parseBenchUUID(u); ok && !probe && d < len(sentAt) {
				ds = append(ds, st.Sub(sentAt[d]))
			}
		}
		startsMu.Unlock()
		l := summarize(ds)
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
		l := summarize(ds)
		rep.RunStart = &l
	}
	return rep, nil
}

// waitDrained waits until no job is queued or running and no run is unfinished.
func waitDrained(ctx context.Context, st *store.Store) error {
	for {
		c, err := st.Counts(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the queue to drain: %w", err)
		}
		if c.QueueDepth == 0 && c.QueueRunning == 0 && c.Runs[store.RunQueued] == 0 && c.Runs[store.RunRunning] == 0 {
			return nil
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return errors.New("the queue did not drain before --timeout")
		}
	}
}
