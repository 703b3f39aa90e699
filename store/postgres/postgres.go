// Package postgres is the store.Driver for several `trama serve` replicas on one PostgreSQL database
// (pgx v5 through database/sql). The database is all the replicas share: they claim events and runs with
// FOR UPDATE SKIP LOCKED, hold runs by lease, and take over the runs of a replica that stopped as soon as
// its leases expire, so replicas need no configuration to find each other.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/trama-dev/trama/store"
)

// Options tune the driver. The zero value is what `trama serve` uses; Schema can also be set in the URL
// (trama_schema; see docs/deploy.md).
type Options struct {
	// Schema, when set, holds trama's tables in that PostgreSQL schema (created if missing) instead of the
	// connection's search_path, so several trama deployments (or test runs) can share one database.
	// Lower-case letters, digits and underscores only.
	Schema string
	// MaxConns is the connection pool size of one replica, unless the URL sets pool_max_conns. Default:
	// the CPUs this process may use, from 4 to 10 (DefaultMaxConns). The workers, acknowledgements and
	// history each need a connection only for the length of a statement or transaction, so a few serve
	// many, and more sessions cost the database CPU for the same work. See docs/deploy.md for sizing.
	MaxConns int32
}

// DefaultMaxConns is Options.MaxConns's default: the CPUs this process may use (GOMAXPROCS), at least 4
// as pgxpool sizes a pool, and at most 10, so that replicas on large machines still fit PostgreSQL's
// default of 100 connections. A replica cannot prepare more transactions at once than its cores allow,
// and each session more costs the database CPU for the same work: three replicas and PostgreSQL on one
// 2-core machine completed 5–15 % more runs per second with 4 connections each than with 10, PostgreSQL
// spending 7–16 % less CPU per run (docs/performance.md).
func DefaultMaxConns() int32 { return int32(min(max(4, runtime.GOMAXPROCS(0)), 10)) }

// idleInTx is how long PostgreSQL lets a session sit idle inside a transaction before ending it.
const idleInTx = 5 * time.Second

// Driver is the PostgreSQL store.Driver for one database (and schema).
type Driver struct {
	cfg  connConfig
	opts Options
	pool *pgxpool.Pool
}

var _ store.Driver = (*Driver)(nil)

// New returns the driver of the database at url (postgres://…). Errors name the host and database,
// never the password.
func New(url string, opts Options) (*Driver, error) {
	cfg, err := parseURL(url, opts.Schema)
	if err != nil {
		return nil, err
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns()
	}
	return &Driver{cfg: cfg, opts: opts}, nil
}

// Open opens the store in the database at url: store.Open(ctx, New(url, opts), storeOpts).
func Open(ctx context.Context, url string, opts Options, storeOpts store.Options) (*store.Store, error) {
	d, err := New(url, opts)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, d, storeOpts)
}

// Name implements store.Driver: host:port/database, and the schema when one is set.
func (d *Driver) Name() string {
	if d.cfg.Schema != "" {
		return d.cfg.Name + " (schema " + d.cfg.Schema + ")"
	}
	return d.cfg.Name
}

// Open implements store.Driver: one pool serves writes and reads.
func (d *Driver) Open(ctx context.Context, mode store.OpenMode) (write, read *sql.DB, err error) {
	readOnly := mode == store.OpenReadOnly
	pc, err := pgxpool.ParseConfig(d.cfg.conn)
	if err != nil {
		// pgx quotes the URL (with the password masked) before the reason; keep only the reason.
		msg := err.Error()
		if _, reason, ok := strings.Cut(msg, "`: "); ok {
			msg = reason
		}
		return nil, nil, fmt.Errorf("invalid connection parameters: %s", redact(errors.New(msg), d.cfg.password))
	}
	if !d.cfg.poolSized {
		pc.MaxConns = d.opts.MaxConns
	}
	if d.cfg.Schema != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = d.cfg.Schema
	}
	if readOnly {
		pc.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	// trama's transactions never wait on the client; a replica that froze inside one (a GC pause, a
	// stopped VM) would hold its row locks, and with them the runs it lost, for as long as it stays
	// frozen. The server ends such a session after idleInTx, well inside a lease.
	pc.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.Itoa(int(idleInTx.Milliseconds()))
	// No JIT compilation: trama's statements are short, and compiling one took 100 ms on the bench
	// machine. The server compiles a statement whose estimated cost passes jit_above_cost, which every
	// plan the queue's plan settings disfavour does (store.Dialect.QueuePlan). On that machine's
	// PostgreSQL 15, a compiled nested loop over run_slots also returned no row where there was one.
	// jit=on in the URL turns it back on.
	if _, set := pc.ConnConfig.RuntimeParams["jit"]; !set {
		pc.ConnConfig.RuntimeParams["jit"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, nil, redact(err, d.cfg.password)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, nil, redact(err, d.cfg.password)
	}
	db := stdlib.OpenDBFromPool(pool)
	if mode != store.OpenCreate {
		var exists bool
		if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
			db.Close()
			pool.Close()
			return nil, nil, redact(err, d.cfg.password)
		}
		if !exists {
			db.Close()
			pool.Close()
			return nil, nil, fmt.Errorf("%w: the database holds no trama store (run trama migrate, or start trama serve once)", store.ErrNoDatabase)
		}
	}
	d.pool = pool
	return db, db, nil
}

// migrations are the PostgreSQL schema, applied by store.Open in file-name order.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migrations implements store.Driver.
func (d *Driver) Migrations() fs.FS { return migrations }

// migrateLockKey is the advisory lock every replica takes around migrations of one schema.
func migrateLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("trama migrate " + schema))
	return int64(h.Sum64())
}

// LockMigrations implements store.Driver with a session advisory lock on conn, which the server releases
// if this process dies. It creates the schema first.
func (d *Driver) LockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	key := migrateLockKey(d.cfg.Schema)
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return nil, err
	}
	unlock := func() {
		// A failed unlock (connection lost) releases the lock anyway: it belongs to the session.
		conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, key)
	}
	if d.cfg.Schema != "" {
		// The schema was checked against schemaName, so it needs no quoting.
		if _, err := conn.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+d.cfg.Schema); err != nil {
			unlock()
			return nil, fmt.Errorf("create schema %s: %w", d.cfg.Schema, err)
		}
	}
	return unlock, nil
}

// Dialect implements store.Driver.
func (d *Driver) Dialect() store.Dialect {
	return store.Dialect{
		Now:        `(extract(epoch from clock_timestamp()) * 1000000000)::bigint`,
		SkipLocked: " FOR UPDATE SKIP LOCKED",
		// One row would serialize every acknowledgement of every replica on its row lock.
		TotalShards: 32,
		KeyLock:     "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
		JSONType:    "json",
		// Without sorts, bitmap scans, hash and merge joins, the plans left for the queue's statements
		// walk an index in order and stop, or look rows up by key. Sequential scans go too: the queue's
		// tables are tiny when a connection first plans a statement (dispatch_queue holds only what
		// waits), and a generic plan that scans one then reads every row once it holds thousands. With
		// only such plans left, a statement's first plan serves all its executions on the connection
		// (force_generic_plan): PostgreSQL otherwise plans each of the first five anew, and batches of
		// each size are statements of their own, so half of the queue's executions were planned. Local
		// to the transaction, so nothing else is steered. SET statements, not SELECT set_config(…): sent
		// without arguments, the text goes by the simple protocol, parsed each time, and a SET is not
		// planned as a SELECT is.
		QueuePlan: "SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off; " +
			"SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL enable_seqscan = off; " +
			"SET LOCAL plan_cache_mode = force_generic_plan",
		PlanEach: pgx.QueryExecModeExec,
	}
}

// BeginWrite implements store.Driver: PostgreSQL runs writers side by side.
func (d *Driver) BeginWrite(bool) func(bool) { return func(bool) {} }

// Retryable implements store.Driver: a deadlock victim (40P01) or a serialization failure (40001).
func (d *Driver) Retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// Exclusive implements store.Driver: any number of replicas work one database.
func (d *Driver) Exclusive() bool { return false }

// LockWork implements store.Driver.
func (d *Driver) LockWork() (func(), error) { return func() {}, nil }

// Close implements store.Driver.
func (d *Driver) Close() error {
	if d.pool != nil {
		d.pool.Close()
	}
	return nil
}
