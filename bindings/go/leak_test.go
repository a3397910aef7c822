package sharedpool_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

func TestRefsAndClose(t *testing.T) {
	name := uniqueName(t)
	p1, err := sharedpool.Open(testDSN, sharedpool.WithPoolName(name), sharedpool.WithMaxSize(3))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := sharedpool.Open(testDSN, sharedpool.WithPoolName(name), sharedpool.WithMaxSize(3))
	if err != nil {
		t.Fatal(err)
	}
	if r := p1.Stats().Refs; r != 2 {
		t.Errorf("Refs = %d, want 2", r)
	}
	if err := p2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p2.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if r := p1.Stats().Refs; r != 1 {
		t.Errorf("Refs after one Close = %d, want 1", r)
	}
	if _, err := p2.Query(ctx, "SELECT 1"); !errors.Is(err, sharedpool.ErrPoolClosed) {
		t.Errorf("Query on a closed Pool: %v, want ErrPoolClosed", err)
	}
	if _, err := p2.Acquire(ctx); !errors.Is(err, sharedpool.ErrPoolClosed) {
		t.Errorf("Acquire on a closed Pool: %v, want ErrPoolClosed", err)
	}
	if st := p2.Stats(); st != (sharedpool.Stats{}) {
		t.Errorf("Stats of a closed Pool: %+v", st)
	}

	// A connection acquired before the last Close stays usable and can be released after.
	c, err := p1.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p1.Close()
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("query on a Conn of a closed pool: %d %v", one, err)
	}
	c.Release()
}

func TestFinalizerReleasesForgottenPool(t *testing.T) {
	name := uniqueName(t)
	keep, err := sharedpool.Open(testDSN, sharedpool.WithPoolName(name))
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	func() {
		forgotten, err := sharedpool.Open(testDSN, sharedpool.WithPoolName(name))
		if err != nil {
			t.Fatal(err)
		}
		_ = forgotten.Stats()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for keep.Stats().Refs != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("Refs = %d: the finalizer never released the forgotten Pool", keep.Stats().Refs)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNoGoroutineLeaks(t *testing.T) {
	runtime.GC()
	before := runtime.NumGoroutine()
	p, err := sharedpool.Open(testDSN, sharedpool.WithPoolName(uniqueName(t)), sharedpool.WithMaxSize(2))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := p.Acquire(cctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(cctx, "SET @i = ?", i); err != nil {
			t.Fatal(err)
		}
		c.Release()
		var n int
		if err := p.QueryRow(cctx, "SELECT ?", i).Scan(&n); err != nil || n != i {
			t.Fatalf("QueryRow: %d %v", n, err)
		}
		cancel()
	}
	// Abandoned waits too.
	held, _ := p.Acquire(ctx)
	held2, _ := p.Acquire(ctx)
	for range 5 {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		if _, err := p.Acquire(cctx); err == nil {
			t.Fatal("acquire beyond max_size succeeded")
		}
		cancel()
	}
	held.Release()
	held2.Release()
	if st := p.Stats(); st.Active != 0 || st.Waiting != 0 || st.Total > 2 {
		t.Errorf("stats before Close: %+v", st)
	}
	p.Close()

	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		after := runtime.NumGoroutine()
		if after <= before {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d before, %d after Close\n%s", before, after, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMetricsText(t *testing.T) {
	p := openPool(t)
	if _, err := p.Exec(ctx, "DO 1"); err != nil {
		t.Fatal(err)
	}
	text := sharedpool.MetricsText()
	if !strings.Contains(text, "# TYPE") || !strings.Contains(text, "sharedpool") {
		t.Errorf("MetricsText does not look like Prometheus text:\n%s", text)
	}
	if strings.Contains(text, password(t)) {
		t.Error("the password shows in the metrics")
	}
	if v, abi := sharedpool.Version(); v == "" || abi>>16 != 1 {
		t.Errorf("Version() = %q, %#x", v, abi)
	}
}
