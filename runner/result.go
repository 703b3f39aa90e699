package runner

import (
	"time"
)

// Status is the outcome of a workflow or a step.
type Status string

// Statuses a run and its steps end in. A step that was never reached has no result at all.
const (
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	// StatusSkipped is a step an operator resolved by skipping it: trama could not tell whether its
	// request reached the API, and the operator chose not to send it again. It has no outputs.
	StatusSkipped Status = "skipped"
)

// Result is what Run returns: the workflow's status, outputs, and one StepResult per step execution, in the
// order they ran (a step that ran twice through goto appears twice). Its JSON form is the document
// `trama run --output json` prints.
type Result struct {
	WorkflowID string         `json:"workflowId"`
	Status     Status         `json:"status"`
	Outputs    map[string]any `json:"outputs"`
	// UnsetOutputs are the workflow's outputs the path it took did not produce (it ended before the step
	// that sets one, or that step found nothing), each with the reason.
	UnsetOutputs map[string]string `json:"unsetOutputs,omitempty"`
	Steps        []StepResult      `json:"steps"`
	Error        *RunError         `json:"error,omitempty"`
	// Duration is the wall time of the whole run, dependencies included.
	Duration time.Duration `json:"-"`
	// DurationMs is Duration in milliseconds, for JSON consumers.
	DurationMs float64 `json:"durationMs"`
}

// RunError says why a workflow failed and at which step ("" when it failed before any step ran, for
// example on invalid inputs).
type RunError struct {
	StepID  string `json:"stepId,omitempty"`
	Message string `json:"message"`
}

// StepResult records one execution of a step: its final attempt's request and response, how many attempts
// it took, and its outputs.
type StepResult struct {
	StepID string `json:"stepId"`
	// WorkflowID is the workflow the step belongs to; it differs from Result.WorkflowID for the steps of
	// dependencies and sub-workflows.
	WorkflowID string         `json:"workflowId"`
	Status     Status         `json:"status"`
	Attempts   int            `json:"attempts"`
	Request    *RequestInfo   `json:"request,omitempty"`
	Response   *ResponseInfo  `json:"response,omitempty"`
	Duration   time.Duration  `json:"-"`
	DurationMs float64        `json:"durationMs"`
	Outputs    map[string]any `json:"outputs"`
	// UnsetOutputs are the step's outputs whose value did not exist in the response (a search that
	// found nothing), each with the reason; the step still succeeded.
	UnsetOutputs map[string]string `json:"unsetOutputs,omitempty"`
	Error        string            `json:"error,omitempty"`
	Criteria     []CriterionNote   `json:"criteria,omitempty"`
	// Resumed is true when the step finished in an earlier attempt of the run and was replayed from its
	// checkpoint rather than executed again.
	Resumed bool `json:"resumed,omitempty"`
}

// RequestInfo is the request a step sent, with secrets masked.
type RequestInfo struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	// Auth says which credential authenticated the request when one outside the document did
	// (Options.Authenticators), and whether it replaced a header the step wrote.
	Auth string `json:"auth,omitempty"`
}

// ResponseInfo is the response a step received.
type ResponseInfo struct {
	StatusCode int `json:"statusCode"`
}

// CriterionNote explains a success criterion that did not pass, so a failed step says which condition
// failed and why.
type CriterionNote struct {
	Condition string `json:"condition"`
	Passed    bool   `json:"passed"`
	Message   string `json:"message,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
