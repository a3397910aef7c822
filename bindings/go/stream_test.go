package sharedpool_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// The subquery fails (more than one row) only when seq reaches 5000: an error after rows.
const errorMidStream = "SELECT seq, IF(seq = 5000, (SELECT 1 UNION SELECT 2), seq) FROM seq_1_to_10000"

// The server flushes its network buffer as rows fill it; only the last row sleeps.
const sleepAtTheEnd = "SELECT seq, IF(seq = 20000, SLEEP(2), 0) FROM seq_1_to_20000"

// stillRunning tells whether the server still runs a statement containing SLEEP(2) on
// connection id.
func stillRunning(t *testing.T, p *sharedpool.Pool, id int64) bool {
	t.Helper()
	var n int
	err := p.QueryRow(context.Background(),
		"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO LIKE '%SLEEP(2)%'", id).Scan(&n)
	if err != nil {
		t.Fatalf("processlist: %v", err)
	}
	return n == 1
}

func TestRowsArriveBeforeTheStatementEnds(t *testing.T) {
	ctx := context.Background()
	p := openPool(t, sharedpool.WithMaxSize(3))
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	var id int64
	if err := c.QueryRow(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, sleepAtTheEnd)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("no first row: %v", rows.Err())
	}
	if !stillRunning(t, p, id) {
		t.Fatal("the first row came only after the statement ended")
	}
	n := 1
	for rows.Next() {
		n++
	}
	if rows.Err() != nil || n != 20000 {
		t.Fatalf("%d rows, err %v", n, rows.Err())
	}
}

func TestDatabaseSQLRowsStream(t *testing.T) {
	ctx := context.Background()
	p := openPool(t, sharedpool.WithMaxSize(3))
	db := sql.OpenDB(sharedpool.Connector(testDSN, sharedpool.WithPoolName(uniqueName(t)), sharedpool.WithMaxSize(2)))
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var id int64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.QueryContext(ctx, sleepAtTheEnd)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("no first row: %v", rows.Err())
	}
	var seq, v int64
	if err := rows.Scan(&seq, &v); err != nil || seq != 1 {
		t.Fatalf("scan: %d %v", seq, err)
	}
	if !stillRunning(t, p, id) {
		t.Fatal("the first row came only after the statement ended")
	}
	n := 1
	for rows.Next() {
		n++
	}
	if rows.Err() != nil || n != 20000 {
		t.Fatalf("%d rows, err %v", n, rows.Err())
	}
	rows.Close()

	// An error mid-stream reaches rows.Err() as go-sql-driver's error type.
	rows, err = conn.QueryContext(ctx, errorMidStream)
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for rows.Next() {
		n++
	}
	var me *mysql.MySQLError
	if !errors.As(rows.Err(), &me) || me.Number != 1242 {
		t.Fatalf("rows.Err() = %v, want MySQL error 1242", rows.Err())
	}
	if n == 0 || n >= 5000 {
		t.Fatalf("%d rows before the error", n)
	}
	rows.Close()
	var one int
	if err := conn.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after the error: %v", err)
	}
}

func TestRowsErrReportsAnErrorMidStream(t *testing.T) {
	ctx := context.Background()
	p := openPool(t, sharedpool.WithMaxSize(1))
	rows, err := p.Query(ctx, errorMidStream)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	var me *sharedpool.MySQLError
	if !errors.As(rows.Err(), &me) || me.Number != 1242 {
		t.Fatalf("Err() = %v, want MySQL error 1242", rows.Err())
	}
	if n == 0 || n >= 5000 {
		t.Fatalf("%d rows before the error", n)
	}
	// The rows gave their connection back: the one-connection pool serves the next query.
	var v int
	if err := p.QueryRow(ctx, "SELECT 2").Scan(&v); err != nil || v != 2 {
		t.Fatalf("after the error: %v", err)
	}
}

func TestABusyConnRefusesAnotherStatement(t *testing.T) {
	ctx := context.Background()
	p := openPool(t, sharedpool.WithMaxSize(1))
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	rows, err := c.Query(ctx, "SELECT seq FROM seq_1_to_10")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(ctx, "DO 1")
	var se *sharedpool.Error
	if !errors.As(err, &se) || se.Code != sharedpool.CodeInvalidArgument || !strings.Contains(se.Message, "busy") {
		t.Fatalf("Exec on a busy Conn: %v", err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if n != 10 || rows.Err() != nil {
		t.Fatalf("%d rows, %v", n, rows.Err())
	}
	if _, err := c.Exec(ctx, "DO 1"); err != nil {
		t.Fatalf("after the end: %v", err)
	}
}

func TestCloseMidwayDrainsShortAndGivesUpLong(t *testing.T) {
	ctx := context.Background()
	p := openPool(t, sharedpool.WithMaxSize(1))
	connID := func(c *sharedpool.Conn) (id int64) {
		if err := c.QueryRow(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := connID(c)
	rows, err := c.Query(ctx, "SELECT seq FROM seq_1_to_100")
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	rows.Close()
	if connID(c) != first {
		t.Fatal("a short remainder must keep the connection")
	}
	rows, err = c.Query(ctx, "SELECT seq, REPEAT('x', 100) FROM seq_1_to_5000000")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10 && rows.Next(); i++ {
	}
	rows.Close()
	rows.Close() // idempotent
	if _, err := c.Exec(ctx, "DO 1"); err == nil {
		t.Fatal("a given-up connection must refuse statements")
	}
	c.Release()
	// Pool.Query: Close gives the connection back, a new one replaced the given-up one.
	rows, err = p.Query(ctx, "SELECT seq, REPEAT('x', 100) FROM seq_1_to_5000000")
	if err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Active != 1 {
		t.Fatalf("the rows hold one connection, stats %+v", st)
	}
	rows.Next()
	rows.Close()
	if st := p.Stats(); st.Active != 0 {
		t.Fatalf("Close gives the connection back, stats %+v", st)
	}
	c, err = p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if connID(c) == first {
		t.Fatal("the given-up connection was reused")
	}
}

// peakRSS is the process's resident high-water mark (VmHWM), in bytes.
func peakRSS(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func TestMillionsOfRowsInBoundedMemory(t *testing.T) {
	ctx := context.Background()
	p := openPool(t, sharedpool.WithMaxSize(1))
	const total = 2000000 // ~220 MB of cells: a buffered read would hold them all at once
	before := peakRSS(t)
	rows, err := p.Query(ctx, "SELECT seq, REPEAT('x', 100) FROM seq_1_to_"+strconv.Itoa(total))
	if err != nil {
		t.Fatal(err)
	}
	var seq int64
	var pad sql.RawBytes
	n := int64(0)
	for rows.Next() {
		if err := rows.Scan(&seq, &pad); err != nil {
			t.Fatal(err)
		}
		n++
		if seq != n || len(pad) != 100 {
			t.Fatalf("row %d: seq %d, %d bytes", n, seq, len(pad))
		}
	}
	if rows.Err() != nil || n != total {
		t.Fatalf("%d rows, %v", n, rows.Err())
	}
	if grew := peakRSS(t) - before; grew > 64<<20 {
		t.Fatalf("peak RSS grew by %d MiB over %d rows", grew>>20, total)
	}
}
