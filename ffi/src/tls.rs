//! `sp_tls_register`: named TLS settings for `tls=<name>` in DSNs and options.

use std::ffi::c_char;

use crate::boundary::{arg_opt_str, arg_str, call_code};
use crate::code::sp_code;
use crate::error::sp_error;
use crate::primary::forward;

/// (ABI 1.1) Registers (or replaces) `name` so that `tls=<name>` (in a DSN or an option) means
/// verify-identity with these files, as go-sql-driver's `RegisterTLSConfig`. `ca`, `cert` and
/// `key` are file paths, each nullable (NULL: the client library's default); `cert` and `key`
/// go together. Pools already open keep their settings. Errors: `SP_ERR_INVALID_ARGUMENT` for a
/// name that is empty, not `[A-Za-z0-9_-]`, or a TLS mode, and for a file that cannot be read.
/// Thread-safe; call it before the opens that name it.
#[no_mangle]
pub extern "C" fn sp_tls_register(
    name: *const c_char,
    ca: *const c_char,
    cert: *const c_char,
    key: *const c_char,
    err: *mut *mut sp_error,
) -> sp_code {
    forward!(sp_tls_register(name, ca, cert, key, err));
    const NAME: &str = "sp_tls_register";
    call_code(NAME, err, || {
        // SAFETY: each is NULL or a NUL-terminated string (documented).
        let (name, ca, cert, key) = unsafe {
            (
                arg_str(NAME, "name", name)?,
                arg_opt_str(NAME, "ca", ca)?,
                arg_opt_str(NAME, "cert", cert)?,
                arg_opt_str(NAME, "key", key)?,
            )
        };
        sharedpool::mysql::register_tls(name, ca, cert, key)
    })
}
