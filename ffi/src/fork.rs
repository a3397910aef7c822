//! Which process a connection was borrowed in: a fork generation bumped in the child by a
//! `pthread_atfork` handler (an atomic load per call, where `getpid()` is a system call).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

/// The current fork generation: 0 in the process that first called it, +1 per fork into a
/// child. The first call installs the handler (before any connection exists to compare).
pub(crate) fn generation() -> u64 {
    // Inside the function, so cbindgen does not look at them.
    static GENERATION: AtomicU64 = AtomicU64::new(0);
    static INSTALL: Once = Once::new();
    extern "C" fn in_child() {
        GENERATION.fetch_add(1, Ordering::SeqCst);
    }
    INSTALL.call_once(|| {
        // SAFETY: `in_child` is an `extern "C"` function without captures that only touches an
        // atomic, which is async-signal-safe as a post-fork child handler must be. If
        // registration fails (ENOMEM), connections cannot tell a child apart; nothing unsafe.
        unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
    GENERATION.load(Ordering::SeqCst)
}
