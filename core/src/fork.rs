//! Fork detection: a generation counter bumped in the child by a `pthread_atfork` handler.
//!
//! Pools remember the generation they last ran in; when it changed, they are in a child
//! process and give up inherited connections without touching their sockets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static INSTALL: Once = Once::new();

extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// The current fork generation (0 in the original process, +1 per fork into a child): an
/// atomic load, where `getpid()` is a system call. The first call installs the handler. One
/// counter for the process: the engine and the C ABI's handles read the same one.
pub fn generation() -> u64 {
    INSTALL.call_once(|| {
        // SAFETY: `in_child` is an `extern "C"` function without captures that only touches an
        // atomic, which is async-signal-safe as a post-fork child handler must be.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        if rc != 0 {
            log::warn!("sharedpool: pthread_atfork failed ({rc}); fork detection is off");
        }
    });
    GENERATION.load(Ordering::Relaxed)
}
