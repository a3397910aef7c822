//! `RawRows`: rows streamed from the server (`sp_rows`), converted to Python values straight
//! from the library's row buffer, one batch per `fetch`. `sharedpool.SSCursor` (Python, in
//! `sharedpool/_dbapi.py`) sits on top of it.

use std::ffi::c_char;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::errors::{cstr, programming_error, SpError};
use crate::ffi;
use crate::shutdown::detach;
use crate::values::{Kind, NOT_NULL_FLAG};

/// A streamed `sp_rows` pointer. The library checks it against its table of live handles, so
/// a freed one gives an error, never undefined behaviour.
#[derive(Clone, Copy)]
pub struct RowsPtr(pub *mut ffi::sp_rows);

// SAFETY: an sp_rows may be used from any thread, one at a time (RawRows serializes).
unsafe impl Send for RowsPtr {}

/// Rows of one statement, read on demand; the connection is busy until they end or `close()`.
#[pyclass(module = "sharedpool._sharedpool", frozen)]
pub struct RawRows {
    /// None once closed (or ended).
    rows: Mutex<Option<RowsPtr>>,
    kinds: Vec<Kind>,
    description: Option<Py<PyList>>,
    /// `(rows, affected rows, insert id)` read as the rows ended.
    last: Mutex<(u64, u64, u64)>,
}

impl RawRows {
    /// Wraps rows returned by `sp_conn_query_stream` (with the GIL held).
    pub fn new(py: Python<'_>, rows: RowsPtr) -> PyResult<RawRows> {
        let p = rows.0;
        // SAFETY: `p` is live; columns are in range; names are NUL-terminated and copied.
        let n = unsafe { ffi::sp_rows_column_count(p) };
        let types: Vec<(u32, u32)> = (0..n)
            // SAFETY: as above.
            .map(|c| unsafe {
                (
                    ffi::sp_rows_column_type(p, c),
                    ffi::sp_rows_column_flags(p, c),
                )
            })
            .collect();
        let description = if n == 0 {
            None
        } else {
            let cols = types.iter().enumerate().map(|(c, &(ty, flags))| {
                // SAFETY: as above.
                let name = unsafe { cstr(ffi::sp_rows_column_name(p, c)) };
                let null_ok = flags & NOT_NULL_FLAG == 0;
                (
                    name,
                    ty,
                    py.None(),
                    py.None(),
                    py.None(),
                    py.None(),
                    null_ok,
                )
            });
            Some(PyList::new(py, cols)?.unbind())
        };
        Ok(RawRows {
            rows: Mutex::new(Some(rows)),
            kinds: types.into_iter().map(Kind::of).collect(),
            description,
            last: Mutex::new((0, 0, 0)),
        })
    }

    /// The lock, without waiting: a thread in `fetch` holds it without the GIL, and waiting
    /// for it here with the GIL could deadlock.
    fn guard(&self) -> PyResult<std::sync::MutexGuard<'_, Option<RowsPtr>>> {
        match self.rows.try_lock() {
            Ok(g) => Ok(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => Err(programming_error(
                "the streaming cursor is in use by another thread",
            )),
        }
    }

    fn ptr(&self) -> PyResult<Option<RowsPtr>> {
        Ok(*self.guard()?)
    }

    /// Keeps the counts, then frees the rows (without the GIL: it may read a remainder).
    fn free(&self, py: Python<'_>) -> PyResult<()> {
        let taken = self.guard()?.take();
        if let Some(r) = taken {
            // SAFETY: `r` is a handle the library checks; taken out, so freed once here.
            let counts = unsafe {
                (
                    ffi::sp_rows_row_count(r.0),
                    ffi::sp_rows_affected_rows(r.0),
                    ffi::sp_rows_insert_id(r.0),
                )
            };
            *self.last.lock().unwrap_or_else(|p| p.into_inner()) = counts;
            // SAFETY: as above.
            detach(py, move || {
                let r = r;
                unsafe { ffi::sp_rows_free(r.0) }
            });
        }
        Ok(())
    }
}

#[pymethods]
impl RawRows {
    /// Up to `n` more rows as tuples; fewer (maybe none) at the end, after which the rows are
    /// closed and the connection free. Raises the error met mid-stream.
    fn fetch<'py>(&self, py: Python<'py>, n: usize) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        let Some(rows) = self.ptr()? else {
            return Ok(out);
        };
        let ncols = self.kinds.len();
        let mut data: Vec<*const c_char> = vec![std::ptr::null(); ncols];
        let mut lens: Vec<usize> = vec![0; ncols];
        let mut cells = Vec::with_capacity(ncols);
        for _ in 0..n {
            let guard = self.guard()?;
            let status = detach(py, move || {
                let rows = rows;
                let mut err = std::ptr::null_mut();
                // SAFETY: `rows` is a live handle used by this thread alone (the lock).
                let st = unsafe { ffi::sp_rows_next(rows.0, &mut err) };
                (st, ErrPtr(err))
            });
            drop(guard);
            match status {
                (ffi::SP_ROWS_ROW, _) => {}
                (ffi::SP_ROWS_END, _) => {
                    self.free(py)?;
                    break;
                }
                (_, ErrPtr(err)) => {
                    self.free(py)?;
                    return Err(SpError::take(ffi::SP_ERR_INTERNAL, err).into_pyerr(py));
                }
            }
            if ncols > 0 {
                // SAFETY: `rows` has a current row of `ncols` cells; the arrays have room.
                let code = unsafe {
                    ffi::sp_rows_cells(rows.0, data.as_mut_ptr(), lens.as_mut_ptr(), ncols)
                };
                if code != ffi::SP_OK {
                    return Err(
                        SpError::local(code, "reading the row's cells failed").into_pyerr(py)
                    );
                }
            }
            cells.clear();
            for (c, kind) in self.kinds.iter().enumerate() {
                cells.push(if data[c].is_null() {
                    py.None().into_bound(py)
                } else {
                    // SAFETY: the cell's bytes are valid until the next sp_rows_next/free on
                    // `rows`, which only this call makes (after converting).
                    let bytes =
                        unsafe { std::slice::from_raw_parts(data[c].cast::<u8>(), lens[c]) };
                    kind.convert(py, bytes)?
                });
            }
            out.append(PyTuple::new(py, cells.iter())?)?;
        }
        Ok(out)
    }

    /// PEP 249 `description`, None for a statement without rows.
    #[getter]
    fn description(&self, py: Python<'_>) -> Option<Py<PyList>> {
        self.description.as_ref().map(|d| d.clone_ref(py))
    }

    /// `(rows read so far, affected rows, insert id)`; the counts are known once the rows ended
    /// (at once for a statement without rows), 0 before.
    fn counts(&self) -> PyResult<(u64, u64, u64)> {
        let Some(r) = self.ptr()? else {
            return Ok(*self.last.lock().unwrap_or_else(|p| p.into_inner()));
        };
        // SAFETY: `r` is a live handle (or a freed one, which gives 0).
        Ok(unsafe {
            (
                ffi::sp_rows_row_count(r.0),
                ffi::sp_rows_affected_rows(r.0),
                ffi::sp_rows_insert_id(r.0),
            )
        })
    }

    /// Ends the rows: a short remainder is read, a long one ends the connection (the pool
    /// replaces it). Idempotent.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.free(py)
    }

    /// True once ended or closed.
    #[getter]
    fn closed(&self) -> PyResult<bool> {
        Ok(self.ptr()?.is_none())
    }
}

/// An `sp_error` pointer carried out of a GIL-free section.
struct ErrPtr(*mut ffi::sp_error);

// SAFETY: an sp_error is plain data owned by whoever holds it.
unsafe impl Send for ErrPtr {}

impl Drop for RawRows {
    fn drop(&mut self) {
        let taken = self
            .rows
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(r) = taken {
            // Dropped with the GIL held: free (it may do I/O) with the GIL released.
            // SAFETY: `r` is a handle the library checks, taken out so freed once.
            Python::attach(|py| {
                detach(py, move || {
                    let r = r;
                    unsafe { ffi::sp_rows_free(r.0) }
                })
            });
        }
    }
}
