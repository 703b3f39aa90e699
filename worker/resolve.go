package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/store"
)

// Resolve applies an operator's decision to an uncertain run (see store.ResolveRun): resend sends the
// request in doubt again, skip treats its step as done without outputs and goes on with the next step,
// fail finishes the run as failed. by names the operator for the audit trail.
func Resolve(ctx context.Context, st Store, runID, action, by, reason string) (store.Run, error) {
	r := store.Resolve{Action: action, By: by, Reason: reason}
	if action == "skip" {
		run, err := st.GetRun(ctx, runID)
		if err != nil {
			return store.Run{}, err
		}
		in := run.Intent
		if run.Status != store.RunUncertain || in == nil {
			return store.Run{}, fmt.Errorf("resolve run %s: it is %s with no request in doubt: %w", runID, run.Status, store.ErrConflict)
		}
		msg := fmt.Sprintf("skipped by %s: %s %s may or may not have reached the API", by, in.Method, in.URL)
		cp := runner.Checkpoint{Seq: in.Seq, NextSeq: in.Seq + 1, Decision: runner.Decision{Kind: "next"},
			Result: runner.StepResult{StepID: in.StepID, WorkflowID: in.WorkflowID, Status: runner.StatusSkipped,
				Error: msg, Outputs: map[string]any{}}}
		raw, err := json.Marshal(cp)
		if err != nil {
			return store.Run{}, err
		}
		r.Skipped = &store.Step{Seq: in.Seq, StepID: in.StepID, Status: string(runner.StatusSkipped), Method: in.Method,
			URL: in.URL, StartedAt: time.Now(), Error: msg, Outputs: json.RawMessage(`{}`), Checkpoint: raw}
	}
	return st.ResolveRun(ctx, runID, r)
}
