package main

import (
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/bench"
	"github.com/trama-dev/trama/report"
)

func init() { subcommands = append(subcommands, newBenchCmd) }

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure trama on this machine",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newBenchIngestCmd(), newBenchRunsCmd(), newBenchCompareCmd())
	return cmd
}

// benchResult ends a bench subcommand: the bench's error is trama's (exit 3), and its report goes out in
// the --output format.
func benchResult(cmd *cobra.Command, output string, rep interface{ WriteText(io.Writer) }, err error) error {
	if err != nil {
		return &exitError{code: exitInternal, err: err}
	}
	if output == "json" {
		return report.WriteJSON(cmd.OutOrStdout(), rep)
	}
	rep.WriteText(cmd.OutOrStdout())
	return nil
}

func newBenchIngestCmd() *cobra.Command {
	var o bench.IngestOptions
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
			tuneServeGC() // measure serve as it runs
			rep, err := bench.Ingest(cmd.Context(), o)
			return benchResult(cmd, output, rep, err)
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

func newBenchRunsCmd() *cobra.Command {
	var o bench.RunsOptions
	var output string
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "Measure completed runs per second and event-to-run latencies",
		Long: `runs starts trama serve in this process (--replicas of them sharing a PostgreSQL --store), sends
--events events in deliveries of --batch, each firing a --steps-step workflow whose every step is a GET
of a loopback server, and waits until every run finished. Reported: completed runs/s and step calls/s
(from the first event sent to the last run finished); how long each delivery took to be acknowledged,
as the load generator saw it and as trama measured it (from the request's headers to its events stored,
the trama_hook_ack_seconds metric: the generator shares the cores, and its own waits count in the
first); event sent → run started and event sent → run finished (p50/p99/max); the CPU the process
used per completed run and how many cores that kept busy (trama, the load generator and the target;
not PostgreSQL's own): a cost that compares two builds better than runs/s when the machine's speed
drifts; on PostgreSQL, what the database did per run (commits, rows inserted, updated and deleted in the
bench's schema, and the server's WAL), counts that do not move with the machine's speed at all, and,
when the server runs on this machine, the CPU its processes used per run (read from /proc: the whole
server's); and the process's peak resident memory.

--rate offers the events at a fixed rate (events/s) instead of as fast as trama acknowledges them: the
latencies then say what a run waits at that load. The store is a temporary SQLite file unless --store
names a PostgreSQL database; the bench then works in a schema of its own that it drops at the end.`,
		Example: `  trama bench runs
  trama bench runs --events 20000 --rate 1000
  trama bench runs --steps 3 -o json
  trama bench runs --store postgres://trama@127.0.0.1/trama --replicas 3
  trama bench runs --wait --events 100000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat("output", output, "text", "json"); err != nil {
				return err
			}
			switch {
			case o.Events < 1, o.Steps < 1, o.Batch < 1, o.Concurrency < 1, o.Replicas < 1:
				return usageErr("--events, --steps, --batch, --concurrency and --replicas must be at least 1")
			case o.Rate < 0:
				return usageErr("--rate must be positive (or 0: as fast as trama acknowledges)")
			case o.Replicas > 1 && o.Store == "":
				return usageErr("--replicas %d needs --store postgres://…: an SQLite store belongs to one process", o.Replicas)
			}
			tuneServeGC() // measure serve as it runs
			rep, err := bench.Runs(cmd.Context(), o)
			return benchResult(cmd, output, rep, err)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Events, "events", 10000, "events to send; each fires one run")
	fl.IntVar(&o.Steps, "steps", 1, "steps in the workflow, each a GET of a loopback server")
	fl.Float64Var(&o.Rate, "rate", 0, "offer events at this rate (events/s); 0 sends as fast as they are acknowledged")
	fl.IntVar(&o.Batch, "batch", 50, "events per delivery (Okta batches up to 50)")
	fl.IntVar(&o.Concurrency, "concurrency", 4, "concurrent clients")
	fl.StringVar(&o.Store, "store", "", "a PostgreSQL URL (default: a temporary SQLite file)")
	fl.IntVar(&o.Replicas, "replicas", 1, "trama serve instances sharing the store (PostgreSQL only)")
	fl.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "give up after this long")
	fl.StringVar(&o.Dir, "dir", "", "keep the SQLite store and generated files in this directory")
	fl.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole measurement to this file (go tool pprof)")
	fl.BoolVar(&o.Wait, "wait", false, "make every run wait for an input nobody gives, and measure what the waiting runs cost")
	fl.StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}
