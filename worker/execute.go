package worker

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/trama-dev/trama/tracing"
	"net/http"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/queue"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/trigger"
)

// Execute runs one attempt of a run: the workflow version and inputs it was dispatched with, resuming
// after the steps earlier attempts finished. A run that fails for a transient reason (network error, 5xx,
// 429) returns an error so the queue retries it with backoff; on the last attempt, and for every other
// failure, the run is finished as failed. A request an interrupted attempt may have sent stops the run as
// uncertain, unless its trigger's resend policy allows sending it again.
func (w *Worker) Execute(ctx context.Context, a *queue.Attempt) (err error) {
	run := a.Run
	ctx, span := tracing.Span(ctx, run.EventUUID, func() (string, []attribute.KeyValue) {
		return "run " + run.Trigger + " " + run.WorkflowID, []attribute.KeyValue{attribute.String("trama.run", run.ID),
			attribute.Int("trama.attempt", a.Lease.Attempt), attribute.String("trama.trigger", run.Trigger),
			attribute.String("okta.event.uuid", run.EventUUID)}
	})
	defer func() { tracing.End(span, err) }()
	fail := func(msg string) error {
		return w.finish(ctx, a, store.RunResult{Status: store.RunFailed, Error: msg}, nil)
	}
	// The event's card is read only when the run needs it: a run queued before runs kept their plan is
	// planned now, and secret inputs are evaluated over it. Most runs need neither.
	var card *okta.Card
	var readErr error // the store could not be read: worth another attempt, unlike a bad payload
	cardOf := func() (*okta.Card, error) {
		if card != nil {
			return card, nil
		}
		ev, err := w.Store.GetEvent(ctx, run.EventUUID)
		if err != nil {
			readErr = err
			return nil, err
		}
		c, err := history.Card(ctx, w.Store, ev)
		if err != nil {
			return nil, fmt.Errorf("event %s: stored payload is not a LogEvent: %w", run.EventUUID, err)
		}
		card = &c
		return card, nil
	}
	p, version, err := w.planOf(ctx, run, cardOf)
	if readErr != nil {
		return readErr
	}
	if err != nil {
		return fail(err.Error())
	}
	r, err := w.pinned(ctx, version)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fail(err.Error())
		}
		return err
	}
	secrets := &secret.Set{}
	inputs, err := w.inputs(p, cardOf, secrets)
	if readErr != nil {
		return readErr
	}
	if err != nil {
		return fail(secrets.Redact(err.Error()))
	}
	if err := supplyInputs(inputs, run.Supplied); err != nil {
		return fail(err.Error())
	}
	auths, err := w.authenticators(r, p.Connection, r.SourceNames())
	if err != nil {
		return fail(err.Error())
	}
	provider, err := inputProvider(p, secrets)
	if err != nil {
		return fail(err.Error())
	}
	j := newJournal(a, p, secrets, w.Metrics)
	res, err := r.RunWith(ctx, p.Workflow, inputs, runner.RunOptions{Checkpointer: j, Guard: j, Observer: j, Secrets: secrets,
		Authenticators: auths, InputProvider: provider, Messenger: &runMessenger{w: w, run: run}, Since: run.StartedAt})
	if err != nil {
		var unsure *errUncertain
		var ie *runner.InputError
		var pending *runner.InputPending
		var message *runner.MessagePending
		switch {
		case errors.As(err, &pending):
			return w.wait(ctx, a, p, pending)
		case errors.As(err, &message):
			return w.waitMessage(ctx, a, p, message)
		case errors.As(err, &unsure):
			if herr := a.HoldUncertain(ctx, unsure.Error()); herr != nil {
				return herr
			}
			w.Metrics.Run(run.Trigger, string(store.RunUncertain))
			w.logger().Warn("run stopped: a request is in doubt", "run", run.ID, "trigger", run.Trigger,
				"step", unsure.in.StepID, "method", unsure.in.Method, "url", unsure.in.URL)
			return nil
		case errors.As(err, &ie), errors.Is(err, runner.ErrWorkflowNotFound):
			return fail(secrets.Redact(err.Error()))
		}
		return fmt.Errorf("run %s: %s", run.ID, secrets.Redact(err.Error()))
	}
	if err := ctx.Err(); err != nil {
		// The attempt was stopped (shutdown, a lost lease, its timeout) before the workflow ended on
		// its own: the queue gives the run back or retries it; it did not fail.
		return fmt.Errorf("run %s: attempt %d stopped: %w", run.ID, a.Lease.Attempt, context.Cause(ctx))
	}
	if res.Status != runner.StatusSucceeded && transient(res) && !a.Final() {
		msg := "workflow failed"
		if res.Error != nil {
			msg = res.Error.Message
		}
		return fmt.Errorf("run %s failed transiently (attempt %d of %d): %s", run.ID, a.Lease.Attempt, a.MaxAttempts, msg)
	}
	outputs, _ := json.Marshal(res.Outputs)
	if res.Status == runner.StatusSucceeded {
		return w.finish(ctx, a, store.RunResult{Status: store.RunSucceeded, Outputs: outputs}, res)
	}
	msg := "workflow failed"
	if res.Error != nil {
		msg = res.Error.Message
		if res.Error.StepID != "" {
			msg = "step " + res.Error.StepID + ": " + msg
		}
	}
	return w.finish(ctx, a, store.RunResult{Status: store.RunFailed, Outputs: outputs, Error: msg}, res)
}

// finish stores the run's outcome; metrics and hooks count it only when the store accepted it, so a run
// is counted once, by the attempt that owned it.
func (w *Worker) finish(ctx context.Context, a *queue.Attempt, res store.RunResult, result *runner.Result) error {
	if err := a.Finish(ctx, res); err != nil {
		return err
	}
	run := a.Run
	w.Metrics.Run(run.Trigger, string(res.Status))
	run.Status, run.Error, run.Outputs = res.Status, res.Error, res.Outputs
	w.logger().Info("run finished", "run", run.ID, "event", run.EventUUID, "trigger", run.Trigger, "status", res.Status,
		"error", res.Error, "trace", trace.SpanContextFromContext(ctx).TraceID().String())
	if w.OnRunFinished != nil {
		w.OnRunFinished(run, result)
	}
	return nil
}

// planOf returns the run's plan and workflow version. A run queued by a version of trama that did not
// pin its plan is planned now from the configuration, as that version would have run it.
func (w *Worker) planOf(ctx context.Context, run store.Run, cardOf func() (*okta.Card, error)) (Plan, string, error) {
	if len(run.Plan) > 0 {
		p, err := plan(run.Plan)
		return p, run.Version, err
	}
	card, err := cardOf()
	if err != nil {
		return Plan{}, "", err
	}
	fired, _, err := w.Matcher.Match(ctx, *card, w.env())
	if err != nil {
		return Plan{}, "", err
	}
	for _, f := range fired {
		if f.Trigger.Name == run.Trigger {
			v, err := w.current(ctx, f.Trigger.Run.File)
			if err != nil {
				return Plan{}, "", err
			}
			return newPlan(f), v.digest, nil
		}
	}
	return Plan{}, "", fmt.Errorf("trigger %q no longer fires for event %s, and this run was queued before runs kept their plan", run.Trigger, run.EventUUID)
}

// inputs completes a plan's inputs with the secret ones, evaluated now, and adds those to secrets.
func (w *Worker) inputs(p Plan, cardOf func() (*okta.Card, error), secrets *secret.Set) (map[string]any, error) {
	in := make(map[string]any, len(p.Inputs)+len(p.EnvInputs)+len(p.ConfigInputs))
	for k, v := range p.Inputs {
		in[k] = v
	}
	if len(p.EnvInputs) == 0 && len(p.ConfigInputs) == 0 {
		return in, nil
	}
	cardp, err := cardOf()
	if err != nil {
		return nil, err
	}
	card := *cardp
	set := func(name string, v any) {
		in[name] = v
		if s, ok := v.(string); ok {
			secrets.Add(s)
		}
	}
	for name, tmpl := range p.EnvInputs {
		v, err := trigger.EvalInput(tmpl, card, w.env())
		if err != nil {
			return nil, fmt.Errorf("secret input %s: %w", name, err)
		}
		set(name, v)
	}
	if len(p.ConfigInputs) > 0 {
		t := w.trigger(p.Trigger)
		for _, name := range p.ConfigInputs {
			var tmpl any
			found := false
			if t != nil {
				for _, ti := range t.Inputs {
					if ti.Name == name {
						tmpl, found = ti.Value, true
					}
				}
			}
			if !found {
				return nil, fmt.Errorf("secret input %s: secrets are never stored with a run, and trigger %q of the configuration "+
					"this worker runs under no longer defines it", name, p.Trigger)
			}
			v, err := trigger.EvalInput(tmpl, card, w.env())
			if err != nil {
				return nil, fmt.Errorf("secret input %s: %w", name, err)
			}
			set(name, v)
		}
	}
	return in, nil
}

// transient reports whether a failed run failed for a reason that retrying later may cure: its last step
// got no response (network) or a 5xx or 429.
func transient(res *runner.Result) bool {
	if len(res.Steps) == 0 {
		return false
	}
	last := res.Steps[len(res.Steps)-1]
	if last.Status == runner.StatusSucceeded {
		return false
	}
	if last.Response == nil {
		return last.Request != nil
	}
	code := last.Response.StatusCode
	return code == http.StatusTooManyRequests || code >= 500
}
