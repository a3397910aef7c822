package sharedpool_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// testDSN is the server every test uses; without one the suite fails, never skips.
var testDSN = os.Getenv("SHAREDPOOL_TEST_DSN")

func TestMain(m *testing.M) {
	if testDSN == "" {
		fmt.Fprintln(os.Stderr, "SHAREDPOOL_TEST_DSN is not set: run the suite with tests/mariadb.sh run go test ./... (or make test-go)")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

var poolSeq atomic.Int64

// uniqueName gives each test its own pool (pool_name is part of the pool key).
func uniqueName(t testing.TB) string {
	return fmt.Sprintf("go-%s-%d", t.Name(), poolSeq.Add(1))
}

// openPool opens a pool of its own for t, closed when t ends.
func openPool(t testing.TB, opts ...sharedpool.Option) *sharedpool.Pool {
	t.Helper()
	opts = append([]sharedpool.Option{sharedpool.WithPoolName(uniqueName(t))}, opts...)
	p, err := sharedpool.Open(testDSN, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// dsnWithDB is testDSN pointing at another database.
func dsnWithDB(t testing.TB, db string) string {
	t.Helper()
	u, err := url.Parse(testDSN)
	if err != nil {
		t.Fatalf("SHAREDPOOL_TEST_DSN: %v", err)
	}
	u.Path = "/" + db
	return u.String()
}

// password is the test DSN's password, to check it never shows in errors.
func password(t testing.TB) string {
	u, err := url.Parse(testDSN)
	if err != nil {
		t.Fatalf("SHAREDPOOL_TEST_DSN: %v", err)
	}
	p, _ := u.User.Password()
	return p
}

// serverConnections counts the server's connections of user sp to database db, seen from
// a pool of its own (whose connection is not counted).
func serverConnections(t testing.TB, admin *sharedpool.Pool, db string) int64 {
	t.Helper()
	n, err := countConnections(admin, db)
	if err != nil {
		t.Fatalf("counting connections: %v", err)
	}
	return n
}

func countConnections(admin *sharedpool.Pool, db string) (int64, error) {
	ctx := context.Background()
	conn, err := admin.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	var self int64
	if err := conn.QueryRow(ctx, "SELECT CONNECTION_ID()").Scan(&self); err != nil {
		return 0, err
	}
	return processlistCount(ctx, conn, db, self)
}

// queryer is what *Pool and *Conn have in common for reading rows.
type queryer interface {
	Query(ctx context.Context, query string, args ...any) (*sharedpool.Rows, error)
}

// processlistCount counts the server's connections of user sp to database db, less the
// connection with id self (0: none). It reads SHOW PROCESSLIST: information_schema.PROCESSLIST
// materializes a temporary table, and MariaDB 10.11 was seen to crash doing that under
// connection churn.
func processlistCount(ctx context.Context, q queryer, db string, self int64) (int64, error) {
	rows, err := q.Query(ctx, "SHOW PROCESSLIST")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	index := map[string]int{}
	for i, c := range cols {
		index[strings.ToLower(c)] = i
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		id, _ := strconv.ParseInt(fmt.Sprint(vals[index["id"]]), 10, 64)
		if fmt.Sprint(vals[index["user"]]) == "sp" && fmt.Sprint(vals[index["db"]]) == db && id != self {
			n++
		}
	}
	return n, rows.Err()
}
