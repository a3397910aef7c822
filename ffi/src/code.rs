//! `sp_code`: the stable error codes of the C ABI.

use std::ffi::{c_char, c_int, CString};
use std::sync::LazyLock;

use sharedpool::ErrorKind;

use crate::boundary::infallible;
use crate::primary::forward;

/// A result code. The values are stable and never renumbered; new codes are only appended.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sp_code {
    /// Success.
    SP_OK = 0,
    /// A caller passed something unusable (NULL, a released handle, invalid UTF-8, out of range).
    SP_ERR_INVALID_ARGUMENT = 1,
    /// The DSN could not be parsed.
    SP_ERR_INVALID_DSN = 2,
    /// An unknown option, or a value that does not parse.
    SP_ERR_INVALID_OPTION = 3,
    /// A second open asked for different sizing options than the live pool has.
    SP_ERR_CONFIG_CONFLICT = 4,
    /// The server could not be reached or refused the connection.
    SP_ERR_CONNECT = 5,
    /// The server rejected the credentials.
    SP_ERR_AUTH = 6,
    /// No connection became available before the deadline.
    SP_ERR_TIMEOUT = 7,
    /// The pool was closed.
    SP_ERR_POOL_CLOSED = 8,
    /// The server answered a statement with an error (see the errno and SQLSTATE).
    SP_ERR_SERVER = 9,
    /// The connection died in the middle of a call.
    SP_ERR_CONNECTION_LOST = 10,
    /// The caller cancelled the wait.
    SP_ERR_CANCELLED = 11,
    /// A bug in sharedpool (a caught panic, a broken invariant).
    SP_ERR_INTERNAL = 12,
}

impl From<ErrorKind> for sp_code {
    fn from(kind: ErrorKind) -> sp_code {
        match kind {
            ErrorKind::InvalidArgument => sp_code::SP_ERR_INVALID_ARGUMENT,
            ErrorKind::InvalidDsn => sp_code::SP_ERR_INVALID_DSN,
            ErrorKind::InvalidOption => sp_code::SP_ERR_INVALID_OPTION,
            ErrorKind::ConfigConflict => sp_code::SP_ERR_CONFIG_CONFLICT,
            ErrorKind::Connect => sp_code::SP_ERR_CONNECT,
            ErrorKind::Auth => sp_code::SP_ERR_AUTH,
            ErrorKind::Timeout => sp_code::SP_ERR_TIMEOUT,
            ErrorKind::PoolClosed => sp_code::SP_ERR_POOL_CLOSED,
            ErrorKind::Server => sp_code::SP_ERR_SERVER,
            ErrorKind::ConnectionLost => sp_code::SP_ERR_CONNECTION_LOST,
            ErrorKind::Cancelled => sp_code::SP_ERR_CANCELLED,
            ErrorKind::Internal => sp_code::SP_ERR_INTERNAL,
        }
    }
}

/// Every error kind in code order: the code of `KINDS[i]` is `i + 1`.
const KINDS: [ErrorKind; 12] = [
    ErrorKind::InvalidArgument,
    ErrorKind::InvalidDsn,
    ErrorKind::InvalidOption,
    ErrorKind::ConfigConflict,
    ErrorKind::Connect,
    ErrorKind::Auth,
    ErrorKind::Timeout,
    ErrorKind::PoolClosed,
    ErrorKind::Server,
    ErrorKind::ConnectionLost,
    ErrorKind::Cancelled,
    ErrorKind::Internal,
];

/// (ABI 1.1) The stable name of a code: "ok", "invalid_argument", "invalid_dsn",
/// "invalid_option", "config_conflict", "connect", "auth", "timeout", "pool_closed", "server",
/// "connection_lost", "cancelled", "internal"; "unknown" for a value this library does not
/// know. A static string, never freed. Thread-safe.
#[no_mangle]
pub extern "C" fn sp_code_name(code: c_int) -> *const c_char {
    forward!(sp_code_name(code));
    static NAMES: LazyLock<Vec<CString>> = LazyLock::new(|| {
        std::iter::once("ok")
            .chain(KINDS.iter().map(|k| k.name()))
            .map(|n| CString::new(n).expect("names have no NUL"))
            .collect()
    });
    infallible(c"unknown".as_ptr(), || {
        usize::try_from(code)
            .ok()
            .and_then(|i| NAMES.get(i))
            .map_or(c"unknown".as_ptr(), |n| n.as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_codes() {
        let name = |c| {
            // SAFETY: sp_code_name returns a static NUL-terminated string.
            unsafe { std::ffi::CStr::from_ptr(sp_code_name(c)) }
                .to_str()
                .unwrap()
        };
        assert_eq!(name(0), "ok");
        assert_eq!(name(sp_code::SP_ERR_INVALID_DSN as c_int), "invalid_dsn");
        assert_eq!(name(sp_code::SP_ERR_INTERNAL as c_int), "internal");
        assert_eq!(name(13), "unknown");
        assert_eq!(name(-1), "unknown");
    }

    #[test]
    fn codes_equal_error_kind_values() {
        for (i, kind) in KINDS.into_iter().enumerate() {
            assert_eq!(sp_code::from(kind) as u32, kind as u32);
            assert_eq!(kind as u32, i as u32 + 1);
        }
    }
}
