package sharedpool_test

import (
	"context"
	"errors"
	"testing"
	"time"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// 20 000 rows, the last after a server-side SLEEP(10): the first rows arrive at once.
const slowTail = "SELECT seq, IF(seq = 20000, SLEEP(10), 0) FROM seq_1_to_20000"

// drain reads rows to their end and returns how many and rows.Err().
func drain(rows interface {
	Next() bool
	Err() error
}) (int, error) {
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

func TestContextDeadlineStopsAStreamMidway(t *testing.T) {
	p := openPool(t, sharedpool.WithMaxSize(1))
	dctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	rows, err := p.Query(dctx, slowTail)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("no first row: %v", rows.Err())
	}
	n, err := drain(rows)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, sharedpool.ErrTimeout) {
		t.Fatalf("rows.Err() = %v after %d rows, want context.DeadlineExceeded and ErrTimeout", err, n)
	}
	if n+1 >= 20000 {
		t.Errorf("the row after the kill was handed out (%d rows)", n+1)
	}
	if took < 500*time.Millisecond || took > 3*time.Second {
		t.Errorf("a 500 ms context ended the stream after %v", took)
	}
	// The killed connection was discarded; the pool (of one) serves the next statement.
	var one int
	if err := p.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after the kill: %d, %v", one, err)
	}
	if st := p.Stats(); st.Total != 1 {
		t.Errorf("after the kill: %+v, want one connection", st)
	}
}

func TestContextCancelStopsAConnStream(t *testing.T) {
	p := openPool(t, sharedpool.WithMaxSize(1))
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows, err := c.Query(cctx, slowTail)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err = drain(rows)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, sharedpool.ErrCancelled) {
		t.Fatalf("rows.Err() = %v, want context.Canceled and ErrCancelled", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a cancel after 200 ms ended the stream after %v", took)
	}
	rows.Close()
	// The connection refuses statements after the kill; Release discards it.
	if _, err := c.Exec(ctx, "DO 1"); err == nil {
		t.Error("a statement ran on the killed stream's connection")
	}
	c.Release()
	var one int
	if err := p.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after the kill: %d, %v", one, err)
	}
}

func TestStreamWithinItsContextIsNotKilled(t *testing.T) {
	p := openPool(t, sharedpool.WithMaxSize(1))
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	var id, id2 int64
	if err := c.QueryRow(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	rows, err := c.Query(dctx, "SELECT seq FROM seq_1_to_5000")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := drain(rows); n != 5000 || err != nil {
		t.Fatalf("within the context: %d rows, %v", n, err)
	}
	// Closed early within the context, then the context ends: no late kill.
	rows, err = c.Query(dctx, "SELECT seq FROM seq_1_to_100")
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	rows.Close()
	cancel()
	time.Sleep(400 * time.Millisecond)
	if err := c.QueryRow(ctx, "SELECT CONNECTION_ID()").Scan(&id2); err != nil || id2 != id {
		t.Fatalf("after the context ended: id %d (was %d), %v", id2, id, err)
	}
}

func TestStatementTimeoutStopsAStream(t *testing.T) {
	p := openPool(t, sharedpool.WithMaxSize(1), sharedpool.WithStatementTimeout(300*time.Millisecond))
	start := time.Now()
	rows, err := p.Query(context.Background(), slowTail)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	_, err = drain(rows)
	if !errors.Is(err, sharedpool.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("rows.Err() = %v, want ErrTimeout only", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("statement_timeout_ms=300 ended the stream after %v", took)
	}
}

func TestContextStopsAStreamThroughDatabaseSQL(t *testing.T) {
	db, _ := openDB(t, sharedpool.WithMaxSize(1))
	dctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	rows, err := db.QueryContext(dctx, slowTail)
	if err != nil {
		t.Fatal(err)
	}
	n, err := drain(rows)
	rows.Close()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("rows.Err() = %v after %d rows, want context.DeadlineExceeded", err, n)
	}
	if n == 0 {
		t.Error("no row before the deadline")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a 500 ms context ended the stream after %v", took)
	}
	// QueryRowContext streams too: its context stops the statement.
	qctx, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel2()
	start = time.Now()
	var slept int
	err = db.QueryRowContext(qctx, "SELECT SLEEP(10)").Scan(&slept)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("QueryRowContext: %v (%d), want context.DeadlineExceeded", err, slept)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a 200 ms context ended QueryRowContext after %v", took)
	}
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after the kills: %d, %v", one, err)
	}
}
