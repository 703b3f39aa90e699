package store

import (
	"encoding/json"
	"time"
)

// RunStatus is where a run is in its life.
type RunStatus string

const (
	// RunQueued is a run created and waiting for a worker.
	RunQueued RunStatus = "queued"
	// RunRunning is a run a worker holds by lease and is executing.
	RunRunning RunStatus = "running"
	// RunRetrying is a run waiting to run again: its last attempt failed transiently (network, 5xx,
	// 429), was interrupted (its worker stopped or lost its lease), or an operator resolved it. It
	// resumes after its last finished step.
	RunRetrying RunStatus = "retrying"
	// RunUncertain is a run stopped because a request may or may not have reached the API when its
	// attempt was interrupted, and resending it is not known to be safe. It waits for an operator
	// (ResolveRun).
	RunUncertain RunStatus = "uncertain"
	// RunWaiting is a run stopped before a step that needs an input nobody could supply yet (a passcode
	// that exists only after enrolment). It holds no lease and no goroutine; ResumeRun gives it the input
	// and it goes on after its last finished step, or it fails when its wait times out (AvailableAt).
	RunWaiting RunStatus = "waiting"
	// RunSucceeded is a run that finished successfully.
	RunSucceeded RunStatus = "succeeded"
	// RunFailed is a run that finished with an error, or ran out of attempts.
	RunFailed RunStatus = "failed"
)

// RunStatuses lists every status, in the order of a run's life.
var RunStatuses = []RunStatus{RunQueued, RunRunning, RunRetrying, RunUncertain, RunWaiting, RunSucceeded, RunFailed}

// Finished reports whether the status is final.
func (s RunStatus) Finished() bool { return s == RunSucceeded || s == RunFailed }

// Valid reports whether s is one of RunStatuses.
func (s RunStatus) Valid() bool {
	for _, v := range RunStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// NewRun asks for one run of a workflow for an event. A run is unique on (event uuid, Trigger, Replay):
// creating it again is a no-op.
type NewRun struct {
	Trigger string
	// Replay is the replay number of the dispatch (0 for the original delivery).
	Replay       int
	WorkflowFile string
	WorkflowID   string
	// Inputs are the workflow inputs as JSON, already masked by the caller: what the history shows.
	Inputs json.RawMessage
	// Plan is everything the run executes with, pinned when it is created (the trigger as it was, the
	// inputs, the workflow version), opaque to the store, so a configuration changed or a replica
	// restarted meanwhile never changes or strands it. It must hold no secret.
	Plan json.RawMessage
	// Version identifies the workflow document (and its sources) the run executes: the digest of a
	// Bundle stored with PutDocuments.
	Version string
	// Coalesce, when set, merges this run with the trigger's other runs of the same key (see
	// CompleteDispatches).
	Coalesce *Coalescing
	// ConcurrencyKey and ConcurrencyLimit, when the key is set, let at most ConcurrencyLimit of the
	// trigger's runs with the key run at once; ClaimRuns passes over the others, which wait in order.
	ConcurrencyKey   string
	ConcurrencyLimit int
}

// Coalescing is how a new run merges with the trigger's runs of the same key within a window: with
// Keep "first" an earlier run of the key created within Window takes the event (recorded as a skip,
// reason "coalesced") and no run is created; with Keep "last" a run of the key still queued takes the
// newer event in its place, and a new run waits Window before it starts, so later events can replace
// its event.
type Coalescing struct {
	Key    string
	Window time.Duration
	Keep   string
}

// Run is a stored workflow run.
type Run struct {
	ID           string
	Trigger      string
	EventUUID    string
	Replay       int
	WorkflowFile string
	WorkflowID   string
	Version      string
	Status       RunStatus
	// Attempts is the number of the latest attempt (0 while queued).
	Attempts   int
	CreatedAt  time.Time
	StartedAt  time.Time // zero until a worker first starts the run
	FinishedAt time.Time // zero until the run finishes
	// AvailableAt is when a queued or retrying run may next be claimed.
	AvailableAt time.Time
	Inputs      json.RawMessage
	Outputs     json.RawMessage
	// Error is why the run failed, or, while it waits to retry or for an operator, why its last
	// attempt stopped.
	Error string
	// Plan is NewRun.Plan.
	Plan json.RawMessage
	// Intent is the request the run was about to send, or had sent without its step finishing; nil
	// when none. On an uncertain run it is the request in doubt.
	Intent *Intent
	// Lease is the current attempt's hold on a running run.
	LeaseOwner   string
	LeaseToken   int64
	LeaseExpires time.Time
	// Resolution is the latest operator decision on the run, if any.
	Resolution *Resolution
	// Waiting is what a waiting run waits for; nil otherwise.
	Waiting *Waiting
	// Supplied are the inputs given to resume a waiting run (a JSON object), kept until the run next
	// ends. They are the real values, for the worker only: the history shows Inputs, which ResumeRun
	// updates with the masked values.
	Supplied json.RawMessage
	// Received is the message delivered to a run that waited for one (DeliverMessage), or that its wait
	// timed out, kept until the run next ends: a Received JSON object.
	Received json.RawMessage
	// ConcurrencyKey and ConcurrencyLimit are NewRun's.
	ConcurrencyKey   string
	ConcurrencyLimit int
}

// Waiting is what a waiting run waits for.
type Waiting struct {
	// Input is the name of the workflow input the run needs.
	Input      string `json:"input"`
	WorkflowID string `json:"workflowId"`
	StepID     string `json:"stepId"`
	// Description and Type come from the input's schema, to tell a person what to supply.
	Description string    `json:"description,omitempty"`
	Type        string    `json:"type,omitempty"`
	Since       time.Time `json:"since"`
	// Until is when the wait times out: a run waiting for an input fails, one waiting for a message
	// resumes and its receive step fails (its onFailure actions apply).
	Until time.Time `json:"until"`
	// Message is set when the run waits for a message instead of an input (Input is then empty).
	Message *MessageWait `json:"message,omitempty"`
}

// MessageWait is the message a run's receive step waits for on Okta's event stream.
type MessageWait struct {
	// Seq is the step execution's sequence number, so the message goes to that execution.
	Seq int `json:"seq"`
	// Source and Channel name the AsyncAPI source description and the channel's address.
	Source  string `json:"source"`
	Channel string `json:"channel"`
	// EventType is the Okta event type the channel carries; "*" for any.
	EventType string `json:"eventType"`
	// Correlation is the step's correlationId value and Location where a message carries it (empty: any
	// target id of the event).
	Correlation string `json:"correlation,omitempty"`
	Location    string `json:"location,omitempty"`
}

// Intent is a request a run is about to send: recorded before it is sent, and cleared with the
// checkpoint of its step, so a run resumed after a crash knows which request may have reached the API.
// Method, URL and the step's identity are enough for an operator to check the API by hand; bodies stay
// in the step history. URL is masked.
type Intent struct {
	Seq         int       `json:"seq"`
	WorkflowID  string    `json:"workflowId"`
	StepID      string    `json:"stepId"`
	StepAttempt int       `json:"stepAttempt"`
	RunAttempt  int       `json:"runAttempt"`
	Method      string    `json:"method"`
	URL         string    `json:"url"`
	At          time.Time `json:"at"`
	// Settled is set once a response to the request arrived, while the step goes on (it retries):
	// such a request is not in doubt.
	Settled bool `json:"settled,omitempty"`
	// Resend is set when an operator decided the request may be sent again.
	Resend bool `json:"resend,omitempty"`
}

// Resolution is an operator's decision on an uncertain run.
type Resolution struct {
	// Action is "resend", "skip" or "fail".
	Action string    `json:"action"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	// Reason is the operator's note, if any.
	Reason string `json:"reason,omitempty"`
}

// RunResult is how a run ended, for FinishRun.
type RunResult struct {
	// Status must be RunSucceeded or RunFailed.
	Status RunStatus
	// Outputs are the workflow outputs as JSON, already masked by the caller.
	Outputs json.RawMessage
	Error   string
}

// RunFilter selects runs for ListRuns, newest first. Every field set must match.
type RunFilter struct {
	Status    RunStatus
	Trigger   string
	EventUUID string
	// Workflow is a workflowId.
	Workflow string
	// User is the Okta user the run's event is about: an id (00u…) or a login, in any case (see
	// EventFilter.User).
	User string
	// Since and Until bound when runs were created: Since inclusive, Until exclusive, to the millisecond;
	// zero means unbounded. Run ids are UUIDv7, which begin with their creation time, so the bounds are
	// a range of the primary key.
	Since, Until time.Time
	Page
}
