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
	// RunRunning is a run a worker has started (it stays running while its job waits for a retry).
	RunRunning RunStatus = "running"
	// RunSucceeded is a run that finished successfully.
	RunSucceeded RunStatus = "succeeded"
	// RunFailed is a run that finished with an error, or ran out of attempts.
	RunFailed RunStatus = "failed"
)

// Finished reports whether the status is final.
func (s RunStatus) Finished() bool { return s == RunSucceeded || s == RunFailed }

// NewRun asks for one run of a workflow for an event. A run is unique on (event uuid, Trigger, Replay):
// creating it again is a no-op.
type NewRun struct {
	Trigger string
	// Replay is the replay number the dispatch was called with (0 for the original delivery).
	Replay       int
	WorkflowFile string
	WorkflowID   string
	// Inputs are the workflow inputs as JSON, already masked by the caller.
	Inputs json.RawMessage
}

// Run is a stored workflow run.
type Run struct {
	ID           string
	Trigger      string
	EventUUID    string
	Replay       int
	WorkflowFile string
	WorkflowID   string
	Status       RunStatus
	// Attempts is the number of the latest execute attempt (0 while queued).
	Attempts   int
	CreatedAt  time.Time
	StartedAt  time.Time // zero until a worker starts the run
	FinishedAt time.Time // zero until the run finishes
	Inputs     json.RawMessage
	Outputs    json.RawMessage
	Error      string
}

// RunResult is how a run ended, for FinishRun.
type RunResult struct {
	// Status must be RunSucceeded or RunFailed.
	Status RunStatus
	// Outputs are the workflow outputs as JSON, already masked by the caller.
	Outputs json.RawMessage
	Error   string
}

// RunFilter selects runs for ListRuns, newest first.
type RunFilter struct {
	Status    RunStatus
	Trigger   string
	EventUUID string
	Page
}
