package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// fleetResult is the one JSON line a fleet worker prints (the same keys as benches/fleet.py's
// Python workers).
type fleetResult struct {
	Statements   int               `json:"statements"`
	Errors       int               `json:"errors"`
	ErrorsByKind map[string]int    `json:"errors_by_kind"`
	FirstError   map[string]string `json:"first_error"`
	LatenciesUs  []int64           `json:"latencies_us"` // wait+statement of each statement that succeeded
	Pool         map[string]int    `json:"pool"`
}

// holdPastEnd is how long a worker keeps its pool open after the window.
const holdPastEnd = 500 * time.Millisecond

// fleetWorker is one process of benches/fleet.py's fleet: database/sql over go-sql-driver with
// SetMaxOpenConns(maxOpen) and SetMaxIdleConns(maxIdle). It says "ready", reads the start time
// (Unix seconds) on stdin, runs threads goroutines until start+dur and prints one JSON line.
// busy: each goroutine loops on SELECT SLEEP(0.02); idle: one SELECT 1 at the start, then one
// every 0.5-1.5 s. Its pool stays open until holdPastEnd after the window.
func fleetWorker(scenario string, threads int, dur time.Duration, maxOpen, maxIdle int) {
	var query string
	switch scenario {
	case "busy":
		query = "SELECT SLEEP(0.02)"
	case "idle":
		query = "SELECT 1"
	default:
		fail("-scenario: busy or idle, not " + scenario)
	}
	goDSN, err := driverDSN(os.Getenv("SHAREDPOOL_TEST_DSN"))
	if err != nil {
		fail(err.Error())
	}
	db, err := sql.Open("mysql", goDSN)
	if err != nil {
		fail(err.Error())
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxIdle)
	fmt.Println("ready")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		fail("no start time on stdin")
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(line), 64)
	if err != nil {
		fail("start time: " + err.Error())
	}
	start := time.UnixMicro(int64(secs * 1e6))
	end := start.Add(dur)

	var mu sync.Mutex
	res := fleetResult{ErrorsByKind: map[string]int{}, FirstError: map[string]string{}, LatenciesUs: []int64{}}
	var wg sync.WaitGroup
	for g := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(g)))
			var lat []int64
			n := 0
			time.Sleep(time.Until(start))
			for {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*driverTimeout)
				var v int
				err := db.QueryRowContext(ctx, query).Scan(&v)
				cancel()
				if err != nil {
					kind := errorKind(err)
					mu.Lock()
					res.ErrorsByKind[kind]++
					if _, ok := res.FirstError[kind]; !ok {
						res.FirstError[kind] = truncate(err.Error(), 300)
					}
					mu.Unlock()
				} else if t1 := time.Now(); !t1.After(end) {
					n++
					lat = append(lat, t1.Sub(t0).Microseconds())
				}
				if scenario == "idle" {
					pause := time.Duration((0.5 + rng.Float64()) * float64(time.Second))
					if !time.Now().Add(pause).Before(end) {
						break
					}
					time.Sleep(pause)
				}
			}
			mu.Lock()
			res.Statements += n
			res.LatenciesUs = append(res.LatenciesUs, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	// The pool stays open a little past the window: the driver reads the server's connections
	// at its end.
	time.Sleep(time.Until(end.Add(holdPastEnd)))
	for _, v := range res.ErrorsByKind {
		res.Errors += v
	}
	slices.Sort(res.LatenciesUs)
	st := db.Stats()
	res.Pool = map[string]int{"open": st.OpenConnections, "idle": st.Idle, "in_use": st.InUse}
	out, err := json.Marshal(res)
	if err != nil {
		fail(err.Error())
	}
	fmt.Println(string(out))
	_ = db.Close()
}

// errorKind names an error by its type and, for a server error, its code.
func errorKind(err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return "MySQLError " + strconv.Itoa(int(me.Number))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "context.DeadlineExceeded"
	}
	return fmt.Sprintf("%T", err)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
