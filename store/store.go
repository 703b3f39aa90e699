package store

import (
	"context"
)

// Store is trama's durable inbox, job queue and run history. Implementations are safe for concurrent
// use. Every method that can fail wraps its error with the value it was working on; lookups of missing
// rows wrap ErrNotFound.
type Store interface {
	// IngestDelivery stores an event-hook delivery and its events, and enqueues dispatch work for the
	// events never stored before, in one transaction. When it returns nil the delivery is durable and
	// the receiver may acknowledge it; on error nothing was stored and the receiver must answer 5xx so
	// Okta retries. A malformed delivery (Error set) is stored without events.
	IngestDelivery(ctx context.Context, d NewDelivery) (IngestResult, error)
	// IngestPolled stores events fetched by System Log polling (source "poll") through the same
	// de-duplication as deliveries, and sets the named cursor in the same transaction, so a crash
	// never skips or re-runs events.
	IngestPolled(ctx context.Context, cursorName, cursor string, events []NewEvent) (IngestResult, error)
	// GetCursor returns the named polling cursor, or "" when it was never set.
	GetCursor(ctx context.Context, name string) (string, error)
	// SetCursor stores the named polling cursor.
	SetCursor(ctx context.Context, name, value string) error

	// CreateRuns creates the runs of one event dispatch and enqueues an execute job for each new run,
	// in one transaction. Runs that already exist (same event, trigger and replay) are skipped, which
	// makes a retried dispatch harmless. It returns the runs it created.
	CreateRuns(ctx context.Context, eventUUID string, runs []NewRun) ([]Run, error)
	// SaveStep checkpoints a finished step of a run (upsert on run id and Seq).
	SaveStep(ctx context.Context, step Step) error
	// Steps returns a run's checkpointed steps in Seq order.
	Steps(ctx context.Context, runID string) ([]Step, error)
	// FinishRun records a run's final status, outputs and error. Finishing an already finished run
	// is a no-op, so a run never changes its outcome once people have seen it.
	FinishRun(ctx context.Context, runID string, result RunResult) error

	// GetRun returns one run.
	GetRun(ctx context.Context, id string) (Run, error)
	// ListRuns returns one page of runs, newest first, and the cursor of the next page ("" at the end).
	ListRuns(ctx context.Context, f RunFilter) ([]Run, string, error)
	// GetEvent returns one event with its payload, delivery ids and headers.
	GetEvent(ctx context.Context, uuid string) (Event, error)
	// ListEvents returns one page of events, newest first, without payloads or headers.
	ListEvents(ctx context.Context, f EventFilter) ([]Event, string, error)
	// GetDelivery returns one delivery.
	GetDelivery(ctx context.Context, id string) (Delivery, error)
	// ListDeliveries returns one page of deliveries, newest first, without bodies.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, string, error)
	// Replay enqueues the event's dispatch again with the next replay number, which it returns; the
	// new runs are distinct from earlier ones because the replay number is part of a run's identity.
	Replay(ctx context.Context, eventUUID string) (int, error)
	// Counts returns totals for metrics.
	Counts(ctx context.Context) (Counts, error)

	// Work runs the queue's workers, calling h for each job, until ctx is cancelled; then it stops
	// fetching, waits for running jobs (up to the driver's shutdown timeout, after which their
	// contexts are cancelled) and returns nil. Jobs left unfinished run after the next Work, in this
	// process or another.
	Work(ctx context.Context, h Handlers) error
	// Close releases the database. Call it after Work has returned.
	Close() error
}

// Handlers are the functions the queue calls. A returned error makes the queue retry the job later with
// backoff, up to the driver's maximum attempts; handlers must therefore be idempotent, which CreateRuns,
// SaveStep and FinishRun make easy. Error text is logged and may end up in a run's history, so it must
// never carry a secret.
type Handlers struct {
	// Dispatch matches one event against the triggers and calls CreateRuns. replay is 0 for the
	// original arrival and n for the n-th Replay. Each event is dispatched once per replay number,
	// unless the process dies mid-dispatch, in which case it is dispatched again.
	Dispatch func(ctx context.Context, eventUUID string, replay int) error
	// Execute runs one run, resuming after Steps(runID), and calls FinishRun. attempt counts from 1;
	// when attempt == maxAttempts and Execute returns an error the queue gives up, so Execute should
	// finish the run as failed with the reason (the store does it with the error text if Execute did
	// not). Before calling Execute the store marks the run running; a run already finished is not
	// executed again.
	Execute func(ctx context.Context, runID string, attempt, maxAttempts int) error
}
