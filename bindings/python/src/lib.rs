//! `sharedpool._sharedpool`: the native half of the Python package, a thin layer over the C ABI
//! of `libsharedpool.so` (linked dynamically, shipped next to this module as
//! `libsharedpool.so.1`, found through an `$ORIGIN` rpath). It never links the core crate: the
//! Python module and any C code in the process share one registry.

#![deny(unsafe_op_in_unsafe_fn)]

mod acquire;
mod cancel;
mod connection;
mod errors;
#[allow(non_camel_case_types, non_upper_case_globals, dead_code)]
mod ffi;
mod handoff;
mod log;
mod params;
mod pool;
mod rows;
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

/// Registers (or replaces) `name` so that `tls=name` (DSN or option) means verify-identity
/// with these PEM files (None: the client library's default), as go-sql-driver's
/// RegisterTLSConfig. Raises ProgrammingError for a bad name or an unreadable file.
#[pyfunction]
#[pyo3(signature = (name, ca=None, cert=None, key=None))]
fn register_tls(
    py: Python<'_>,
    name: &str,
    ca: Option<&str>,
    cert: Option<&str>,
    key: Option<&str>,
) -> PyResult<()> {
    let c = |what: &str, s: &str| {
        std::ffi::CString::new(s)
            .map_err(|_| errors::programming_error(format!("{what} contains a NUL character")))
    };
    let name = c("the name", name)?;
    let [ca, cert, key] = [ca, cert, key].map(|p| p.map(|p| c("a path", p)).transpose());
    let (ca, cert, key) = (ca?, cert?, key?);
    let ptr = |p: &Option<std::ffi::CString>| p.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    let mut err = std::ptr::null_mut();
    // SAFETY: the strings are NUL-terminated or NULL and live for the call; err is valid.
    let code =
        unsafe { ffi::sp_tls_register(name.as_ptr(), ptr(&ca), ptr(&cert), ptr(&key), &mut err) };
    if code != ffi::SP_OK {
        return Err(errors::SpError::take(code, err).into_pyerr(py));
    }
    Ok(())
}

#[pymodule]
fn _sharedpool(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    acquire::init(m.py())?;
    shutdown::init(m)?;
    m.add_class::<pool::Pool>()?;
    m.add_class::<connection::RawConnection>()?;
    m.add_class::<rows::RawRows>()?;
    m.add_class::<cancel::Cancel>()?;
    m.add_class::<handoff::Handoff>()?;
    m.add_function(wrap_pyfunction!(metrics_text, m)?)?;
    m.add_function(wrap_pyfunction!(library_version, m)?)?;
    m.add_function(wrap_pyfunction!(abi_version, m)?)?;
    m.add_function(wrap_pyfunction!(register_tls, m)?)?;
    m.add_function(wrap_pyfunction!(log::set_log_handler, m)?)?;
    Ok(())
}
