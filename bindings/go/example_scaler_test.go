package sharedpool_test

import (
	"context"
	"fmt"
	"os"
	"time"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// queueScaler is shaped like a KEDA MySQL scaler: built from a connection string and a
// count query, it reports the count as its metric and is active above a threshold. Every
// scaler of one connection string shares one pool, however many the process runs.
type queueScaler struct {
	pool       *sharedpool.Pool
	tenant     string
	activation int64
}

// newQueueScaler opens (or joins) the shared pool of dsn.
func newQueueScaler(dsn, tenant string) (*queueScaler, error) {
	pool, err := sharedpool.Open(dsn, sharedpool.WithPoolName("example-scaler"), sharedpool.WithMaxSize(2))
	if err != nil {
		return nil, err
	}
	return &queueScaler{pool: pool, tenant: tenant, activation: 1}, nil
}

// GetMetrics counts the tenant's queued jobs; ctx bounds the wait for a connection.
func (s *queueScaler) GetMetrics(ctx context.Context) (queued int64, active bool, err error) {
	err = s.pool.QueryRow(ctx, "SELECT COUNT(*) FROM example_jobs WHERE tenant = ? AND state = 'queued'", s.tenant).Scan(&queued)
	return queued, queued >= s.activation, err
}

// Close releases the scaler's reference; the pool closes with the last one.
func (s *queueScaler) Close() error { return s.pool.Close() }

// Example_scaler runs three KEDA-style scalers over one connection string, as an operator
// watching three tenants would: they share one pool of at most two connections. It runs
// against SHAREDPOOL_TEST_DSN.
func Example_scaler() {
	dsn := os.Getenv("SHAREDPOOL_TEST_DSN")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var scalers []*queueScaler
	for _, tenant := range []string{"acme", "globex", "initech"} {
		s, err := newQueueScaler(dsn, tenant)
		if err != nil {
			fmt.Println("open:", err)
			return
		}
		defer s.Close()
		scalers = append(scalers, s)
	}

	// Some work to scale on (a real scaler only reads).
	setup := scalers[0].pool
	for _, q := range []string{
		"DROP TABLE IF EXISTS example_jobs",
		"CREATE TABLE example_jobs (tenant VARCHAR(10), state VARCHAR(10))",
		"INSERT INTO example_jobs VALUES ('acme','queued'), ('acme','queued'), ('acme','done'), ('initech','queued')",
	} {
		if _, err := setup.Exec(ctx, q); err != nil {
			fmt.Println("setup:", err)
			return
		}
	}
	defer setup.Exec(context.Background(), "DROP TABLE example_jobs")

	for _, s := range scalers { // a real scaler polls every pollingInterval until stopped
		pollCtx, pollCancel := context.WithTimeout(ctx, 2*time.Second)
		queued, active, err := s.GetMetrics(pollCtx)
		pollCancel()
		if err != nil {
			fmt.Println("metrics:", err)
			return
		}
		fmt.Printf("%s: queued=%d active=%v\n", s.tenant, queued, active)
	}
	st := setup.Stats()
	fmt.Printf("one pool: refs=%d max_size=%d within bound=%v\n", st.Refs, st.MaxSize, st.Total <= st.MaxSize)
	// Output:
	// acme: queued=2 active=true
	// globex: queued=0 active=false
	// initech: queued=1 active=true
	// one pool: refs=3 max_size=2 within bound=true
}
