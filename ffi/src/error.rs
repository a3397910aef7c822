//! `sp_error`: the detailed error object handed back through `sp_error **err` out-parameters.

use std::ffi::{c_char, CString};

use sharedpool::Error;

use crate::boundary::{infallible, text};
use crate::code::sp_code;
use crate::primary::forward;

/// A detailed error: a code, a message, and for server errors the MySQL errno and SQLSTATE.
/// Created by the library, owned by the caller, freed with `sp_error_free`.
pub struct sp_error {
    code: sp_code,
    message: CString,
    server_errno: u32,
    sqlstate: CString,
}

impl sp_error {
    /// The C object for a core error.
    pub(crate) fn from_error(e: &Error) -> sp_error {
        sp_error {
            code: e.kind().into(),
            message: text(e.message()),
            server_errno: e.server_errno(),
            sqlstate: text(e.sqlstate()),
        }
    }
}

/// Stores `e` in `*err` when `err` is not NULL (overwriting without freeing what was there).
pub(crate) fn store(err: *mut *mut sp_error, e: &Error) {
    if err.is_null() {
        return;
    }
    let boxed = Box::into_raw(Box::new(sp_error::from_error(e)));
    // SAFETY: `err` is not NULL and the caller promises it points to writable storage for one
    // pointer (the documented contract of every `sp_error **err` parameter).
    unsafe { err.write(boxed) };
}

/// Runs `f` on the error behind `e`, or returns `default` when `e` is NULL.
fn with<T>(e: *const sp_error, default: T, f: impl FnOnce(&sp_error) -> T) -> T {
    // SAFETY: `e` is NULL or a live `sp_error` from this library (the caller's contract).
    match unsafe { e.as_ref() } {
        Some(e) => f(e),
        None => default,
    }
}

/// The error's code; `SP_OK` for NULL.
/// Thread-safe for concurrent readers; `e` is borrowed.
#[no_mangle]
pub extern "C" fn sp_error_code(e: *const sp_error) -> sp_code {
    forward!(sp_error_code(e));
    infallible(sp_code::SP_ERR_INTERNAL, || {
        with(e, sp_code::SP_OK, |e| e.code)
    })
}

/// The error's message (UTF-8, NUL-terminated), valid until `sp_error_free(e)`;
/// `""` for NULL. Never contains a password. Thread-safe for concurrent readers.
#[no_mangle]
pub extern "C" fn sp_error_message(e: *const sp_error) -> *const c_char {
    forward!(sp_error_message(e));
    infallible(c"".as_ptr(), || {
        with(e, c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// The MySQL errno of a server error (e.g. 1146), 0 when not a server error or for NULL.
/// Thread-safe for concurrent readers.
#[no_mangle]
pub extern "C" fn sp_error_server_errno(e: *const sp_error) -> u32 {
    forward!(sp_error_server_errno(e));
    infallible(0, || with(e, 0, |e| e.server_errno))
}

/// The SQLSTATE of a server error (e.g. "42S02"), valid until `sp_error_free(e)`;
/// `""` when not a server error or for NULL. Thread-safe for concurrent readers.
#[no_mangle]
pub extern "C" fn sp_error_sqlstate(e: *const sp_error) -> *const c_char {
    forward!(sp_error_sqlstate(e));
    infallible(c"".as_ptr(), || {
        with(e, c"".as_ptr(), |e| e.sqlstate.as_ptr())
    })
}

/// Frees an error. NULL is fine; must not be called twice for one error.
/// Thread-safe (for distinct errors).
#[no_mangle]
pub extern "C" fn sp_error_free(e: *mut sp_error) {
    forward!(sp_error_free(e));
    infallible((), || {
        if !e.is_null() {
            // SAFETY: non-NULL `e` came from `Box::into_raw` in `store` and is freed once
            // (the caller's contract).
            drop(unsafe { Box::from_raw(e) });
        }
    })
}
