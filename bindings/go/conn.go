package sharedpool

/*
#include <stdlib.h>
#include "sharedpool.h"

// Acquire with a timeout and an optional cancel object, options built on the C side.
static sp_conn *sp_go_acquire(sp_pool *p, int64_t timeout_ms, const sp_cancel *cancel, sp_error **err) {
	sp_acquire_options o = {0};
	o.size = sizeof o;
	o.timeout_ms = timeout_ms;
	o.cancel = cancel;
	return sp_pool_acquire_ex(p, &o, err);
}
*/
import "C"

import (
	"context"
	"database/sql"
	"runtime"
	"sync"
)

// Conn is one connection acquired from a Pool, for one goroutine at a time (a mutex makes
// concurrent misuse safe, not useful). Release returns it; the pool resets its session
// (rolls back an open transaction, clears variables) before the next borrower gets it.
type Conn struct {
	mu     sync.Mutex
	handle *C.sp_conn // nil once released
}

// Acquire waits for a free connection of the pool, at most until ctx ends or the pool's
// acquire_timeout_ms passes, whichever comes first.
//
// When ctx is cancelled the wait ends within tens of milliseconds with an error matching
// both ErrCancelled and context.Canceled; when ctx's deadline passes, one matching both
// ErrTimeout and context.DeadlineExceeded. A connection that frees up after the wait ended
// stays in the pool. Statements on the connection take ctx too (Query, Exec): see there.
func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxError(err, "a connection was free")
	}
	h, err := p.enter()
	if err != nil {
		return nil, err
	}
	defer p.leave()
	var c *C.sp_conn
	err = withContext(ctx, "a connection was free", func(timeoutMs int64, cancel *C.sp_cancel) error {
		var cerr *C.sp_error
		// timeoutMs -1: the pool's acquire_timeout_ms.
		c = C.sp_go_acquire(h, C.int64_t(timeoutMs), cancel, &cerr)
		if c == nil {
			return takeError(cerr)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	conn := &Conn{handle: c}
	runtime.SetFinalizer(conn, (*Conn).finalize)
	return conn, nil
}

// Release returns the connection to its pool. It is idempotent; the Conn is unusable after.
func (c *Conn) Release() { c.done(false) }

// Discard closes the connection instead of returning it to the pool (e.g. after changing
// session state that must not be reset). It is idempotent; the Conn is unusable after.
func (c *Conn) Discard() { c.done(true) }

func (c *Conn) done(discard bool) {
	c.mu.Lock()
	h := c.handle
	c.handle = nil
	c.mu.Unlock()
	if h == nil {
		return
	}
	runtime.SetFinalizer(c, nil)
	if discard {
		C.sp_conn_discard(h)
	} else {
		C.sp_conn_release(h)
	}
}

func (c *Conn) finalize() {
	// A safety net for a Conn dropped without Release.
	if c.handle != nil {
		C.sp_conn_release(c.handle)
	}
}

// lock holds c for one call and returns its handle, or an error once released.
func (c *Conn) lock() (*C.sp_conn, error) {
	c.mu.Lock()
	if c.handle == nil {
		c.mu.Unlock()
		return nil, errReleased
	}
	return c.handle, nil
}

// errReleased is returned by calls on a released Conn; it matches sql.ErrConnDone.
var errReleased = sql.ErrConnDone
