package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trama-dev/trama/okta"
)

// WriteRuns prints runs as a table, newest first.
func WriteRuns(w io.Writer, runs []Run) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATUS\tTRIGGER\tWORKFLOW\tEVENT\tCREATED\tDURATION")
	for _, r := range runs {
		dur := "-"
		if r.DurationMs != nil {
			dur = fmt.Sprintf("%.1fms", *r.DurationMs)
		}
		wf := r.WorkflowID
		if r.Replay > 0 {
			wf += fmt.Sprintf(" (replay %d)", r.Replay)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Trigger, wf, r.EventUUID, r.CreatedAt.Local().Format(time.DateTime), dur)
	}
	tw.Flush()
}

// WriteRun prints one run with its steps.
func WriteRun(w io.Writer, r Run) {
	fmt.Fprintf(w, "run %s: %s\n", r.ID, r.Status)
	fmt.Fprintf(w, "  trigger:  %s\n  event:    %s\n  workflow: %s (%s)\n", r.Trigger, r.EventUUID, r.WorkflowID, r.WorkflowFile)
	if r.Version != "" {
		fmt.Fprintf(w, "  version:  %s (the workflow and sources as dispatched)\n", r.Version)
	}
	if r.Replay > 0 {
		fmt.Fprintf(w, "  replay:   %d\n", r.Replay)
	}
	fmt.Fprintf(w, "  created:  %s\n", r.CreatedAt.Local().Format(time.RFC3339))
	if r.DurationMs != nil {
		fmt.Fprintf(w, "  duration: %.1fms (attempt %d)\n", *r.DurationMs, r.Attempts)
	}
	if len(r.Inputs) > 0 {
		fmt.Fprintf(w, "  inputs:   %s\n", compact(r.Inputs))
	}
	if len(r.Outputs) > 0 {
		fmt.Fprintf(w, "  outputs:  %s\n", compact(r.Outputs))
	}
	if r.Error != "" {
		fmt.Fprintf(w, "  error:    %s\n", r.Error)
	}
	if r.RetryAt != nil {
		fmt.Fprintf(w, "  retry at: %s\n", r.RetryAt.Local().Format(time.RFC3339))
	}
	if d := r.InDoubt; d != nil {
		fmt.Fprintf(w, "  in doubt: step %s, %s %s (attempt %d, %s)\n", d.StepID, d.Method, d.URL, d.RunAttempt,
			d.At.Local().Format(time.RFC3339))
		fmt.Fprintf(w, "            check the API, then: trama runs resolve %s --resend | --skip | --fail\n", r.ID)
	}
	if wt := r.WaitingFor; wt != nil && wt.Message != nil {
		m := wt.Message
		fmt.Fprintf(w, "  waiting:  for a message on %s (step %s", m.Channel, wt.StepID)
		if m.Correlation != "" {
			fmt.Fprintf(w, ", correlated with %s", m.Correlation)
		}
		fmt.Fprintf(w, "), until %s\n", wt.Until.Local().Format(time.RFC3339))
		fmt.Fprintf(w, "            it resumes when Okta delivers the event; the step fails at the timeout\n")
	} else if wt != nil {
		fmt.Fprintf(w, "  waiting:  for input %s of step %s", wt.Input, wt.StepID)
		if wt.Description != "" {
			fmt.Fprintf(w, " (%s)", wt.Description)
		}
		fmt.Fprintf(w, ", until %s\n", wt.Until.Local().Format(time.RFC3339))
		fmt.Fprintf(w, "            supply it: trama runs resume %s --input %s=VALUE\n", r.ID, wt.Input)
	}
	if res := r.Resolution; res != nil {
		fmt.Fprintf(w, "  resolved: %s by %s at %s", res.Action, res.By, res.At.Local().Format(time.RFC3339))
		if res.Reason != "" {
			fmt.Fprintf(w, " (%s)", res.Reason)
		}
		fmt.Fprintln(w)
	}
	for _, e := range r.Audit {
		fmt.Fprintf(w, "  %s by %s at %s: %s\n", e.Action, e.Actor, e.At.Local().Format(time.RFC3339), e.Detail)
	}
	if len(r.AttemptLog) > 1 {
		fmt.Fprintln(w, "  attempts:")
		for _, a := range r.AttemptLog {
			fmt.Fprintf(w, "    %d  %s  %s\n", a.Attempt, a.ClaimedAt.Local().Format(time.RFC3339), a.Owner)
		}
	}
	if len(r.Steps) > 0 {
		fmt.Fprintln(w, "  steps:")
		for _, s := range r.Steps {
			mark := "✓"
			switch s.Status {
			case "succeeded":
			case "skipped":
				mark = "↷"
			default:
				mark = "✗"
			}
			fmt.Fprintf(w, "    %s %d %-24s %-6s %3d %8.1fms  %s\n", mark, s.Seq, s.StepID, s.Method, s.StatusCode, s.DurationMs, s.URL)
			if s.Auth != "" {
				fmt.Fprintf(w, "        authenticated by %s\n", s.Auth)
			}
			if s.Error != "" {
				fmt.Fprintf(w, "        %s\n", s.Error)
			}
		}
	}
}

// WriteEvents prints events as a table.
func WriteEvents(w io.Writer, events []Event) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UUID\tTYPE\tPUBLISHED\tSOURCE\tDUPLICATES\tREPLAYS\tOUTCOME")
	for _, e := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", e.UUID, e.Type, e.Published.UTC().Format(okta.TimeLayout), e.Source,
			e.Duplicates, e.Replays, Outcome(e))
	}
	tw.Flush()
}

// Outcome says in a few words what became of an event: its runs, the triggers it skipped and why, or
// that it still waits for dispatch.
func Outcome(e Event) string {
	var parts []string
	switch {
	case e.Pending && e.DispatchError != "":
		parts = append(parts, "dispatch failing: "+clip(e.DispatchError, 60))
	case e.Pending:
		parts = append(parts, "waiting for dispatch")
	}
	if e.RunCount == 1 {
		parts = append(parts, "1 run")
	} else if e.RunCount > 1 {
		parts = append(parts, fmt.Sprintf("%d runs", e.RunCount))
	}
	for _, s := range e.Skipped {
		parts = append(parts, fmt.Sprintf("%s skipped (%s)", s.Trigger, s.Reason))
	}
	if len(parts) == 0 {
		return "no trigger matched"
	}
	return strings.Join(parts, "; ")
}

// WriteEvent prints one event: its card, with the labels the Okta Workflows card uses, and its runs.
func WriteEvent(w io.Writer, e Event) {
	fmt.Fprintf(w, "event %s (%s), received %s by %s\n", e.UUID, e.Type, e.ReceivedAt.Local().Format(time.RFC3339), e.Source)
	if e.Card != nil {
		WriteCard(w, *e.Card)
	}
	if len(e.Runs) > 0 {
		fmt.Fprintln(w, "runs:")
		for _, r := range e.Runs {
			fmt.Fprintf(w, "  %s  %-9s %s → %s\n", r.ID, r.Status, r.Trigger, r.WorkflowID)
		}
	}
	for _, a := range e.Audit {
		fmt.Fprintf(w, "%s by %s at %s: %s\n", a.Action, a.Actor, a.At.Local().Format(time.RFC3339), a.Detail)
	}
	if len(e.Skipped) > 0 {
		fmt.Fprintln(w, "skipped triggers:")
		for _, s := range e.Skipped {
			fmt.Fprintf(w, "  %s  %s: %s\n", s.Trigger, s.Reason, s.Detail)
		}
	}
	switch {
	case len(e.Runs) > 0 || len(e.Skipped) > 0:
	case e.Pending && e.DispatchError != "":
		fmt.Fprintf(w, "runs: none yet; matching it against the triggers failed and will be tried again: %s\n", e.DispatchError)
	case e.Pending:
		fmt.Fprintln(w, "runs: none yet (waiting to be matched against the triggers)")
	default:
		fmt.Fprintln(w, "runs: none (no trigger listens for this event type)")
	}
}

// WriteCard prints an event card field by field, labelled as the Okta Workflows card documents them.
func WriteCard(w io.Writer, c okta.Card) {
	fmt.Fprintf(w, "card (%s):\n", cardTitle(c.EventType))
	for _, f := range CardRows(c) {
		if len(f.Fields) > 0 {
			fmt.Fprintf(w, "  %s:\n", f.Name)
			for _, sub := range f.Fields {
				fmt.Fprintf(w, "    %-14s %s\n", sub.Name+":", oneLine(sub))
			}
			continue
		}
		fmt.Fprintf(w, "  %-16s %s\n", f.Name+":", oneLine(f))
	}
}

// oneLine shows a card value on one line: objects as compact JSON, long values cut.
func oneLine(r CardRow) string {
	if !r.JSON {
		return r.Value
	}
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(r.Value)) != nil {
		return clip(r.Value, 110)
	}
	return clip(buf.String(), 110)
}

func cardTitle(eventType string) string {
	if eventType == "user.mfa.factor.activate" {
		return "User MFA Factor Activated"
	}
	return eventType
}

func compact(b json.RawMessage) string {
	var buf strings.Builder
	var v any
	if json.Unmarshal(b, &v) == nil {
		out, _ := json.Marshal(v)
		buf.Write(out)
	} else {
		buf.Write(b)
	}
	return clip(buf.String(), 200)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
