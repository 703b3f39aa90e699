package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trama-dev/trama/bench/latency"
	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/server"
	"github.com/trama-dev/trama/store"
)

// RunsOptions shape a run-throughput benchmark; `trama bench runs` sets them from its flags.
type RunsOptions struct {
	// Events is how many events are sent; each fires one run. Default 10 000.
	Events int
	// Steps is how many steps the workflow has, each one GET of a loopback server. Default 1.
	Steps int
	// Rate offers events at this many per second; 0 sends them as fast as they are acknowledged.
	Rate float64
	// Batch is how many events one delivery carries. Default 50, Okta's maximum.
	Batch int
	// Concurrency is how many clients send deliveries at once. Default 4.
	Concurrency int
	// Store is "" for an SQLite file in Dir, or a PostgreSQL URL: the bench then works in a schema of
	// its own (trama_bench_…) that it drops at the end.
	Store string
	// Replicas is how many trama serve instances share the store (PostgreSQL only). Default 1.
	Replicas int
	Timeout  time.Duration
	// Dir keeps the SQLite store and the generated files; "" uses a temporary directory.
	Dir string
	// CPUProfile, when set, receives a pprof CPU profile from the first event sent to the last run
	// finished.
	CPUProfile string
	// Wait makes the workflow need an input nobody gives: every run stops, waiting, before its first
	// request, and the bench measures what Events waiting runs cost (memory, goroutines) instead of
	// throughput.
	Wait bool
}

// RunsReport is what a run-throughput benchmark measured; `trama bench runs` prints it.
type RunsReport struct {
	Events   int     `json:"events"`
	Steps    int     `json:"steps"`
	Replicas int     `json:"replicas"`
	Store    string  `json:"store"`
	Offered  float64 `json:"offeredPerSecond,omitempty"`
	Batch    int     `json:"batch"`
	// Succeeded and Failed count finished runs.
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Seconds runs from the first event sent to the last run finished.
	Seconds     float64 `json:"seconds"`
	RunsPerSec  float64 `json:"completedRunsPerSecond"`
	StepsPerSec float64 `json:"stepCallsPerSecond"`
	// Ack is how long each delivery took to be acknowledged, while the runs drained, as the load
	// generator saw it: from sending the request to reading the answer.
	Ack latency.Summary `json:"ack"`
	// ServerAck is the same as trama measured it (the trama_hook_ack_seconds metric): from the request's
	// headers to its events stored, without the generator's own share of the two cores.
	ServerAck latency.Summary `json:"serverAck"`
	// RunStart is event sent → run started; RunFinish event sent → run finished.
	RunStart  latency.Summary `json:"eventToRunStart"`
	RunFinish latency.Summary `json:"eventToRunFinish"`
	// CPUPerRunMs is the CPU time (user and system) this process used from the first event sent until
	// every run had finished, per completed run, and Cores that time over the same span. The process holds
	// trama (every replica), the load generator and the target; a PostgreSQL store's own CPU is not in
	// it. A cost per run compares two builds better than runs/s when the machine's speed drifts.
	CPUPerRunMs float64 `json:"cpuPerRunMs,omitempty"`
	Cores       float64 `json:"cores,omitempty"`
	// Database is what a PostgreSQL store did per run: counts that compare builds when the machine's
	// speed drifts (nil on SQLite).
	Database *DBWork `json:"database,omitempty"`
	// PeakRSSMiB is the process's peak resident memory: trama and the load generator together.
	PeakRSSMiB float64 `json:"peakRssMiB"`
	// With Wait: how many runs wait, and, once they all do, the live heap after a collection and the
	// goroutines of the whole process (a waiting run holds none).
	Waiting    int     `json:"waiting,omitempty"`
	HeapMiB    float64 `json:"heapMiBAfterGC,omitempty"`
	Goroutines int     `json:"goroutines,omitempty"`
}

// WriteText writes the report for a terminal.
func (r *RunsReport) WriteText(w io.Writer) {
	offered := "as fast as acknowledged"
	if r.Offered > 0 {
		offered = fmt.Sprintf("offered at %.0f/s", r.Offered)
	}
	if r.Waiting > 0 {
		fmt.Fprintf(w, "trama bench runs --wait: %d events, each run waits for an input, %s, %s, %s\n", r.Events, offered,
			replicas(r.Replicas), r.Store)
		fmt.Fprintf(w, "  waiting        %d runs, all waiting %.2fs after the first event\n", r.Waiting, r.Seconds)
		fmt.Fprintf(w, "  cost           %.1f MiB live heap after GC, %d goroutines in the process, %.0f MiB peak resident\n",
			r.HeapMiB, r.Goroutines, r.PeakRSSMiB)
		return
	}
	fmt.Fprintf(w, "trama bench runs: %d events × %d-step workflow, %s, %s, %s\n", r.Events, r.Steps, offered,
		replicas(r.Replicas), r.Store)
	fmt.Fprintf(w, "  completed      %d runs (%d failed) in %.2fs = %.0f runs/s, %.0f step calls/s\n",
		r.Succeeded+r.Failed, r.Failed, r.Seconds, r.RunsPerSec, r.StepsPerSec)
	fmt.Fprintf(w, "  ack latency    p50 %.2fms  p99 %.2fms  max %.2fms (%d deliveries of up to %d events)\n", r.Ack.P50, r.Ack.P99, r.Ack.Max, r.Ack.Count, r.Batch)
	fmt.Fprintf(w, "    in trama     p50 %.2fms  p99 %.2fms  max %.2fms (headers received → events stored)\n", r.ServerAck.P50, r.ServerAck.P99, r.ServerAck.Max)
	fmt.Fprintf(w, "  run start      event sent → run started  p50 %.2fms  p99 %.2fms  max %.2fms\n", r.RunStart.P50, r.RunStart.P99, r.RunStart.Max)
	fmt.Fprintf(w, "  run finish     event sent → run finished p50 %.2fms  p99 %.2fms  max %.2fms\n", r.RunFinish.P50, r.RunFinish.P99, r.RunFinish.Max)
	if r.CPUPerRunMs > 0 {
		whose := "trama and the load generator"
		if r.Store != "SQLite" {
			whose += "; the database's is on its own line"
		}
		fmt.Fprintf(w, "  cpu            %.3f ms per run, %.2f cores busy (%s)\n", r.CPUPerRunMs, r.Cores, whose)
	}
	if d := r.Database; d != nil {
		fmt.Fprintf(w, "  database       per run: %.2f commits; rows %.2f inserted, %.2f updated (%.2f heap-only), %.2f deleted\n",
			d.Commits, d.RowsInserted, d.RowsUpdated, d.HeapOnly, d.RowsDeleted)
		if d.WALRecords > 0 {
			fmt.Fprintf(w, "                 WAL %.2f KB in %.1f records (%.2f full pages) per run, the whole server's\n",
				d.WALBytes/1000, d.WALRecords, d.WALFullPages)
		}
		if d.CPUPerRunMs > 0 {
			fmt.Fprintf(w, "                 CPU %.3f ms per run, the whole server's (it runs on this machine)\n", d.CPUPerRunMs)
		} else {
			fmt.Fprintf(w, "                 CPU not counted: the server's processes are not visible here\n")
		}
	}
	if r.PeakRSSMiB > 0 {
		fmt.Fprintf(w, "  peak memory    %.0f MiB resident (trama and the load generator)\n", r.PeakRSSMiB)
	}
}

func replicas(n int) string {
	if n == 1 {
		return "1 replica"
	}
	return fmt.Sprintf("%d replicas", n)
}

// Runs starts trama serve (Replicas of them on PostgreSQL) in this process, sends Events events that
// each fire a Steps-step workflow against a loopback server, and measures until every run finished.
func Runs(ctx context.Context, o RunsOptions) (*RunsReport, error) {
	o = o.withDefaults()
	if o.Replicas > 1 && o.Store == "" {
		return nil, errors.New("several replicas need a PostgreSQL store: SQLite is one process's")
	}
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

	storeURL, storeName := "sqlite:./bench.db", "SQLite"
	var pg *sql.DB // the bench's own connection to a PostgreSQL store: its statistics, and the drop at the end
	var schema string
	if o.Store != "" {
		schema = fmt.Sprintf("trama_bench_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
		storeURL, err = withSchema(o.Store, schema)
		if err != nil {
			return nil, err
		}
		plain, err := serverURL(o.Store)
		if err != nil {
			return nil, err
		}
		if pg, err = sql.Open("pgx", plain); err != nil {
			return nil, err
		}
		pg.SetMaxOpenConns(1)
		defer pg.Close()
		defer dropSchema(pg, schema)
		storeName = "PostgreSQL"
	}
	cfgText := "store: " + storeURL + "\nhooks:\n  okta:\n    auth: { value: " + benchSecret + " }\n" +
		"servers:\n  target: http://" + tgt.addr + "\n" +
		"triggers:\n  - name: bench\n    on: " + firingType + "\n    run: { file: bench.arazzo.yaml, workflow: ping }\n"
	workflow := benchWorkflow(o.Steps)
	if o.Wait {
		workflow = benchWaitWorkflow
	}
	if err := writeFiles(dir, map[string]string{"bench.openapi.yaml": benchOpenAPI, "bench.arazzo.yaml": workflow, "trama.yaml": cfgText}); err != nil {
		return nil, err
	}
	cfg, err := config.Load(filepath.Join(dir, "trama.yaml"), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, fmt.Errorf("bench configuration: %w", err)
	}

	type finish struct {
		start, end time.Time
		ok         bool
	}
	var (
		mu       sync.Mutex
		finished = make(map[string]finish, o.Events)
		done     = make(chan struct{})
	)
	onFinished := func(r store.Run, _ *runner.Result) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		if _, seen := finished[r.EventUUID]; seen {
			return
		}
		finished[r.EventUUID] = finish{start: r.StartedAt, end: now, ok: r.Status == store.RunSucceeded}
		if len(finished) == o.Events {
			close(done)
		}
	}
	var serverAcksMu sync.Mutex
	var serverAcks []time.Duration
	onAck := func(d time.Duration) {
		serverAcksMu.Lock()
		serverAcks = append(serverAcks, d)
		serverAcksMu.Unlock()
	}
	var hooks []string
	var srvs []*server.Server
	for range o.Replicas {
		srv, err := server.Start(ctx, cfg, server.Options{
			Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
			OnRunFinished: onFinished,
			OnAck:         onAck,
		})
		if err != nil {
			return nil, err
		}
		defer srv.Stop()
		srvs = append(srvs, srv)
		hooks = append(hooks, srv.URL+"/hooks/okta")
	}

	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	hc := newHookClient(ctx, o.Concurrency)
	defer hc.close()
	deliveries := (o.Events + o.Batch - 1) / o.Batch
	sentAt := make([]time.Time, deliveries)
	acks := make([]time.Duration, deliveries)
	var next atomic.Int64
	var firstErr atomic.Value
	var pgBefore pgCounters
	var pgSrv pgServer
	if pg != nil {
		pgSrv = pgServer{db: pg, schema: schema}
		pgSrv.postmaster, _ = localServer(ctx, pg, "/proc")
		if pgBefore, err = readPGCounters(ctx, pgSrv); err != nil {
			return nil, err
		}
	}
	cpuBefore := cpuTime()
	began := time.Now()
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for ctx.Err() == nil {
				d := int(next.Add(1)) - 1
				if d >= deliveries {
					return
				}
				if o.Rate > 0 {
					// Delivery d is due when its first event is, at the offered rate.
					due := began.Add(time.Duration(float64(d*o.Batch) / o.Rate * float64(time.Second)))
					if wait := time.Until(due); wait > 0 {
						select {
						case <-time.After(wait):
						case <-ctx.Done():
							return
						}
					}
				}
				n := min(o.Batch, o.Events-d*o.Batch)
				buf = appendDelivery(buf[:0], d, n, firingType, false)
				sent, took, err := hc.send(hooks[d%len(hooks)], buf)
				sentAt[d], acks[d] = sent, took
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, fmt.Errorf("sending deliveries: %w", err)
	}
	if o.Wait {
		return waitReport(ctx, o, srvs[0].Store(), storeName, began)
	}
	select {
	case <-done:
	case <-ctx.Done():
		mu.Lock()
		n := len(finished)
		mu.Unlock()
		return nil, fmt.Errorf("%d of %d runs finished before --timeout", n, o.Events)
	}
	cpu, cpuSpan := cpuTime()-cpuBefore, time.Since(began)

	rep := &RunsReport{Events: o.Events, Steps: o.Steps, Replicas: o.Replicas, Store: storeName, Offered: o.Rate,
		Batch: o.Batch, PeakRSSMiB: peakRSSMiB()}
	var starts, ends []time.Duration
	var last time.Time
	mu.Lock()
	for uuid, f := range finished {
		d, _, ok := parseBenchUUID(uuid)
		if !ok || d >= len(sentAt) {
			continue
		}
		starts = append(starts, f.start.Sub(sentAt[d]))
		ends = append(ends, f.end.Sub(sentAt[d]))
		if f.end.After(last) {
			last = f.end
		}
		if f.ok {
			rep.Succeeded++
		} else {
			rep.Failed++
		}
	}
	mu.Unlock()
	rep.Seconds = last.Sub(began).Seconds()
	rep.RunsPerSec = float64(rep.Succeeded+rep.Failed) / rep.Seconds
	rep.StepsPerSec = rep.RunsPerSec * float64(o.Steps)
	if cpu > 0 && rep.Succeeded+rep.Failed > 0 {
		rep.CPUPerRunMs = float64(cpu) / float64(time.Millisecond) / float64(rep.Succeeded+rep.Failed)
		rep.Cores = cpu.Seconds() / cpuSpan.Seconds()
	}
	if pg != nil {
		// The replicas stop first: a session reports its last counts when it ends.
		for _, srv := range srvs {
			srv.Stop()
		}
		after, err := settledPGCounters(ctx, pgSrv)
		if err != nil {
			return nil, err
		}
		if rep.Database, err = after.perRun(pgBefore, rep.Succeeded+rep.Failed); err != nil {
			return nil, err
		}
	}
	rep.RunStart, rep.RunFinish = latency.Summarize(starts), latency.Summarize(ends)
	rep.Ack = latency.Summarize(acks)
	serverAcksMu.Lock()
	rep.ServerAck = latency.Summarize(serverAcks)
	serverAcksMu.Unlock()
	return rep, nil
}

// benchWaitWorkflow needs an input the trigger does not give before its only request: its runs wait.
const benchWaitWorkflow = `arazzo: 1.0.1
info: {title: trama bench, version: 1.0.0}
sourceDescriptions:
  - {name: target, url: ./bench.openapi.yaml, type: openapi}
workflows:
  - workflowId: ping
    inputs:
      type: object
      required: [approval]
      properties:
        approval: {type: string, description: what a person answers}
    steps:
      - stepId: ping1
        operationId: ping
        parameters:
          - {name: X-Approval, in: header, value: $inputs.approval}
        successCriteria:
          - condition: $statusCode == 200
`

// waitReport waits until every run waits for its input and measures what they cost.
func waitReport(ctx context.Context, o RunsOptions, st *store.Store, storeName string, began time.Time) (*RunsReport, error) {
	for {
		c, err := st.Counts(ctx)
		if err != nil {
			return nil, err
		}
		if n := c.Runs[store.RunWaiting]; n >= int64(o.Events) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d runs were waiting before --timeout", c.Runs[store.RunWaiting], o.Events)
		case <-time.After(50 * time.Millisecond):
		}
	}
	rep := &RunsReport{Events: o.Events, Steps: 1, Replicas: o.Replicas, Store: storeName, Offered: o.Rate,
		Seconds: time.Since(began).Seconds(), Waiting: o.Events}
	rep.Goroutines = settledGoroutines(ctx)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.HeapMiB = float64(ms.HeapAlloc) / (1 << 20)
	rep.PeakRSSMiB = peakRSSMiB()
	return rep, nil
}

// settledGoroutines counts the process's goroutines once the count stopped falling for two seconds (at
// most ten): the goroutines that ran the attempts wait a second for more work before they exit, and a
// waiting run must not be charged for them.
func settledGoroutines(ctx context.Context) int {
	const quiet, most, every = 2 * time.Second, 10 * time.Second, 100 * time.Millisecond
	low, since := runtime.NumGoroutine(), time.Now()
	for start := time.Now(); time.Since(since) < quiet && time.Since(start) < most; {
		select {
		case <-ctx.Done():
			return low
		case <-time.After(every):
		}
		if n := runtime.NumGoroutine(); n < low {
			low, since = n, time.Now()
		}
	}
	return low
}

func (o RunsOptions) withDefaults() RunsOptions {
	if o.Events <= 0 {
		o.Events = 10000
	}
	if o.Steps <= 0 {
		o.Steps = 1
	}
	if o.Batch <= 0 {
		o.Batch = 50
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	return o
}

// withSchema sets the URL's trama_schema, so the bench works apart from any real data.
func withSchema(raw, schema string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("--store takes a postgres:// URL (SQLite is the default)")
	}
	q := u.Query()
	q.Set("trama_schema", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// dropSchema removes the bench's schema and everything in it.
func dropSchema(db *sql.DB, schema string) {
	db.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`)
}
