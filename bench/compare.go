package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/trama-dev/trama/bench/latency"
	"github.com/trama-dev/trama/secret"
)

// CompareOptions shape a side-by-side comparison of two trama builds; `trama bench compare` sets them.
type CompareOptions struct {
	// Baseline and Candidate are the paths of the two trama binaries.
	Baseline, Candidate string
	// Args are the flags of `trama bench runs` that both builds run with (not -o, which the comparison
	// sets).
	Args []string
	// Rounds of four runs each, in the order baseline, candidate, candidate, baseline. Default 2.
	Rounds int
	// Progress, when set, gets a line as each run ends.
	Progress io.Writer
}

// CompareReport is what a comparison measured: every run of each build, in the order they ran, and the
// medians.
type CompareReport struct {
	// Args are the bench's flags, with any password in a URL masked.
	Args      []string  `json:"args"`
	Rounds    int       `json:"rounds"`
	Baseline  BuildRuns `json:"baseline"`
	Candidate BuildRuns `json:"candidate"`
}

// BuildRuns are one build's runs and their medians.
type BuildRuns struct {
	Binary string       `json:"binary"`
	Runs   []RunsReport `json:"runs"`
	Median Medians      `json:"median"`
}

// Medians are the medians of a build's runs. The database's counts are zero where a build's bench did
// not report them (a build before they were added, or SQLite).
type Medians struct {
	RunsPerSec  float64 `json:"completedRunsPerSecond"`
	CPUPerRunMs float64 `json:"cpuPerRunMs"`
	FinishP99Ms float64 `json:"eventToRunFinishP99Ms"`
	// AckP99Ms is the acknowledgement's p99 as trama measured it (serverAck).
	AckP99Ms    float64 `json:"ackP99Ms"`
	Commits     float64 `json:"commitsPerRun,omitempty"`
	RowsWritten float64 `json:"rowsWrittenPerRun,omitempty"`
	WALBytes    float64 `json:"walBytesPerRun,omitempty"`
	// DBCPUPerRunMs is the database server's CPU per run, where it runs on this machine (DBWork), and
	// AllCPUPerRunMs the median of each run's sum of both: what a run cost the machine.
	DBCPUPerRunMs  float64 `json:"databaseCpuPerRunMs,omitempty"`
	AllCPUPerRunMs float64 `json:"allCpuPerRunMs,omitempty"`
}

// Compare runs `trama bench runs` with each build in turn, Rounds times in the order baseline,
// candidate, candidate, baseline, and reports both side by side. A shared machine's speed drifts by a
// third within an hour; alternating the builds over the same minutes is what makes their numbers
// comparable.
func Compare(ctx context.Context, o CompareOptions) (*CompareReport, error) {
	if o.Rounds <= 0 {
		o.Rounds = 2
	}
	if err := o.Check(); err != nil {
		return nil, err
	}
	rep := &CompareReport{Args: maskURLs(o.Args), Rounds: o.Rounds,
		Baseline: BuildRuns{Binary: o.Baseline}, Candidate: BuildRuns{Binary: o.Candidate}}
	// A round alternates the builds and is mirrored, so that a machine that speeds up or slows down
	// steadily over the round favours neither.
	base, cand := &rep.Baseline, &rep.Candidate
	order := [4]*BuildRuns{base, cand, cand, base}
	for round := range o.Rounds {
		for _, b := range order {
			r, err := benchRuns(ctx, b.Binary, o.Args)
			if err != nil {
				return nil, err
			}
			b.Runs = append(b.Runs, *r)
			if o.Progress != nil {
				which := "baseline"
				if b == cand {
					which = "candidate"
				}
				fmt.Fprintf(o.Progress, "round %d  %-9s  %6.0f runs/s  %.3f ms CPU per run\n", round+1, which, r.RunsPerSec, r.CPUPerRunMs)
			}
		}
	}
	rep.Baseline.Median, rep.Candidate.Median = medians(rep.Baseline.Runs), medians(rep.Candidate.Runs)
	return rep, nil
}

// Check reports what in o cannot make a comparison: a missing binary, or bench flags that take the
// report's form or its subject away.
func (o CompareOptions) Check() error {
	if o.Baseline == "" || o.Candidate == "" {
		return errors.New("compare needs a baseline and a candidate trama binary")
	}
	for _, a := range o.Args {
		if strings.HasPrefix(a, "-o") || a == "--output" || strings.HasPrefix(a, "--output=") {
			return errors.New("the bench's output format is the comparison's to set: leave -o out of the flags after --")
		}
		if a == "--wait" || strings.HasPrefix(a, "--wait=") {
			return errors.New("--wait measures waiting runs, not throughput: there is nothing to compare")
		}
	}
	return nil
}

// benchRuns runs one build's bench and reads its report.
func benchRuns(ctx context.Context, binary string, args []string) (*RunsReport, error) {
	cmd := exec.CommandContext(ctx, binary, append([]string{"bench", "runs", "-o", "json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:] // the bench's own error comes last, after any log lines
		}
		if msg == "" {
			msg = "no output"
		}
		return nil, fmt.Errorf("%s bench runs: %w: %s", binary, err, maskURLs([]string{msg})[0])
	}
	var r RunsReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("%s bench runs: its report is not JSON (is it a trama binary?): %w", binary, err)
	}
	if r.Succeeded+r.Failed == 0 {
		return nil, fmt.Errorf("%s bench runs: no run completed", binary)
	}
	return &r, nil
}

func medians(runs []RunsReport) Medians {
	pick := func(f func(RunsReport) float64) float64 {
		vs := make([]float64, len(runs))
		for i, r := range runs {
			vs[i] = f(r)
		}
		return latency.Median(vs)
	}
	db := func(f func(*DBWork) float64) func(RunsReport) float64 {
		return func(r RunsReport) float64 {
			if r.Database == nil {
				return 0
			}
			return f(r.Database)
		}
	}
	return Medians{
		RunsPerSec:    pick(func(r RunsReport) float64 { return r.RunsPerSec }),
		CPUPerRunMs:   pick(func(r RunsReport) float64 { return r.CPUPerRunMs }),
		FinishP99Ms:   pick(func(r RunsReport) float64 { return r.RunFinish.P99 }),
		AckP99Ms:      pick(func(r RunsReport) float64 { return r.ServerAck.P99 }),
		Commits:       pick(db(func(d *DBWork) float64 { return d.Commits })),
		RowsWritten:   pick(db(func(d *DBWork) float64 { return d.RowsInserted + d.RowsUpdated + d.RowsDeleted })),
		WALBytes:      pick(db(func(d *DBWork) float64 { return d.WALBytes })),
		DBCPUPerRunMs: pick(db(func(d *DBWork) float64 { return d.CPUPerRunMs })),
		AllCPUPerRunMs: pick(func(r RunsReport) float64 {
			if r.Database == nil || r.Database.CPUPerRunMs == 0 {
				return 0
			}
			return r.CPUPerRunMs + r.Database.CPUPerRunMs
		}),
	}
}

// WriteText writes the comparison for a terminal: each measure's median for both builds, the change,
// and for runs/s every run in the order it ran.
func (c *CompareReport) WriteText(w io.Writer) {
	rounds := "1 round"
	if c.Rounds != 1 {
		rounds = fmt.Sprintf("%d rounds", c.Rounds)
	}
	fmt.Fprintf(w, "trama bench compare: %s of `bench runs %s`, each round baseline, candidate, candidate, baseline\n",
		rounds, strings.Join(c.Args, " "))
	fmt.Fprintf(w, "  baseline   %s\n  candidate  %s\n\n", c.Baseline.Binary, c.Candidate.Binary)
	fmt.Fprintf(w, "  %-26s %12s %12s %9s\n", "median", "baseline", "candidate", "change")
	b, k := c.Baseline.Median, c.Candidate.Median
	row := func(name, format string, before, after float64) {
		if before == 0 && after == 0 {
			return
		}
		// A zero is a measure that build's bench does not report (the database's counts came later).
		show := func(v float64) string {
			if v == 0 {
				return "—"
			}
			return fmt.Sprintf(format, v)
		}
		change := "—"
		if before != 0 && after != 0 {
			change = fmt.Sprintf("%+.1f %%", (after-before)/before*100)
		}
		fmt.Fprintf(w, "  %-26s %12s %12s %9s\n", name, show(before), show(after), change)
	}
	row("completed runs/s", "%.0f", b.RunsPerSec, k.RunsPerSec)
	row("CPU per run, ms", "%.3f", b.CPUPerRunMs, k.CPUPerRunMs)
	row("event → finish p99, ms", "%.1f", b.FinishP99Ms, k.FinishP99Ms)
	row("acknowledgement p99, ms", "%.2f", b.AckP99Ms, k.AckP99Ms)
	row("commits per run", "%.3f", b.Commits, k.Commits)
	row("rows written per run", "%.2f", b.RowsWritten, k.RowsWritten)
	row("WAL per run, KB", "%.2f", b.WALBytes/1000, k.WALBytes/1000)
	row("database CPU per run, ms", "%.3f", b.DBCPUPerRunMs, k.DBCPUPerRunMs)
	row("all CPU per run, ms", "%.3f", b.AllCPUPerRunMs, k.AllCPUPerRunMs)
	each := func(runs []RunsReport) string {
		vs := make([]string, len(runs))
		for i, r := range runs {
			vs[i] = fmt.Sprintf("%.0f", r.RunsPerSec)
		}
		return strings.Join(vs, ", ")
	}
	fmt.Fprintf(w, "\n  runs/s, in the order run:\n    baseline   %s\n    candidate  %s\n", each(c.Baseline.Runs), each(c.Candidate.Runs))
	fmt.Fprintln(w, "\n  The CPU per run counts trama and the load generator; the database's CPU (its whole server's, where it\n"+
		"  runs on this machine) is on its own line, and all CPU adds the two. The database's counts do not\n"+
		"  depend on the machine's speed, the rest do.")
}

// maskURLs masks what a URL among args may carry of secrets (a password, a password= parameter).
func maskURLs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		fields := strings.Fields(a)
		for j, f := range fields {
			if flag, value, ok := strings.Cut(f, "="); ok && strings.HasPrefix(flag, "-") {
				fields[j] = flag + "=" + secret.RedactURL(value, nil)
				continue
			}
			fields[j] = secret.RedactURL(f, nil)
		}
		out[i] = strings.Join(fields, " ")
	}
	return out
}
