package store

import (
	"context"
	"database/sql"
	"io/fs"
	"time"
)

// Driver is what one database gives the store: its connections, its schema, and the few places where
// its SQL or its concurrency differ. Everything else — ingestion, dispatch, leases, history, paging,
// scanning — is written once in this package over database/sql, with $1-style placeholders that both
// SQLite and PostgreSQL read, so a change to durable behaviour is made once and the conformance suite in
// store/storetest proves it on every driver.
//
// store/sqlite and store/postgres implement it; Open takes one.
type Driver interface {
	// Name identifies the database in errors and logs: a file path, or host:port/database. It never
	// holds a password.
	Name() string
	// Open connects. write is used for every transaction; read serves history queries (it may be the
	// same pool). Unless mode is OpenCreate it must not create the database, and must fail with an error
	// wrapping ErrNoDatabase when none exists; with OpenReadOnly nothing may be written at all.
	Open(ctx context.Context, mode OpenMode) (write, read *sql.DB, err error)
	// Migrations holds the driver's schema files as migrations/NNN_name.sql, applied in name order by
	// Open; see migrate.go.
	Migrations() fs.FS
	// LockMigrations serializes migrations between processes that open the same database at once, and
	// returns the function that releases the lock. It runs on conn, which Migrate then uses.
	LockMigrations(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// Dialect is the SQL that differs between databases.
	Dialect() Dialect
	// InsertEvents is the ingest fast path: insert rows whose Key is new, skipping the others, queue
	// the new ones with Queue for dispatch, and return the keys inserted. rows are sorted by Key and
	// come from one delivery or one poll, so their Source, DeliveryID and Received are the same.
	InsertEvents(ctx context.Context, tx *sql.Tx, rows []EventRow) (inserted []string, err error)
	// BeginWrite is called before each write transaction and the function it returns after the
	// transaction ended (committed reports a commit). ingest marks an acknowledgement, which a database
	// with a single writer lets go ahead of the workers.
	BeginWrite(ingest bool) (end func(committed bool))
	// Retryable reports an error after which the whole transaction may simply run again (a deadlock
	// victim, a serialization failure).
	Retryable(err error) bool
	// Exclusive reports whether only one process may work the database's queue at a time (SQLite). If so,
	// LockWork takes that lock and Work may take over every lease at start, since no other worker can
	// hold one.
	Exclusive() bool
	// LockWork takes the lock of an exclusive driver, held until unlock; it fails when another process
	// holds it. Drivers that are not exclusive return a no-op.
	LockWork() (unlock func(), err error)
	// Close releases what Open made beyond the two pools (background checkpoints, files).
	Close() error
}

// OpenMode says what opening a store may do.
type OpenMode int

const (
	// OpenCreate creates the database when it does not exist (trama serve, trama migrate).
	OpenCreate OpenMode = iota
	// OpenExisting opens an existing database for reading and writing (trama events replay).
	OpenExisting
	// OpenReadOnly opens an existing database for reading only (the history commands).
	OpenReadOnly
)

// Dialect holds the SQL fragments that differ between databases.
type Dialect struct {
	// Now is an expression for the database's current time in Unix nanoseconds. Leases are judged by
	// the database's clock, so replicas whose clocks disagree still agree on who holds a run.
	Now string
	// SkipLocked follows the subquery that picks work to claim: " FOR UPDATE SKIP LOCKED" where several
	// processes claim at once (rows another transaction is claiming are passed over, not waited for),
	// empty where a single writer serializes claims anyway.
	SkipLocked string
	// TotalShards is how many rows the running totals are spread over: one where writes are serialized,
	// more where one row would serialize every acknowledgement of every replica on its lock.
	TotalShards int
	// IndexHints names the partial index a queue query must use (" INDEXED BY runs_ready") where the
	// planner would otherwise pick the status index and read every queued or waiting run on each claim
	// (SQLite does: a claim cost O(queue length)).
	IndexHints bool
	// QueuePlan, when set, is SQL (one statement or several) run first in the queue's transactions
	// (dispatches, claims and finishes; see queueTx) that keeps the planner, for the rest of that
	// transaction, on the plans those statements are written for: walk an index in order and stop at
	// what is claimed; look rows up by their keys. PostgreSQL has no index hints, and its planner judges
	// by statistics that lag the tables, and keeps a statement's plan once it has chosen one. A claim
	// planned while the queue was short (on a new database, or where autovacuum is off or behind) read
	// every ready run and sorted them all to claim ten: under a 20 000-run backlog it took 14 ms, the
	// ordered scan 1 ms. A batch of finishes was planned as a hash join over every run ever marked
	// running whose index entry no vacuum had removed yet (3 000 entries read to finish 22), and a batch
	// of dispatches as a hash join over every event. The tests in store/postgres build each case.
	QueuePlan string
	// PlanEach, when set, is an argument the driver takes before a statement's own to plan that statement
	// for its arguments every time it runs, rather than keep the plan it made once: pgx's
	// QueryExecModeExec. A dispatch's lookups by key (its events and their deliveries) go this way.
	// PostgreSQL planned them, while the inbox was small, as sequential scans, and kept those plans as
	// it grew; planned each time, they see the table as it is. Planning two small statements a batch
	// costs less than a transaction that steers them (which took 10 % of the runs/s of the bench).
	PlanEach any
	// LiteralLimits writes a claim's LIMIT into the statement's text instead of binding it, where a
	// bound LIMIT costs more than a statement per limit: SQLite compiles a statement again
	// every time its LIMIT parameter is bound (the value may change the plan), which was half the cost of
	// a claim; PostgreSQL prepares a statement once per connection and text, so there one parameterized
	// statement is cheaper than a statement for each limit.
	LiteralLimits bool
	// KeyLock is a statement taking a transaction-scoped lock named by $1, where several processes
	// write at once: PostgreSQL's advisory lock, so that two replicas coalescing events of one key take
	// turns. Empty where one writer serializes transactions anyway.
	KeyLock string
	// JSONType is the type a JSON column's value is cast to where the database cannot infer it (a
	// VALUES list): json on PostgreSQL, TEXT on SQLite, which keeps JSON as text.
	JSONType string
}

// EventRow is one event as InsertEvents writes it: every value already converted for storage.
type EventRow struct {
	Key, UUID, Type, Source string
	// DeliveryID is the first delivery's id, or "" for a polled event (stored as NULL).
	DeliveryID          string
	Published, Received int64 // Unix nanoseconds
	Payload             string
	// UserID and UserLogin are the Okta user the event is about (the login in lower case), or "".
	UserID, UserLogin string
	// Queue says the event waits for dispatch: InsertEvents gives it a dispatch_queue row (replays 0 to
	// 0) with the event. It is false for an event stored without dispatch work (NoDispatch).
	Queue bool
}

// nanos stores a time as Unix nanoseconds; the zero time is stored as 0, so "not yet" stays cheap to test.
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
