package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/metrics"
	"github.com/trama-dev/trama/queue"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
	"github.com/trama-dev/trama/store"
)

// journal is one attempt's record of its run, for the runner: the checkpoints of earlier attempts to
// replay (Checkpointer), the intent of every request before it is sent (Guard), and each finished step
// with its request and response as the history shows them (Observer).
type journal struct {
	a        *queue.Attempt
	secrets  *secret.Set
	metrics  *metrics.Metrics
	workflow string
	resend   config.Resend

	// doubt is the request an interrupted attempt may have sent, until this attempt reaches its step.
	doubt *store.Intent
	// sent is the intent this attempt recorded last.
	sent *store.Intent

	mu   sync.Mutex
	last map[string]runner.Exchange // by workflowId/stepId
}

// errUncertain stops a run at a request in doubt that may not be resent without an operator.
type errUncertain struct{ in store.Intent }

func (e *errUncertain) Error() string {
	return fmt.Sprintf("step %q: %s %s may or may not have reached the API when attempt %d was interrupted, "+
		"and resending it is not known to be safe; resolve the run (trama runs resolve) after checking the API",
		e.in.StepID, e.in.Method, e.in.URL, e.in.RunAttempt)
}

func newJournal(a *queue.Attempt, p Plan, secrets *secret.Set, m *metrics.Metrics) *journal {
	j := &journal{a: a, secrets: secrets, metrics: m, workflow: a.Run.WorkflowID, resend: p.Resend}
	if in := a.Run.Intent; in != nil && !in.Settled {
		j.doubt = in
	}
	return j
}

// Load implements runner.Checkpointer: the latest checkpoint of each step execution from earlier
// attempts. A step whose decision failed the workflow is left out: when a run that failed transiently is
// retried, that step runs again.
func (j *journal) Load(ctx context.Context) ([]runner.Checkpoint, error) {
	latest := map[int]store.Step{}
	for _, s := range j.a.Steps {
		if len(s.Checkpoint) > 0 && s.RunAttempt >= latest[s.Seq].RunAttempt {
			latest[s.Seq] = s
		}
	}
	out := make([]runner.Checkpoint, 0, len(latest))
	for _, s := range latest {
		var cp runner.Checkpoint
		if err := json.Unmarshal(s.Checkpoint, &cp); err != nil {
			return nil, fmt.Errorf("run %s step %d: checkpoint: %w", j.a.Lease.RunID, s.Seq, err)
		}
		if cp.Decision.Kind == "fail" {
			continue
		}
		out = append(out, cp)
	}
	return out, nil
}

// idempotent methods may be sent twice with the effect of once (RFC 9110, 9.2.2).
var idempotent = []string{http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete}

// mayResend reports whether the request in doubt, d, may be sent again without asking anyone.
func (j *journal) mayResend(d *store.Intent, s runner.Sending) bool {
	if d.Resend { // an operator said so
		return true
	}
	s.Method = d.Method
	return j.resendable(s)
}

// resendable reports whether a request may be sent again, unasked, if the attempt sending it is
// interrupted: by the trigger's resend policy, the method's idempotence (RFC 9110, 9.2.2), or the step's
// x-trama-resend.
func (j *journal) resendable(s runner.Sending) bool {
	switch j.resend.Policy {
	case config.ResendAlways:
		return true
	case config.ResendNever:
		return false
	}
	return slices.Contains(idempotent, s.Method) || s.SafeToResend || slices.Contains(j.resend.Steps, s.StepID)
}

// Sending implements runner.Guard: it stops at a request in doubt that may not be resent, and records
// the intent of every request that could not be resent before it goes out — which fails, and so stops
// the run unsent, once the attempt lost its run. A request that may be resent needs no intent (an
// interrupted attempt's successor sends it again whatever it finds): the steps finished before it are
// recorded if they were not, and the lease is checked.
func (j *journal) Sending(ctx context.Context, s runner.Sending) error {
	if d := j.doubt; d != nil && s.Seq == d.Seq {
		j.doubt = nil
		if !j.mayResend(d, s) {
			return &errUncertain{in: *d}
		}
	}
	if j.resendable(s) {
		j.sent = nil
		return j.a.Sending(ctx)
	}
	in := store.Intent{Seq: s.Seq, WorkflowID: s.WorkflowID, StepID: s.StepID, StepAttempt: s.Attempt,
		Method: s.Method, URL: s.URL, At: time.Now().UTC()}
	j.sent = &in
	return j.a.RecordIntent(ctx, in)
}

// Fence implements runner.Guard: the attempt must still hold the run when the request is written.
func (j *journal) Fence() error { return j.a.Check() }

// Settled implements runner.Guard: the request of step execution seq got its response, and the step is
// about to retry; while it waits, that request is not in doubt.
func (j *journal) Settled(ctx context.Context, seq int) error {
	if j.sent == nil || j.sent.Seq != seq {
		return nil
	}
	in := *j.sent
	in.Settled = true
	return j.a.RecordIntent(ctx, in)
}

// Save implements runner.Checkpointer: one finished step execution, with its last exchange.
func (j *journal) Save(ctx context.Context, cp runner.Checkpoint) error {
	raw, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	r := cp.Result
	st := store.Step{
		Seq: cp.Seq, StepID: r.StepID, Status: string(r.Status), Attempts: r.Attempts,
		Duration: r.Duration, Outputs: mustJSON(r.Outputs), Error: r.Error, Checkpoint: raw,
		StartedAt: time.Now().Add(-r.Duration),
	}
	if r.Request != nil {
		st.Method, st.URL, st.Auth = r.Request.Method, r.Request.URL, r.Request.Auth
	}
	if r.Response != nil {
		st.StatusCode = r.Response.StatusCode
	}
	if x, ok := j.take(r.WorkflowID, r.StepID); ok {
		st.StartedAt = x.Start
		st.Request = historyBody(x.RequestBody, j.secrets)
		st.Response = historyBody(x.ResponseBody, j.secrets)
	}
	j.metrics.Step(j.workflow, string(r.Status), r.Duration)
	return j.a.SaveStep(ctx, st)
}

// StepStarted implements runner.Observer.
func (j *journal) StepStarted(string, string, int) {}

// StepFinished implements runner.Observer.
func (j *journal) StepFinished(runner.StepResult) {}

// Exchange implements runner.Observer: it keeps the last exchange of each step for its checkpoint.
func (j *journal) Exchange(x runner.Exchange) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.last == nil {
		j.last = make(map[string]runner.Exchange)
	}
	j.last[x.WorkflowID+"/"+x.StepID] = x
}

func (j *journal) take(workflowID, stepID string) (runner.Exchange, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	x, ok := j.last[workflowID+"/"+stepID]
	delete(j.last, workflowID+"/"+stepID)
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

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}
