// Package jobs holds the job-queue machinery every store driver shares: the two job kinds (dispatch an
// event, execute a run), their River workers, and the retry policy. A driver supplies only the few
// database operations the workers need (Store) and registers the workers with its River client.
package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/trama-dev/trama/store"
)

// Queue names: dispatch and execute get separate queues so that a burst of long-running executions never
// delays turning new events into runs.
const (
	QueueDispatch = "dispatch"
	QueueExecute  = "execute"
)

// DispatchTimeout bounds one dispatch attempt: matching triggers and creating runs takes milliseconds; a
// minute means something is stuck.
const DispatchTimeout = time.Minute

// DispatchArgs is the job that dispatches the events first stored by one transaction (or one replay).
type DispatchArgs struct {
	UUIDs  []string `json:"uuids"`
	Replay int      `json:"replay"`
}

// Kind names the job in River's table.
func (DispatchArgs) Kind() string { return "trama_dispatch" }

// InsertOpts puts the job on the dispatch queue.
func (DispatchArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueDispatch} }

// ExecuteArgs is the job that executes one run.
type ExecuteArgs struct {
	RunID string `json:"run"`
}

// Kind names the job in River's table.
func (ExecuteArgs) Kind() string { return "trama_execute" }

// InsertOpts puts the job on the execute queue.
func (ExecuteArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueExecute} }

// Store is what the workers need from a driver.
type Store interface {
	// Handlers returns the handlers of the running Work call.
	Handlers() *store.Handlers
	// Undispatched returns the uuids whose dispatch for replay has not finished yet.
	Undispatched(ctx context.Context, uuids []string, replay int) ([]string, error)
	// MarkDispatched records that the uuids' dispatch for replay finished.
	MarkDispatched(ctx context.Context, uuids []string, replay int) error
	// StartRun marks a run running before an attempt; false means it is already finished (or gone).
	StartRun(ctx context.Context, runID string, attempt int) (bool, error)
	// FinishRun is store.Store's.
	FinishRun(ctx context.Context, runID string, result store.RunResult) error
}

// Workers returns the dispatch and execute workers of a driver, for river.AddWorkerSafely. jobTimeout
// bounds an execute attempt (and caps a dispatch attempt, so a rescuer's wait never exceeds it).
func Workers(s Store, b *Backoff, jobTimeout time.Duration) (*DispatchWorker, *ExecuteWorker) {
	return &DispatchWorker{s: s, backoff: b, timeout: min(DispatchTimeout, jobTimeout)},
		&ExecuteWorker{s: s, backoff: b, timeout: jobTimeout}
}
