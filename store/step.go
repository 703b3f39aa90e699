package store

import (
	"encoding/json"
	"time"
)

// Step is the checkpoint of one finished workflow step. The worker saves it as soon as the step finishes,
// so a run interrupted later resumes after it instead of repeating its HTTP call.
type Step struct {
	RunID string
	// Seq is the step's 1-based position in the run's execution order (a goto can run one step id more
	// than once).
	Seq int
	// RunAttempt is the run attempt that executed the step. A step that failed transiently runs again
	// in a later attempt under the same Seq; the history keeps both.
	RunAttempt int
	StepID     string
	// Status is the step's outcome as the runner names it, e.g. "succeeded" or "failed"; "skipped"
	// when an operator resolved the step's uncertain request by skipping it.
	Status   string
	Attempts int
	Method   string
	URL      string
	// Auth says how the request was authenticated when a credential outside the workflow did it (a
	// connection): a description, never a secret.
	Auth       string
	StatusCode int
	StartedAt  time.Time
	Duration   time.Duration
	// Request and Response are the bodies, already truncated and masked by the caller.
	Request  []byte
	Response []byte
	Outputs  json.RawMessage
	Error    string
	// Checkpoint is the runner's own record of the step (its control-flow decision), opaque to the store:
	// what a resumed run replays instead of calling the API again.
	Checkpoint json.RawMessage
}
