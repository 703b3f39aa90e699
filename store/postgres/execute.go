package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/trama-dev/trama/store"
)

// executeWorker works execute jobs: one run each.
type executeWorker struct {
	river.WorkerDefaults[executeArgs]
	s *Store
}

func (w *executeWorker) Timeout(*river.Job[executeArgs]) time.Duration { return w.s.opts.JobTimeout }

// Work marks the run running and hands it to the Execute handler. A run already finished (its job was
// interrupted between FinishRun and the job's completion, or rescued from a replica that died there) is
// not executed again.
func (w *executeWorker) Work(ctx context.Context, job *river.Job[executeArgs]) error {
	h := w.s.handlers.Load()
	runID := job.Args.RunID
	started, err := w.s.startRun(ctx, runID, job.Attempt)
	if err != nil || !started {
		return err
	}
	err = callExecute(ctx, h, runID, job.Attempt, job.MaxAttempts)
	if err != nil && job.Attempt < job.MaxAttempts {
		w.s.backoff.request(job.ID, err)
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
