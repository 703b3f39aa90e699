package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/inputhelper"
	"github.com/trama-dev/trama/queue"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
	"github.com/trama-dev/trama/store"
)

// A run that needs an input its trigger did not give asks the trigger's input helpers; when none can
// answer it waits, holding no lease and no goroutine, until someone supplies the input (ResumeRun: the
// API or `trama runs resume`) or its wait times out.

// inputProvider is what a run asks for a missing input: the plan's helpers in order, then "later".
func inputProvider(p Plan, secrets *secret.Set) (runner.InputProvider, error) {
	var chain inputhelper.Chain
	for _, spec := range p.InputHelpers {
		h, err := inputhelper.Parse(spec, secrets)
		if err != nil {
			return nil, fmt.Errorf("trigger %s: input helper: %w", p.Trigger, err)
		}
		chain = append(chain, h)
	}
	return append(chain, runner.InputProviderFunc(later)), nil
}

func later(context.Context, runner.InputRequest) (any, error) { return nil, runner.ErrInputLater }

// wait stops the run until its input is supplied or InputTimeout passes.
func (w *Worker) wait(ctx context.Context, a *queue.Attempt, p Plan, pending *runner.InputPending) error {
	timeout := p.InputTimeout
	if timeout <= 0 {
		timeout = config.DefaultInputTimeout
	}
	now := time.Now()
	wt := store.Waiting{Input: pending.Name, WorkflowID: pending.WorkflowID, StepID: pending.StepID, Since: now,
		Until: now.Add(timeout)}
	wt.Description, _ = pending.Schema["description"].(string)
	wt.Type, _ = pending.Schema["type"].(string)
	if err := a.HoldWaiting(ctx, wt); err != nil {
		return err
	}
	w.Metrics.Run(a.Run.Trigger, string(store.RunWaiting))
	w.logger().Info("run waits for an input", "run", a.Run.ID, "trigger", a.Run.Trigger, "input", wt.Input,
		"step", wt.StepID, "until", wt.Until)
	return nil
}

// supplyInputs adds the inputs given to resume the run to its inputs.
func supplyInputs(inputs map[string]any, supplied json.RawMessage) error {
	if len(supplied) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(supplied, &m); err != nil {
		return fmt.Errorf("the inputs supplied to the run are unreadable: %w", err)
	}
	for k, v := range m {
		inputs[k] = v
	}
	return nil
}

// Resume supplies inputs to a waiting run (see store.ResumeRun); by names who did it, for the audit
// trail. The inputs must include the one the run waits for.
func Resume(ctx context.Context, st Store, runID string, inputs map[string]any, by string) (store.Run, error) {
	run, err := st.GetRun(ctx, runID)
	if err != nil {
		return store.Run{}, err
	}
	if run.Status != store.RunWaiting || run.Waiting == nil {
		return store.Run{}, fmt.Errorf("resume run %s: it is %s, not waiting for an input: %w", runID, run.Status, store.ErrConflict)
	}
	if m := run.Waiting.Message; m != nil {
		return store.Run{}, fmt.Errorf("resume run %s: it waits for a message on %s (step %q), not for an input; it goes on when the event arrives, or its step fails at %s: %w",
			runID, m.Channel, run.Waiting.StepID, run.Waiting.Until.UTC().Format(time.RFC3339), store.ErrConflict)
	}
	if _, ok := inputs[run.Waiting.Input]; !ok {
		return store.Run{}, fmt.Errorf("resume run %s: it waits for input %q (step %q); supply it, e.g. %s=VALUE: %w",
			runID, run.Waiting.Input, run.Waiting.StepID, run.Waiting.Input, store.ErrConflict)
	}
	values, err := json.Marshal(inputs)
	if err != nil {
		return store.Run{}, fmt.Errorf("resume run %s: inputs: %w", runID, err)
	}
	masked, err := json.Marshal(secret.RedactJSON(inputs, nil))
	if err != nil {
		return store.Run{}, fmt.Errorf("resume run %s: inputs: %w", runID, err)
	}
	return st.ResumeRun(ctx, runID, store.Resume{Inputs: values, Masked: masked, By: by})
}
