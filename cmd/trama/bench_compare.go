package main

import (
	"os"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/bench"
)

func newBenchCompareCmd() *cobra.Command {
	var o bench.CompareOptions
	var output string
	cmd := &cobra.Command{
		Use:   "compare BASELINE [CANDIDATE] [flags] [-- bench runs flags]",
		Short: "Run `bench runs` with two trama builds in turn and report them side by side",
		Long: `compare runs ` + "`trama bench runs`" + ` with two trama binaries in turn, --rounds times in the order
baseline, candidate, candidate, baseline, and reports the medians of both side by side: completed runs/s,
CPU per run, event → run finished p99, the acknowledgement p99 in trama and, on PostgreSQL, the
database's commits, rows written and WAL per run, and its server's CPU per run when it runs on this
machine (with trama's, what a run cost the machine: the steadiest measure of the two builds' cost).
CANDIDATE defaults to this trama. The flags after -- go to every ` + "`bench runs`" + `.

A shared machine's speed drifts by a third within an hour, so runs/s measured at different times say
little about two builds; alternating them over the same minutes, mirrored within each round, is what
makes their numbers comparable; even so, two rounds' medians can differ by a tenth by chance, and more
--rounds narrow that. The database's counts do not depend on the machine's speed at all: they tell two
builds apart where runs/s cannot. Build the baseline from the commit before a change, e.g.
git worktree add /tmp/before HEAD~1 && (cd /tmp/before && go build -o /tmp/trama-before ./cmd/trama).`,
		Example: `  trama bench compare /tmp/trama-before
  trama bench compare /tmp/trama-before --rounds 3 -- --events 20000
  trama bench compare /tmp/trama-before ./trama -- --store postgres://trama@127.0.0.1/trama --replicas 3
  trama bench compare /tmp/trama-before -o json -- --events 5000 --rate 1000`,
		Args: func(cmd *cobra.Command, args []string) error {
			if binaries, _ := atDash(cmd, args); len(binaries) < 1 || len(binaries) > 2 {
				return usageErr("compare takes the baseline trama binary, and optionally the candidate, before --; got %d", len(binaries))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat("output", output, "text", "json"); err != nil {
				return err
			}
			if o.Rounds < 1 {
				return usageErr("--rounds must be at least 1")
			}
			binaries, benchArgs := atDash(cmd, args)
			o.Baseline, o.Args = binaries[0], benchArgs
			if len(binaries) == 2 {
				o.Candidate = binaries[1]
			} else {
				self, err := os.Executable()
				if err != nil {
					return usageErr("name the candidate trama binary: this one's path is unknown (%v)", err)
				}
				o.Candidate = self
			}
			for _, b := range []string{o.Baseline, o.Candidate} {
				if _, err := exec.LookPath(b); err != nil {
					return usageErr("%s is not a program this user can run: %v", b, err)
				}
			}
			if err := o.Check(); err != nil {
				return usageErr("%v", err)
			}
			o.Progress = cmd.ErrOrStderr()
			rep, err := bench.Compare(cmd.Context(), o)
			return benchResult(cmd, output, rep, err)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Rounds, "rounds", 2, "rounds of four runs (baseline, candidate, candidate, baseline)")
	fl.StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// atDash splits compare's arguments into the binaries before -- and the bench's flags after it.
func atDash(cmd *cobra.Command, args []string) (binaries, benchArgs []string) {
	if dash := cmd.ArgsLenAtDash(); dash >= 0 {
		return args[:dash], args[dash:]
	}
	return args, nil
}
