package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Options tune a Store. The zero value is what `trama serve` uses.
type Options struct {
	// Mode says whether Open may create the database (the default) or opens an existing one, for reading
	// and writing or for reading only. A missing database is then an error wrapping ErrNoDatabase: the
	// history commands never leave an empty store behind a mistyped path.
	Mode OpenMode
	// Logger receives the store's warnings. Default slog.Default().
	Logger *slog.Logger
	// LapsedLeaseCheck is how often, at the least, a claim looks for runs whose attempt stopped renewing
	// its lease while ready runs fill every claim (a claim they do not fill always looks). Default 1 s:
	// it bounds how long such a run waits behind a backlog, and each look reads the entries of every
	// running run, and of every finished one whose entry no vacuum has removed yet.
	LapsedLeaseCheck time.Duration
}

// Store is trama's durable inbox, run queue and history, over one Driver. It is safe for concurrent use.
// Every method that can fail wraps its error with the value it was working on; lookups of missing rows
// wrap ErrNotFound, writes of an attempt that lost its lease wrap ErrLeaseLost.
//
// The store never calls back into the code that works its queue: workers claim work (ClaimDispatches,
// ClaimRuns), hold runs by lease, and report what happened. Ready tells them when this process committed
// new work, so they need not wait for their next poll.
type Store struct {
	drv     Driver
	dialect Dialect
	opts    Options
	write   *sql.DB
	read    *sql.DB
	q       queries
	// now is readNow of the dialect: the database's current time, read once per statement.
	now string

	dispatchReady chan struct{}
	runsReady     chan struct{}
	// lastExpire is when this process last put lapsed leases back in the queue (a time.Time).
	lastExpire atomic.Value

	closeMu sync.Mutex
	closed  bool
}

// Open connects to the driver's database and, unless opts.ReadOnly, brings its schema up to date.
func Open(ctx context.Context, drv Driver, opts Options) (*Store, error) {
	if drv == nil {
		return nil, errors.New("store: Open needs a driver")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.LapsedLeaseCheck <= 0 {
		opts.LapsedLeaseCheck = expireEvery
	}
	write, read, err := drv.Open(ctx, opts.Mode)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", drv.Name(), err)
	}
	s := &Store{
		drv: drv, dialect: drv.Dialect(), opts: opts, write: write, read: read,
		dispatchReady: make(chan struct{}, 1), runsReady: make(chan struct{}, 1),
	}
	s.lastExpire.Store(time.Time{})
	if s.dialect.TotalShards < 1 {
		s.dialect.TotalShards = 1
	}
	if s.dialect.JSONType == "" {
		s.dialect.JSONType = "TEXT"
	}
	s.q = newQueries(s.dialect)
	s.now = readNow(s.dialect)
	if opts.Mode != OpenReadOnly {
		err = migrate(ctx, drv, write)
	} else {
		err = checkSchema(ctx, drv, read)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store %s: %w", drv.Name(), err)
	}
	return s, nil
}

// Name identifies the database (never with a password).
func (s *Store) Name() string { return s.drv.Name() }

// Exclusive reports whether only one process may work this store's queue at a time (SQLite).
func (s *Store) Exclusive() bool { return s.drv.Exclusive() }

// LockWork takes the work lock of an exclusive store (see Driver.LockWork).
func (s *Store) LockWork() (unlock func(), err error) {
	unlock, err = s.drv.LockWork()
	if err != nil {
		return nil, fmt.Errorf("store %s: another process is working this store: %w", s.drv.Name(), err)
	}
	return unlock, nil
}

// Close releases the database. Call it after the workers stopped.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.read != nil && s.read != s.write {
		errs = append(errs, s.read.Close())
	}
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	errs = append(errs, s.drv.Close())
	return errors.Join(errs...)
}

// Work is the kind of work Ready signals.
type Work int

const (
	// DispatchWork is events waiting to be matched against the triggers.
	DispatchWork Work = iota
	// RunWork is runs waiting for a worker.
	RunWork
)

// Ready returns a channel that receives a value after this process committed new work of kind. It
// holds at most one value, so a signal is never lost and never piles up; work committed by other
// processes is only found by polling.
func (s *Store) Ready(kind Work) <-chan struct{} {
	if kind == DispatchWork {
		return s.dispatchReady
	}
	return s.runsReady
}

func (s *Store) signal(kind Work) {
	ch := s.runsReady
	if kind == DispatchWork {
		ch = s.dispatchReady
	}
	select {
	case ch <- struct{}{}:
	default:
	}
}
