//! The C ABI of sharedpool: `libsharedpool.so` / `libsharedpool.a` and `include/sharedpool.h`.
//!
//! Every exported function goes through one template ([`boundary`]): panics are caught and
//! become `SP_ERR_INTERNAL`, every pointer is checked, errors come back as an `sp_code` plus an
//! optional `sp_error` object, and out-parameters are written only on success.
//!
//! Handles: `sp_pool`, `sp_conn` and `sp_rows` are looked up in a table of live handles ([`handles`])
//! before use, so a released (or never issued) pointer is reported as
//! `SP_ERR_INVALID_ARGUMENT` instead of being dereferenced. The other objects (`sp_options`,
//! `sp_result`, `sp_error`, `sp_cancel`) are plain heap objects: NULL is checked, a dangling
//! pointer is not detectable.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
#![allow(non_camel_case_types)]

// Internals.
mod boundary;
mod handles;
mod params;
mod primary;

// The API, in the order the header lists it (cbindgen keeps the order of `mod` lines).
mod version;

mod code;

mod error;

mod options;

mod tls;

mod pool;

mod conn;

mod result;

mod rows;

mod column;

mod stats;

mod metrics;

mod cancel;

mod log;

pub use cancel::{sp_acquire_options, sp_cancel, sp_interrupt_fn};
pub use code::sp_code;
pub use column::{sp_column_kind, SP_FLAG_BINARY, SP_FLAG_NOT_NULL, SP_FLAG_UNSIGNED};
pub use conn::sp_conn;
pub use error::sp_error;
pub use log::sp_log_fn;
pub use options::sp_options;
pub use params::{sp_param, sp_param_kind};
pub use pool::sp_pool;
pub use result::sp_result;
pub use rows::{sp_rows, sp_rows_status};
pub use stats::sp_stats;
pub use version::{SP_ABI_VERSION_MAJOR, SP_ABI_VERSION_MINOR};
