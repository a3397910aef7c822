// Command gobench compares closed-loop QueryRow("SELECT 1") of sharedpool's Go binding with
// database/sql over github.com/go-sql-driver/mysql and database/sql over sharedpool's Connector,
// all at the same connection limit (8), at concurrency 1, 4, 16, 64 and 256: throughput, the
// latency of one statement (p50/p99) and the server's own counts of each run (Connections delta,
// Max_used_connections after FLUSH STATUS, Threads_created delta).
//
//	make lib && tests/mariadb.sh run sh -c 'cd benches/go && go run .'
//	QUICK=1 …   a short run for CI (concurrency 1 and 16, 3 repeats of 200 ms)
//
// It prints a table and writes benches/results/go.json. Speed is measured here, never in tests.
//
// With -fleet-worker it is instead one process of benches/fleet.py's fleet (database/sql over
// go-sql-driver; see fleet.go): -scenario busy|idle -threads N -duration D -max-open N -max-idle N.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

const maxConns = 8

// run is one timed run of one implementation at one concurrency.
type run struct {
	OpsPerSec          float64 `json:"ops_per_sec"`
	P50Us              float64 `json:"p50_us"` // latency of one statement in this run
	P99Us              float64 `json:"p99_us"`
	Errors             int64   `json:"errors"`
	ServerConnections  int64   `json:"server_connections"`   // Connections status delta: connections opened
	MaxUsedConnections int64   `json:"max_used_connections"` // Max_used_connections after FLUSH STATUS, minus the bench's own
	ThreadsCreated     int64   `json:"threads_created"`      // Threads_created status delta
}

// summary is the repeats of one implementation at one concurrency.
type summary struct {
	Impl               string  `json:"impl"`
	Concurrency        int     `json:"concurrency"`
	MedianOpsPerSec    float64 `json:"median_ops_per_sec"`
	MinOpsPerSec       float64 `json:"min_ops_per_sec"`
	MaxOpsPerSec       float64 `json:"max_ops_per_sec"`
	SpreadPct          float64 `json:"spread_pct"`    // (max-min)/median
	MedianP50Us        float64 `json:"median_p50_us"` // median over runs of each run's p50
	MedianP99Us        float64 `json:"median_p99_us"`
	Errors             int64   `json:"errors"` // total over runs
	MaxServerConns     int64   `json:"max_server_connections"`
	MaxMaxUsedConns    int64   `json:"max_max_used_connections"`
	MaxThreadsCreated  int64   `json:"max_threads_created"`
	Runs               []run   `json:"runs"`
	RatioVsDatabaseSQL float64 `json:"ratio_vs_database_sql,omitempty"`
}

type impl struct {
	name string
	// open returns a query function and a closer, with a connection limit of maxConns.
	open func() (func(context.Context) error, func(), error)
}

func main() {
	out := flag.String("out", filepath.Join("..", "results", "go.json"), "JSON results file")
	only := flag.String("only", "", "run only this implementation (for profiling)")
	concs := flag.String("conc", "", "comma-separated concurrencies (default 1,4,16,64,256; QUICK=1: 1,16)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run here")
	worker := flag.Bool("fleet-worker", false, "run as one process of benches/fleet.py's fleet")
	scenario := flag.String("scenario", "busy", "fleet worker: busy or idle")
	threads := flag.Int("threads", 6, "fleet worker: goroutines")
	duration := flag.Duration("duration", 8*time.Second, "fleet worker: the run's length")
	maxOpen := flag.Int("max-open", 10, "fleet worker: SetMaxOpenConns")
	maxIdle := flag.Int("max-idle", 5, "fleet worker: SetMaxIdleConns")
	flag.Parse()
	if *worker {
		fleetWorker(*scenario, *threads, *duration, *maxOpen, *maxIdle)
		return
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err.Error())
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err.Error())
		}
		defer pprof.StopCPUProfile()
	}
	quick := os.Getenv("QUICK") == "1"
	if *concs == "" {
		*concs = "1,4,16,64,256"
		if quick {
			*concs = "1,16"
		}
	}
	var concurrencies []int
	for _, c := range strings.Split(*concs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			fail("-conc: " + c)
		}
		concurrencies = append(concurrencies, n)
	}
	dsn := os.Getenv("SHAREDPOOL_TEST_DSN")
	if dsn == "" {
		fail("SHAREDPOOL_TEST_DSN is not set: run under tests/mariadb.sh run")
	}
	repeats, dur := 5, 1*time.Second
	if quick {
		repeats, dur = 3, 200*time.Millisecond
	}
	goDSN, err := driverDSN(dsn)
	if err != nil {
		fail(err.Error())
	}

	// The bench's own connection, for FLUSH STATUS and SHOW GLOBAL STATUS.
	admin, err := sql.Open("mysql", goDSN)
	if err != nil {
		fail(err.Error())
	}
	admin.SetMaxOpenConns(1)
	admin.SetMaxIdleConns(1)
	admin.SetConnMaxLifetime(0)
	if err := admin.Ping(); err != nil {
		fail("admin connection: " + err.Error())
	}

	seq := 0
	impls := []impl{
		{"sharedpool", func() (func(context.Context) error, func(), error) {
			seq++
			p, err := sharedpool.Open(dsn, sharedpool.WithMaxSize(maxConns),
				sharedpool.WithPoolName("bench-"+strconv.Itoa(seq)))
			if err != nil {
				return nil, nil, err
			}
			return func(ctx context.Context) error {
				var one int
				return p.QueryRow(ctx, "SELECT 1").Scan(&one)
			}, func() { p.Close() }, nil
		}},
		{"database/sql+go-sql-driver", func() (func(context.Context) error, func(), error) {
			db, err := sql.Open("mysql", goDSN)
			if err != nil {
				return nil, nil, err
			}
			db.SetMaxOpenConns(maxConns)
			db.SetMaxIdleConns(maxConns)
			return func(ctx context.Context) error {
				var one int
				return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
			}, func() { db.Close() }, nil
		}},
		{"database/sql+sharedpool", func() (func(context.Context) error, func(), error) {
			seq++
			db := sql.OpenDB(sharedpool.Connector(dsn, sharedpool.WithMaxSize(maxConns),
				sharedpool.WithPoolName("bench-"+strconv.Itoa(seq))))
			db.SetMaxOpenConns(maxConns)
			db.SetMaxIdleConns(maxConns)
			return func(ctx context.Context) error {
				var one int
				return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
			}, func() { db.Close() }, nil
		}},
	}

	if *only != "" {
		impls = slices.DeleteFunc(impls, func(im impl) bool { return im.name != *only })
		if len(impls) == 0 {
			fail("-only: no implementation " + *only)
		}
	}
	loadBefore := loadAverage()
	fmt.Printf("QueryRow(\"SELECT 1\"), max %d connections, %d repeats x %v, GOMAXPROCS=%d, NumCPU=%d\n",
		maxConns, repeats, dur, runtime.GOMAXPROCS(0), runtime.NumCPU())
	var results []*summary
	for _, conc := range concurrencies {
		sums := make([]*summary, len(impls))
		for i, im := range impls {
			sums[i] = &summary{Impl: im.name, Concurrency: conc}
		}
		for r := range repeats {
			for k := range impls {
				i := (k + r) % len(impls) // rotate the order between repeats
				res, err := measure(admin, impls[i], conc, dur)
				if err != nil {
					fail(fmt.Sprintf("%s at %d: %v", impls[i].name, conc, err))
				}
				sums[i].Runs = append(sums[i].Runs, res)
			}
		}
		for _, s := range sums {
			summarize(s)
		}
		var peer *summary
		for _, s := range sums {
			if s.Impl == "database/sql+go-sql-driver" {
				peer = s
			}
		}
		for _, s := range sums {
			if peer != nil && s != peer {
				s.RatioVsDatabaseSQL = s.MedianOpsPerSec / peer.MedianOpsPerSec
			}
		}
		results = append(results, sums...)
	}

	fmt.Printf("\n%-28s %5s %12s %20s %8s %7s %8s %7s %8s %9s %8s %6s\n", "impl", "conc", "median op/s", "min..max op/s",
		"spread", "ratio", "p50 us", "p99 us", "conns", "max_used", "threads", "errors")
	for _, s := range results {
		ratio := "-"
		if s.RatioVsDatabaseSQL != 0 {
			ratio = fmt.Sprintf("%.2fx", s.RatioVsDatabaseSQL)
		}
		fmt.Printf("%-28s %5d %12.0f %9.0f..%-10.0f %7.1f%% %7s %8.0f %7.0f %8d %9d %8d %6d\n", s.Impl, s.Concurrency,
			s.MedianOpsPerSec, s.MinOpsPerSec, s.MaxOpsPerSec, s.SpreadPct, ratio, s.MedianP50Us, s.MedianP99Us,
			s.MaxServerConns, s.MaxMaxUsedConns, s.MaxThreadsCreated, s.Errors)
	}
	fmt.Println("\nratio: median throughput / database/sql+go-sql-driver's median at the same concurrency;")
	fmt.Println("p50/p99: latency of one statement, median over runs; conns: most server connections opened in one run")
	fmt.Println("(Connections delta); max_used: Max_used_connections after FLUSH STATUS, the bench's own connection")
	fmt.Println("excluded; threads: Threads_created delta (largest over runs)")

	version, _ := sharedpool.Version()
	doc := map[string]any{
		"benchmark":                 "QueryRow(\"SELECT 1\")",
		"max_conns":                 maxConns,
		"repeats":                   repeats,
		"duration_ms":               dur.Milliseconds(),
		"concurrencies":             concurrencies,
		"quick":                     quick,
		"go":                        runtime.Version(),
		"gomaxprocs":                runtime.GOMAXPROCS(0),
		"num_cpu":                   runtime.NumCPU(),
		"sharedpool":                version,
		"peer":                      "database/sql + github.com/go-sql-driver/mysql (SetMaxOpenConns/SetMaxIdleConns 8)",
		"time":                      time.Now().UTC().Format(time.RFC3339),
		"load_average_before_after": []float64{loadBefore, loadAverage()},
		"results":                   results,
	}
	data, _ := json.MarshalIndent(doc, "", "  ")
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fail(err.Error())
	}
	if err := os.WriteFile(*out, append(data, '\n'), 0o644); err != nil {
		fail(err.Error())
	}
	fmt.Println("wrote", *out)
}

// measure opens a fresh pool, runs conc goroutines for dur, closes, and reads the server's counters.
func measure(admin *sql.DB, im impl, conc int, dur time.Duration) (run, error) {
	if err := settle(admin); err != nil {
		return run{}, err
	}
	if _, err := admin.Exec("FLUSH STATUS"); err != nil {
		return run{}, err
	}
	before, err := status(admin, "Connections")
	if err != nil {
		return run{}, err
	}
	threadsBefore, err := status(admin, "Threads_created")
	if err != nil {
		return run{}, err
	}
	query, closeFn, err := im.open()
	if err != nil {
		return run{}, err
	}
	ctx := context.Background()
	// A short warm-up opens the connections; they count in the totals all the same.
	warm := time.Now().Add(dur / 10)
	for time.Now().Before(warm) {
		if err := query(ctx); err != nil {
			closeFn()
			return run{}, err
		}
	}
	var errs atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	lats := make([][]time.Duration, conc) // per goroutine: the latency of each statement
	start := time.Now()
	for g := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1024)
			for !stop.Load() {
				t0 := time.Now()
				if err := query(ctx); err != nil {
					errs.Add(1)
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			lats[g] = lat
		}()
	}
	time.Sleep(dur)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	closeFn()
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)

	after, err := status(admin, "Connections")
	if err != nil {
		return run{}, err
	}
	maxUsed, err := status(admin, "Max_used_connections")
	if err != nil {
		return run{}, err
	}
	threadsAfter, err := status(admin, "Threads_created")
	if err != nil {
		return run{}, err
	}
	return run{
		OpsPerSec:          float64(len(all)) / elapsed.Seconds(),
		P50Us:              percentileUs(all, 0.50),
		P99Us:              percentileUs(all, 0.99),
		Errors:             errs.Load(),
		ServerConnections:  after - before,
		MaxUsedConnections: maxUsed - 1, // the admin connection
		ThreadsCreated:     threadsAfter - threadsBefore,
	}, nil
}

// settle waits until the previous run's connections have gone, so FLUSH STATUS starts at 1.
func settle(admin *sql.DB) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := status(admin, "Threads_connected")
		if err != nil || n <= 1 || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func status(db *sql.DB, name string) (int64, error) {
	var k string
	var v int64
	err := db.QueryRow("SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&k, &v)
	return v, err
}

// percentileUs is the q-quantile of sorted latencies, in µs (0 when there are none).
func percentileUs(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, int(q*float64(len(sorted))))
	return float64(sorted[i]) / float64(time.Microsecond)
}

func median(xs []float64) float64 {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func summarize(s *summary) {
	ops := make([]float64, len(s.Runs))
	p50 := make([]float64, len(s.Runs))
	p99 := make([]float64, len(s.Runs))
	for i, r := range s.Runs {
		ops[i], p50[i], p99[i] = r.OpsPerSec, r.P50Us, r.P99Us
		s.Errors += r.Errors
		s.MaxServerConns = max(s.MaxServerConns, r.ServerConnections)
		s.MaxMaxUsedConns = max(s.MaxMaxUsedConns, r.MaxUsedConnections)
		s.MaxThreadsCreated = max(s.MaxThreadsCreated, r.ThreadsCreated)
	}
	s.MedianOpsPerSec = median(ops)
	s.MedianP50Us, s.MedianP99Us = median(p50), median(p99)
	s.MinOpsPerSec, s.MaxOpsPerSec = slices.Min(ops), slices.Max(ops)
	s.SpreadPct = 100 * (s.MaxOpsPerSec - s.MinOpsPerSec) / s.MedianOpsPerSec
}

// driverTimeout is the connect, read and write timeout of every go-sql-driver connection (its
// defaults wait forever): a stalled server fails the run instead of hanging it.
const driverTimeout = 10 * time.Second

// driverDSN turns mysql://user:pass@host:port/db into go-sql-driver's
// user:pass@tcp(host:port)/db?timeout=10s&readTimeout=10s&writeTimeout=10s.
func driverDSN(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("SHAREDPOOL_TEST_DSN: %v", err)
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	cfg.DBName = u.Path[min(1, len(u.Path)):]
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = driverTimeout, driverTimeout, driverTimeout
	return cfg.FormatDSN(), nil
}

// loadAverage is the 1-minute load average (0 where /proc/loadavg is missing): the machines here
// are shared, so the results say how busy this one was.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b) + " 0")[0], 64)
	return f
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "gobench:", msg)
	os.Exit(1)
}
