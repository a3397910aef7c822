package sharedpool

/*
#include "sharedpool.h"
*/
import "C"

import (
	"context"
	"math"
	"time"
)

// withContext runs do under ctx: do gets ctx's remaining time in milliseconds (-1: no
// deadline) and a cancel token triggered when ctx ends (nil when ctx can never end). When do
// fails with ErrCancelled or ErrTimeout and ctx has ended, the error wraps ctx's error
// (errors.Is(err, context.DeadlineExceeded) / context.Canceled) and its code follows it.
// A ctx that has ended already gives ctxError(ctx.Err(), what) without calling do.
func withContext(ctx context.Context, what string, do func(timeoutMs int64, cancel *C.sp_cancel) error) error {
	w, err := watchContext(ctx, what)
	if err != nil {
		return err
	}
	err = do(w.timeoutMs, w.cancel)
	w.end()
	return w.wrap(err)
}

// ctxWatch ties a call, or rows that stream after it, to a context: the time left when it
// started and a cancel token triggered when ctx ends, until end.
type ctxWatch struct {
	ctx         context.Context
	deadline    time.Time
	hasDeadline bool
	timeoutMs   int64        // -1: no deadline
	cancel      *C.sp_cancel // nil when ctx can never end
	stop        func() bool
	fired       chan struct{}
}

// watchContext starts watching ctx; a ctx that has ended already gives ctxError(ctx.Err(),
// what). Call end when the call (or the rows) no longer need the token.
func watchContext(ctx context.Context, what string) (*ctxWatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(err, what)
	}
	w := &ctxWatch{ctx: ctx, timeoutMs: -1}
	w.deadline, w.hasDeadline = ctx.Deadline()
	if w.hasDeadline {
		left := time.Until(w.deadline)
		if left <= 0 {
			return nil, ctxError(context.DeadlineExceeded, what)
		}
		w.timeoutMs = int64(math.Ceil(float64(left) / float64(time.Millisecond)))
	}
	if ctx.Done() == nil {
		return w, nil // never cancelled: no cancel object, no goroutine
	}
	w.cancel = C.sp_cancel_new()
	if w.cancel == nil {
		return nil, &Error{Code: CodeInternal, Message: "sp_cancel_new failed"}
	}
	cancel := w.cancel
	w.fired = make(chan struct{})
	fired := w.fired
	w.stop = context.AfterFunc(ctx, func() {
		C.sp_cancel_trigger(cancel)
		close(fired)
	})
	return w, nil
}

// watched: a deadline or a token for the library to watch.
func (w *ctxWatch) watched() bool { return w.timeoutMs >= 0 || w.cancel != nil }

// end stops triggering the token and frees it (the library keeps its own reference while a
// statement or rows use it). Idempotent.
func (w *ctxWatch) end() {
	if w.cancel == nil {
		return
	}
	if !w.stop() {
		<-w.fired // the trigger may still be running: wait before freeing what it uses
	}
	C.sp_cancel_free(w.cancel)
	w.cancel = nil
}

// wrap makes a timeout or cancel error of the watched call wrap ctx's error once ctx ended,
// its code following ctx's.
func (w *ctxWatch) wrap(err error) error {
	if err == nil {
		return nil
	}
	ctxErr := w.ctx.Err()
	if ctxErr == nil && w.hasDeadline && !time.Now().Before(w.deadline) {
		ctxErr = context.DeadlineExceeded // the library's timer beat the context's
	}
	if e, ok := err.(*Error); ok && ctxErr != nil && (e.Code == CodeCancelled || e.Code == CodeTimeout) {
		e.ctxErr = ctxErr
		if ctxErr == context.DeadlineExceeded {
			e.Code = CodeTimeout
		} else {
			e.Code = CodeCancelled
		}
	}
	return err
}

// ctxError is the error of a call whose context had already ended before `what`.
func ctxError(err error, what string) error {
	if err == context.DeadlineExceeded {
		return &Error{Code: CodeTimeout, Message: "context deadline exceeded before " + what, ctxErr: err}
	}
	return &Error{Code: CodeCancelled, Message: "context cancelled before " + what, ctxErr: err}
}
