package sharedpool

/*
#include <stdlib.h>
#include "sharedpool.h"

// Affected rows and insert id of an Exec, then the result freed: one crossing.
static void sp_go_take_exec(sp_result *r, uint64_t *affected, uint64_t *insert_id) {
	*affected = sp_result_affected_rows(r);
	*insert_id = sp_result_insert_id(r);
	sp_result_free(r);
}
*/
import "C"

import (
	"context"
	"database/sql"
	"strings"
	"unsafe"
)

// Query runs one statement on a connection checked out for it and streams its rows (see
// Rows); the connection goes back to the pool when the rows end or are closed. Args bind to
// `?` placeholders: ints, uints, floats, bool, string, []byte, time.Time, nil and
// driver.Valuer. ctx bounds the wait for a connection and the statement for as long as its
// rows are open: when ctx ends before the rows end or are closed, the pool stops the
// statement on the server (KILL QUERY), Next returns false and Err returns an error matching
// ctx's (errors.Is(err, context.DeadlineExceeded) / context.Canceled); the connection is then
// discarded.
func (p *Pool) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxError(err, "a connection was free")
	}
	if ctx.Done() != nil {
		// A context that can end: wait for the connection with it; the rows release it.
		c, err := p.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		rows, err := c.streamContext(ctx, query, args, c)
		if err != nil {
			c.Release()
			return nil, err
		}
		return rows, nil
	}
	h, err := p.enter()
	if err != nil {
		return nil, err
	}
	defer p.leave()
	rows, err := streamCall(query, args, func(q *C.char, ps *C.sp_param, n C.size_t, out **C.sp_rows, e **C.sp_error) bool {
		return C.sp_pool_query_stream(h, q, ps, n, out, e) == C.SP_OK
	})
	if err != nil {
		return nil, err
	}
	return newRows(rows, nil, nil), nil
}

// QueryRow runs Query and keeps its first row; errors are deferred to Row.Scan.
func (p *Pool) QueryRow(ctx context.Context, query string, args ...any) *Row {
	res, err := p.run(ctx, query, args)
	if err != nil {
		return &Row{err: err}
	}
	return rowOf(res)
}

// Exec runs a statement that returns no rows and reports affected rows and the insert id.
func (p *Pool) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := p.run(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return execResult(res), nil
}

// Query runs one statement on c and streams its rows (see Rows): until they end or are
// closed, c is busy and another statement on it fails. ctx holds while the rows are open, as
// for Pool.Query; when it ends first, c is discarded at Release.
func (c *Conn) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	return c.streamContext(ctx, query, args, nil)
}

// QueryRow runs Query on c and keeps its first row; errors are deferred to Row.Scan.
func (c *Conn) QueryRow(ctx context.Context, query string, args ...any) *Row {
	res, err := c.run(ctx, query, args)
	if err != nil {
		return &Row{err: err}
	}
	return rowOf(res)
}

// Exec runs a statement on c that returns no rows; see Pool.Exec.
func (c *Conn) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := c.run(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return execResult(res), nil
}

func (p *Pool) run(ctx context.Context, query string, args []any) (*C.sp_result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxError(err, "a connection was free")
	}
	if ctx.Done() != nil {
		// A context that can end: wait for the connection with it, then run on it.
		c, err := p.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		defer c.Release()
		return c.exec(ctx, query, args)
	}
	h, err := p.enter()
	if err != nil {
		return nil, err
	}
	defer p.leave()
	return call(query, args, func(q *C.char, ps *C.sp_param, n C.size_t, e **C.sp_error) *C.sp_result {
		return C.sp_pool_query(h, q, ps, n, e)
	})
}

func (c *Conn) run(ctx context.Context, query string, args []any) (*C.sp_result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	return c.exec(ctx, query, args)
}

// exec runs the statement on c under ctx: when ctx ends while it runs, the pool stops it on
// the server (KILL QUERY) and the error wraps ctx's; the connection is then discarded.
func (c *Conn) exec(ctx context.Context, query string, args []any) (*C.sp_result, error) {
	h, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	var res *C.sp_result
	err = withContext(ctx, "the statement was sent", func(timeoutMs int64, cancel *C.sp_cancel) error {
		var e error
		res, e = call(query, args, func(q *C.char, ps *C.sp_param, n C.size_t, e **C.sp_error) *C.sp_result {
			if timeoutMs < 0 && cancel == nil {
				return C.sp_conn_query(h, q, ps, n, e)
			}
			o := C.sp_query_options{timeout_ms: C.int64_t(max(timeoutMs, 0)), cancel: cancel}
			o.size = C.uint32_t(unsafe.Sizeof(o))
			return C.sp_conn_query_ex(h, q, ps, n, &o, e)
		})
		return e
	})
	return res, err
}

// streamContext starts a stream on c watched by ctx until its rows end or are closed;
// release (may be nil) is given back when they close.
func (c *Conn) streamContext(ctx context.Context, query string, args []any, release *Conn) (*Rows, error) {
	w, err := watchContext(ctx, "the statement was sent")
	if err != nil {
		return nil, err
	}
	h, err := c.lock()
	if err != nil {
		w.end()
		return nil, err
	}
	defer c.mu.Unlock()
	rows, err := streamCall(query, args, func(q *C.char, ps *C.sp_param, n C.size_t, out **C.sp_rows, e **C.sp_error) bool {
		if !w.watched() {
			return C.sp_conn_query_stream(h, q, ps, n, out, e) == C.SP_OK
		}
		o := C.sp_query_options{timeout_ms: C.int64_t(max(w.timeoutMs, 0)), cancel: w.cancel}
		o.size = C.uint32_t(unsafe.Sizeof(o))
		return C.sp_conn_query_stream_ex(h, q, ps, n, &o, out, e) == C.SP_OK
	})
	if err != nil {
		w.end()
		return nil, w.wrap(err)
	}
	if w.cancel == nil {
		w = nil // a deadline alone is the library's to watch; nothing to end on Close
	}
	return newRows(rows, release, w), nil
}

// streamCall is call for the streaming functions, which return a code and the rows.
func streamCall(query string, args []any, do func(*C.char, *C.sp_param, C.size_t, **C.sp_rows, **C.sp_error) bool) (*C.sp_rows, error) {
	var rows *C.sp_rows
	var cerr *C.sp_error
	ok := false
	if err := withArgs(query, args, func(q *C.char, ps *C.sp_param, n C.size_t) {
		ok = do(q, ps, n, &rows, &cerr)
	}); err != nil {
		return nil, err
	}
	if !ok {
		return nil, takeError(cerr)
	}
	return rows, nil
}

// call converts the statement and its arguments to C, runs do and frees them.
func call(query string, args []any, do func(*C.char, *C.sp_param, C.size_t, **C.sp_error) *C.sp_result) (*C.sp_result, error) {
	var res *C.sp_result
	var cerr *C.sp_error
	if err := withArgs(query, args, func(q *C.char, ps *C.sp_param, n C.size_t) {
		res = do(q, ps, n, &cerr)
	}); err != nil {
		return nil, err
	}
	if res == nil {
		return nil, takeError(cerr)
	}
	return res, nil
}

// withArgs converts the statement and its arguments to C for do, and frees them after.
func withArgs(query string, args []any, do func(*C.char, *C.sp_param, C.size_t)) error {
	if err := noNUL("query", query); err != nil {
		return err
	}
	params, err := newParams(args)
	if err != nil {
		return err
	}
	defer params.free()
	cq := C.CString(query)
	defer C.free(unsafe.Pointer(cq))
	do(cq, params.ptr, params.n)
	return nil
}

func execResult(res *C.sp_result) sql.Result {
	var affected, id C.uint64_t
	C.sp_go_take_exec(res, &affected, &id)
	return result{affected: int64(affected), insertID: int64(id)}
}

// result is an Exec's sql.Result.
type result struct {
	affected int64
	insertID int64
}

func (r result) LastInsertId() (int64, error) { return r.insertID, nil }
func (r result) RowsAffected() (int64, error) { return r.affected, nil }

// noNUL rejects a string C would silently cut at an embedded NUL byte.
func noNUL(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return &Error{Code: CodeInvalidArgument, Message: what + " contains a NUL byte"}
	}
	return nil
}
