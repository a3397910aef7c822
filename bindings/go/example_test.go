package sharedpool_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// tenantScaler is a KEDA-style scaler: it polls one metric query and says whether its
// workload should be active. A process may run a hundred of them with one connection
// string; they all share one pool.
type tenantScaler struct {
	pool   *sharedpool.Pool
	query  string
	target int64
}

func newTenantScaler(dsn string) (*tenantScaler, error) {
	pool, err := sharedpool.Open(dsn, sharedpool.WithMaxSize(4))
	if err != nil {
		return nil, err
	}
	return &tenantScaler{
		pool:   pool,
		query:  "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?, ?)",
		target: 1,
	}, nil
}

// GetMetric runs the metric query, waiting at most until ctx ends for a connection.
func (s *tenantScaler) GetMetric(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, s.query, "sp", "sp_other").Scan(&n)
	return n, err
}

func (s *tenantScaler) Close() error { return s.pool.Close() }

// Example_scaler opens a pool by connection string, polls a metric a few times as a KEDA
// scaler's polling loop would, and closes. It runs against SHAREDPOOL_TEST_DSN.
func Example_scaler() {
	s, err := newTenantScaler(os.Getenv("SHAREDPOOL_TEST_DSN"))
	if err != nil {
		fmt.Println("open:", err)
		return
	}
	defer s.Close()

	var metric int64
	for range 3 { // a real scaler polls every pollingInterval until it is stopped
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		metric, err = s.GetMetric(ctx)
		cancel()
		if err != nil {
			fmt.Println("metric:", err)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("metric=%d active=%v\n", metric, metric >= s.target)
	// Output: metric=2 active=true
}

// ExampleConnector adopts sharedpool under database/sql in one line.
func ExampleConnector() {
	db := sql.OpenDB(sharedpool.Connector(os.Getenv("SHAREDPOOL_TEST_DSN"), sharedpool.WithMaxSize(4)))
	defer db.Close()

	var answer int
	if err := db.QueryRow("SELECT ? * 2", 21).Scan(&answer); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(answer)
	// Output: 42
}
