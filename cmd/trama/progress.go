package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
)

// cliObserver prints one line per step as it finishes and keeps the HTTP exchanges for --har.
type cliObserver struct {
	mu       sync.Mutex
	progress io.Writer // nil: no progress lines (--output json)
	secrets  *secret.Set
	har      *harRecorder
	// inFlight is the step running now ("workflow/step"), for the message of an interrupted run.
	inFlight string
}

func (o *cliObserver) StepStarted(workflowID, stepID string, attempt int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inFlight = stepID
	if attempt > 1 {
		o.inFlight = fmt.Sprintf("%s (attempt %d)", stepID, attempt)
	}
}

func (o *cliObserver) StepFinished(r runner.StepResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inFlight = ""
	if o.progress == nil {
		return
	}
	fmt.Fprintln(o.progress, stepLine(r))
}

// stepInFlight is the step that was running when the run stopped, or "".
func (o *cliObserver) stepInFlight() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.inFlight
}

func (o *cliObserver) Exchange(x runner.Exchange) {
	if o.har != nil {
		o.har.add(x, o.secrets)
	}
}

// stepLine is the progress line of a step: mark, step, HTTP status, time, attempts, and the error.
func stepLine(r runner.StepResult) string {
	mark := "✓"
	if r.Status != runner.StatusSucceeded {
		mark = "✗"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-28s", mark, r.StepID)
	if r.Request != nil {
		fmt.Fprintf(&b, " %-6s", r.Request.Method)
	}
	if r.Response != nil {
		fmt.Fprintf(&b, " %d", r.Response.StatusCode)
	} else {
		b.WriteString("  - ")
	}
	fmt.Fprintf(&b, " %8.1fms", r.DurationMs)
	if r.Attempts > 1 {
		fmt.Fprintf(&b, "  (%d attempts)", r.Attempts)
	}
	if r.Resumed {
		b.WriteString("  (resumed)")
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "\n    %s", r.Error)
	}
	return b.String()
}

// printSummary ends a text run: the status, the duration, and the workflow's outputs.
func printSummary(w io.Writer, res *runner.Result) {
	fmt.Fprintln(w)
	if res.Status == runner.StatusSucceeded {
		fmt.Fprintf(w, "workflow %s succeeded in %.1fms\n", res.WorkflowID, res.DurationMs)
	} else {
		fmt.Fprintf(w, "workflow %s failed in %.1fms", res.WorkflowID, res.DurationMs)
		if res.Error != nil {
			if res.Error.StepID != "" {
				fmt.Fprintf(w, " at step %s", res.Error.StepID)
			}
			fmt.Fprintf(w, ": %s", res.Error.Message)
		}
		fmt.Fprintln(w)
	}
	if len(res.Outputs) > 0 {
		fmt.Fprintln(w, "outputs:")
		for _, k := range slices.Sorted(maps.Keys(res.Outputs)) {
			fmt.Fprintf(w, "  %s: %s\n", k, textValue(res.Outputs[k]))
		}
	}
	if len(res.UnsetOutputs) > 0 {
		fmt.Fprintln(w, "not set on the path taken:")
		for _, k := range slices.Sorted(maps.Keys(res.UnsetOutputs)) {
			fmt.Fprintf(w, "  %s: %s\n", k, res.UnsetOutputs[k])
		}
	}
}
