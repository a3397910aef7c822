//! The logging bridge: `sp_set_log_callback` delivers pool events to a Python handler
//! (`sharedpool._log.emit`, set at import), which logs them on `logging.getLogger("sharedpool")`.
//!
//! The library calls [`on_event`] on its own threads and on Python threads inside library calls.
//! It takes the GIL only through [`attach_unless_exiting`]: during interpreter exit an event is
//! dropped, never delivered. No panic and no Python exception leaves the callback.

use std::ffi::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use pyo3::prelude::*;

use crate::errors::cstr;
use crate::ffi;
use crate::shutdown::attach_unless_exiting;

/// The Python callable `(level, message)` events go to; None: events are dropped.
static HANDLER: Mutex<Option<Py<PyAny>>> = Mutex::new(None);

/// `sp_log_fn`: hands one event to the Python handler.
///
/// # Safety
/// `message` is NULL or a NUL-terminated string valid for the call (the library's promise).
unsafe extern "C" fn on_event(_ctx: *mut c_void, level: c_int, message: *const c_char) {
    if message.is_null() {
        return;
    }
    // SAFETY: message is a NUL-terminated string valid during this call.
    let text = unsafe { cstr(message) };
    let deliver = || {
        attach_unless_exiting(|py| {
            let handler = HANDLER
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .map(|h| h.clone_ref(py));
            if let Some(h) = handler {
                if let Err(e) = h.call1(py, (level, text)) {
                    e.write_unraisable(py, None);
                }
            }
        });
    };
    // No panic may cross the C boundary.
    let _ = catch_unwind(AssertUnwindSafe(deliver));
}

/// Sends the library's pool events to `handler(level, message)` (level 1 error, 2 warning,
/// 3 info, 4 debug); None stops them. The callback is process-wide: it replaces one set by
/// other code in the process (the Go binding's SetLogger, a C program) and vice versa.
#[pyfunction]
#[pyo3(signature = (handler))]
pub fn set_log_handler(py: Python<'_>, handler: Option<Py<PyAny>>) -> PyResult<()> {
    if let Some(h) = &handler {
        if !h.bind(py).is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "the log handler must be callable or None",
            ));
        }
    }
    let on = handler.is_some();
    let old = std::mem::replace(
        &mut *HANDLER.lock().unwrap_or_else(|p| p.into_inner()),
        handler,
    );
    drop(old);
    // SAFETY: on_event is usable from any thread for the life of the process and ignores ctx.
    unsafe {
        ffi::sp_set_log_callback(if on { Some(on_event) } else { None }, std::ptr::null_mut())
    };
    Ok(())
}
