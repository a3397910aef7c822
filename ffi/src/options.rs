//! `sp_options`: string key/value options for `sp_pool_open`, checked as they are set.

use std::ffi::c_char;

use sharedpool::{Error, Options};

use crate::boundary::{arg_mut, arg_str, call_code, infallible};
use crate::code::sp_code;
use crate::error::sp_error;
use crate::primary::forward;

/// A set of pool options (`max_size`, `acquire_timeout_ms`, ...), the same names as the DSN's
/// query string. Created by `sp_options_new`, freed by `sp_options_free`.
pub struct sp_options {
    /// Parsed so far: catches unknown keys and bad values at `sp_options_set`.
    parsed: Options,
    /// The pairs as given, in order, for `sharedpool::open`.
    pairs: Vec<(String, String)>,
}

impl sp_options {
    /// The pairs as `sharedpool::open` takes them.
    pub(crate) fn pairs(&self) -> Vec<(&str, &str)> {
        self.pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), Error> {
        self.parsed.set(key, value)?;
        self.pairs.push((key.to_string(), value.to_string()));
        Ok(())
    }
}

/// A new, empty option set (NULL only if out of memory). Free it with `sp_options_free`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn sp_options_new() -> *mut sp_options {
    forward!(sp_options_new());
    infallible(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(sp_options {
            parsed: Options::default(),
            pairs: Vec::new(),
        }))
    })
}

/// Sets option `key` to `value` (both UTF-8, NUL-terminated, borrowed). A later value for the
/// same key replaces the earlier one. Returns `SP_OK`, or `SP_ERR_INVALID_OPTION` for an
/// unknown key or a value that does not parse (the set is unchanged), or
/// `SP_ERR_INVALID_ARGUMENT` for a NULL/non-UTF-8 argument; details in `*err` when `err` is
/// not NULL. Not thread-safe for one `o`: do not use `o` from two threads at once.
#[no_mangle]
pub extern "C" fn sp_options_set(
    o: *mut sp_options,
    key: *const c_char,
    value: *const c_char,
    err: *mut *mut sp_error,
) -> sp_code {
    forward!(sp_options_set(o, key, value, err));
    const NAME: &str = "sp_options_set";
    call_code(NAME, err, || {
        // SAFETY: `o` is NULL or a live option set not used elsewhere now (documented).
        let o = unsafe { arg_mut(NAME, "options", o) }?;
        // SAFETY: `key` and `value` are NULL or NUL-terminated strings (documented).
        let key = unsafe { arg_str(NAME, "key", key) }?;
        // SAFETY: as above.
        let value = unsafe { arg_str(NAME, "value", value) }?;
        o.set(key, value)
    })
}

/// Frees an option set. NULL is fine; must not be called twice for one set.
/// Pools opened with it do not need it any more. Not while another thread uses `o`.
#[no_mangle]
pub extern "C" fn sp_options_free(o: *mut sp_options) {
    forward!(sp_options_free(o));
    infallible((), || {
        if !o.is_null() {
            // SAFETY: non-NULL `o` came from `Box::into_raw` in `sp_options_new`, freed once.
            drop(unsafe { Box::from_raw(o) });
        }
    })
}
