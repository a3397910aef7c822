package sharedpool_test

import (
	"sync"
	"testing"
	"time"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// TestHundredScalersShareOnePool: 100 goroutines each Open the same DSN, as 100 KEDA
// scalers in one process would, and poll a metric; the server must never see more than
// max_size connections from them.
func TestHundredScalersShareOnePool(t *testing.T) {
	const (
		scalers = 100
		maxSize = 4
		polls   = 5
	)
	db := "sp_other" // only this test's pools use it, so PROCESSLIST rows for it are theirs
	dsn := dsnWithDB(t, db)
	name := uniqueName(t)
	admin := openPool(t)

	var (
		wg      sync.WaitGroup
		opened  sync.WaitGroup
		release = make(chan struct{})
		mu      sync.Mutex
		maxSeen int64
		errs    []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	opened.Add(scalers)
	for range scalers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := sharedpool.Open(dsn, sharedpool.WithPoolName(name), sharedpool.WithMaxSize(maxSize))
			opened.Done()
			if err != nil {
				fail(err)
				return
			}
			defer p.Close()
			<-release // all 100 hold a reference before any polls
			for range polls {
				// The metric this scaler polls: the server's connections to db.
				n, err := processlistCount(ctx, p, db, 0)
				if err != nil {
					fail(err)
					return
				}
				mu.Lock()
				maxSeen = max(maxSeen, n)
				mu.Unlock()
			}
		}()
	}
	opened.Wait()
	// Every scaler holds a reference to one pool (none has closed: they wait on release).
	peek, err := sharedpool.Open(dsn, sharedpool.WithPoolName(name), sharedpool.WithMaxSize(maxSize))
	if err != nil {
		t.Fatal(err)
	}
	if r := peek.Stats().Refs; r != scalers+1 {
		t.Errorf("Refs = %d, want %d: the scalers do not share one pool", r, scalers+1)
	}
	peek.Close()
	close(release)

	// Watch from outside too while they run.
	stop := make(chan struct{})
	watched := make(chan int64)
	go func() {
		var most int64
		for {
			select {
			case <-stop:
				watched <- most
				return
			default:
			}
			n, err := countConnections(admin, db)
			if err != nil {
				fail(err)
			}
			most = max(most, n)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	wg.Wait()
	close(stop)
	outside := <-watched

	for _, err := range errs {
		t.Error(err)
	}
	if maxSeen > maxSize || outside > maxSize {
		t.Errorf("the server saw %d (scalers) / %d (watcher) connections, max_size is %d", maxSeen, outside, maxSize)
	}
	if maxSeen < 1 {
		t.Errorf("the scalers saw %d connections; the metric query did not count itself", maxSeen)
	}
	t.Logf("100 scalers: at most %d server connections seen (max_size %d)", max(maxSeen, outside), maxSize)

	// With the last reference closed, the pool's connections go away.
	deadline := time.Now().Add(10 * time.Second)
	for serverConnections(t, admin, db) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections to %s remain after every scaler closed", serverConnections(t, admin, db), db)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
