// Package sqlite is the store.Driver of trama's embedded store: one SQLite file (modernc.org/sqlite, pure
// Go) that needs no setup. It is the default and serves one `trama serve` process; several replicas need
// store/postgres.
//
// What it adds to the store's shared code is what SQLite's single writer asks for: one write connection
// with acknowledgements ahead of the workers' writes, a read-only pool for history, WAL checkpoints
// outside the acknowledgement path, statements kept prepared per connection, and a work lock so that one
// process at a time works the queue.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trama-dev/trama/store"
)

// Options tune the driver. The zero value is what `trama serve` uses.
type Options struct {
	// ReadConns is the size of the read-only connection pool used by history queries, which in WAL mode
	// never block ingestion. Default 4.
	ReadConns int
	// Logger receives warnings (a failed WAL checkpoint). Default slog.Default().
	Logger *slog.Logger
}

// Driver is the SQLite store.Driver for one database file.
type Driver struct {
	path string
	opts Options

	// gate gives acknowledgements priority over the workers' writes: ingestion takes it exclusively,
	// worker-side writes share it, and a waiting ingestion holds back new worker transactions (sync.RWMutex
	// prefers a waiting writer), so a busy queue cannot push an acknowledgement past Okta's timeout.
	gate sync.RWMutex
	// lastWrite is when this process last committed (Unix nanoseconds), so checkpoints can wait for a pause.
	lastWrite        atomic.Int64
	stopCheckpointer func() error
}

var _ store.Driver = (*Driver)(nil)

// New returns the driver of the SQLite database at path (created by store.Open unless read-only).
func New(path string, opts Options) *Driver {
	if opts.ReadConns <= 0 {
		opts.ReadConns = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Driver{path: path, opts: opts}
}

// Open opens the store in the SQLite file at path: store.Open(ctx, New(path, opts), storeOpts).
func Open(ctx context.Context, path string, opts Options, storeOpts store.Options) (*store.Store, error) {
	return store.Open(ctx, New(path, opts), storeOpts)
}

// Name implements store.Driver.
func (d *Driver) Name() string { return d.path }

// common are the settings of every connection: wait for the writer instead of failing at once, enforce
// foreign keys, fsync at checkpoints rather than at every commit (WAL keeps committed transactions
// durable against a process crash; an OS crash may lose the last few), and a 16 MB page cache.
const common = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
	"&_pragma=cache_size(-16000)"

// writeOnly are the settings of the write connection alone. wal_autocheckpoint(0): the committing
// connection would otherwise copy the WAL into the database and fsync it inside an acknowledgement every
// thousand pages; the checkpointer does it beside. temp_store(MEMORY) keeps statement journals
// in memory: a multi-row INSERT or UPDATE inside a transaction journals the pages it changes so that it
// alone can be undone, and past 64 KiB SQLite spills that journal to a temporary file, a write system
// call per page that nothing reads back unless the statement fails. It holds nothing durable (the WAL
// does), and in memory the bench ran 7–12 % more runs per second (docs/performance.md). The readers keep
// the default: they write no journal, and a large sort there should spill to a file, not to memory.
const writeOnly = "&_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(67108864)" +
	"&_pragma=temp_store(MEMORY)&_txlock=immediate"

// Open implements store.Driver.
func (d *Driver) Open(ctx context.Context, mode store.OpenMode) (write, read *sql.DB, err error) {
	if d.path == "" || d.path == ":memory:" || strings.HasPrefix(d.path, "file:") {
		return nil, nil, fmt.Errorf("path %q: want a file path", d.path)
	}
	readOnly := mode == store.OpenReadOnly
	if mode != store.OpenCreate {
		if _, err := os.Stat(d.path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%w: %s does not exist", store.ErrNoDatabase, d.path)
		}
	}
	uri := "file:" + escapePath(d.path)
	writeDSN := uri + "?" + common + writeOnly
	if readOnly {
		writeDSN = uri + "?" + common + "&_pragma=query_only(1)"
	}
	write, err = sql.Open(driverName, writeDSN)
	if err != nil {
		return nil, nil, err
	}
	// SQLite has one writer at a time: one connection makes the store's goroutines queue in Go, in
	// order, instead of spinning on SQLITE_BUSY.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, nil, err
	}
	read, err = sql.Open(driverName, uri+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, nil, err
	}
	read.SetMaxOpenConns(d.opts.ReadConns)
	read.SetMaxIdleConns(d.opts.ReadConns)
	if !readOnly {
		if err := d.startCheckpointer(uri + "?" + common); err != nil {
			write.Close()
			read.Close()
			return nil, nil, err
		}
	}
	return write, read, nil
}

// escapePath makes a file path safe inside a SQLite URI, where ? and # end the path and % escapes.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// migrations are the SQLite schema, applied by store.Open in file-name order.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migrations implements store.Driver.
func (d *Driver) Migrations() fs.FS { return migrations }

// LockMigrations implements store.Driver: on the single write connection, migrations already run alone
// within this process, and BEGIN IMMEDIATE orders them against other processes.
func (d *Driver) LockMigrations(context.Context, *sql.Conn) (func(), error) { return func() {}, nil }

// Dialect implements store.Driver.
func (d *Driver) Dialect() store.Dialect {
	return store.Dialect{Now: `CAST(unixepoch('subsec') * 1000000000 AS INTEGER)`, TotalShards: 1, IndexHints: true, JSONType: "TEXT",
		LiteralLimits: true}
}

// BeginWrite implements store.Driver: acknowledgements take the gate exclusively, everything else
// shares it.
func (d *Driver) BeginWrite(ingest bool) func(committed bool) {
	if ingest {
		d.gate.Lock()
	} else {
		d.gate.RLock()
	}
	return func(committed bool) {
		if committed {
			d.lastWrite.Store(time.Now().UnixNano())
		}
		if ingest {
			d.gate.Unlock()
		} else {
			d.gate.RUnlock()
		}
	}
}

// Retryable implements store.Driver: with one writer and busy_timeout, SQLite has no transaction worth
// running again.
func (d *Driver) Retryable(error) bool { return false }

// Exclusive implements store.Driver: one process works a SQLite file.
func (d *Driver) Exclusive() bool { return true }

// LockWork implements store.Driver with an flock on PATH-work.lock next to the database, which the
// kernel releases when the process dies, so a crash never leaves a stale lock.
func (d *Driver) LockWork() (func(), error) { return lockFile(d.path + "-work.lock") }

// Close implements store.Driver.
func (d *Driver) Close() error {
	if d.stopCheckpointer != nil {
		return d.stopCheckpointer()
	}
	return nil
}
