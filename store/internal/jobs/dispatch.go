package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/trama-dev/trama/store"
)

// DispatchWorker works dispatch jobs: the new events of one ingest transaction, or one replay.
type DispatchWorker struct {
	river.WorkerDefaults[DispatchArgs]
	s       Store
	backoff *Backoff
	timeout time.Duration
}

// Timeout bounds one attempt.
func (w *DispatchWorker) Timeout(*river.Job[DispatchArgs]) time.Duration { return w.timeout }

// Work dispatches each event of the job. Events dispatched by an earlier, partly failed attempt (in this
// process or another) are skipped, so each event is dispatched once per replay even when one of its
// neighbours keeps failing.
func (w *DispatchWorker) Work(ctx context.Context, job *river.Job[DispatchArgs]) error {
	h := w.s.Handlers()
	uuids := job.Args.UUIDs
	if job.Attempt > 1 {
		var err error
		if uuids, err = w.s.Undispatched(ctx, uuids, job.Args.Replay); err != nil {
			return err
		}
	}
	var done []string
	var errs []error
	for _, u := range uuids {
		if err := callDispatch(ctx, h, u, job.Args.Replay); err != nil {
			errs = append(errs, fmt.Errorf("dispatch event %s: %w", u, err))
			continue
		}
		done = append(done, u)
	}
	if len(errs) == 0 {
		return nil
	}
	if len(done) > 0 {
		if err := w.s.MarkDispatched(context.WithoutCancel(ctx), done, job.Args.Replay); err != nil {
			errs = append(errs, err)
		}
	}
	err := errors.Join(errs...)
	w.backoff.request(job.ID, err)
	return err
}

func callDispatch(ctx context.Context, h *store.Handlers, uuid string, replay int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("dispatch handler panicked: %v", r)
		}
	}()
	return h.Dispatch(ctx, uuid, replay)
}
