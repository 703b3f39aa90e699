package sqlite

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"

	_ "modernc.org/sqlite" // registers the "sqlite" driver that cachingDriver wraps
)

// The SQLite driver parses the SQL text of every ExecContext and QueryContext call afresh: it keeps no
// prepared statements between calls. On the single write connection that parsing is most of the cost of
// River's small statements (its completer runs one UPDATE per finished job, each parsed anew), and every
// microsecond it holds the connection is a microsecond an acknowledgement waits. So the store opens its
// databases through a driver that keeps, per connection, the statements it ran most recently and runs
// them again without parsing.

// driverName is the database/sql name of the caching driver; sql.Open("sqlite", …) still reaches the
// plain driver.
const driverName = "trama-sqlite"

// stmtCacheSize is how many prepared statements each connection keeps. Default 256: trama and River
// together run about a hundred distinct statements, and River's slice queries add a few variants; a
// statement costs SQLite a few kilobytes, so the whole cache stays near a megabyte per connection.
const stmtCacheSize = 256

func init() {
	// The registered "sqlite" driver rather than a fresh sqlite.Driver, so that anything registered on
	// it (functions, collations, connection hooks) applies to the caching driver's connections too.
	db, err := sql.Open("sqlite", "")
	if err != nil {
		panic(fmt.Sprintf("sqlite store: the sqlite driver is not registered: %v", err))
	}
	inner := db.Driver()
	db.Close()
	sql.Register(driverName, &cachingDriver{inner: inner, size: stmtCacheSize})
}

// cachingDriver opens connections of the wrapped driver that keep a statement cache each.
type cachingDriver struct {
	inner driver.Driver
	size  int
}

// Open implements driver.Driver.
func (d *cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return newCachingConn(c, d.size)
}

// innerConn is what cachingConn needs of the wrapped connection: everything database/sql uses of the
// SQLite driver's connections. TestCachingConnInterfaces checks that the wrapper offers exactly the
// optional interfaces the wrapped connection does, so a driver upgrade that adds one is noticed.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn serves ExecContext and QueryContext calls that have arguments from an LRU cache of
// prepared statements keyed by SQL text. Calls without arguments go straight to the wrapped connection:
// they are migrations (several statements in one text), SAVEPOINT and PRAGMA, which run rarely or are
// cheap to parse, and a script must not be cached as one statement.
//
// database/sql uses a connection from one goroutine at a time, so the cache needs no lock. It may still
// run a statement while Rows of the same statement are open (a query inside a loop over another query's
// rows); a cached statement stays in use until its Rows close, and a call meanwhile prepares a statement
// of its own.
type cachingConn struct {
	inner innerConn
	size  int
	// lru holds *cachedStmt, most recently used first; byQuery indexes it by SQL text.
	lru     *list.List
	byQuery map[string]*list.Element
}

var (
	_ driver.Conn               = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
)

func newCachingConn(c driver.Conn, size int) (*cachingConn, error) {
	ic, ok := c.(innerConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("sqlite store: driver connection %T lacks context methods", c)
	}
	return &cachingConn{inner: ic, size: size, lru: list.New(), byQuery: make(map[string]*list.Element)}, nil
}

// cachedStmt is one prepared statement in a connection's cache.
type cachedStmt struct {
	query string
	stmt  driver.Stmt
	// inUse is set while Rows read from the statement; it cannot run again until they close.
	inUse bool
	// dropped is set when the statement left the cache while in use; closing its Rows finalizes it.
	dropped bool
}

// stmtContext is what the cache needs of a prepared statement of the wrapped driver.
type stmtContext interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// acquire returns the cached statement for query, preparing and caching it if needed, or nil when the
// cached one is in use or the driver's statement lacks the context methods (the caller then runs query
// uncached).
func (c *cachingConn) acquire(ctx context.Context, query string) (*cachedStmt, error) {
	if el, ok := c.byQuery[query]; ok {
		cs := el.Value.(*cachedStmt)
		if cs.inUse {
			return nil, nil
		}
		c.lru.MoveToFront(el)
		return cs, nil
	}
	// Keyed by the text as given; prepared with plain "?" parameters where that means the same, which
	// SQLite binds faster (see positional).
	text, _ := positional(query)
	st, err := c.inner.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	if _, ok := st.(stmtContext); !ok {
		st.Close()
		return nil, nil
	}
	cs := &cachedStmt{query: query, stmt: st}
	c.byQuery[query] = c.lru.PushFront(cs)
	for c.lru.Len() > c.size {
		c.drop(c.lru.Back().Value.(*cachedStmt))
	}
	return cs, nil
}

// drop removes cs from the cache and finalizes it, or leaves that to its Rows if they are open.
func (c *cachingConn) drop(cs *cachedStmt) error {
	if el, ok := c.byQuery[cs.query]; ok && el.Value == cs {
		c.lru.Remove(el)
		delete(c.byQuery, cs.query)
	}
	if cs.inUse {
		cs.dropped = true
		return nil
	}
	return cs.stmt.Close()
}

// release ends a use of cs by Rows; broken says the statement failed and must not run again.
func (c *cachingConn) release(cs *cachedStmt, broken bool) {
	cs.inUse = false
	if cs.dropped {
		cs.stmt.Close()
		return
	}
	if broken {
		c.drop(cs)
	}
}

// ExecContext implements driver.ExecerContext.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		return c.inner.ExecContext(ctx, query, args)
	}
	cs, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.ExecContext(ctx, query, args)
	}
	res, err := cs.stmt.(stmtContext).ExecContext(ctx, args)
	if err != nil {
		// The driver resets a failed statement, but an error can also come from a statement that cannot
		// run again (an interrupted or a stale one); preparing anew is cheap next to telling them apart.
		c.drop(cs)
		return nil, err
	}
	return res, nil
}

// QueryContext implements driver.QueryerContext.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 {
		return c.inner.QueryContext(ctx, query, args)
	}
	cs, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.(stmtContext).QueryContext(ctx, args)
	if err != nil {
		c.drop(cs)
		return nil, err
	}
	cs.inUse = true
	return &cachedRows{Rows: rows, conn: c, stmt: cs}, nil
}

// PrepareContext implements driver.ConnPrepareContext. Statements prepared explicitly belong to their
// *sql.Stmt, which database/sql already keeps per connection, so they bypass the cache.
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.PrepareContext(ctx, query)
}

// Prepare implements driver.Conn.
func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.inner.PrepareContext(context.Background(), query)
}

// BeginTx implements driver.ConnBeginTx.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, opts)
}

// Begin implements driver.Conn.
//
// Deprecated: database/sql calls BeginTx; Begin only completes driver.Conn.
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.inner.BeginTx(context.Background(), driver.TxOptions{})
}

// Ping implements driver.Pinger.
func (c *cachingConn) Ping(ctx context.Context) error { return c.inner.Ping(ctx) }

// ResetSession implements driver.SessionResetter.
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }

// IsValid implements driver.Validator.
func (c *cachingConn) IsValid() bool { return c.inner.IsValid() }

// Close finalizes the cached statements and closes the connection. database/sql closes a connection only
// after all its Rows, so no cached statement is in use here.
func (c *cachingConn) Close() error {
	var errs []error
	for el := c.lru.Front(); el != nil; el = el.Next() {
		errs = append(errs, el.Value.(*cachedStmt).stmt.Close())
	}
	c.lru.Init()
	clear(c.byQuery)
	errs = append(errs, c.inner.Close())
	return errors.Join(errs...)
}

// cachedRows are the Rows of a cached statement; closing them makes the statement available again.
type cachedRows struct {
	driver.Rows
	conn *cachingConn
	stmt *cachedStmt
	// failed records an error from Next other than the end of the rows.
	failed bool
}

// Next implements driver.Rows.
func (r *cachedRows) Next(dest []driver.Value) error {
	err := r.Rows.Next(dest)
	if err != nil && !errors.Is(err, io.EOF) {
		r.failed = true
	}
	return err
}

// Close implements driver.Rows.
func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.stmt != nil {
		r.conn.release(r.stmt, r.failed || err != nil)
		r.stmt = nil
	}
	return err
}

// The SQLite driver's Rows describe their columns; database/sql's ColumnTypes reads these.

// ColumnTypeDatabaseTypeName implements driver.RowsColumnTypeDatabaseTypeName.
func (r *cachedRows) ColumnTypeDatabaseTypeName(index int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(index)
	}
	return ""
}

// ColumnTypeLength implements driver.RowsColumnTypeLength.
func (r *cachedRows) ColumnTypeLength(index int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(index)
	}
	return 0, false
}

// ColumnTypeNullable implements driver.RowsColumnTypeNullable.
func (r *cachedRows) ColumnTypeNullable(index int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(index)
	}
	return false, false
}

// ColumnTypePrecisionScale implements driver.RowsColumnTypePrecisionScale.
func (r *cachedRows) ColumnTypePrecisionScale(index int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(index)
	}
	return 0, 0, false
}

// ColumnTypeScanType implements driver.RowsColumnTypeScanType.
func (r *cachedRows) ColumnTypeScanType(index int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(index)
	}
	return reflect.TypeFor[any]()
}
