package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/trama-dev/trama/store"
)

// ExecuteWorker works execute jobs: one run each.
type ExecuteWorker struct {
	river.WorkerDefaults[ExecuteArgs]
	s       Store
	backoff *Backoff
	timeout time.Duration
}

// Timeout bounds one attempt of a run.
func (w *ExecuteWorker) Timeout(*river.Job[ExecuteArgs]) time.Duration { return w.timeout }

// Work marks the run running and hands it to the Execute handler. A run already finished (its job was
// interrupted between FinishRun and the job's completion, or rescued from a process that died there) is
// not executed again.
func (w *ExecuteWorker) Work(ctx context.Context, job *river.Job[ExecuteArgs]) error {
	h := w.s.Handlers()
	runID := job.Args.RunID
	started, err := w.s.StartRun(ctx, runID, job.Attempt)
	if err != nil || !started {
		return err
	}
	err = callExecute(ctx, h, runID, job.Attempt, job.MaxAttempts)
	if err != nil && job.Attempt < job.MaxAttempts {
		w.backoff.request(job.ID, err)
	}
	if err != nil && job.Attempt >= job.MaxAttempts {
		// The queue gives up after this: make sure the history says so, with the handler's reason.
		ferr := w.s.FinishRun(context.WithoutCancel(ctx), runID, store.RunResult{
			Status: store.RunFailed,
			Error:  fmt.Sprintf("gave up after %d attempts: %v", job.Attempt, err),
		})
		return errors.Join(err, ferr)
	}
	return err
}

func callExecute(ctx context.Context, h *store.Handlers, runID string, attempt, max int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("execute handler panicked: %v", r)
		}
	}()
	return h.Execute(ctx, runID, attempt, max)
}
