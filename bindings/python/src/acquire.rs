//! Checking a connection out without the GIL, cancellable by Ctrl-C: while (and only while)
//! the thread waits, the library polls [`poll_signals`], which briefly re-takes the GIL to run
//! Python's signal handlers and keeps the exception they raise (KeyboardInterrupt). Only Python's
//! main thread runs signal handlers, so other threads wait without polling (and without taking
//! the GIL at each wake-up).

use std::ffi::{c_void, CStr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};

use pyo3::prelude::*;

use crate::cancel::Cancel;
use crate::errors::SpError;
use crate::ffi;

/// A borrowed connection pointer (the library's `sp_conn`).
#[derive(Clone, Copy)]
pub struct ConnPtr(pub *mut ffi::sp_conn);

// SAFETY: an sp_conn may be used from any thread, one thread at a time (callers serialize).
unsafe impl Send for ConnPtr {}

impl ConnPtr {
    /// Returns the connection to its pool (may do I/O: call without the GIL).
    pub fn release(self) {
        // SAFETY: self.0 is a live connection; callers release each ConnPtr once.
        unsafe { ffi::sp_conn_release(self.0) }
    }

    /// Closes the connection instead of returning it (may do I/O: call without the GIL).
    pub fn discard(self) {
        // SAFETY: self.0 is a live connection; callers discard each ConnPtr once.
        unsafe { ffi::sp_conn_discard(self.0) }
    }
}

/// The exception raised by a signal handler during a wait, if any.
#[derive(Default)]
pub struct Interrupt {
    raised: Mutex<Option<PyErr>>,
}

impl Interrupt {
    /// The Python exception for a failed acquire or query: the handler's exception when the wait
    /// was cancelled by it, else the mapped library error.
    pub fn error(&self, py: Python<'_>, e: SpError) -> PyErr {
        if e.code == ffi::SP_ERR_CANCELLED {
            if let Some(raised) = self.raised.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return raised;
            }
        }
        e.into_pyerr(py)
    }
}

/// `sp_interrupt_fn`: runs pending Python signal handlers; true (cancel) when one raised.
///
/// # Safety
/// `ctx` points to the [`Interrupt`] given to [`acquire`], alive while the library calls this.
unsafe extern "C" fn poll_signals(ctx: *mut c_void) -> bool {
    if crate::shutdown::must_not_attach() {
        return false;
    }
    let run = || {
        // SAFETY: ctx is the &Interrupt passed by `acquire`, alive for the whole wait.
        let state = unsafe { &*(ctx as *const Interrupt) };
        Python::attach(|py| match py.check_signals() {
            Ok(()) => false,
            Err(e) => {
                *state.raised.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                true
            }
        })
    };
    // No panic may cross the C boundary.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or(false)
}

/// Python's main thread as `pthread_self()` (what `threading.main_thread().ident` holds).
static MAIN_THREAD: AtomicU64 = AtomicU64::new(0);

/// After `fork()` the forking thread is the child's only thread, and Python's main thread.
extern "C" fn main_thread_after_fork() {
    // SAFETY: pthread_self has no preconditions and is async-signal-safe.
    MAIN_THREAD.store(unsafe { libc::pthread_self() } as u64, Ordering::Relaxed);
}

/// Records Python's main thread; called when the module is imported.
pub fn init(py: Python<'_>) -> PyResult<()> {
    let main = py.import("threading")?.call_method0("main_thread")?;
    MAIN_THREAD.store(main.getattr("ident")?.extract()?, Ordering::Relaxed);
    static AT_FORK: Once = Once::new();
    AT_FORK.call_once(|| {
        // SAFETY: the handler only stores an atomic, as a post-fork child handler must.
        unsafe { libc::pthread_atfork(None, None, Some(main_thread_after_fork)) };
    });
    Ok(())
}

fn on_main_thread() -> bool {
    // SAFETY: pthread_self has no preconditions.
    (unsafe { libc::pthread_self() } as u64) == MAIN_THREAD.load(Ordering::Relaxed)
}

/// How one acquire waits, besides Ctrl-C on the main thread.
#[derive(Clone, Copy)]
pub struct Wait<'a> {
    /// The longest wait; negative: the pool's `acquire_timeout_ms`.
    pub timeout_ms: i64,
    /// Names the borrower in leak warnings.
    pub label: Option<&'a CStr>,
    /// Ends the wait when triggered.
    pub cancel: Option<&'a Cancel>,
    /// Already waited before the call (queued for a worker thread), taken off the timeout.
    pub waited_ms: i64,
}

impl Default for Wait<'_> {
    fn default() -> Self {
        Wait {
            timeout_ms: -1,
            label: None,
            cancel: None,
            waited_ms: 0,
        }
    }
}

/// Checks a connection out of `pool` (call without the GIL).
pub fn acquire(
    pool: *mut ffi::sp_pool,
    wait: Wait<'_>,
    interrupt: &Interrupt,
) -> Result<ConnPtr, SpError> {
    let opts = ffi::sp_acquire_options {
        size: std::mem::size_of::<ffi::sp_acquire_options>() as u32,
        timeout_ms: wait.timeout_ms,
        cancel: crate::cancel::ptr(wait.cancel),
        interrupt: if on_main_thread() {
            Some(poll_signals)
        } else {
            None
        },
        interrupt_ctx: interrupt as *const Interrupt as *mut c_void,
        label: wait.label.map_or(std::ptr::null(), CStr::as_ptr),
        waited_ms: wait.waited_ms,
    };
    let mut err = std::ptr::null_mut();
    // SAFETY: pool is a live pool handle; opts and err are valid for the call.
    let conn = unsafe { ffi::sp_pool_acquire_ex(pool, &opts, &mut err) };
    if conn.is_null() {
        Err(SpError::take(ffi::SP_ERR_INTERNAL, err))
    } else {
        Ok(ConnPtr(conn))
    }
}
