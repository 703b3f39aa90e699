// Package worker executes trama serve's queue jobs: it matches each stored event against the triggers and
// creates its runs (dispatch), and runs each workflow with the runner, checkpointing every finished step
// so that a run interrupted by a crash resumes after its last finished step (execute).
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/metrics"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/trigger"
)

// Worker turns stored events into workflow runs. Its Handlers are what store.Work calls.
type Worker struct {
	Store   store.Store
	Matcher *trigger.Matcher
	// Env reads $env variables for trigger inputs; nil means os.LookupEnv.
	Env func(string) (string, bool)
	// HTTPClient sends the workflows' requests; nil means a default client.
	HTTPClient *http.Client
	// RunnerOptions are applied to every run (timeouts, max steps); the worker sets Checkpointer,
	// Observer, Secrets and InputProvider itself.
	RunnerOptions runner.Options
	Logger        *slog.Logger
	Metrics       *metrics.Metrics
	// OnRunFinished, when set, is called after a run's outcome is stored (the demo waits on it).
	OnRunFinished func(run store.Run, res *runner.Result)

	loader    arazzo.Loader
	typesOnce sync.Once
	types     map[string]bool // the event types some trigger listens to
	mu        sync.Mutex
	runners   map[string]*runner.Runner // by workflow file
}

// Handlers returns the queue handlers.
func (w *Worker) Handlers() store.Handlers {
	return store.Handlers{Dispatch: w.Dispatch, Execute: w.Execute}
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (w *Worker) env() func(string) (string, bool) {
	if w.Env != nil {
		return w.Env
	}
	return os.LookupEnv
}

// Dispatch matches one event against the triggers and creates one run per trigger it fires. Creating
// runs is idempotent, so a dispatch repeated after a crash creates nothing twice.
func (w *Worker) Dispatch(ctx context.Context, eventUUID string, replay int) error {
	ev, err := w.Store.GetEvent(ctx, eventUUID)
	if err != nil {
		return err
	}
	if !w.listens(ev.Type) {
		// Most of an org's events fire nothing; building their card would cost a query and a full
		// decode of the payload for each.
		return nil
	}
	card, err := history.Card(ctx, w.Store, ev)
	if err != nil {
		return fmt.Errorf("event %s: stored payload is not a LogEvent: %w", eventUUID, err)
	}
	fired, skipped, err := w.Matcher.Match(ctx, card, w.env())
	if err != nil {
		return fmt.Errorf("match event %s: %w", eventUUID, err)
	}
	for _, s := range skipped {
		w.logger().Info("trigger skipped", "event", eventUUID, "type", ev.Type, "trigger", s.Trigger.Name, "reason", s.Reason, "detail", s.Message)
	}
	if len(fired) == 0 {
		return nil
	}
	runs := make([]store.NewRun, 0, len(fired))
	for _, f := range fired {
		in, err := json.Marshal(f.MaskedInputs())
		if err != nil {
			return fmt.Errorf("trigger %s inputs: %w", f.Trigger.Name, err)
		}
		runs = append(runs, store.NewRun{
			Trigger: f.Trigger.Name, Replay: replay,
			WorkflowFile: f.Trigger.Run.File, WorkflowID: f.Trigger.Run.Workflow,
			Inputs: in,
		})
	}
	created, err := w.Store.CreateRuns(ctx, eventUUID, runs)
	if err != nil {
		return err
	}
	for _, r := range created {
		w.Metrics.Run(r.Trigger, "created")
		w.logger().Info("run created", "run", r.ID, "event", eventUUID, "trigger", r.Trigger, "workflow", r.WorkflowID)
	}
	return nil
}

// listens reports whether some trigger listens to eventType.
func (w *Worker) listens(eventType string) bool {
	w.typesOnce.Do(func() {
		w.types = make(map[string]bool)
		for _, t := range w.Matcher.EventTypes() {
			w.types[t] = true
		}
	})
	return w.types[eventType]
}

// card loads an event and builds its event card.
func (w *Worker) card(ctx context.Context, eventUUID string) (store.Event, okta.Card, error) {
	ev, err := w.Store.GetEvent(ctx, eventUUID)
	if err != nil {
		return store.Event{}, okta.Card{}, err
	}
	card, err := history.Card(ctx, w.Store, ev)
	if err != nil {
		return ev, okta.Card{}, fmt.Errorf("event %s: stored payload is not a LogEvent: %w", eventUUID, err)
	}
	return ev, card, nil
}

// Execute runs one run of a workflow, resuming after the steps an earlier attempt finished. A run that
// fails for a transient reason (network error, 5xx, 429) returns an error so the queue retries it with
// backoff; on the last attempt, and for every other failure, the run is finished as failed.
func (w *Worker) Execute(ctx context.Context, runID string, attempt, maxAttempts int) error {
	run, err := w.Store.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	if run.Status.Finished() {
		return nil
	}
	finish := func(res store.RunResult, result *runner.Result) error {
		if err := w.Store.FinishRun(ctx, runID, res); err != nil {
			return err
		}
		w.Metrics.Run(run.Trigger, string(res.Status))
		run.Status = res.Status
		run.Error = res.Error
		if w.OnRunFinished != nil {
			w.OnRunFinished(run, result)
		}
		w.logger().Info("run finished", "run", runID, "trigger", run.Trigger, "status", res.Status, "error", res.Error)
		return nil
	}
	fail := func(msg string) error {
		return finish(store.RunResult{Status: store.RunFailed, Error: msg}, nil)
	}

	_, card, err := w.card(ctx, run.EventUUID)
	if err != nil {
		return err
	}
	fired, _, err := w.Matcher.Match(ctx, card, w.env())
	if err != nil {
		return err
	}
	var fire *trigger.Fire
	for i := range fired {
		if fired[i].Trigger.Name == run.Trigger {
			fire = &fired[i]
		}
	}
	if fire == nil {
		return fail(fmt.Sprintf("trigger %q no longer fires for event %s (was the configuration changed?)", run.Trigger, run.EventUUID))
	}

	r, err := w.runner(ctx, run.WorkflowFile)
	if err != nil {
		return fail(err.Error())
	}
	secrets := &secret.Set{}
	for _, name := range fire.SecretInputs {
		if s, ok := fire.Inputs[name].(string); ok {
			secrets.Add(s)
		}
	}
	obs := &stepObserver{secrets: secrets}
	cp := &checkpoints{store: w.Store, runID: runID, obs: obs, metrics: w.Metrics, workflow: run.WorkflowID}
	res, err := r.RunWith(ctx, run.WorkflowID, fire.Inputs, runner.RunOptions{Checkpointer: cp, Observer: obs, Secrets: secrets})
	if err != nil {
		var ie *runner.InputError
		if errors.As(err, &ie) || errors.Is(err, runner.ErrWorkflowNotFound) {
			return fail(secrets.Redact(err.Error()))
		}
		return fmt.Errorf("run %s: %s", runID, secrets.Redact(err.Error()))
	}
	if res.Status != runner.StatusSucceeded && transient(res) && attempt < maxAttempts && ctx.Err() == nil {
		return fmt.Errorf("run %s failed transiently (attempt %d of %d): %s", runID, attempt, maxAttempts, res.Error.Message)
	}
	outputs, _ := json.Marshal(res.Outputs)
	if res.Status == runner.StatusSucceeded {
		return finish(store.RunResult{Status: store.RunSucceeded, Outputs: outputs}, res)
	}
	msg := "workflow failed"
	if res.Error != nil {
		msg = res.Error.Message
		if res.Error.StepID != "" {
			msg = "step " + res.Error.StepID + ": " + msg
		}
	}
	return finish(store.RunResult{Status: store.RunFailed, Outputs: outputs, Error: msg}, res)
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

// runner returns the Runner of a workflow file, loading and validating it once per process.
func (w *Worker) runner(ctx context.Context, file string) (*runner.Runner, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r, ok := w.runners[file]; ok {
		return r, nil
	}
	// Workflow files come from trama's own configuration, so the sources they name are trusted, remote
	// ones included.
	w.loader.AllowHTTP = true
	b, err := w.loader.Load(ctx, file)
	if err != nil {
		return nil, err
	}
	for _, d := range b.Validate(arazzo.ValidateOptions{}) {
		if d.Severity == arazzo.Error {
			return nil, fmt.Errorf("workflow file has errors: %s", d)
		}
	}
	opts := w.RunnerOptions
	opts.HTTPClient = w.HTTPClient
	if opts.UserAgent == "" {
		opts.UserAgent = "trama"
	}
	r := runner.New(b, opts)
	if w.runners == nil {
		w.runners = make(map[string]*runner.Runner)
	}
	w.runners[file] = r
	return r, nil
}

// stepObserver keeps the last exchange of each step so its checkpoint can carry the (masked, truncated)
// request and response bodies for the history.
type stepObserver struct {
	mu      sync.Mutex
	secrets *secret.Set
	last    map[string]runner.Exchange // by workflowId/stepId
}

func (o *stepObserver) StepStarted(string, string, int) {}
func (o *stepObserver) StepFinished(runner.StepResult)  {}
func (o *stepObserver) Exchange(x runner.Exchange) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.last == nil {
		o.last = make(map[string]runner.Exchange)
	}
	o.last[x.WorkflowID+"/"+x.StepID] = x
}

func (o *stepObserver) take(workflowID, stepID string) (runner.Exchange, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	x, ok := o.last[workflowID+"/"+stepID]
	delete(o.last, workflowID+"/"+stepID)
	return x, ok
}

// maxBodyBytes caps each request and response body kept in the history.
const maxBodyBytes = 8 << 10

// historyBody masks and truncates a body for the history.
func historyBody(b []byte, s *secret.Set) []byte {
	if len(b) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) == nil {
		if masked, err := json.Marshal(secret.RedactJSON(v, s)); err == nil {
			b = masked
		}
	} else {
		b = s.RedactBytes(b)
	}
	if len(b) > maxBodyBytes {
		b = append(append([]byte{}, b[:maxBodyBytes]...), "…(truncated)"...)
	}
	return b
}

// checkpoints stores each finished step as the run's history and its resume point.
type checkpoints struct {
	store    store.Store
	runID    string
	obs      *stepObserver
	metrics  *metrics.Metrics
	workflow string
}

// Load returns the checkpoints of earlier attempts. A step whose decision failed the workflow is left
// out: when the queue retries a run that failed transiently, that step must run again.
func (c *checkpoints) Load(ctx context.Context) ([]runner.Checkpoint, error) {
	steps, err := c.store.Steps(ctx, c.runID)
	if err != nil {
		return nil, err
	}
	out := make([]runner.Checkpoint, 0, len(steps))
	for _, s := range steps {
		if len(s.Checkpoint) == 0 {
			continue
		}
		var cp runner.Checkpoint
		if err := json.Unmarshal(s.Checkpoint, &cp); err != nil {
			return nil, fmt.Errorf("run %s step %d: checkpoint: %w", c.runID, s.Seq, err)
		}
		if cp.Decision.Kind == "fail" {
			continue
		}
		out = append(out, cp)
	}
	return out, nil
}

// Save stores one finished step execution.
func (c *checkpoints) Save(ctx context.Context, cp runner.Checkpoint) error {
	raw, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	r := cp.Result
	st := store.Step{
		RunID: c.runID, Seq: cp.Seq, StepID: r.StepID, Status: string(r.Status), Attempts: r.Attempts,
		Duration: r.Duration, Outputs: mustJSON(r.Outputs), Error: r.Error, Checkpoint: raw,
		StartedAt: time.Now().Add(-r.Duration),
	}
	if r.Request != nil {
		st.Method, st.URL = r.Request.Method, r.Request.URL
	}
	if r.Response != nil {
		st.StatusCode = r.Response.StatusCode
	}
	if x, ok := c.obs.take(r.WorkflowID, r.StepID); ok {
		st.StartedAt = x.Start
		st.Request = historyBody(x.RequestBody, c.obs.secrets)
		st.Response = historyBody(x.ResponseBody, c.obs.secrets)
	}
	c.metrics.Step(c.workflow, string(r.Status), r.Duration)
	return c.store.SaveStep(ctx, st)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}
