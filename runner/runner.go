// Package runner executes Arazzo workflows over HTTP with the semantics the specification defines: steps in
// order, success criteria, onSuccess/onFailure actions (end, goto, retry with Retry-After), workflow
// dependencies, sub-workflows, components, and outputs.
//
// A Runner is built once per loaded bundle and may run many workflows concurrently; it caches compiled
// expressions so that repeated runs (the server's workers) pay for parsing once.
package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/secret"
)

// Runner runs the workflows of one loaded bundle.
type Runner struct {
	bundle *arazzo.Bundle
	opts   Options
	client *http.Client

	// Parsed forms of the document's strings, filled on first use, so that repeated runs (the server's
	// workers) parse each expression once.
	templates sync.Map // compat or strict mode + string → *expr.Template
	conds     sync.Map // string → *expr.Condition
	exprs     sync.Map // string → expr.Expr
	selectors sync.Map // kind, version, target or selector, text → *criterion.Selector
	schemas   sync.Map // *arazzo.Workflow → *inputSchema
}

// New returns a Runner for the workflows of b.
func New(b *arazzo.Bundle, opts Options) *Runner {
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return &Runner{bundle: b, opts: opts, client: client}
}

// ErrWorkflowNotFound is returned by Run for a workflowId the document does not define.
var ErrWorkflowNotFound = errors.New("workflow not found")

// RunOptions are the parts of Options that belong to one run rather than to the Runner: a server runs
// many workflows through one Runner, each with its own checkpoints, observer and secrets. A nil field
// falls back to the Runner's Options.
type RunOptions struct {
	Checkpointer Checkpointer
	// Guard, when set, is asked before every request (see Guard).
	Guard         Guard
	Observer      Observer
	InputProvider InputProvider
	Secrets       *secret.Set
	// Authenticators, when not nil, replace Options.Authenticators for this run: trama serve gives each
	// run the connection its trigger names.
	Authenticators map[string]Authenticator
	// Messenger, when set, replaces Options.Messenger for this run: trama serve gives each run one that
	// waits for Okta's events durably.
	Messenger Messenger
	// Since is when the run first started, for a run resumed in a later attempt: its receive steps take
	// messages published since then, so a message sent while no attempt was running is not lost. Zero
	// means the start of this call.
	Since time.Time
}

// Run executes the workflow workflowID of the bundle's root document with inputs. The error is non-nil
// only when the run could not be attempted at all (unknown workflow, invalid inputs, a checkpoint store
// that fails); a workflow that runs and fails returns a Result with Status failed and a nil error.
func (r *Runner) Run(ctx context.Context, workflowID string, inputs map[string]any) (*Result, error) {
	return r.RunWith(ctx, workflowID, inputs, RunOptions{})
}

// RunWith is Run with per-run options.
func (r *Runner) RunWith(ctx context.Context, workflowID string, inputs map[string]any, ro RunOptions) (*Result, error) {
	doc := r.bundle.Root
	wf := doc.Workflow(workflowID)
	if wf == nil {
		return nil, fmt.Errorf("%w: %q (the document defines %s)", ErrWorkflowNotFound, workflowID, workflowIDs(doc))
	}
	secrets := firstNonNil(ro.Secrets, r.opts.Secrets)
	if secrets == nil {
		secrets = &secret.Set{}
	}
	x := &execution{
		r:         r,
		obs:       firstNonNil(ro.Observer, r.opts.Observer),
		cp:        firstNonNil(ro.Checkpointer, r.opts.Checkpointer),
		guard:     ro.Guard,
		provider:  firstNonNil(ro.InputProvider, r.opts.InputProvider),
		messenger: firstNonNil(ro.Messenger, r.opts.Messenger),
		secrets:   secrets,
		auths:     r.opts.Authenticators,
		done:      make(map[*arazzo.Workflow]*wfState),
		started:   r.opts.now(),
		result:    &Result{WorkflowID: workflowID, Outputs: map[string]any{}, Steps: []StepResult{}},
		seq:       1,
	}
	x.since = x.started
	if !ro.Since.IsZero() && ro.Since.Before(x.started) {
		x.since = ro.Since
	}
	if ro.Authenticators != nil {
		x.auths = ro.Authenticators
	}
	if r.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.opts.Timeout)
		defer cancel()
	}
	if x.cp != nil {
		saved, err := x.cp.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("load checkpoints: %w", err)
		}
		x.replay = make(map[int]Checkpoint, len(saved))
		for _, c := range saved {
			x.replay[c.Seq] = c
		}
	}
	// The run keeps its own copy: inputs asked for during the run must not change the caller's map.
	own := make(map[string]any, len(inputs))
	for k, v := range inputs {
		own[k] = v
	}
	inputs = own
	schema, err := r.inputSchema(doc, wf)
	if err != nil {
		return nil, err
	}
	schema.applyDefaults(inputs)
	x.rememberSecretInputs(schema, inputs)
	covered := x.coveredInputs(doc, wf, schema.requiredNames())
	deferred := func(name string) bool { return x.provider != nil || slices.Contains(covered, name) }
	if problems := schema.validate(inputs, deferred); len(problems) > 0 {
		return nil, &InputError{WorkflowID: workflowID, Problems: problems}
	}
	if err := x.prepareAuth(ctx); err != nil {
		return nil, err
	}

	st, runErr := x.runWorkflow(ctx, doc, wf, inputs)
	res := x.result
	res.Duration = r.opts.now().Sub(x.started)
	res.DurationMs = ms(res.Duration)
	var cpErr *checkpointError
	if errors.As(runErr, &cpErr) {
		return nil, cpErr.err
	}
	if runErr != nil {
		res.Status = StatusFailed
		res.Error = x.runError(runErr)
		return res, nil
	}
	res.Status = StatusSucceeded
	res.Outputs = maskValue(st.outputs, x.secrets)
	res.UnsetOutputs = st.unsetOutputs
	return res, nil
}

func workflowIDs(doc *arazzo.Document) string {
	if len(doc.Workflows) == 0 {
		return "no workflows"
	}
	s := ""
	for i, w := range doc.Workflows {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", w.WorkflowID)
	}
	return s
}

func (r *Runner) inputSchema(doc *arazzo.Document, wf *arazzo.Workflow) (*inputSchema, error) {
	if v, ok := r.schemas.Load(wf); ok {
		return v.(*inputSchema), nil
	}
	var components map[string]any
	if doc != nil && doc.Components != nil {
		components = doc.Components.Inputs
	}
	s, err := compileInputSchema(wf.WorkflowID, wf.Inputs, components)
	if err != nil {
		return nil, err
	}
	r.schemas.Store(wf, s)
	return s, nil
}

// stepFailure ends a workflow as failed at a step.
type stepFailure struct {
	stepID string
	msg    string
}

func (e *stepFailure) Error() string { return e.msg }

// checkpointError is a failure of the checkpoint store, or a Guard's refusal: the run stops without an
// outcome and Run returns the underlying error, for the caller to decide what happens to the run.
type checkpointError struct{ err error }

func (e *checkpointError) Error() string { return e.err.Error() }

func (x *execution) runError(err error) *RunError {
	var sf *stepFailure
	if errors.As(err, &sf) {
		return &RunError{StepID: sf.stepID, Message: x.secrets.Redact(sf.msg)}
	}
	return &RunError{Message: x.secrets.Redact(err.Error())}
}

// wait sleeps d, honouring cancellation.
func (x *execution) wait(ctx context.Context, d time.Duration) error {
	return x.r.opts.sleep(ctx, d)
}

// firstNonNil returns a unless it is nil, else b.
func firstNonNil[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}
