package postgres

import (
	"context"
	"fmt"
	"github.com/trama-dev/trama/store/internal/jobs"
	"time"

	"github.com/riverqueue/river"
)

// River's rescuer retries the jobs of a replica that died, except a job that was on its final attempt:
// that one it discards, because retrying would break the promised maximum. Its run would then stay
// "running" forever, so the sweep, a periodic job the elected leader enqueues, records such runs as
// failed. (The SQLite store does the same at start-up, where it knows that no other process works.)

// sweepArgs is the periodic job that fails runs whose execute job was discarded unfinished.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "trama_sweep" }

func (sweepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: queueSweep} }

// sweepJob runs the sweep on start and then at the rescuer's pace: nothing can be discarded by a rescue
// sooner than rescueAfter.
func sweepJob(rescueAfter time.Duration) *river.PeriodicJob {
	every := min(max(rescueAfter/2, 5*time.Second), time.Minute)
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	s *Store
}

func (w *sweepWorker) Work(ctx context.Context, job *river.Job[sweepArgs]) error {
	_, err := w.s.sweep(ctx)
	return err
}

// sweep fails the unfinished runs whose execute job River discarded, and returns how many it failed.
func (s *Store) sweep(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE runs SET status = 'failed', finished_at = $1,
		started_at = CASE WHEN started_at = 0 THEN $1 ELSE started_at END,
		error = 'interrupted during its final attempt: the replica running it stopped'
		WHERE status IN ('queued', 'running') AND id IN (
			SELECT args->>'run' FROM river_job WHERE kind = $2 AND state = 'discarded')`,
		time.Now().UnixNano(), jobs.ExecuteArgs{}.Kind())
	if err != nil {
		return 0, fmt.Errorf("sweep runs of discarded jobs: %w", err)
	}
	return tag.RowsAffected(), nil
}
