package sharedpool_test

import (
	"context"
	"errors"
	"testing"
	"time"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// holdOnly opens a max_size=1 pool whose one connection is held, with a long pool timeout,
// so only a context can end a wait.
func holdOnly(t *testing.T) (*sharedpool.Pool, *sharedpool.Conn) {
	t.Helper()
	p := openPool(t, sharedpool.WithMaxSize(1), sharedpool.WithAcquireTimeout(30*time.Second))
	held, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return p, held
}

// afterWait checks that the held connection was not taken by the abandoned waiter: once
// released, it is idle and the next acquire gets it at once.
func afterWait(t *testing.T, p *sharedpool.Pool, held *sharedpool.Conn) {
	t.Helper()
	time.Sleep(100 * time.Millisecond) // let a (wrongly) still-registered waiter grab it
	held.Release()
	st := p.Stats()
	if st.Waiting != 0 || st.Active != 0 || st.Total != 1 || st.Idle != 1 {
		t.Errorf("after the abandoned wait: %+v, want the one connection idle", st)
	}
	quick, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := p.Acquire(quick)
	if err != nil {
		t.Fatalf("acquire after the abandoned wait: %v", err)
	}
	c.Release()
}

func TestDeadlineEndsWait(t *testing.T) {
	p, held := holdOnly(t)
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Acquire(dctx)
	waited := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, sharedpool.ErrTimeout) {
		t.Fatalf("got %v, want an error matching context.DeadlineExceeded and ErrTimeout", err)
	}
	// A functional bound, not a speed target: the 30 s pool timeout must not apply.
	if waited > 10*time.Second {
		t.Errorf("the wait took %v", waited)
	}
	t.Logf("deadline wait ended after %v", waited)
	afterWait(t, p, held)
}

func TestCancelEndsWait(t *testing.T) {
	p, held := holdOnly(t)
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	_, err := p.Acquire(cctx)
	waited := time.Since(start)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, sharedpool.ErrCancelled) {
		t.Fatalf("got %v, want an error matching context.Canceled and ErrCancelled", err)
	}
	if errors.Is(err, sharedpool.ErrTimeout) {
		t.Errorf("a cancelled wait matches ErrTimeout: %v", err)
	}
	if waited > 10*time.Second {
		t.Errorf("the wait took %v", waited)
	}
	t.Logf("cancelled wait ended after %v", waited)
	afterWait(t, p, held)
}

func TestPoolQueryHonoursContext(t *testing.T) {
	p, held := holdOnly(t)
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	var one int
	err := p.QueryRow(dctx, "SELECT 1").Scan(&one)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("QueryRow: got %v, want context.DeadlineExceeded", err)
	}
	if _, err := p.Exec(dctx, "DO 1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Exec with an expired context: got %v", err)
	}
	done, cancel2 := context.WithCancel(ctx)
	cancel2()
	if _, err := p.Acquire(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with a cancelled context: got %v", err)
	}
	afterWait(t, p, held)
}

func TestPoolTimeoutWithoutDeadline(t *testing.T) {
	p := openPool(t, sharedpool.WithMaxSize(1), sharedpool.WithAcquireTimeout(100*time.Millisecond))
	held, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	_, err = p.Acquire(ctx)
	if !errors.Is(err, sharedpool.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want ErrTimeout only", err)
	}
	if st := p.Stats(); st.TimeoutsTotal != 1 {
		t.Errorf("TimeoutsTotal = %d, want 1", st.TimeoutsTotal)
	}
}

func TestStatementTimeoutStopsARunningStatement(t *testing.T) {
	p := openPool(t, sharedpool.WithMaxSize(1), sharedpool.WithStatementTimeout(200*time.Millisecond))
	start := time.Now()
	var slept int64
	err := p.QueryRow(ctx, "SELECT SLEEP(10)").Scan(&slept)
	took := time.Since(start)
	if !errors.Is(err, sharedpool.ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if took < 200*time.Millisecond || took > 3*time.Second {
		t.Errorf("a 200 ms statement timeout ended the call after %v", took)
	}
	// The connection was discarded; the pool serves the next statement.
	rows, err := p.Query(ctx, "SELECT 1")
	if err != nil {
		t.Fatalf("after the timeout: %v", err)
	}
	rows.Close()
}

func TestContextStopsARunningStatement(t *testing.T) {
	p := openPool(t, sharedpool.WithMaxSize(1))
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	var n int64
	err := p.QueryRow(dctx, "SELECT SLEEP(10)").Scan(&n)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, sharedpool.ErrTimeout) {
		t.Fatalf("got %v, want an error matching context.DeadlineExceeded and ErrTimeout", err)
	}
	if took > 3*time.Second {
		t.Errorf("a 200 ms context ended the statement after %v", took)
	}

	cctx, cancel2 := context.WithCancel(ctx)
	time.AfterFunc(200*time.Millisecond, cancel2)
	start = time.Now()
	_, err = p.Exec(cctx, "DO SLEEP(10)")
	if !errors.Is(err, context.Canceled) || !errors.Is(err, sharedpool.ErrCancelled) {
		t.Fatalf("got %v, want an error matching context.Canceled and ErrCancelled", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a cancel after 200 ms ended the statement after %v", took)
	}
	// The pool (of one) replaced the killed connection.
	if err := p.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after the kills: %d, %v", n, err)
	}
}

func TestContextStopsAStatementThroughDatabaseSQL(t *testing.T) {
	db, _ := openDB(t, sharedpool.WithMaxSize(1))
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := db.ExecContext(dctx, "DO SLEEP(10)")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a 200 ms context ended the statement after %v", took)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after the kill: %d, %v", n, err)
	}
}
