package sharedpool_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

func openDB(t *testing.T, opts ...sharedpool.Option) (*sql.DB, string) {
	t.Helper()
	name := uniqueName(t)
	opts = append([]sharedpool.Option{sharedpool.WithPoolName(name)}, opts...)
	db := sql.OpenDB(sharedpool.Connector(testDSN, opts...))
	t.Cleanup(func() { db.Close() })
	return db, name
}

// peek opens a second reference to the pool behind a *sql.DB, to read its Stats.
func peek(t *testing.T, name string, opts ...sharedpool.Option) *sharedpool.Pool {
	t.Helper()
	p, err := sharedpool.Open(testDSN, append([]sharedpool.Option{sharedpool.WithPoolName(name)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestDatabaseSQLBasics(t *testing.T) {
	db, _ := openDB(t, sharedpool.WithMaxSize(3))
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	var (
		n   int64
		s   string
		big uint64
	)
	if err := db.QueryRowContext(ctx, "SELECT ? + 1, CONCAT(?, '!'), ?", 41, "hi", uint64(1<<63+5)).Scan(&n, &s, &big); err != nil {
		t.Fatal(err)
	}
	if n != 42 || s != "hi!" || big != 1<<63+5 {
		t.Errorf("got %d %q %d", n, s, big)
	}
	if _, err := db.Exec("DROP TABLE IF EXISTS go_sql_test"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE go_sql_test (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	defer db.Exec("DROP TABLE go_sql_test")
	res, err := db.Exec("INSERT INTO go_sql_test (v) VALUES (?)", "one")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := res.LastInsertId(); id != 1 {
		t.Errorf("LastInsertId = %d", id)
	}

	// Transactions: a rollback leaves nothing, a commit keeps.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO go_sql_test (v) VALUES (?)", "rolled"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	tx, err = db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO go_sql_test (v) VALUES (?)", "kept"); err != nil {
		t.Fatal(err)
	}
	var inTx int
	if err := tx.QueryRow("SELECT @@in_transaction").Scan(&inTx); err != nil || inTx != 1 {
		t.Errorf("inside the Tx: in_transaction=%d %v", inTx, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT v FROM go_sql_test ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "one" || got[1] != "kept" {
		t.Errorf("rows = %v, want [one kept]", got)
	}
	if _, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelLinearizable}); err == nil {
		t.Error("an isolation level MySQL lacks was accepted")
	}

	ctRows, err := db.Query("SELECT CAST(18446744073709551615 AS UNSIGNED), 'x', CAST('b' AS BINARY), 2.5e0")
	if err != nil {
		t.Fatal(err)
	}
	cts, err := ctRows.ColumnTypes()
	ctRows.Close()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ct := range cts {
		names = append(names, ct.DatabaseTypeName())
	}
	if strings.Join(names, ",") != "UNSIGNED BIGINT,VARCHAR,VARBINARY,DOUBLE" {
		t.Errorf("DatabaseTypeName: %v", names)
	}

	// Through database/sql a server error is go-sql-driver's type, at the top level.
	_, err = db.Exec("INSERT INTO no_such_table VALUES (1)")
	if me, ok := err.(*mysql.MySQLError); !ok || me.Number != 1146 || string(me.SQLState[:]) != "42S02" {
		t.Errorf("server error through database/sql: %T %v", err, err)
	}
	if err := db.QueryRow("SELECT 1 FROM go_sql_test WHERE id < 0").Scan(&n); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("no rows: %v", err)
	}
}

func TestDatabaseSQLDefersToSharedpool(t *testing.T) {
	db, name := openDB(t, sharedpool.WithMaxSize(2))
	db.SetMaxIdleConns(10) // database/sql keeps idle conns; they must not hold server connections
	p := peek(t, name, sharedpool.WithMaxSize(2))

	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				var one int
				if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st := p.Stats()
	if st.Active != 0 || st.Total > 2 {
		t.Errorf("after the queries: %+v, want no connection held by database/sql's idle list", st)
	}
	if dbs := db.Stats(); dbs.Idle == 0 {
		t.Logf("database/sql kept no idle conns (%+v)", dbs)
	}

	// A *sql.Conn keeps one server connection, so session state lasts across its statements…
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "SET @x = 7"); err != nil {
		t.Fatal(err)
	}
	var x sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT @x").Scan(&x); err != nil || x.Int64 != 7 {
		t.Errorf("@x on one *sql.Conn: %v %v", x, err)
	}
	if st := p.Stats(); st.Active != 1 {
		t.Errorf("while a *sql.Conn is open: Active=%d, want 1", st.Active)
	}
	conn.Close()
	// …and never bleeds into the next checkout.
	for range 3 {
		if err := db.QueryRowContext(ctx, "SELECT @x").Scan(&x); err != nil || x.Valid {
			t.Errorf("@x bled into the next checkout: %v %v", x, err)
		}
	}
}

func TestDatabaseSQLContextAndOpen(t *testing.T) {
	db, name := openDB(t, sharedpool.WithMaxSize(1))
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	p := peek(t, name, sharedpool.WithMaxSize(1))
	if r := p.Stats().Refs; r != 2 {
		t.Errorf("Refs = %d, want 2 (the sql.DB's and ours)", r)
	}
	held, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := db.QueryRowContext(dctx, "SELECT 1").Scan(new(int)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("QueryRowContext while the pool is exhausted: %v, want context.DeadlineExceeded", err)
	}
	held.Release()

	// sql.Open with the registered driver name.
	db2, err := sql.Open(sharedpool.DriverName, testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	var one int
	if err := db2.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("sql.Open(%q): %d %v", sharedpool.DriverName, one, err)
	}
	// A bad DSN fails at first use, with the library's error.
	bad := sql.OpenDB(sharedpool.Connector("nonsense://"))
	defer bad.Close()
	var e *sharedpool.Error
	if err := bad.Ping(); !errors.As(err, &e) || e.Code != sharedpool.CodeInvalidDSN {
		t.Errorf("Ping with a bad DSN: %v", err)
	}
	// DB.Close releases the pool reference.
	refs := p.Stats().Refs
	db.Close()
	if after := p.Stats().Refs; after != refs-1 {
		t.Errorf("Refs %d -> %d after DB.Close, want one fewer", refs, after)
	}
}
