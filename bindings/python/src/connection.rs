//! `RawConnection`: one borrowed connection. The PEP 249 `Connection`/`Cursor` (Python, in
//! `sharedpool/_dbapi.py`) sit on top of it.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::acquire::ConnPtr;
use crate::cancel::Cancel;
use crate::errors::SpError;
use crate::ffi;
use crate::params::{prepare, Call};
use crate::rows::{RawRows, RowsPtr};
use crate::shutdown::detach;
use crate::values::ResultSet;

/// A connection checked out of a pool; `release()` returns it. Safe to share between threads
/// (calls are serialized); a connection is used by one statement at a time.
#[pyclass(module = "sharedpool._sharedpool", frozen)]
pub struct RawConnection {
    conn: Mutex<Option<ConnPtr>>,
}

impl RawConnection {
    pub fn new(conn: ConnPtr) -> RawConnection {
        RawConnection {
            conn: Mutex::new(Some(conn)),
        }
    }

    /// Takes the connection out (to release or discard it); None once released.
    pub fn take(&self) -> Option<ConnPtr> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// `sp_conn_set_autocommit` (no I/O, but serialized with a statement running on the
    /// connection: call without the GIL).
    pub fn set_autocommit(&self, on: bool) -> Result<(), SpError> {
        let guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let Some(conn) = *guard else {
            return Err(SpError::local(
                ffi::SP_ERR_POOL_CLOSED,
                "the connection is closed",
            ));
        };
        let mut err = std::ptr::null_mut();
        // SAFETY: conn is a live connection; err is a valid out-parameter.
        let code = unsafe { ffi::sp_conn_set_autocommit(conn.0, on, &mut err) };
        if code == ffi::SP_OK {
            Ok(())
        } else {
            Err(SpError::take(code, err))
        }
    }

    /// Runs one statement on the connection (call without the GIL); serialized with every other
    /// call on it.
    pub fn run(&self, call: Call, cancel: Option<&Cancel>) -> Result<ResultSet, SpError> {
        let guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        match *guard {
            Some(conn) => query_raw(conn, call, cancel),
            None => Err(SpError::local(
                ffi::SP_ERR_POOL_CLOSED,
                "the connection is closed",
            )),
        }
    }
}

/// Runs one statement on `conn` (call without the GIL); triggering `cancel` stops it.
pub fn query_raw(conn: ConnPtr, call: Call, cancel: Option<&Cancel>) -> Result<ResultSet, SpError> {
    let mut err = std::ptr::null_mut();
    let r = if cancel.is_none() {
        // SAFETY: conn is a live connection used by this thread alone; call points to live data.
        unsafe { ffi::sp_conn_query(conn.0, call.sql, call.params, call.n, &mut err) }
    } else {
        let o = ffi::sp_query_options {
            size: std::mem::size_of::<ffi::sp_query_options>() as u32,
            timeout_ms: 0,
            cancel: crate::cancel::ptr(cancel),
        };
        // SAFETY: as above; o is valid for the call and the token is borrowed for it.
        unsafe { ffi::sp_conn_query_ex(conn.0, call.sql, call.params, call.n, &o, &mut err) }
    };
    if r.is_null() {
        Err(SpError::take(ffi::SP_ERR_INTERNAL, err))
    } else {
        Ok(ResultSet::new(r))
    }
}

/// `(rows, description, rowcount, lastrowid)` of a statement's result (rows and description
/// None for a statement without a result set).
pub fn result_tuple<'py>(py: Python<'py>, res: ResultSet) -> PyResult<Bound<'py, PyTuple>> {
    let lastrowid = match res.insert_id() {
        0 => None,
        id => Some(id),
    };
    if res.column_count() == 0 {
        let rowcount = res.affected_rows() as i64;
        (py.None(), py.None(), rowcount, lastrowid).into_pyobject(py)
    } else {
        let rows: Bound<'py, PyList> = res.rows(py)?;
        let description = res.description(py)?;
        (rows, description, res.row_count() as i64, lastrowid).into_pyobject(py)
    }
}

/// Starts streaming one statement on `conn` (call without the GIL).
fn stream_raw(conn: ConnPtr, call: Call) -> Result<RowsPtr, SpError> {
    let mut rows = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    // SAFETY: conn is a live connection used by this thread alone; call points to live data;
    // rows and err are valid out-parameters.
    let code = unsafe {
        ffi::sp_conn_query_stream(conn.0, call.sql, call.params, call.n, &mut rows, &mut err)
    };
    if code != ffi::SP_OK {
        return Err(SpError::take(code, err));
    }
    Ok(RowsPtr(rows))
}

#[pymethods]
impl RawConnection {
    /// Runs `sql` with `%s` (sequence) or `%(name)s` (dict) parameters. Returns
    /// `(rows, description, rowcount, lastrowid)`; rows and description are None for a
    /// statement without a result set. Triggering `cancel` stops the statement on the server
    /// (the connection is then closed at release).
    #[pyo3(signature = (sql, params=None, *, cancel=None))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        sql: &str,
        params: Option<&Bound<'py, PyAny>>,
        cancel: Option<&Bound<'py, Cancel>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let prepared = prepare(py, sql, params)?;
        let call = prepared.call();
        let cancel = cancel.map(Bound::get);
        let out = detach(py, || self.run(call, cancel));
        drop(prepared);
        result_tuple(py, out.map_err(|e| e.into_pyerr(py))?)
    }

    /// Runs `sql` like `query` and streams its rows: returns a `RawRows` to `fetch` from. The
    /// connection is busy (other statements fail) until the rows end or are closed.
    #[pyo3(signature = (sql, params=None))]
    fn query_stream<'py>(
        &self,
        py: Python<'py>,
        sql: &str,
        params: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<RawRows> {
        let prepared = prepare(py, sql, params)?;
        let call = prepared.call();
        let out = detach(py, || {
            let guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
            match *guard {
                Some(conn) => stream_raw(conn, call),
                None => Err(SpError::local(
                    ffi::SP_ERR_POOL_CLOSED,
                    "the connection is closed",
                )),
            }
        });
        drop(prepared);
        let rows = out.map_err(|e| e.into_pyerr(py))?;
        RawRows::new(py, rows)
    }

    /// Chooses autocommit for this borrow (off: the first statement opens a transaction, with
    /// no `BEGIN` round trip). Applied before the next statement, with one `SET autocommit`
    /// only when the session is in the other mode; the next borrower starts in the default.
    #[pyo3(name = "set_autocommit")]
    fn py_set_autocommit(&self, py: Python<'_>, on: bool) -> PyResult<()> {
        detach(py, || self.set_autocommit(on)).map_err(|e| e.into_pyerr(py))
    }

    /// Returns the connection to its pool (an open transaction is rolled back, a changed session
    /// reset). Idempotent.
    fn release(&self, py: Python<'_>) {
        if let Some(c) = self.take() {
            detach(py, move || c.release());
        }
    }

    /// Closes the connection instead of returning it to the pool. Idempotent.
    fn discard(&self, py: Python<'_>) {
        if let Some(c) = self.take() {
            detach(py, move || c.discard());
        }
    }

    /// True once released or discarded.
    #[getter]
    fn closed(&self) -> bool {
        self.conn
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }
}

impl Drop for RawConnection {
    fn drop(&mut self) {
        if let Some(c) = self.take() {
            // Dropped with the GIL held: release (it may do I/O) with the GIL released.
            Python::attach(|py| detach(py, move || c.release()));
        }
    }
}
