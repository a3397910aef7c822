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

// Stats is a snapshot of a pool: the C ABI's sp_stats.
type Stats struct {
	Refs    int // open references (Open calls not yet closed, from every language)
	MaxSize int // the max_size bound
	Total   int // connections open, counting those being opened
	Idle    int // connections waiting in the pool
	Active  int // connections acquired
	Waiting int // acquires waiting for a connection

	AcquiresTotal      uint64 // successful acquires
	TimeoutsTotal      uint64 // acquires that timed out
	CreatedTotal       uint64 // connections opened
	ClosedTotal        uint64 // connections closed
	ResetsTotal        uint64 // session resets on release
	ConnectErrorsTotal uint64 // failed connects
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
	return Stats{
		Refs:               int(s.refs),
		MaxSize:            int(s.max_size),
		Total:              int(s.total),
		Idle:               int(s.idle),
		Active:             int(s.active),
		Waiting:            int(s.waiting),
		AcquiresTotal:      uint64(s.acquires_total),
		TimeoutsTotal:      uint64(s.timeouts_total),
		CreatedTotal:       uint64(s.created_total),
		ClosedTotal:        uint64(s.closed_total),
		ResetsTotal:        uint64(s.resets_total),
		ConnectErrorsTotal: uint64(s.connect_errors_total),
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
