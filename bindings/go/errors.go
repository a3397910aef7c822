package sharedpool

/*
#include <stdlib.h>
#include "sharedpool.h"

// One crossing for everything an sp_error holds; the strings stay owned by e.
static void sp_go_error_info(const sp_error *e, int *code, const char **msg, uint32_t *errno_, const char **sqlstate) {
	*code = (int)sp_error_code(e);
	*msg = sp_error_message(e);
	*errno_ = sp_error_server_errno(e);
	*sqlstate = sp_error_sqlstate(e);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
)

// Code is the library's stable error code (the C ABI's sp_code).
type Code int

// The error codes; their values are those of the C ABI and never change.
const (
	CodeOK              Code = 0
	CodeInvalidArgument Code = 1
	CodeInvalidDSN      Code = 2
	CodeInvalidOption   Code = 3
	CodeConfigConflict  Code = 4
	CodeConnect         Code = 5
	CodeAuth            Code = 6
	CodeTimeout         Code = 7
	CodePoolClosed      Code = 8
	CodeServer          Code = 9
	CodeConnectionLost  Code = 10
	CodeCancelled       Code = 11
	CodeInternal        Code = 12
)

// String names the code as the library does (sp_code_name: "invalid_dsn", "timeout", …).
func (c Code) String() string {
	if c < 0 || int64(c) > math.MaxInt32 {
		return fmt.Sprintf("code %d", int(c))
	}
	if name := C.GoString(C.sp_code_name(C.int(c))); name != "unknown" {
		return name
	}
	return fmt.Sprintf("code %d", int(c))
}

// Sentinel errors for errors.Is. An *Error with the matching Code is Is-equal to them.
var (
	// ErrTimeout: no connection became free within the acquire timeout or the context's deadline.
	ErrTimeout = errors.New("sharedpool: timed out waiting for a connection")
	// ErrPoolClosed: the pool (or this *Pool reference) was closed.
	ErrPoolClosed = errors.New("sharedpool: pool closed")
	// ErrConfigConflict: the DSN's pool is already open with different sizing options.
	ErrConfigConflict = errors.New("sharedpool: options conflict with the open pool")
	// ErrCancelled: the wait for a connection was cancelled (the context was cancelled).
	ErrCancelled = errors.New("sharedpool: wait for a connection cancelled")
)

// Error is an error from the library other than a server error.
//
// errors.Is(err, ErrTimeout), ErrPoolClosed, ErrConfigConflict and ErrCancelled match by
// Code. When a context ended the wait, the error also wraps ctx.Err(), so
// errors.Is(err, context.DeadlineExceeded) or errors.Is(err, context.Canceled) holds too.
// When the server sent an error number (e.g. a refused login), errors.As finds a *MySQLError.
type Error struct {
	Code    Code
	Message string

	server *MySQLError // a server error behind a non-server code (auth, connect)
	ctxErr error       // the context error that ended an acquire
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "sharedpool: " + e.Code.String()
	}
	return "sharedpool: " + e.Message
}

// Is matches the sentinel of e's Code.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrTimeout:
		return e.Code == CodeTimeout
	case ErrPoolClosed:
		return e.Code == CodePoolClosed
	case ErrConfigConflict:
		return e.Code == CodeConfigConflict
	case ErrCancelled:
		return e.Code == CodeCancelled
	}
	return false
}

// Unwrap returns the context error or server error behind e, if any.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.ctxErr != nil {
		errs = append(errs, e.ctxErr)
	}
	if e.server != nil {
		errs = append(errs, e.server)
	}
	return errs
}

// MySQLError is an error the server sent: its error number, SQLSTATE and message.
type MySQLError struct {
	Number   uint16
	SQLState string
	Message  string
}

func (e *MySQLError) Error() string {
	if e.SQLState != "" {
		return fmt.Sprintf("Error %d (%s): %s", e.Number, e.SQLState, e.Message)
	}
	return fmt.Sprintf("Error %d: %s", e.Number, e.Message)
}

// takeError converts and frees an sp_error. A nil e gives a generic internal error, so a
// failing call that forgot its error object still fails.
func takeError(e *C.sp_error) error {
	if e == nil {
		return &Error{Code: CodeInternal, Message: "call failed without an error object"}
	}
	defer C.sp_error_free(e)
	var (
		code     C.int
		msg      *C.char
		errno    C.uint32_t
		sqlstate *C.char
	)
	C.sp_go_error_info(e, &code, &msg, &errno, &sqlstate)
	return newError(Code(code), C.GoString(msg), uint32(errno), C.GoString(sqlstate))
}

func newError(code Code, msg string, errno uint32, sqlstate string) error {
	var server *MySQLError
	if errno != 0 {
		server = &MySQLError{Number: uint16(errno), SQLState: sqlstate, Message: msg}
	}
	if code == CodeServer && server != nil {
		return server
	}
	return &Error{Code: code, Message: msg, server: server}
}

// errClosed is returned by calls on a closed *Pool, *Conn or *Rows.
func errClosed(what string) error {
	return &Error{Code: CodePoolClosed, Message: what + " is closed"}
}
