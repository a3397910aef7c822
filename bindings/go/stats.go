package sharedpool

/*
#include <stdlib.h>
#include "sharedpool.h"

static sp_code sp_go_stats(const sp_pool *p, sp_stats *out) {
	out->size = sizeof *out;
	return sp_pool_stats(p, out);
}
*/
import "C"

import (
	"database/sql"
	"time"
)

// Stats is a snapshot of a pool: every field of the C ABI's sp_stats (its name in the `abi` tag;
// the tests check them against the header).
type Stats struct {
	Refs            int `abi:"refs"`             // open references (Open calls not yet closed, from every language)
	MaxSize         int `abi:"max_size"`         // the max_size bound
	Total           int `abi:"total"`            // connections open, counting those being opened
	Idle            int `abi:"idle"`             // connections waiting in the pool
	Active          int `abi:"active"`           // connections acquired
	Waiting         int `abi:"waiting"`          // acquires waiting for a connection
	Connecting      int `abi:"connecting"`       // connections being opened right now (counted in Total)
	RecommendedSize int `abi:"recommended_size"` // the size measured demand asks for: ceil(L x headroom), in bounds
	CapacityCap     int `abi:"capacity_cap"`     // the bound now: MaxSize, or less while the server is full or at server_headroom

	AcquiresTotal      uint64 `abi:"acquires_total"`       // successful acquires
	TimeoutsTotal      uint64 `abi:"timeouts_total"`       // acquires that timed out
	CreatedTotal       uint64 `abi:"created_total"`        // connections opened
	ClosedTotal        uint64 `abi:"closed_total"`         // connections closed
	ResetsTotal        uint64 `abi:"resets_total"`         // session resets on release
	ConnectErrorsTotal uint64 `abi:"connect_errors_total"` // failed connects
	CancelledTotal     uint64 `abi:"cancelled_total"`      // acquires cancelled by their ctx
	LeaksTotal         uint64 `abi:"leaks_total"`          // leak warnings raised

	WaitTimeTotal time.Duration `abi:"wait_time_us_total"` // total time acquirers waited
	WaitTimeMax   time.Duration `abi:"wait_time_us_max"`   // longest single wait
	HoldTimeTotal time.Duration `abi:"hold_time_us_total"` // total time connections were held

	ArrivalRate float64       `abi:"arrival_rate"`  // measured acquire rate (lambda), per second
	HoldTimeAvg time.Duration `abi:"hold_time_avg"` // measured hold time (W)
	Demand      float64       `abi:"demand"`        // L = lambda x W: connections demand keeps busy on average
}

// Stats returns the pool's current figures; the zero Stats once p is closed.
func (p *Pool) Stats() Stats {
	h, err := p.enter()
	if err != nil {
		return Stats{}
	}
	defer p.leave()
	var s C.sp_stats
	if C.sp_go_stats(h, &s) != 0 {
		return Stats{}
	}
	us := func(v C.uint64_t) time.Duration { return time.Duration(v) * time.Microsecond }
	return Stats{
		Refs:               int(s.refs),
		MaxSize:            int(s.max_size),
		Total:              int(s.total),
		Idle:               int(s.idle),
		Active:             int(s.active),
		Waiting:            int(s.waiting),
		Connecting:         int(s.connecting),
		RecommendedSize:    int(s.recommended_size),
		CapacityCap:        int(s.capacity_cap),
		AcquiresTotal:      uint64(s.acquires_total),
		TimeoutsTotal:      uint64(s.timeouts_total),
		CreatedTotal:       uint64(s.created_total),
		ClosedTotal:        uint64(s.closed_total),
		ResetsTotal:        uint64(s.resets_total),
		ConnectErrorsTotal: uint64(s.connect_errors_total),
		CancelledTotal:     uint64(s.cancelled_total),
		LeaksTotal:         uint64(s.leaks_total),
		WaitTimeTotal:      us(s.wait_time_us_total),
		WaitTimeMax:        us(s.wait_time_us_max),
		HoldTimeTotal:      us(s.hold_time_us_total),
		ArrivalRate:        float64(s.arrival_rate),
		HoldTimeAvg:        time.Duration(float64(s.hold_time_avg) * float64(time.Second)),
		Demand:             float64(s.demand),
	}
}

// DBStats is s in database/sql's shape, for code and dashboards that read sql.DBStats. Only
// honest mappings are filled: MaxOpenConnections (MaxSize), OpenConnections (Total),
// InUse (Active), Idle and WaitDuration (WaitTimeTotal). sp_stats counts neither the
// acquires that had to wait nor why connections were closed, so WaitCount, MaxIdleClosed,
// MaxIdleTimeClosed and MaxLifetimeClosed stay zero (ClosedTotal counts every close).
// The figures are the shared pool's, across every user of it, not one sql.DB's.
func (s Stats) DBStats() sql.DBStats {
	return sql.DBStats{
		MaxOpenConnections: s.MaxSize,
		OpenConnections:    s.Total,
		InUse:              s.Active,
		Idle:               s.Idle,
		WaitDuration:       s.WaitTimeTotal,
	}
}

// MetricsText returns every pool's metrics in the Prometheus text format.
func MetricsText() string {
	s := C.sp_metrics_text()
	if s == nil {
		return ""
	}
	defer C.sp_string_free(s)
	return C.GoString(s)
}

// Version returns the library's version and its C ABI version (major<<16 | minor).
func Version() (version string, abi uint32) {
	return C.GoString(C.sp_version()), uint32(C.sp_abi_version())
}
