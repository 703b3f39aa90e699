package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Checkpoints copy the WAL back into the database file and end in fsyncs that stall the
// acknowledgements committing meanwhile (on ext4 a concurrent write waits for the journal commit). So the
// checkpointer waits for a pause in writing (checkpointIdle), which real Okta traffic has between nearly
// all deliveries, and forces a checkpoint only after checkpointMaxDelay of continuous writing. Fewer,
// larger forced checkpoints gave the better tail under sustained load: with BenchmarkIngestBatch50 over
// 6000 deliveries, ack p99 was 24 ms when checkpointing every 100 ms, 55-80 ms every 500 ms (2000
// deliveries) and 15 ms every 2 s. At full ingest rate the WAL then peaks near 100 MB.
const (
	checkpointTick     = 50 * time.Millisecond
	checkpointIdle     = 50 * time.Millisecond
	checkpointMaxDelay = 2 * time.Second
)

// startCheckpointer runs passive WAL checkpoints on a connection of its own. A passive checkpoint never
// waits for readers or writers, so ingestion goes on while it copies pages and syncs.
func (d *Driver) startCheckpointer(dsn string) error {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(checkpointTick)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				written := time.Unix(0, d.lastWrite.Load())
				switch {
				case written.After(last) && now.Sub(written) >= checkpointIdle: // a pause after writing
				case now.Sub(last) >= checkpointMaxDelay: // continuous writing, or River's own writes
				default:
					continue
				}
				last = now
				// A failed checkpoint is retried checkpointMaxDelay later; the WAL only grows meanwhile.
				if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil && ctx.Err() == nil {
					d.opts.Logger.Warn("sqlite store: WAL checkpoint failed", "path", d.path, "err", err)
				}
			}
		}
	}()
	d.stopCheckpointer = func() error {
		cancel()
		<-done
		return db.Close()
	}
	return nil
}
