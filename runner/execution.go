package runner

import (
	"go.opentelemetry.io/otel/attribute"

	"context"
	"errors"
	"fmt"
	"github.com/trama-dev/trama/tracing"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/secret"
)

// execution is the state of one Run call: every workflow it ran, the step sequence for checkpoints, and
// the Result being built.
type execution struct {
	r        *Runner
	obs      Observer
	cp       Checkpointer
	guard    Guard
	provider InputProvider
	// pending is set when an input (*InputPending) or a message (*MessagePending) comes later: the run
	// stops at once.
	pending   error
	messenger Messenger
	secrets   *secret.Set
	// auths authenticate requests by source description name (RunOptions or Options).
	auths map[string]Authenticator
	// done holds the workflows that finished in this run, for dependsOn (run once) and $workflows.X.
	done    map[*arazzo.Workflow]*wfState
	result  *Result
	started time.Time
	// since is when the run first started (RunOptions.Since), where receive steps begin to listen.
	since     time.Time
	seq       int
	replay    map[int]Checkpoint
	stepCount int
	// waited is the time spent waiting for an InputProvider (a person typing a passcode), which step
	// durations leave out.
	waited time.Duration
}

// wfState is one workflow execution: its inputs, what its steps produced, and its outputs.
type wfState struct {
	doc       *arazzo.Document
	wf        *arazzo.Workflow
	schema    *inputSchema
	inputs    map[string]any
	steps     map[string]map[string]any // stepId → outputs of its latest execution
	responses map[string]any            // stepId → last response body
	succeeded map[string]bool           // stepIds whose latest execution succeeded, for step dependsOn
	outputs   map[string]any
	// unsetOutputs are the workflow outputs the path taken did not produce, with why.
	unsetOutputs map[string]string
	// order lists the steps whose responses are in responses, the one that ran last at the end.
	order []string
}

// ran moves stepID to the end of st.order.
func (st *wfState) ran(stepID string) {
	st.order = append(slices.DeleteFunc(st.order, func(id string) bool { return id == stepID }), stepID)
}

// runWorkflow runs wf's dependencies (once per run), then its steps, then evaluates its outputs.
func (x *execution) runWorkflow(ctx context.Context, doc *arazzo.Document, wf *arazzo.Workflow, inputs map[string]any) (*wfState, error) {
	for _, dep := range wf.DependsOn {
		ddoc, dwf, err := x.r.lookupWorkflow(doc, dep)
		if err != nil {
			return nil, &stepFailure{msg: fmt.Sprintf("workflow %q depends on %q: %v", wf.WorkflowID, dep, err)}
		}
		if _, ok := x.done[dwf]; ok {
			continue
		}
		if _, err := x.runWorkflow(ctx, ddoc, dwf, inputs); err != nil {
			var sf *stepFailure
			if errors.As(err, &sf) {
				return nil, &stepFailure{stepID: sf.stepID, msg: fmt.Sprintf("dependency %q failed: %s", dwf.WorkflowID, sf.msg)}
			}
			return nil, err
		}
	}
	schema, err := x.r.inputSchema(doc, wf)
	if err != nil {
		return nil, &stepFailure{msg: err.Error()}
	}
	st := &wfState{
		doc:       doc,
		wf:        wf,
		schema:    schema,
		inputs:    inputs,
		steps:     make(map[string]map[string]any, len(wf.Steps)),
		succeeded: make(map[string]bool, len(wf.Steps)),
		responses: make(map[string]any, len(wf.Steps)),
	}
	order := stepOrder(wf)
	for i := 0; i < len(order); {
		step := order[i]
		if msg := x.unmetDependency(st, step); msg != "" {
			return nil, &stepFailure{stepID: step.StepID, msg: msg}
		}
		dec, action, err := x.runStep(ctx, st, step)
		if err != nil {
			return nil, err
		}
		switch dec.Kind {
		case "next":
			i++
			continue
		case "end":
			i = len(order)
			continue
		case "fail":
			return nil, &stepFailure{stepID: step.StepID, msg: dec.Message}
		case "goto":
			if dec.StepID != "" {
				i = slices.IndexFunc(order, func(s *arazzo.Step) bool { return s.StepID == dec.StepID })
				if i < 0 {
					return nil, &stepFailure{stepID: step.StepID, msg: fmt.Sprintf("goto: workflow %q has no step %q", wf.WorkflowID, dec.StepID)}
				}
				continue
			}
			// A goto to a workflow transfers control for good: this workflow ends with that one's outcome.
			tdoc, twf, err := x.r.lookupWorkflow(doc, dec.WorkflowID)
			if err != nil {
				return nil, &stepFailure{stepID: step.StepID, msg: fmt.Sprintf("goto: %v", err)}
			}
			targetInputs, err := x.actionInputs(ctx, st, step, action)
			if err != nil {
				return nil, err
			}
			if _, err := x.runWorkflow(ctx, tdoc, twf, targetInputs); err != nil {
				return nil, err
			}
			i = len(order)
		}
	}
	outputs := make(map[string]any, len(wf.Outputs))
	sc := &scope{x: x, st: st}
	for _, name := range sortedKeys(wf.Outputs) {
		v, err := x.evalValue(ctx, wf.Outputs[name], sc)
		if unset(err) {
			// The workflow ended on a path that did not produce this output (an end action before the
			// step that sets it, or a step that left it unset): it is absent, not a failure.
			if st.unsetOutputs == nil {
				st.unsetOutputs = map[string]string{}
			}
			st.unsetOutputs[name] = x.secrets.Redact(err.Error())
			continue
		}
		if err != nil {
			return nil, &stepFailure{msg: fmt.Sprintf("workflow %q output %q: %v", wf.WorkflowID, name, err)}
		}
		outputs[name] = v
	}
	st.outputs = outputs
	x.done[wf] = st
	return st, nil
}

// actionInputs computes the inputs of the workflow an action transfers to: the action's parameters
// (Arazzo 1.1) when it has any, else the current workflow's inputs, so a goto between workflows that share
// inputs works without repeating them.
func (x *execution) actionInputs(ctx context.Context, st *wfState, step *arazzo.Step, a *arazzo.Action) (map[string]any, error) {
	if a == nil || len(a.Parameters) == 0 {
		return st.inputs, nil
	}
	sc := &scope{x: x, st: st, stepID: step.StepID}
	in := make(map[string]any, len(a.Parameters))
	for _, p := range a.Parameters {
		rp, err := st.doc.ResolveParameter(p)
		if err != nil {
			return nil, &stepFailure{stepID: step.StepID, msg: err.Error()}
		}
		v, err := x.evalValue(ctx, rp.Value, sc)
		if err != nil {
			return nil, &stepFailure{stepID: step.StepID, msg: fmt.Sprintf("action %q parameter %q: %v", a.Name, rp.Name, err)}
		}
		in[rp.Name] = v
	}
	return in, nil
}

// runStep executes one step with its retries and decides what the workflow does next. When the run is
// resuming and this step execution finished before, its checkpoint is replayed instead.
func (x *execution) runStep(ctx context.Context, st *wfState, step *arazzo.Step) (Decision, *arazzo.Action, error) {
	seq := x.seq
	x.seq++
	if cp, ok := x.replay[seq]; ok && cp.Result.StepID == step.StepID && cp.Result.WorkflowID == st.wf.WorkflowID {
		x.seq = cp.NextSeq
		st.steps[step.StepID] = cp.Result.Outputs
		st.succeeded[step.StepID] = cp.Result.Status == StatusSucceeded
		st.responses[step.StepID] = cp.Response
		st.ran(step.StepID)
		res := cp.Result
		res.Resumed = true
		x.result.Steps = append(x.result.Steps, res)
		if obs := x.obs; obs != nil {
			obs.StepFinished(res)
		}
		return cp.Decision, x.decisionAction(st, step, cp.Decision), nil
	}

	retries := map[int]int{}
	attempt := 0
	for {
		attempt++
		x.stepCount++
		if x.stepCount > x.r.opts.maxSteps() {
			msg := fmt.Sprintf("the run reached its limit of %d step executions (a goto or retry loop?)", x.r.opts.maxSteps())
			return x.finishStep(ctx, st, step, seq, &outcome{result: StepResult{Attempts: attempt - 1}, msg: msg},
				Decision{Kind: "fail", Message: msg})
		}
		if obs := x.obs; obs != nil {
			obs.StepStarted(st.wf.WorkflowID, step.StepID, attempt)
		}
		sctx, span := tracing.Span(ctx, "", func() (string, []attribute.KeyValue) {
			return "step " + step.StepID, []attribute.KeyValue{attribute.String("arazzo.workflow", st.wf.WorkflowID),
				attribute.String("arazzo.step", step.StepID), attribute.Int("arazzo.step.attempt", attempt)}
		})
		stepCtx, cancel := sctx, context.CancelFunc(func() {})
		if step.Timeout != nil {
			stepCtx, cancel = context.WithTimeout(sctx, time.Duration(*step.Timeout)*time.Millisecond)
		}
		out, err := x.attempt(stepCtx, st, step, seq, attempt)
		if stepCtx.Err() != nil && ctx.Err() == nil && x.pending == nil {
			// The step's own timeout (Arazzo 1.1), not the run's: the step failed, and its failure
			// actions decide.
			if out == nil {
				out = &outcome{sc: &scope{x: x, st: st, stepID: step.StepID, ctx: ctx}}
			}
			out.success, err = false, nil
			if out.msg == "" {
				out.msg = fmt.Sprintf("the step took longer than its timeout of %d ms", *step.Timeout)
			}
		}
		cancel()
		if out != nil && span.IsRecording() {
			span.SetAttributes(attribute.Bool("arazzo.step.success", out.success))
			if r := out.result.Response; r != nil {
				span.SetAttributes(attribute.Int("http.response.status_code", r.StatusCode))
			}
		}
		tracing.End(span, err)
		if x.pending != nil {
			// An input will come later: stop here, before any action, as a checkpoint failure stops.
			return Decision{}, nil, &checkpointError{x.pending}
		}
		if err != nil {
			return Decision{}, nil, err
		}
		out.result.Attempts = attempt
		if out.success {
			a, idx, err := x.firstMatching(ctx, st, step, out.sc, x.successActions(st, step))
			if err != nil {
				return Decision{}, nil, err
			}
			dec := Decision{Kind: "next"}
			if a != nil {
				dec = actionDecision(a, false, idx)
			}
			return x.finishStep(ctx, st, step, seq, out, dec)
		}

		// Failure: the first failure action whose criteria pass applies; a retry that has used its limit
		// gives way to the actions after it (1.0.1: the limit is exhausted before later actions run).
		cands := x.failureActions(st, step)
		var chosen *arazzo.Action
		chosenIdx := -1
		for idx, a := range cands {
			ok, err := x.criteriaPass(ctx, a.Criteria, out.sc)
			if err != nil {
				return Decision{}, nil, err
			}
			if !ok {
				continue
			}
			if a.Type == "retry" {
				limit := 1
				if a.RetryLimit != nil {
					limit = *a.RetryLimit
				}
				if retries[idx] >= limit {
					continue
				}
				retries[idx]++
			}
			chosen, chosenIdx = a, idx
			break
		}
		if chosen == nil {
			return x.finishStep(ctx, st, step, seq, out, Decision{Kind: "fail", Message: out.msg})
		}
		switch chosen.Type {
		case "retry":
			if g := x.guard; g != nil && out.resp != nil {
				if err := g.Settled(ctx, seq); err != nil {
					return Decision{}, nil, &checkpointError{err}
				}
			}
			delay := 0.0
			if chosen.RetryAfter != nil {
				delay = *chosen.RetryAfter
			}
			wait := secondsToDuration(delay)
			if d, ok := serverDelay(out.resp, x.r.opts.now()); ok {
				wait = d
			}
			if err := x.wait(ctx, wait); err != nil {
				return Decision{}, nil, err
			}
			if err := x.runRetryTarget(ctx, st, step, chosen); err != nil {
				return Decision{}, nil, err
			}
			continue
		case "end":
			return x.finishStep(ctx, st, step, seq, out, Decision{Kind: "fail", Message: out.msg + fmt.Sprintf(" (failure action %q ended the workflow)", chosen.Name), Action: chosen.Name, ActionIndex: chosenIdx, OnFailure: true})
		default: // goto
			return x.finishStep(ctx, st, step, seq, out, actionDecision(chosen, true, chosenIdx))
		}
	}
}

// runRetryTarget runs the step or workflow a retry action names before the retry itself.
func (x *execution) runRetryTarget(ctx context.Context, st *wfState, step *arazzo.Step, a *arazzo.Action) error {
	switch {
	case a.StepID != "":
		target := st.wf.Step(a.StepID)
		if target == nil {
			return &stepFailure{stepID: step.StepID, msg: fmt.Sprintf("retry action %q names step %q, which workflow %q does not have", a.Name, a.StepID, st.wf.WorkflowID)}
		}
		if _, _, err := x.runStep(ctx, st, target); err != nil {
			return err
		}
	case a.WorkflowID != "":
		tdoc, twf, err := x.r.lookupWorkflow(st.doc, a.WorkflowID)
		if err != nil {
			return &stepFailure{stepID: step.StepID, msg: fmt.Sprintf("retry action %q: %v", a.Name, err)}
		}
		in, err := x.actionInputs(ctx, st, step, a)
		if err != nil {
			return err
		}
		if _, err := x.runWorkflow(ctx, tdoc, twf, in); err != nil {
			return err
		}
	}
	return nil
}

func actionDecision(a *arazzo.Action, onFailure bool, idx int) Decision {
	d := Decision{Action: a.Name, ActionIndex: idx, OnFailure: onFailure}
	switch a.Type {
	case "end":
		d.Kind = "end"
	case "goto":
		d.Kind = "goto"
		d.StepID = a.StepID
		d.WorkflowID = a.WorkflowID
	default:
		d.Kind = "next"
	}
	return d
}

// decisionAction finds the action a replayed decision came from, for the inputs of a goto to a workflow.
func (x *execution) decisionAction(st *wfState, step *arazzo.Step, d Decision) *arazzo.Action {
	if d.Kind != "goto" || d.WorkflowID == "" {
		return nil
	}
	cands := x.successActions(st, step)
	if d.OnFailure {
		cands = x.failureActions(st, step)
	}
	if d.ActionIndex >= 0 && d.ActionIndex < len(cands) {
		return cands[d.ActionIndex]
	}
	return nil
}

// finishStep records a step execution: outputs into the workflow state, the result, the observer, and the
// checkpoint.
func (x *execution) finishStep(ctx context.Context, st *wfState, step *arazzo.Step, seq int, out *outcome, dec Decision) (Decision, *arazzo.Action, error) {
	res := out.result
	res.StepID = step.StepID
	res.WorkflowID = st.wf.WorkflowID
	if out.success {
		res.Status = StatusSucceeded
	} else {
		res.Status = StatusFailed
		res.Error = x.secrets.Redact(out.msg)
	}
	st.steps[step.StepID] = out.outputs
	st.succeeded[step.StepID] = out.success
	if out.sc != nil && out.sc.resp != nil {
		st.responses[step.StepID] = out.sc.resp.body
		st.ran(step.StepID)
	}
	res.Outputs = maskValue(out.outputs, x.secrets) // never nil: JSON shows {}
	dec.Message = x.secrets.Redact(dec.Message)
	x.result.Steps = append(x.result.Steps, res)
	if obs := x.obs; obs != nil {
		obs.StepFinished(res)
	}
	if cp := x.cp; cp != nil {
		c := Checkpoint{Seq: seq, NextSeq: x.seq, Result: res, Decision: dec}
		if out.sc != nil && out.sc.resp != nil {
			c.Response = maskValue(out.sc.resp.body, x.secrets)
		}
		if err := cp.Save(ctx, c); err != nil {
			return Decision{}, nil, &checkpointError{fmt.Errorf("save checkpoint of step %q: %w", step.StepID, err)}
		}
	}
	var action *arazzo.Action
	if dec.Kind == "goto" && dec.WorkflowID != "" {
		action = x.decisionAction(st, step, dec)
	}
	return dec, action, nil
}

// successActions are the actions tried after a step succeeds: the step's onSuccess, then the workflow's
// successActions that the step does not override by name. References are resolved; validation reports
// unresolvable ones before a run, so an error here leaves the list empty.
func (x *execution) successActions(st *wfState, step *arazzo.Step) []*arazzo.Action {
	list, err := st.doc.StepSuccessActions(st.wf, step)
	if err != nil {
		return nil
	}
	return list
}

// failureActions is successActions for onFailure and the workflow's failureActions.
func (x *execution) failureActions(st *wfState, step *arazzo.Step) []*arazzo.Action {
	list, err := st.doc.StepFailureActions(st.wf, step)
	if err != nil {
		return nil
	}
	return list
}

// firstMatching returns the first action whose criteria all pass, or nil.
func (x *execution) firstMatching(ctx context.Context, st *wfState, step *arazzo.Step, sc *scope, cands []*arazzo.Action) (*arazzo.Action, int, error) {
	for i, a := range cands {
		ok, err := x.criteriaPass(ctx, a.Criteria, sc)
		if err != nil {
			return nil, -1, err
		}
		if ok {
			return a, i, nil
		}
	}
	return nil, -1, nil
}

// outcome is the result of one attempt of a step.
type outcome struct {
	success bool
	msg     string
	result  StepResult
	outputs map[string]any
	sc      *scope
	resp    *http.Response
}

// stepOrder is the order a workflow's steps run in: the document's order, except that a step whose
// dependsOn (Arazzo 1.1) names a later step of the same workflow moves after it. The order is stable and,
// for workflows without dependsOn, the document's. Cycles, which validation reports, keep the document
// order for the steps involved.
func stepOrder(wf *arazzo.Workflow) []*arazzo.Step {
	if !slices.ContainsFunc(wf.Steps, func(s *arazzo.Step) bool { return len(s.DependsOn) > 0 }) {
		return wf.Steps
	}
	deps := map[*arazzo.Step][]*arazzo.Step{}
	for _, s := range wf.Steps {
		for _, d := range s.DependsOn {
			if dep := wf.Step(d); dep != nil && dep != s {
				deps[s] = append(deps[s], dep)
			}
		}
	}
	if len(deps) == 0 {
		return wf.Steps
	}
	placed := make(map[*arazzo.Step]bool, len(wf.Steps))
	order := make([]*arazzo.Step, 0, len(wf.Steps))
	for len(order) < len(wf.Steps) {
		progress := false
		for _, s := range wf.Steps {
			if placed[s] {
				continue
			}
			ready := true
			for _, d := range deps[s] {
				ready = ready && placed[d]
			}
			if ready {
				placed[s], progress = true, true
				order = append(order, s)
				break // restart from the top, so earlier steps keep their place
			}
		}
		if !progress { // a cycle: place the rest in document order
			for _, s := range wf.Steps {
				if !placed[s] {
					placed[s] = true
					order = append(order, s)
				}
			}
		}
	}
	return order
}

// unmetDependency returns why a step may not run yet — a step it dependsOn has not completed in this
// run — or "". Steps of other workflows are named `$workflows.<id>.steps.<stepId>` (or through an arazzo
// source description, which names the workflow the same way once loaded).
func (x *execution) unmetDependency(st *wfState, step *arazzo.Step) string {
	for _, d := range step.DependsOn {
		wfID, stepID := st.wf.WorkflowID, d
		states := []*wfState{st}
		if rest, ok := strings.CutPrefix(d, "$workflows."); ok {
			wfID, stepID, _ = strings.Cut(rest, ".steps.")
			states = nil
		} else if rest, ok := strings.CutPrefix(d, "$sourceDescriptions."); ok {
			_, rest, _ = strings.Cut(rest, ".")
			wfID, stepID, _ = strings.Cut(rest, ".steps.")
			states = nil
		}
		if states == nil {
			for wf, s := range x.done {
				if wf.WorkflowID == wfID {
					states = append(states, s)
				}
			}
		}
		done := false
		for _, s := range states {
			done = done || s.succeeded[stepID]
		}
		if !done {
			return fmt.Sprintf("step %q depends on step %q of workflow %q, which has not completed in this run", step.StepID, stepID, wfID)
		}
	}
	return ""
}
