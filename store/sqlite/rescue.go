package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/trama-dev/trama/store/internal/jobs"
	"time"
)

// rescueOrphans returns jobs left running by a process that died to the queue. It runs only under the
// work lock, so no live worker holds them. A job that was on its last attempt is not retried: its run is
// marked failed, because retrying would break the promised maximum.
func (s *Store) rescueOrphans(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE river_job SET state = 'available'
			WHERE state = 'running' AND attempt < max_attempts`); err != nil {
			return fmt.Errorf("rescue orphaned jobs: %w", err)
		}
		now := time.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'failed', finished_at = ?,
			error = 'interrupted by a restart during its final attempt'
			WHERE status IN ('queued', 'running') AND id IN (
				SELECT json_extract(CAST(args AS TEXT), '$.run') FROM river_job WHERE state = 'running' AND kind = ?)`,
			now.UnixNano(), jobs.ExecuteArgs{}.Kind()); err != nil {
			return fmt.Errorf("fail orphaned runs: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = ?
			WHERE state = 'running'`, now.UTC().Format("2006-01-02 15:04:05.000")); err != nil {
			return fmt.Errorf("discard orphaned jobs: %w", err)
		}
		return nil
	})
}
