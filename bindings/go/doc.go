// Package sharedpool is the Go binding of sharedpool: one bounded MySQL/MariaDB connection
// pool per target, shared by every component of the process that opens the same DSN, from
// Go, C or Python (all of them reach the same libsharedpool.so through its C ABI).
//
// Quick start:
//
//	pool, err := sharedpool.Open("mysql://app:secret@db:3306/app", sharedpool.WithMaxSize(8))
//	if err != nil {
//		return err
//	}
//	defer pool.Close()
//
//	var n int64
//	err = pool.QueryRow(ctx, "SELECT COUNT(*) FROM jobs WHERE state = ?", "queued").Scan(&n)
//
// A hundred components that each Open the same DSN share one pool: the server sees at most
// max_size connections. Pool.Query, QueryRow and Exec check a connection out for one
// statement; Acquire keeps one for several (a transaction, session variables) until Release,
// and the pool resets its session before the next borrower. Placeholders are `?`.
//
// # database/sql
//
// sql.OpenDB(sharedpool.Connector(dsn)) (or sql.Open("sharedpool", dsn)) gives a *sql.DB
// whose own pool defers to sharedpool's; see Connector.
//
// # Contexts
//
// Every call takes a context. It bounds the wait for a connection: a cancelled context
// ends the wait within tens of milliseconds with an error matching ErrCancelled and
// context.Canceled, an expired deadline with one matching ErrTimeout and
// context.DeadlineExceeded. It also bounds a statement that runs: when the context ends
// while the server works on it, the pool stops it there (KILL QUERY over a control
// connection, or by shutting the socket down when the server does not answer), the call
// returns an error matching ctx's, and that connection is discarded. For Query's streamed
// Rows the context holds until the rows end or are closed (as with go-sql-driver): when it
// ends first, Next returns false and Rows.Err matches ctx's error.
//
// # Errors
//
// Errors match ErrTimeout, ErrPoolClosed, ErrConfigConflict and ErrCancelled with
// errors.Is; server errors are *MySQLError (errors.As) with the error number and SQLSTATE;
// everything else is an *Error with a Code. errors.As also finds go-sql-driver's
// *mysql.MySQLError in a server error.
//
// Through database/sql (Connector, sql.Open) an error carrying a server error number is
// go-sql-driver's *mysql.MySQLError itself, at the top level, because GORM's MySQL
// dialector (TranslateError: gorm.ErrDuplicatedKey, gorm.ErrForeignKeyViolated) and much
// MySQL code check it with a type assertion, which no wrapper passes. sharedpool's Code is
// not reachable from it; use the native API when you need it. Errors without a server
// error number (timeouts, a closed pool, cancellation, a lost connection) keep their
// sharedpool types there too. Importing this package links go-sql-driver, which registers
// its own "mysql" database/sql driver.
//
// # Observing
//
// Pool.Stats returns a pool's figures (references, size, idle, active, waiting, counters;
// Stats.DBStats gives them in sql.DBStats's shape),
// MetricsText every pool's metrics in the Prometheus text format, and SetLogger routes the
// library's pool events (timeouts, connect failures, suspected leaks) to a *slog.Logger.
//
// # Values
//
// Arguments may be ints, uints, floats, bool, string, []byte, time.Time (sent in UTC), nil
// and driver.Valuer. Scan converts like database/sql's: integer columns arrive as int64
// (uint64 above MaxInt64), floating-point as float64, DATE/DATETIME/TIMESTAMP as time.Time
// in UTC, binary strings as []byte, everything else (text, DECIMAL, TIME, JSON) as string.
//
// # Building
//
// In a checkout, run `make lib` once; `go build` then needs no environment (the header and
// library paths and an rpath are in the package's cgo flags). An installed library is found
// through pkg-config with `-tags sharedpool_pkgconfig`. cgo is required.
package sharedpool
