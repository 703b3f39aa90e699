package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DBWork is what a PostgreSQL store did for the bench, per completed run. These are counts, not times:
// they do not move with the machine's speed, which drifts by a third within an hour on a shared machine,
// so two builds compare on them where their runs/s cannot tell a few per cent apart.
type DBWork struct {
	// Commits are the database's committed transactions (pg_stat_database: every session's, so run the
	// bench where nothing else writes to the same database).
	Commits float64 `json:"commitsPerRun"`
	// Rows written in the bench's schema (pg_stat_user_tables), and how many updates were heap-only:
	// those write no index entry.
	RowsInserted float64 `json:"rowsInsertedPerRun"`
	RowsUpdated  float64 `json:"rowsUpdatedPerRun"`
	HeapOnly     float64 `json:"heapOnlyUpdatesPerRun"`
	RowsDeleted  float64 `json:"rowsDeletedPerRun"`
	// WAL the whole server wrote (pg_stat_wal, PostgreSQL 14 and later; zero where it is missing):
	// every row version and index entry is in it.
	WALBytes     float64 `json:"walBytesPerRun,omitempty"`
	WALRecords   float64 `json:"walRecordsPerRun,omitempty"`
	WALFullPages float64 `json:"walFullPagesPerRun,omitempty"`
	// CPUPerRunMs is the CPU the whole server used per run, where it runs on this machine (read from
	// /proc; zero where it cannot be read). It moves with the machine's speed, as trama's own does, and
	// with trama's it is what a run costs the machine: on PostgreSQL, most of it.
	CPUPerRunMs float64 `json:"cpuPerRunMs,omitempty"`
}

// pgCounters is one reading of the counters DBWork is made of.
type pgCounters struct {
	commits, inserted, updated, heapOnly, deleted int64
	walBytes, walRecords, walFullPages            int64
	wal                                           bool
	// cpu is the server's CPU time so far, where cpuRead says it could be read.
	cpu     time.Duration
	cpuRead bool
}

// pgServer is the database server the bench reads its counters from: its connection, the bench's
// schema, and the postmaster's process id where the server runs on this machine (0 where it does not).
type pgServer struct {
	db         *sql.DB
	schema     string
	postmaster int
}

// readPGCounters reads the counters of the bench's schema and of the server.
func readPGCounters(ctx context.Context, srv pgServer) (pgCounters, error) {
	db, schema := srv.db, srv.schema
	var c pgCounters
	err := db.QueryRowContext(ctx, `SELECT
			(SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
			coalesce(sum(n_tup_ins), 0), coalesce(sum(n_tup_upd), 0), coalesce(sum(n_tup_hot_upd), 0),
			coalesce(sum(n_tup_del), 0)
		FROM pg_stat_user_tables WHERE schemaname = $1`, schema).
		Scan(&c.commits, &c.inserted, &c.updated, &c.heapOnly, &c.deleted)
	if err != nil {
		return c, fmt.Errorf("read the database's statistics: %w", err)
	}
	err = db.QueryRowContext(ctx, `SELECT wal_bytes::bigint, wal_records, wal_fpi FROM pg_stat_wal`).
		Scan(&c.walBytes, &c.walRecords, &c.walFullPages)
	c.wal = err == nil // before PostgreSQL 14 there is no pg_stat_wal: the report leaves WAL out
	if srv.postmaster > 0 {
		c.cpu, err = serverCPU("/proc", srv.postmaster)
		c.cpuRead = err == nil
	}
	return c, nil
}

// settledPGCounters reads the counters once they stopped moving. A session reports its counts when it
// ends, or at most once a second, so after the replicas closed their connections the last counts arrive
// a moment later. It gives up waiting after settleFor.
func settledPGCounters(ctx context.Context, srv pgServer) (pgCounters, error) {
	const settleFor, every = 5 * time.Second, 100 * time.Millisecond
	last, err := readPGCounters(ctx, srv)
	if err != nil {
		return last, err
	}
	for deadline := time.Now().Add(settleFor); time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(every):
		}
		c, err := readPGCounters(ctx, srv)
		if err != nil {
			return last, err
		}
		// The stats query's own commit moves the commit count by one each time.
		same := c.inserted == last.inserted && c.updated == last.updated && c.deleted == last.deleted &&
			c.walRecords-last.walRecords <= 2
		last = c
		if same {
			break
		}
	}
	return last, nil
}

// perRun is the work between before and after over runs completed runs.
func (after pgCounters) perRun(before pgCounters, runs int) (*DBWork, error) {
	if runs <= 0 {
		return nil, errors.New("no run completed")
	}
	n := float64(runs)
	w := &DBWork{
		Commits:      float64(after.commits-before.commits) / n,
		RowsInserted: float64(after.inserted-before.inserted) / n,
		RowsUpdated:  float64(after.updated-before.updated) / n,
		HeapOnly:     float64(after.heapOnly-before.heapOnly) / n,
		RowsDeleted:  float64(after.deleted-before.deleted) / n,
	}
	if before.wal && after.wal {
		w.WALBytes = float64(after.walBytes-before.walBytes) / n
		w.WALRecords = float64(after.walRecords-before.walRecords) / n
		w.WALFullPages = float64(after.walFullPages-before.walFullPages) / n
	}
	if before.cpuRead && after.cpuRead {
		w.CPUPerRunMs = float64(after.cpu-before.cpu) / float64(time.Millisecond) / n
	}
	return w, nil
}

// serverURL is the URL for the bench's own connection: without trama's parameters (trama_*) and
// pgxpool's (pool_*), which the replicas' stores read and the server would refuse as unknown settings.
func serverURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "trama_") || strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
