// Package sqlite is trama's embedded store: one SQLite file (modernc.org/sqlite, pure Go) holding the
// inbox, the run history and River's job tables. It is the default store and serves one `trama serve`
// process; several replicas need the PostgreSQL store.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/internal/jobs"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Options tune a Store. The zero value is what `trama serve` uses.
type Options struct {
	// MaxAttempts is how many times a job runs before the queue gives up. Default 5: with the default
	// backoff that spans about 15 s of retries, long enough to ride out an API's brief outage or a
	// 429 window, short enough that a broken flow is reported failed quickly.
	MaxAttempts int
	// RetryBase is the delay before the first retry; each later retry doubles it. Default 1 s.
	RetryBase time.Duration
	// RetryMax caps the retry delay. Default 5 min.
	RetryMax time.Duration
	// JobTimeout bounds one attempt of one job (a whole workflow run for an execute job). Default 10
	// min: Okta flows make a handful of calls, and a hung connection must not hold a worker forever.
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before River assumes its worker died and retries
	// it. Default JobTimeout + 1 min. (Jobs orphaned by a crash of this process are rescued at once
	// when Work starts again; this covers the rest.)
	RescueAfter time.Duration
	// CompletedRetention is how long finished jobs stay in River's table. Default 24 h. trama's own
	// events and runs tables keep the history and the de-duplication forever, so this only bounds the
	// queue's size.
	CompletedRetention time.Duration
	// PollInterval is how often an idle worker looks for new jobs. Default 50 ms. Jobs inserted by
	// this process wake its workers at once (see wake.go), so polling only matters for jobs inserted
	// by another process (`trama events replay`) and for retries coming due; each poll is a write
	// transaction on SQLite, so polling much faster would compete with acknowledgements.
	PollInterval time.Duration
	// DispatchWorkers is how many dispatch jobs run at once. Default 2: dispatch is a few
	// milliseconds of CPU and one transaction, so more only contends for the single write connection.
	DispatchWorkers int
	// ExecuteWorkers is how many runs execute at once. Default 16: runs mostly wait on HTTP.
	ExecuteWorkers int
	// ShutdownTimeout is how long Work waits for running jobs after its context is cancelled before it
	// cancels them. Default 30 s.
	ShutdownTimeout time.Duration
	// ReadConns is the size of the read-only connection pool used by history queries, which in WAL mode
	// never block ingestion. Default 4.
	ReadConns int
	// Logger receives the queue's warnings and errors. Default slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	def(&o.RetryBase, time.Second)
	def(&o.RetryMax, 5*time.Minute)
	def(&o.JobTimeout, 10*time.Minute)
	def(&o.RescueAfter, o.JobTimeout+time.Minute)
	def(&o.CompletedRetention, 24*time.Hour)
	def(&o.PollInterval, 50*time.Millisecond)
	def(&o.ShutdownTimeout, 30*time.Second)
	if o.DispatchWorkers <= 0 {
		o.DispatchWorkers = 2
	}
	if o.ExecuteWorkers <= 0 {
		o.ExecuteWorkers = 16
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Store is the SQLite implementation of store.Store.
type Store struct {
	path string
	opts Options
	// getEvent and eventDeliveries are prepared once: every dispatched event reads its row, and parsing
	// the SQL each time was a seventh of the CPU of a busy ingest.
	getEvent, eventDeliveries *sql.Stmt
	// write is the single read-write connection shared with River: SQLite has one writer at a time,
	// and River's SQLite driver needs one connection to avoid SQLITE_BUSY between its own goroutines.
	write *sql.DB
	// read is a pool of query-only connections for history, so reads never queue behind writes.
	read    *sql.DB
	river   *river.Client[*sql.Tx]
	driver  *wakingDriver
	backoff *jobs.Backoff
	// gate gives acknowledgements priority over the workers' writes: ingestion takes it exclusively,
	// worker-side writes share it, and a waiting ingestion holds back new worker transactions (sync.RWMutex
	// prefers a waiting writer), so a busy queue cannot push an acknowledgement past Okta's timeout.
	gate sync.RWMutex

	stopCheckpointer func() error
	// lastWrite is when this store last committed (Unix nanoseconds), so checkpoints can wait for a pause.
	lastWrite atomic.Int64

	handlers atomic.Pointer[store.Handlers]
	working  atomic.Bool
	// awake is true while River's client is started: River sets up the producers that wake pokes
	// inside Start, without a lock, so a delivery committed during Start or Stop must not poke them.
	// wakeMu orders wake against those transitions.
	wakeMu  sync.RWMutex
	awake   bool
	closeMu sync.Mutex
	closed  bool
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the SQLite database at path, runs trama's and River's migrations, and
// prepares the queue. Several processes may open the same file (the CLI reads history while `trama
// serve` runs), but only one may Work it.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite store: path %q: want a file path", path)
	}
	opts = opts.withDefaults()
	s := &Store{path: path, opts: opts}

	uri := "file:" + escapePath(path)
	const common = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
		"&_pragma=cache_size(-16000)"
	// wal_autocheckpoint(0): the committing connection would otherwise copy the WAL into the database
	// and fsync it inside an acknowledgement every thousand pages; the checkpointer does it beside.
	write, err := sql.Open(driverName, uri+"?_pragma=journal_mode(WAL)&"+common+
		"&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(67108864)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite store %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	s.write = write

	if err := migrate(ctx, write, riverLogger(opts.Logger)); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", path, err)
	}

	read, err := sql.Open(driverName, uri+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", path, err)
	}
	read.SetMaxOpenConns(opts.ReadConns)
	read.SetMaxIdleConns(opts.ReadConns)
	s.read = read
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", path, err)
	}

	if s.river, err = newRiverClient(s); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", path, err)
	}
	if err := s.startCheckpointer(uri + "?" + common); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", path, err)
	}
	return s, nil
}

// escapePath makes a file path safe inside a SQLite URI, where ? and # end the path and % escapes.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.stopCheckpointer != nil {
		errs = append(errs, s.stopCheckpointer())
	}
	for _, st := range []*sql.Stmt{s.getEvent, s.eventDeliveries} {
		if st != nil {
			st.Close()
		}
	}
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	return errors.Join(append(errs, s.write.Close())...)
}

// nanos stores a time as Unix nanoseconds; the zero time is stored as 0 so "not yet" stays cheap to test.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
