//! Leaving the library safely while the interpreter shuts down.
//!
//! CPython up to 3.13 ends a thread that re-takes the GIL during finalization with
//! `pthread_exit`, which unwinds the thread's stack by force. Through our frames that unwind
//! meets pyo3's `catch_unwind` around every method, and the process aborts ("FATAL: exception
//! not rethrown"). So a thread coming back from the library with the GIL released never re-takes
//! it once the interpreter is exiting: it parks for good, as CPython 3.14 does itself. It holds no
//! library lock and no connection of the pool's at that point (the closure has returned), so the
//! process ends normally and the server sees the socket close.
//!
//! "Exiting" starts in an `atexit` hook, which runs before CPython marks itself finalizing. The hook
//! waits (without the GIL) until every thread already past the check has re-taken the GIL, so none
//! can reach `PyEval_RestoreThread` after finalization started: a thread checks the flag after
//! announcing itself in [`REATTACHING`], the hook sets the flag before reading the count (SeqCst).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyCFunction;

/// Set by the `atexit` hook: threads other than [`FINALIZER`] must not re-take the GIL.
static EXITING: AtomicBool = AtomicBool::new(false);
/// `pthread_self()` of the thread that ran the `atexit` hook (it finalizes the interpreter).
static FINALIZER: AtomicU64 = AtomicU64::new(0);
/// Threads between "the library call returned" and "holds the GIL again".
static REATTACHING: AtomicUsize = AtomicUsize::new(0);

/// How long the `atexit` hook waits for threads already re-taking the GIL.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

fn this_thread() -> u64 {
    // SAFETY: pthread_self has no preconditions.
    unsafe { libc::pthread_self() as u64 }
}

/// Runs `f` with the GIL released (as `py.detach`), then re-takes the GIL, or parks this thread
/// for good when the interpreter is exiting and this thread is not the one finalizing it.
pub fn detach<T, F>(py: Python<'_>, f: F) -> T
where
    F: Send + FnOnce() -> T,
    T: Send,
{
    let out = py.detach(|| {
        let out = f();
        REATTACHING.fetch_add(1, SeqCst);
        if must_not_attach() {
            REATTACHING.fetch_sub(1, SeqCst);
            park_forever();
        }
        out
    });
    REATTACHING.fetch_sub(1, SeqCst);
    out
}

/// True when this thread must not re-enter Python (for callbacks the library calls).
pub fn must_not_attach() -> bool {
    EXITING.load(SeqCst) && FINALIZER.load(SeqCst) != this_thread()
}

/// Runs `f` with the GIL taken (from any thread, also one Python never saw), unless the
/// interpreter is exiting: then `f` does not run and None comes back. Announced in
/// [`REATTACHING`] like [`detach`], so the `atexit` hook waits for `f` to finish.
pub fn attach_unless_exiting<T>(f: impl FnOnce(Python<'_>) -> T) -> Option<T> {
    REATTACHING.fetch_add(1, SeqCst);
    let out = if EXITING.load(SeqCst) {
        None
    } else {
        Some(Python::attach(f))
    };
    REATTACHING.fetch_sub(1, SeqCst);
    out
}

fn park_forever() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// The `atexit` hook: from now on, threads coming back from the library park.
fn at_exit(py: Python<'_>) {
    FINALIZER.store(this_thread(), SeqCst);
    EXITING.store(true, SeqCst);
    py.detach(|| {
        let deadline = Instant::now() + DRAIN_LIMIT;
        while REATTACHING.load(SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Registers the `atexit` hook; called when the module is imported.
pub fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = PyCFunction::new_closure(
        m.py(),
        Some(c"_sharedpool_at_exit"),
        Some(c"sharedpool: stop threads from re-entering Python during shutdown"),
        |args, _kwargs| {
            at_exit(args.py());
            Ok::<(), PyErr>(())
        },
    )?;
    m.py().import("atexit")?.call_method1("register", (hook,))?;
    Ok(())
}
