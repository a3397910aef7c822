//! `sp_metrics_text` and `sp_string_free`: Prometheus text for every pool in the process.

use std::ffi::{c_char, CString};

use crate::boundary::{infallible, text};
use crate::primary::forward;

/// Prometheus text exposition format for every live pool in the process (all languages), with
/// a `pool` label per series that never contains a password. Returns a new string to free with
/// `sp_string_free`; NULL only on an internal error. Thread-safe.
#[no_mangle]
pub extern "C" fn sp_metrics_text() -> *mut c_char {
    forward!(sp_metrics_text());
    infallible(std::ptr::null_mut(), || {
        text(&sharedpool::metrics_text()).into_raw()
    })
}

/// Frees a string returned by this library (`sp_metrics_text`). NULL is fine; must not be called
/// twice. Thread-safe.
#[no_mangle]
pub extern "C" fn sp_string_free(s: *mut c_char) {
    forward!(sp_string_free(s));
    infallible((), || {
        if !s.is_null() {
            // SAFETY: non-NULL `s` came from `CString::into_raw` in this library, freed once.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}
