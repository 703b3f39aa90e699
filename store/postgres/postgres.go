// Package postgres is trama's store for several `trama serve` replicas on one PostgreSQL database (pgx v5):
// the inbox, the run history and River's job tables, with the same schema concepts and behaviour as
// store/sqlite. The database is all the replicas share: River distributes jobs with FOR UPDATE SKIP
// LOCKED and LISTEN/NOTIFY, elects one leader for maintenance and rescues the jobs of a replica that died,
// so replicas need no configuration to find each other.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/internal/jobs"
)

// Options tune a Store. The zero value is what `trama serve` uses; Schema, JobTimeout and RescueAfter can
// also be set in the URL (trama_schema, trama_job_timeout, trama_rescue_after; see docs/deploy.md).
type Options struct {
	// Schema, when set, holds trama's and River's tables in that PostgreSQL schema (created if missing)
	// instead of the connection's search_path, so several trama deployments (or test runs) can share one
	// database. Lower-case letters, digits and underscores only.
	Schema string
	// MaxAttempts is how many times a job runs before the queue gives up. Default 5, as on SQLite.
	MaxAttempts int
	// RetryBase is the delay before the first retry; each later retry doubles it. Default 1 s.
	RetryBase time.Duration
	// RetryMax caps the retry delay. Default 5 min.
	RetryMax time.Duration
	// JobTimeout bounds one attempt of one job (a whole workflow run for an execute job). Default 10
	// min, as on SQLite.
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before River's rescuer (run by the elected leader
	// every 30 s) assumes its replica died and retries it elsewhere. Default JobTimeout + 1 min: a
	// replica that is alive has cancelled the attempt by then. This is the failover time of a run in
	// flight on a replica that was killed; see docs/deploy.md.
	RescueAfter time.Duration
	// CompletedRetention is how long finished jobs stay in River's table. Default 24 h; trama's own
	// tables keep the history and the de-duplication forever.
	CompletedRetention time.Duration
	// PollInterval is how often an idle worker looks for jobs when no notification came: retries that
	// came due, and jobs whose NOTIFY was folded into an earlier one (see fetchCooldown) or lost with a
	// connection. Default 100 ms: new jobs normally wake every replica at once through LISTEN/NOTIFY, and
	// a poll is one indexed query per queue, so a replica polling ten times a second costs the database
	// little and bounds the rare missed wake-up.
	PollInterval time.Duration
	// DispatchWorkers is how many dispatch jobs run at once per replica. Default 4.
	DispatchWorkers int
	// ExecuteWorkers is how many runs execute at once per replica. Default 16: runs mostly wait on HTTP.
	ExecuteWorkers int
	// ShutdownTimeout is how long Work waits for running jobs after its context is cancelled before it
	// cancels them. Default 30 s.
	ShutdownTimeout time.Duration
	// MaxConns is the connection pool size of one replica, unless the URL sets pool_max_conns.
	// Default 16: the workers, River's producers and its LISTEN connection, and the acknowledgements
	// each need a connection only for the length of a transaction. See docs/deploy.md for sizing.
	MaxConns int32
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
	if o.RescueAfter < o.JobTimeout {
		o.RescueAfter = o.JobTimeout // River refuses to rescue a job its worker may still be running
	}
	def(&o.CompletedRetention, 24*time.Hour)
	def(&o.PollInterval, 100*time.Millisecond)
	def(&o.ShutdownTimeout, 30*time.Second)
	if o.DispatchWorkers <= 0 {
		o.DispatchWorkers = 4
	}
	if o.ExecuteWorkers <= 0 {
		o.ExecuteWorkers = 16
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	// name identifies the database in errors and logs without the password: host, port and database.
	name    string
	opts    Options
	pool    *pgxpool.Pool
	river   *river.Client[pgx.Tx]
	backoff *jobs.Backoff

	handlers atomic.Pointer[store.Handlers]
	working  atomic.Bool
	closeMu  sync.Mutex
	closed   bool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://…), runs trama's and River's migrations under an
// advisory lock (so replicas starting together migrate once), and prepares the queue. Any number of
// processes may Open and Work the same database. Errors name the host and database, never the password.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	s, err := connect(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, s.pool, s.opts.Schema, riverLogger(s.opts.Logger)); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres store %s: %w", s.name, err)
	}
	if s.river, err = newRiverClient(s); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres store %s: %w", s.name, err)
	}
	return s, nil
}

// Migrate brings the database at url up to date (trama's and River's migrations, under the same advisory
// lock as Open) and returns, for `trama migrate` in a deployment step before the replicas start.
func Migrate(ctx context.Context, url string, opts Options) error {
	s, err := connect(ctx, url, opts)
	if err != nil {
		return err
	}
	defer s.pool.Close()
	if err := migrate(ctx, s.pool, s.opts.Schema, riverLogger(s.opts.Logger)); err != nil {
		return fmt.Errorf("postgres store %s: %w", s.name, err)
	}
	return nil
}

func connect(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := parseURL(url, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{name: cfg.Name, opts: cfg.Options.withDefaults()}
	pc, err := pgxpool.ParseConfig(cfg.conn)
	if err != nil {
		// pgx quotes the URL (with the password masked) before the reason; keep only the reason.
		msg := err.Error()
		if _, reason, ok := strings.Cut(msg, "`: "); ok {
			msg = reason
		}
		return nil, fmt.Errorf("postgres store %s: invalid connection parameters: %s", s.name,
			redact(errors.New(msg), cfg.password))
	}
	if !cfg.poolSized {
		pc.MaxConns = s.opts.MaxConns
	}
	if s.opts.Schema != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = s.opts.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres store %s: %w", s.name, redact(err, cfg.password))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store %s: %w", s.name, redact(err, cfg.password))
	}
	s.pool = pool
	return s, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.pool.Close()
	return nil
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

// errNoRows reports whether err is pgx's "no rows" answer to QueryRow.
func errNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
