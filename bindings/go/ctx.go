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
	if err := ctx.Err(); err != nil {
		return ctxError(err, what)
	}
	timeoutMs := int64(-1)
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline {
		left := time.Until(deadline)
		if left <= 0 {
			return ctxError(context.DeadlineExceeded, what)
		}
		timeoutMs = int64(math.Ceil(float64(left) / float64(time.Millisecond)))
	}
	var err error
	if ctx.Done() == nil {
		// Never cancelled: no cancel object, no goroutine.
		err = do(timeoutMs, nil)
	} else {
		cancel := C.sp_cancel_new()
		if cancel == nil {
			return &Error{Code: CodeInternal, Message: "sp_cancel_new failed"}
		}
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			C.sp_cancel_trigger(cancel)
			close(fired)
		})
		err = do(timeoutMs, cancel)
		if !stop() {
			<-fired // the trigger may still be running: wait before freeing what it uses
		}
		C.sp_cancel_free(cancel)
	}
	if err == nil {
		return nil
	}
	ctxErr := ctx.Err()
	if ctxErr == nil && hasDeadline && !time.Now().Before(deadline) {
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
