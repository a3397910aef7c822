//go:build cgo

package sharedpool

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// DriverName is the name the package registers with database/sql, so
// sql.Open("sharedpool", dsn) works as well as sql.OpenDB(Connector(dsn)).
const DriverName = "sharedpool"

func init() { sql.Register(DriverName, sqlDriver{}) }

// Connector returns a driver.Connector over the shared pool of dsn, so database/sql users
// adopt sharedpool in one line:
//
//	db := sql.OpenDB(sharedpool.Connector(dsn, sharedpool.WithMaxSize(8)))
//
// database/sql's pool defers to sharedpool's: a database/sql connection holds a sharedpool
// connection only while database/sql has it checked out (a statement, its Rows, a Tx or a
// *sql.Conn) and returns it to sharedpool when database/sql puts it back in its idle list.
// Idle database/sql connections therefore hold no server connection, and every sql.DB of
// one DSN together stays within max_size. Session state does not outlive a checkout: the
// next checkout may get another server connection, reset by sharedpool.
//
// The pool is opened on the first connection; DB.Close releases it. Open errors (a bad DSN
// or option) surface at the first query or Ping. Server errors come back as go-sql-driver's
// *mysql.MySQLError, as GORM and other MySQL code expect (see the package doc's Errors).
func Connector(dsn string, opts ...Option) driver.Connector {
	return &connector{dsn: dsn, opts: opts}
}

type connector struct {
	dsn  string
	opts []Option

	mu     sync.Mutex
	pool   *Pool
	closed bool
}

func (c *connector) getPool() (*Pool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClosed("connector")
	}
	if c.pool == nil {
		p, err := Open(c.dsn, c.opts...)
		if err != nil {
			return nil, err
		}
		c.pool = p
	}
	return c.pool, nil
}

// Connect returns a database/sql connection; it acquires a server connection on first use.
func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := c.getPool()
	if err != nil {
		return nil, driverError(err)
	}
	return &driverConn{pool: p}, nil
}

func (c *connector) Driver() driver.Driver { return sqlDriver{} }

// Close releases the pool reference; sql.DB.Close calls it.
func (c *connector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.pool != nil {
		err := c.pool.Close()
		c.pool = nil
		return err
	}
	return nil
}

type sqlDriver struct{}

// Open is database/sql's legacy entry point; sql.Open uses OpenConnector instead.
func (sqlDriver) Open(dsn string) (driver.Conn, error) {
	c := &connector{dsn: dsn}
	dc, err := c.Connect(context.Background())
	if err != nil {
		return nil, err
	}
	dc.(*driverConn).owner = c
	return dc, nil
}

func (sqlDriver) OpenConnector(dsn string) (driver.Connector, error) {
	return Connector(dsn), nil
}

// driverConn is one database/sql connection. It holds a sharedpool connection from its
// first statement until database/sql puts it back (IsValid) or closes it.
type driverConn struct {
	pool  *Pool
	conn  *Conn
	inTx  bool
	owner io.Closer // the connector of a sqlDriver.Open, closed with the conn
}

var (
	_ driver.Conn               = (*driverConn)(nil)
	_ driver.ConnBeginTx        = (*driverConn)(nil)
	_ driver.QueryerContext     = (*driverConn)(nil)
	_ driver.ExecerContext      = (*driverConn)(nil)
	_ driver.Pinger             = (*driverConn)(nil)
	_ driver.SessionResetter    = (*driverConn)(nil)
	_ driver.Validator          = (*driverConn)(nil)
	_ driver.NamedValueChecker  = (*driverConn)(nil)
	_ driver.ConnPrepareContext = (*driverConn)(nil)
)

func (d *driverConn) ensure(ctx context.Context) (*Conn, error) {
	if d.conn == nil {
		c, err := d.pool.Acquire(ctx)
		if err != nil {
			return nil, driverError(err)
		}
		d.conn = c
	}
	return d.conn, nil
}

func (d *driverConn) put() {
	if d.conn != nil {
		d.conn.Release()
		d.conn = nil
	}
}

// IsValid is called by database/sql as it puts the connection back in its idle list: the
// sharedpool connection goes back to sharedpool (unless a transaction is open).
func (d *driverConn) IsValid() bool {
	if !d.inTx {
		d.put()
	}
	return true
}

// ResetSession has nothing to do: sharedpool reset the session when the connection was
// returned.
func (d *driverConn) ResetSession(ctx context.Context) error { return nil }

func (d *driverConn) Close() error {
	d.put()
	if d.owner != nil {
		return d.owner.Close()
	}
	return nil
}

func (d *driverConn) Ping(ctx context.Context) error {
	c, err := d.ensure(ctx)
	if err != nil {
		return err
	}
	_, err = c.Exec(ctx, "DO 1")
	return driverError(err)
}

// CheckNamedValue lets uint64 values above MaxInt64 through, which database/sql's default
// converter rejects; everything else takes the default conversion.
func (d *driverConn) CheckNamedValue(nv *driver.NamedValue) error {
	switch nv.Value.(type) {
	case uint, uint64, uint32, uint16, uint8:
		return nil
	}
	return driver.ErrSkip
}

func (d *driverConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	a, err := positional(args)
	if err != nil {
		return nil, err
	}
	c, err := d.ensure(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, query, a...)
	if err != nil {
		return nil, driverError(err)
	}
	return driverRows{rows}, nil
}

func (d *driverConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	a, err := positional(args)
	if err != nil {
		return nil, err
	}
	c, err := d.ensure(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.Exec(ctx, query, a...)
	if err != nil {
		return nil, driverError(err)
	}
	return res, nil
}

func positional(args []driver.NamedValue) ([]any, error) {
	a := make([]any, len(args))
	for i, nv := range args {
		if nv.Name != "" {
			return nil, fmt.Errorf("sharedpool: named argument %q: MySQL takes ? placeholders only", nv.Name)
		}
		a[i] = nv.Value
	}
	return a, nil
}

func (d *driverConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if d.inTx {
		return nil, errors.New("sharedpool: a transaction is already open on this connection")
	}
	c, err := d.ensure(ctx)
	if err != nil {
		return nil, err
	}
	if lvl := sql.IsolationLevel(opts.Isolation); lvl != sql.LevelDefault {
		var name string
		switch lvl {
		case sql.LevelReadUncommitted:
			name = "READ UNCOMMITTED"
		case sql.LevelReadCommitted:
			name = "READ COMMITTED"
		case sql.LevelRepeatableRead:
			name = "REPEATABLE READ"
		case sql.LevelSerializable:
			name = "SERIALIZABLE"
		default:
			return nil, fmt.Errorf("sharedpool: isolation level %v is not supported by MySQL", lvl)
		}
		if _, err := c.Exec(ctx, "SET TRANSACTION ISOLATION LEVEL "+name); err != nil {
			return nil, driverError(err)
		}
	}
	start := "START TRANSACTION"
	if opts.ReadOnly {
		start += " READ ONLY"
	}
	if _, err := c.Exec(ctx, start); err != nil {
		return nil, driverError(err)
	}
	d.inTx = true
	return tx{d}, nil
}

func (d *driverConn) Begin() (driver.Tx, error) {
	return d.BeginTx(context.Background(), driver.TxOptions{})
}

func (d *driverConn) Prepare(query string) (driver.Stmt, error) {
	return stmt{d, query}, nil
}

func (d *driverConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return stmt{d, query}, nil
}

type tx struct{ d *driverConn }

func (t tx) Commit() error   { return t.end("COMMIT") }
func (t tx) Rollback() error { return t.end("ROLLBACK") }

func (t tx) end(stmt string) error {
	t.d.inTx = false
	if t.d.conn == nil {
		return sql.ErrTxDone
	}
	_, err := t.d.conn.Exec(context.Background(), stmt)
	return driverError(err)
}

// stmt is a prepared statement in name only: it runs its query text with the arguments
// bound per execution.
type stmt struct {
	d     *driverConn
	query string
}

func (s stmt) Close() error  { return nil }
func (s stmt) NumInput() int { return -1 }

func (s stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.d.ExecContext(context.Background(), s.query, named(args))
}

func (s stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.d.QueryContext(context.Background(), s.query, named(args))
}

func (s stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.d.ExecContext(ctx, s.query, args)
}

func (s stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.d.QueryContext(ctx, s.query, args)
}

func (s stmt) CheckNamedValue(nv *driver.NamedValue) error { return s.d.CheckNamedValue(nv) }

func named(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, v := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv
}

// driverRows adapts Rows to driver.Rows.
type driverRows struct{ r *Rows }

var _ driver.RowsColumnTypeDatabaseTypeName = driverRows{}

func (r driverRows) Columns() []string { return r.r.cols }
func (r driverRows) Close() error      { return r.r.Close() }

func (r driverRows) Next(dest []driver.Value) error {
	rr := r.r
	if !rr.advance() {
		if rr.err != nil {
			return driverError(rr.err)
		}
		return io.EOF
	}
	for c := range dest {
		if b, ok := rr.cell(c); ok {
			dest[c] = decode(rr.kinds[c], b)
		} else {
			dest[c] = nil
		}
	}
	runtime.KeepAlive(rr) // rr's finalizer frees the rows: keep it alive while cells are read
	return nil
}

// DatabaseTypeName names the column's MySQL type, as go-sql-driver/mysql does.
func (r driverRows) ColumnTypeDatabaseTypeName(i int) string {
	return typeName(r.r.types[i], r.r.flags[i])
}
