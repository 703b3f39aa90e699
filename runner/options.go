package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/trama-dev/trama/secret"
)

// Defaults for Options fields left zero. They favour finishing over hanging: a workflow that loops by goto
// stops, and a server that never answers does not hold a run forever.
const (
	// DefaultMaxSteps bounds step executions (attempts included) per run, so a goto loop ends.
	DefaultMaxSteps = 1000
	// DefaultRequestTimeout bounds one HTTP exchange, response body included.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMaxResponseBytes caps how much of a response body is read and kept for expressions.
	DefaultMaxResponseBytes = 32 << 20
)

// Options configure a Runner. The zero value runs workflows with the defaults above against the servers
// the source descriptions declare.
type Options struct {
	// HTTPClient sends every request. Nil uses a client of its own; RequestTimeout applies either way.
	HTTPClient *http.Client
	// Servers overrides the base URL per source description name (`--server NAME=URL`).
	Servers map[string]string
	// ServerVariables fills OpenAPI server variables (`--server-var NAME=VALUE`); unset ones take their
	// defaults.
	ServerVariables map[string]string
	// Authenticators authenticate the requests to a source description, by its name, with credentials
	// kept outside the document; see Authenticator. Sources without one send what the workflow writes.
	Authenticators map[string]Authenticator
	// Strict turns off the compatibility mode that substitutes bare `$expr` tokens inside longer strings
	// (`SSWS $inputs.token`); only `{$expr}` and whole-value expressions are evaluated then.
	Strict bool
	// Messenger sends and receives the messages of AsyncAPI steps (Arazzo 1.1); Route picks one per
	// channel. Nil fails such steps, saying that no transport is configured.
	Messenger Messenger
	// InputProvider supplies inputs that were not given but are needed during the run (a passcode that
	// exists only after enrollment). Nil means a missing required input fails the run before it starts.
	InputProvider InputProvider
	// Observer is told about every step and HTTP exchange as it happens. Nil observes nothing.
	Observer Observer
	// Checkpointer records finished steps and replays them when a run resumes. Nil keeps nothing.
	Checkpointer Checkpointer
	// Secrets collects values that must never be shown; the runner adds secret inputs and credentials it
	// sends, and masks them in every StepResult, error and observed exchange. Nil uses a set of its own.
	Secrets *secret.Set
	// MaxSteps bounds step executions; 0 means DefaultMaxSteps.
	MaxSteps int
	// RequestTimeout bounds each HTTP exchange; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Timeout bounds the whole run; 0 means no bound beyond the context's.
	Timeout time.Duration
	// MaxResponseBytes caps the response body kept per request; 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// UserAgent is sent on every request unless a step sets User-Agent; empty means "trama".
	UserAgent string
	// Sleep waits between retries; nil waits on a timer, cancelled with ctx. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for durations and Retry-After dates; nil means time.Now.
	Now func() time.Time
}

func (o *Options) maxSteps() int {
	if o.MaxSteps > 0 {
		return o.MaxSteps
	}
	return DefaultMaxSteps
}

func (o *Options) requestTimeout() time.Duration {
	if o.RequestTimeout > 0 {
		return o.RequestTimeout
	}
	return DefaultRequestTimeout
}

func (o *Options) maxResponseBytes() int64 {
	if o.MaxResponseBytes > 0 {
		return o.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Options) sleep(ctx context.Context, d time.Duration) error {
	if o.Sleep != nil {
		return o.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Observer receives progress as a run happens. Calls come from the goroutine running the workflow, in
// order; implementations must not block for long.
type Observer interface {
	// StepStarted is called before each attempt of a step.
	StepStarted(workflowID, stepID string, attempt int)
	// StepFinished is called once per step execution, after its last attempt, with secrets masked.
	StepFinished(r StepResult)
	// Exchange is called after every HTTP request with its response (nil on a transport error). The
	// request and response are the real ones: mask them (Options.Secrets) before writing them anywhere.
	Exchange(x Exchange)
}

// Exchange is one HTTP request a step sent and what came back.
//
// An AsyncAPI step's exchange has no Request or Response: RequestBody is the message it sent, or
// ResponseBody the message it received, as JSON {"header": …, "payload": …}.
type Exchange struct {
	WorkflowID, StepID string
	Attempt            int
	Start              time.Time
	Duration           time.Duration
	Request            *http.Request
	RequestBody        []byte
	Response           *http.Response // nil when the request failed before a response
	ResponseBody       []byte
	Err                error
}

// InputProvider supplies a workflow input at the moment the run first needs it.
type InputProvider interface {
	// Input returns the value of the input named by req, or an error when it cannot be had (the run then
	// fails at that step, naming the input).
	Input(ctx context.Context, req InputRequest) (any, error)
}

// ErrInputLater is what an InputProvider returns (as is or wrapped) when the input will be supplied
// later, by a person or another system: the run stops before the step that needs it sends anything,
// and Run returns an *InputPending naming the input. Running the workflow again with the input given
// (and the same Checkpointer) resumes it after its last finished step. trama serve keeps such a run
// waiting.
var ErrInputLater = errors.New("the input will be supplied later")

// InputPending is Run's error when an InputProvider answered ErrInputLater: which input, for which
// step, with the input's schema property.
type InputPending struct {
	WorkflowID string
	StepID     string
	Name       string
	Schema     map[string]any
}

func (e *InputPending) Error() string {
	return fmt.Sprintf("workflow %q waits for input %q (step %q)", e.WorkflowID, e.Name, e.StepID)
}

// InputProviderFunc adapts a function to InputProvider.
type InputProviderFunc func(ctx context.Context, req InputRequest) (any, error)

// Input calls f.
func (f InputProviderFunc) Input(ctx context.Context, req InputRequest) (any, error) {
	return f(ctx, req)
}

// InputRequest describes an input the run needs now and what the run has seen so far, so a provider can
// help: a terminal prompt shows the TOTP secret an enrollment returned, the demo asks the emulator for the
// current passcode of the factor just enrolled.
type InputRequest struct {
	WorkflowID string
	// Name is the input's name; Schema its JSON Schema property (description, type, format), or nil.
	Name   string
	Schema map[string]any
	// StepID is the step being prepared when the input was needed.
	StepID string
	// Inputs are the workflow's inputs so far (secrets included: a provider is trusted code).
	Inputs map[string]any
	// StepOutputs and Responses hold, per step that has run in this workflow, its outputs and its last
	// response body (decoded JSON, or text).
	StepOutputs map[string]map[string]any
	Responses   map[string]any
	// StepOrder lists the steps in Responses in the order they last ran, the latest at the end.
	StepOrder []string
}

// Checkpointer persists each finished step execution so that a run interrupted by a crash can resume
// after its last finished step instead of repeating calls that already happened.
type Checkpointer interface {
	// Load returns the checkpoints of earlier attempts of this run, in any order.
	Load(ctx context.Context) ([]Checkpoint, error)
	// Save records one finished step execution. An error stops the run (it could not be resumed safely).
	Save(ctx context.Context, c Checkpoint) error
}

// Guard is told about every request just before it is sent, so that a durable caller can record the
// request's intent first and refuse to send when it may no longer act for the run (its lease was lost),
// or when the request is one an earlier, interrupted attempt may already have sent. An error from Guard
// stops the run without sending; Run returns that error.
type Guard interface {
	// Sending is called with each request right before it is sent.
	Sending(ctx context.Context, s Sending) error
	// Settled is called when a step's request got a response and the step is about to send again (a
	// retry action): that request is no longer in doubt.
	Settled(ctx context.Context, seq int) error
	// Fence is asked once more at the last moment before each request goes out, after it was built and
	// authenticated (which may have fetched a token): an error stops the run unsent. It must be cheap,
	// because nothing else may come between it and the write.
	Fence() error
}

// Sending describes a request about to be sent.
type Sending struct {
	// Seq is the step execution's sequence number (Checkpoint.Seq); Attempt counts the step's attempts.
	Seq        int
	WorkflowID string
	StepID     string
	Attempt    int
	Method     string
	// URL is masked like every reported value.
	URL string
	// SafeToResend is set when the step says its request may be sent again when it is unknown whether it
	// reached the API (the step extension x-trama-resend: true).
	SafeToResend bool
}

// Checkpoint is a finished step execution as the runner needs it to replay the run's control flow
// without sending the step's requests again.
//
// Its outputs are masked like every reported value, so a checkpoint never stores a secret; the price is
// that a resumed run sees "****" for a finished step's output that held a secret (one named token,
// password… or equal to a secret input) — the step that needs such a value again must run again.
type Checkpoint struct {
	// Seq numbers step executions within a run in the order they started (1, 2, …); nested workflows'
	// steps take the numbers after their parent step's.
	Seq int `json:"seq"`
	// NextSeq is the sequence number after this execution and everything nested in it.
	NextSeq int        `json:"nextSeq"`
	Result  StepResult `json:"result"`
	// Decision is what the run did after this step.
	Decision Decision `json:"decision"`
	// Response is the step's last response body, kept so later input providers can see it; masked.
	Response any `json:"response,omitempty"`
}

// Decision is the control-flow outcome of a step execution.
type Decision struct {
	// Kind is "next" (continue with the following step), "end" (the workflow ends, succeeded), "goto"
	// (StepID or WorkflowID) or "fail" (the workflow ends, failed, with Message).
	Kind       string `json:"kind"`
	StepID     string `json:"stepId,omitempty"`
	WorkflowID string `json:"workflowId,omitempty"`
	Message    string `json:"message,omitempty"`
	// Action, ActionIndex and OnFailure name the action that decided, when one did (ActionIndex counts in
	// the step's list followed by the workflow's).
	Action      string `json:"action,omitempty"`
	ActionIndex int    `json:"actionIndex"`
	OnFailure   bool   `json:"onFailure,omitempty"`
}
