//! `Pool`: a counted reference to the process-wide pool of one target (`sp_pool`).

use std::ffi::CString;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::acquire::{acquire, Interrupt, Wait};
use crate::cancel::Cancel;
use crate::connection::{query_raw, RawConnection};
use crate::errors::{interface_error, SpError};
use crate::ffi;
use crate::params::{prepare, Call};
use crate::shutdown::detach;
use crate::values::ResultSet;

/// One reference to a library pool; releasing the last one closes the pool.
pub struct Handle(pub *mut ffi::sp_pool);

// SAFETY: an sp_pool handle is thread-safe (every sp_pool_* call may run concurrently).
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: self.0 is a live reference, released exactly once (here).
        unsafe { ffi::sp_pool_release(self.0) }
    }
}

/// A shared pool, from `sharedpool.open(dsn, **options)`.
#[pyclass(module = "sharedpool._sharedpool", subclass, frozen)]
pub struct Pool {
    handle: Mutex<Option<Arc<Handle>>>,
}

impl Pool {
    /// The live handle; in-flight calls keep it alive after `close()`.
    pub fn handle(&self) -> PyResult<Arc<Handle>> {
        match &*self.handle.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(h) => Ok(h.clone()),
            None => Err(interface_error("the pool is closed")),
        }
    }

    /// Checks a connection out, runs one statement, returns the connection, all without the GIL.
    fn run(
        &self,
        py: Python<'_>,
        sql: &str,
        params: Option<&Bound<'_, PyAny>>,
        cancel: Option<&Bound<'_, Cancel>>,
    ) -> PyResult<ResultSet> {
        let prepared = prepare(py, sql, params)?;
        let call = prepared.call();
        let handle = self.handle()?;
        let interrupt = Interrupt::default();
        let cancel = cancel.map(Bound::get);
        let wait = Wait {
            cancel,
            ..Wait::default()
        };
        let out = detach(py, || {
            let res = query_once(&handle, wait, &interrupt, call);
            drop(handle);
            res
        });
        drop(prepared);
        out.map_err(|e| interrupt.error(py, e))
    }
}

/// Checks a connection out of `pool`, runs one statement on it (stopped by `wait.cancel` too)
/// and returns it: `Pool.query` / `Pool.execute` (call without the GIL).
pub fn query_once(
    pool: &Handle,
    wait: Wait<'_>,
    interrupt: &Interrupt,
    call: Call,
) -> Result<ResultSet, SpError> {
    let conn = acquire(pool.0, wait, interrupt)?;
    let res = query_raw(conn, call, wait.cancel);
    conn.release();
    res
}

/// Seconds (>= 0, finite) as whole milliseconds, for the argument `what`.
pub fn millis(what: &str, seconds: f64) -> PyResult<i64> {
    if seconds >= 0.0 && seconds.is_finite() {
        Ok((seconds * 1000.0).round() as i64)
    } else {
        Err(pyo3::exceptions::PyValueError::new_err(format!(
            "{what} must be >= 0 seconds, got {seconds}"
        )))
    }
}

/// An option value as the string `sp_options_set` parses.
fn option_value(key: &str, v: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(b) = v.cast::<PyBool>() {
        Ok(if b.is_true() { "true" } else { "false" }.to_owned())
    } else if v.is_instance_of::<PyString>()
        || v.is_instance_of::<PyInt>()
        || v.is_instance_of::<PyFloat>()
    {
        Ok(v.str()?.to_str()?.to_owned())
    } else {
        let ty = v.get_type().name()?;
        Err(interface_error(format!(
            "option {key}: expected str, int, float or bool, got {ty}"
        )))
    }
}

/// Owned `sp_options`, freed on drop.
struct Options(*mut ffi::sp_options);

// SAFETY: plain data owned by one thread at a time.
unsafe impl Send for Options {}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: self.0 came from sp_options_new and is freed once.
        unsafe { ffi::sp_options_free(self.0) }
    }
}

pub fn cstring(what: &str, s: &str) -> PyResult<CString> {
    CString::new(s).map_err(|_| interface_error(format!("{what} contains a NUL character")))
}

#[pymethods]
impl Pool {
    /// Opens (or joins) the shared pool of `dsn`. Options are the library's option names
    /// (`max_size=8`, `acquire_timeout_ms=500`, …); values may be str, int, float or bool.
    #[new]
    #[pyo3(signature = (dsn, /, **options))]
    fn new(py: Python<'_>, dsn: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<Pool> {
        // The DSN may hold the password: this copy is wiped when dropped.
        let dsn = zeroize::Zeroizing::new(cstring("the DSN", dsn)?);
        // SAFETY: sp_options_new has no preconditions.
        let opts = Options(unsafe { ffi::sp_options_new() });
        if opts.0.is_null() {
            return Err(
                SpError::local(ffi::SP_ERR_INTERNAL, "sp_options_new failed").into_pyerr(py),
            );
        }
        for (k, v) in options.into_iter().flat_map(|d| d.iter()) {
            let key: String = k.extract()?;
            let value = option_value(&key, &v)?;
            let (ck, cv) = (
                cstring("an option name", &key)?,
                cstring("an option value", &value)?,
            );
            let mut err = std::ptr::null_mut();
            // SAFETY: opts is live; the strings are NUL-terminated; err is a valid out-pointer.
            let code = unsafe { ffi::sp_options_set(opts.0, ck.as_ptr(), cv.as_ptr(), &mut err) };
            if code != ffi::SP_OK {
                return Err(SpError::take(code, err).into_pyerr(py));
            }
        }
        let out = detach(py, move || {
            let mut err = std::ptr::null_mut();
            // SAFETY: dsn is NUL-terminated, opts live; err a valid out-pointer.
            let p = unsafe { ffi::sp_pool_open(dsn.as_ptr(), opts.0, &mut err) };
            drop(opts);
            if p.is_null() {
                Err(SpError::take(ffi::SP_ERR_INTERNAL, err))
            } else {
                Ok(Handle(p))
            }
        });
        let handle = out.map_err(|e| e.into_pyerr(py))?;
        Ok(Pool {
            handle: Mutex::new(Some(Arc::new(handle))),
        })
    }

    /// Runs one statement on a pooled connection; returns its rows as a list of tuples.
    /// Triggering `cancel` (from another thread) ends the wait for a connection or stops the
    /// running statement on the server.
    #[pyo3(signature = (sql, params=None, *, cancel=None))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        sql: &str,
        params: Option<&Bound<'py, PyAny>>,
        cancel: Option<&Bound<'py, Cancel>>,
    ) -> PyResult<Bound<'py, PyList>> {
        self.run(py, sql, params, cancel)?.rows(py)
    }

    /// Runs one statement on a pooled connection; returns the number of affected rows.
    /// `cancel` as for `query`.
    #[pyo3(signature = (sql, params=None, *, cancel=None))]
    fn execute(
        &self,
        py: Python<'_>,
        sql: &str,
        params: Option<&Bound<'_, PyAny>>,
        cancel: Option<&Bound<'_, Cancel>>,
    ) -> PyResult<u64> {
        Ok(self.run(py, sql, params, cancel)?.affected_rows())
    }

    /// Checks a connection out (waits at most `timeout` seconds; None: the pool's
    /// acquire_timeout). Ctrl-C interrupts the wait. `label` names the borrower in leak warnings;
    /// triggering `cancel` (from another thread) ends the wait.
    #[pyo3(signature = (timeout=None, label=None, *, cancel=None))]
    fn acquire(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        label: Option<&str>,
        cancel: Option<&Bound<'_, Cancel>>,
    ) -> PyResult<RawConnection> {
        let timeout_ms = match timeout {
            None => -1,
            Some(t) => millis("timeout", t)?,
        };
        let label = label.map(|l| cstring("the label", l)).transpose()?;
        let handle = self.handle()?;
        let interrupt = Interrupt::default();
        let wait = Wait {
            timeout_ms,
            label: label.as_deref(),
            cancel: cancel.map(Bound::get),
            waited_ms: 0,
        };
        let out = detach(py, || {
            let conn = acquire(handle.0, wait, &interrupt);
            drop(handle);
            conn
        });
        let conn = out.map_err(|e| interrupt.error(py, e))?;
        Ok(RawConnection::new(conn))
    }

    /// Every `sp_stats` field by name (the three measured rates as floats).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let handle = self.handle()?;
        let mut s = ffi::sp_stats {
            size: std::mem::size_of::<ffi::sp_stats>() as u32,
            ..Default::default()
        };
        // SAFETY: handle is live; s is a valid sp_stats with its size set.
        let code = unsafe { ffi::sp_pool_stats(handle.0, &mut s) };
        if code != ffi::SP_OK {
            return Err(SpError::local(code, "sp_pool_stats failed").into_pyerr(py));
        }
        let d = PyDict::new(py);
        for (k, v) in [
            ("refs", s.refs),
            ("max_size", s.max_size),
            ("total", s.total),
            ("idle", s.idle),
            ("active", s.active),
            ("waiting", s.waiting),
            ("connecting", s.connecting),
            ("recommended_size", s.recommended_size),
            ("capacity_cap", s.capacity_cap),
        ] {
            d.set_item(k, v)?;
        }
        for (k, v) in [
            ("acquires_total", s.acquires_total),
            ("timeouts_total", s.timeouts_total),
            ("created_total", s.created_total),
            ("closed_total", s.closed_total),
            ("resets_total", s.resets_total),
            ("connect_errors_total", s.connect_errors_total),
            ("cancelled_total", s.cancelled_total),
            ("leaks_total", s.leaks_total),
            ("wait_time_us_total", s.wait_time_us_total),
            ("wait_time_us_max", s.wait_time_us_max),
            ("hold_time_us_total", s.hold_time_us_total),
        ] {
            d.set_item(k, v)?;
        }
        for (k, v) in [
            ("arrival_rate", s.arrival_rate),
            ("hold_time_avg", s.hold_time_avg),
            ("demand", s.demand),
        ] {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    /// Releases this reference (the pool closes with its last reference). Idempotent.
    fn close(&self, py: Python<'_>) {
        let h = self.handle.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = h {
            detach(py, move || drop(h));
        }
    }

    /// True once `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.handle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> bool {
        self.close(py);
        false
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let h = self
            .handle
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(h) = h {
            // Closing may do I/O: do it with the GIL released.
            Python::attach(|py| detach(py, move || drop(h)));
        }
    }
}
