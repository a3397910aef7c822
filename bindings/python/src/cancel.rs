//! `Cancel`: a cancellation token (`sp_cancel`) another thread may trigger to end an acquire's
//! wait and a running statement. `sharedpool.aio` gives one to each call it hands to a worker
//! thread and triggers it when the awaiting task is cancelled.

use pyo3::prelude::*;

use crate::errors::SpError;
use crate::ffi;

/// A cancellation token: `trigger()` ends, with `OperationalError` (cancelled), every wait for a
/// connection and every statement given this token, now and later.
#[pyclass(module = "sharedpool._sharedpool", frozen)]
pub struct Cancel(*mut ffi::sp_cancel);

// SAFETY: an sp_cancel is thread-safe (triggered from any thread while calls watch it).
unsafe impl Send for Cancel {}
// SAFETY: as above.
unsafe impl Sync for Cancel {}

/// The token of an optional `cancel` for a call's options (NULL: none); valid while the
/// borrow lives. A `&Cancel` may cross into a GIL-free section: `Cancel` is `Sync`.
pub fn ptr(cancel: Option<&Cancel>) -> *const ffi::sp_cancel {
    cancel.map_or(std::ptr::null(), |c| c.0)
}

#[pymethods]
impl Cancel {
    #[new]
    fn new(py: Python<'_>) -> PyResult<Cancel> {
        // SAFETY: no preconditions.
        let c = unsafe { ffi::sp_cancel_new() };
        if c.is_null() {
            return Err(SpError::local(ffi::SP_ERR_INTERNAL, "sp_cancel_new failed").into_pyerr(py));
        }
        Ok(Cancel(c))
    }

    /// Cancels the waits and statements watching this token. Thread-safe, idempotent.
    fn trigger(&self) {
        // SAFETY: self.0 is live until drop; triggering is thread-safe.
        unsafe { ffi::sp_cancel_trigger(self.0) }
    }
}

impl Drop for Cancel {
    fn drop(&mut self) {
        // SAFETY: no call borrows the token any more (each borrows it through a Python
        // reference that outlives the call), and it is freed once.
        unsafe { ffi::sp_cancel_free(self.0) }
    }
}
