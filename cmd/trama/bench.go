package main

import (
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
	cmd.AddCommand(newBenchIngestCmd())
	return cmd
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
			rep, err := bench.Ingest(cmd.Context(), o)
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			if output == "json" {
				return report.WriteJSON(cmd.OutOrStdout(), rep)
			}
			rep.WriteText(cmd.OutOrStdout())
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
