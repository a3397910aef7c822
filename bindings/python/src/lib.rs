//! `sharedpool._sharedpool`: the native half of the Python package, a thin layer over the C ABI
//! of `libsharedpool.so` (linked dynamically, shipped next to this module as
//! `libsharedpool.so.1`, found through an `$ORIGIN` rpath). It never links the core crate: the
//! Python module and any C code in the process share one registry.

#![deny(unsafe_op_in_unsafe_fn)]

mod acquire;
mod connection;
mod errors;
mod ffi;
mod log;
mod params;
mod pool;
mod shutdown;
mod values;

use pyo3::prelude::*;

/// Prometheus text exposition of every pool in the process.
#[pyfunction]
fn metrics_text() -> String {
    // SAFETY: no preconditions; the returned string is freed once with sp_string_free.
    unsafe {
        let s = ffi::sp_metrics_text();
        let text = errors::cstr(s);
        if !s.is_null() {
            ffi::sp_string_free(s);
        }
        text
    }
}

/// The version of the loaded libsharedpool.
#[pyfunction]
fn library_version() -> String {
    // SAFETY: sp_version returns a static NUL-terminated string.
    unsafe { errors::cstr(ffi::sp_version()) }
}

/// The C ABI version of the loaded libsharedpool: (major, minor).
#[pyfunction]
fn abi_version() -> (u32, u32) {
    // SAFETY: no preconditions.
    let v = unsafe { ffi::sp_abi_version() };
    (v >> 16, v & 0xffff)
}

#[pymodule]
fn _sharedpool(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    acquire::init(m.py())?;
    shutdown::init(m)?;
    m.add_class::<pool::Pool>()?;
    m.add_class::<connection::RawConnection>()?;
    m.add_function(wrap_pyfunction!(metrics_text, m)?)?;
    m.add_function(wrap_pyfunction!(library_version, m)?)?;
    m.add_function(wrap_pyfunction!(abi_version, m)?)?;
    m.add_function(wrap_pyfunction!(log::set_log_handler, m)?)?;
    Ok(())
}
