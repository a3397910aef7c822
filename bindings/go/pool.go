package sharedpool

/*
#include <stdlib.h>
#include <string.h>
#include "sharedpool.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Pool is a counted reference to the process-wide pool of one MySQL target. Every Open of the
// same DSN (from Go, C or Python in this process) shares one pool; the server sees at most
// max_size connections however many references exist. A Pool is safe for concurrent use.
type Pool struct {
	handle *C.sp_pool
	// state counts calls using handle; closedBit marks Close. The handle is released by
	// whichever of Close and the last such call comes last, so Close never frees it under a
	// running call.
	state   atomic.Int64
	release sync.Once
}

const closedBit = int64(1) << 62

// Open returns a reference to the pool for dsn, creating the pool on the first Open.
//
// dsn is mysql://user:pass@host:port/db?opt=v or the Go driver's user:pass@tcp(host:port)/db.
// A second Open of a live pool with different sizing options fails with ErrConfigConflict
// unless WithReuseOnConflict is given. Close the Pool when done; the pool itself closes with
// its last reference.
func Open(dsn string, opts ...Option) (*Pool, error) {
	if err := noNUL("DSN", dsn); err != nil {
		return nil, err
	}
	o := collect(opts)
	var copts *C.sp_options
	if len(o.kv) > 0 {
		copts = C.sp_options_new()
		if copts == nil {
			return nil, &Error{Code: CodeInternal, Message: "sp_options_new failed"}
		}
		defer C.sp_options_free(copts)
		for _, kv := range o.kv {
			if err := setOption(copts, kv[0], kv[1]); err != nil {
				return nil, err
			}
		}
	}
	cdsn := C.CString(dsn)
	defer func() {
		// The DSN may hold the password: wipe this copy (the library keeps its own, once).
		C.memset(unsafe.Pointer(cdsn), 0, C.size_t(len(dsn)))
		C.free(unsafe.Pointer(cdsn))
	}()
	var cerr *C.sp_error
	h := C.sp_pool_open(cdsn, copts, &cerr)
	if h == nil {
		return nil, takeError(cerr)
	}
	p := &Pool{handle: h}
	runtime.SetFinalizer(p, (*Pool).finalize)
	return p, nil
}

func setOption(o *C.sp_options, key, value string) error {
	if err := noNUL("option "+key, key+value); err != nil {
		return err
	}
	ckey := C.CString(key)
	defer C.free(unsafe.Pointer(ckey))
	cval := C.CString(value)
	defer C.free(unsafe.Pointer(cval))
	var cerr *C.sp_error
	if C.sp_options_set(o, ckey, cval, &cerr) != 0 {
		return takeError(cerr)
	}
	return nil
}

// Close releases this reference; the pool closes when its last reference is released.
// Connections still acquired stay usable until released; a call already running on p (an
// Acquire still waiting, say) finishes first and the reference goes when it returns. Close is
// idempotent and returns nil.
func (p *Pool) Close() error {
	old := p.state.Or(closedBit)
	if old&closedBit != 0 {
		return nil
	}
	runtime.SetFinalizer(p, nil)
	if old == 0 {
		p.releaseHandle()
	}
	return nil
}

func (p *Pool) finalize() {
	// A safety net for a Pool dropped without Close: no call can be running on it.
	p.releaseHandle()
}

func (p *Pool) releaseHandle() {
	p.release.Do(func() { C.sp_pool_release(p.handle) })
}

// enter marks a call using the handle; it fails once Close has begun.
func (p *Pool) enter() (*C.sp_pool, error) {
	if p == nil {
		return nil, errClosed("pool")
	}
	if p.state.Add(1)&closedBit != 0 {
		p.leave()
		return nil, errClosed("pool")
	}
	return p.handle, nil
}

// leave ends a call begun with enter.
func (p *Pool) leave() {
	if p.state.Add(-1) == closedBit {
		p.releaseHandle()
	}
	runtime.KeepAlive(p)
}
