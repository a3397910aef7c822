//! The one template every exported function runs through (after rustls-ffi `panic.rs`/`ffi.rs`):
//! catch panics, check pointers, report errors through `sp_error **`, write outputs on success.

use std::any::Any;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use sharedpool::{Error, ErrorKind, Result};

use crate::code::sp_code;
use crate::error::{self, sp_error};

/// What an exported function returns when it failed.
pub(crate) trait Failure {
    /// The failure value (a code, or NULL for constructors).
    fn failure(e: &Error) -> Self;
}

impl Failure for sp_code {
    fn failure(e: &Error) -> Self {
        e.kind().into()
    }
}

impl<T> Failure for *mut T {
    fn failure(_: &Error) -> Self {
        ptr::null_mut()
    }
}

/// Runs `f` at the C boundary: a panic becomes an `Internal` error, an error is stored in
/// `*err` (when `err` is not NULL) and turned into the function's failure value.
pub(crate) fn call<T: Failure>(
    name: &str,
    err: *mut *mut sp_error,
    f: impl FnOnce() -> Result<T>,
) -> T {
    let outcome =
        catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(panicked(name, payload)));
    match outcome {
        Ok(value) => value,
        Err(e) => {
            error::store(err, &e);
            T::failure(&e)
        }
    }
}

/// [`call`] for functions that return `SP_OK` on success.
pub(crate) fn call_code(
    name: &str,
    err: *mut *mut sp_error,
    f: impl FnOnce() -> Result<()>,
) -> sp_code {
    call(name, err, || f().map(|()| sp_code::SP_OK))
}

/// Runs an infallible accessor or destructor at the C boundary: a panic returns `fallback`.
pub(crate) fn infallible<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

fn panicked(name: &str, payload: Box<dyn Any + Send>) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    Error::new(
        ErrorKind::Internal,
        format!("{name}: internal error (caught panic: {what})"),
    )
}

/// The InvalidArgument error every pointer check gives.
pub(crate) fn invalid(name: &str, what: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("{name}: {what}"))
}

/// Reads a NUL-terminated UTF-8 argument; NULL or invalid UTF-8 is InvalidArgument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn arg_str<'a>(name: &str, what: &str, p: *const c_char) -> Result<&'a str> {
    if p.is_null() {
        return Err(invalid(name, format_args!("{what} is NULL")));
    }
    // SAFETY: not NULL, and NUL-terminated and alive per this function's contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map_err(|_| invalid(name, format_args!("{what} is not valid UTF-8")))
}

/// Reads an optional NUL-terminated UTF-8 argument: NULL is `None`, invalid UTF-8 an error.
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_opt_str<'a>(
    name: &str,
    what: &str,
    p: *const c_char,
) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { arg_str(name, what, p) }.map(Some)
}

/// Borrows a plain (non-table) object argument mutably; NULL is InvalidArgument.
///
/// # Safety
/// `p` is NULL or points to a live `T` made by this library, used by no one else during `'a`.
pub(crate) unsafe fn arg_mut<'a, T>(name: &str, what: &str, p: *mut T) -> Result<&'a mut T> {
    // SAFETY: per this function's contract.
    unsafe { p.as_mut() }.ok_or_else(|| invalid(name, format_args!("{what} is NULL")))
}

/// Checks an out-parameter is not NULL.
pub(crate) fn out_ptr<T>(name: &str, what: &str, p: *mut T) -> Result<()> {
    if p.is_null() {
        Err(invalid(name, format_args!("{what} is NULL")))
    } else {
        Ok(())
    }
}

/// A C string for text from Rust; an inner NUL (never expected) becomes `\0` spelled out.
pub(crate) fn text(s: &str) -> CString {
    CString::new(s)
        .unwrap_or_else(|_| CString::new(s.replace('\0', "\\0")).expect("no NUL bytes are left"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{sp_error_code, sp_error_free, sp_error_message};

    #[test]
    fn a_panic_becomes_an_internal_error_and_never_unwinds() {
        let mut err: *mut sp_error = ptr::null_mut();
        let p: *mut u8 = call("sp_test", &mut err, || panic!("boom"));
        assert!(p.is_null());
        assert_eq!(sp_error_code(err), sp_code::SP_ERR_INTERNAL);
        // SAFETY: a live error's message is a NUL-terminated string until the free below.
        let msg = unsafe { CStr::from_ptr(sp_error_message(err)) };
        assert_eq!(
            msg.to_str().unwrap(),
            "sp_test: internal error (caught panic: boom)"
        );
        sp_error_free(err);
        let code = call_code("sp_test", ptr::null_mut(), || panic!("{}", 42));
        assert_eq!(code, sp_code::SP_ERR_INTERNAL);
        assert_eq!(infallible(7, || panic!("x")), 7);
    }

    #[test]
    fn errors_are_stored_only_on_failure() {
        let mut err: *mut sp_error = ptr::null_mut();
        assert_eq!(call_code("t", &mut err, || Ok(())), sp_code::SP_OK);
        assert!(err.is_null());
        let code = call_code("t", &mut err, || {
            Err(Error::new(ErrorKind::Timeout, "slow"))
        });
        assert_eq!(code, sp_code::SP_ERR_TIMEOUT);
        assert_eq!(sp_error_code(err), sp_code::SP_ERR_TIMEOUT);
        sp_error_free(err);
    }

    #[test]
    fn strings_are_checked() {
        // SAFETY: NULL and static NUL-terminated strings.
        unsafe {
            assert!(arg_str("t", "sql", ptr::null()).is_err());
            assert!(arg_str("t", "sql", c"\xff".as_ptr()).is_err());
            assert_eq!(arg_str("t", "sql", c"ok".as_ptr()).unwrap(), "ok");
            assert_eq!(arg_opt_str("t", "label", ptr::null()).unwrap(), None);
        }
        assert_eq!(text("a\0b").to_str().unwrap(), "a\\0b");
    }
}
