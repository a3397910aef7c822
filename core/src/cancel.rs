//! A token that cancels a wait for a connection from another thread (Go's `ctx`, Ctrl-C).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::pool::lock::Lock;

/// Cancels the waits it is passed to. Cheap to clone; all clones share one state.
#[derive(Clone, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

/// A registered waker and its id.
type Waker = (u64, Arc<dyn Fn() + Send + Sync>);

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    /// Wakers registered by waits in progress (called once on cancel), and the last id given.
    wakers: Lock<(Vec<Waker>, u64)>,
}

impl std::fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every wait using this token, now and later. Thread-safe; idempotent.
    pub fn cancel(&self) {
        if self.inner.cancelled.swap(true, Ordering::SeqCst) {
            return;
        }
        let wakers = std::mem::take(&mut self.inner.wakers.lock().0);
        for (_, wake) in wakers {
            wake();
        }
    }

    /// Has [`cancel`](Self::cancel) been called?
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Registers `wake` to be called on cancel; returns an id for [`unregister`](Self::unregister).
    /// When the token is already cancelled, `wake` is not stored and `None` comes back.
    pub(crate) fn register(&self, wake: Arc<dyn Fn() + Send + Sync>) -> Option<u64> {
        let mut wakers = self.inner.wakers.lock();
        if self.is_cancelled() {
            return None;
        }
        wakers.1 += 1;
        let id = wakers.1;
        wakers.0.push((id, wake));
        Some(id)
    }

    /// Removes a waker registered by [`register`](Self::register).
    pub(crate) fn unregister(&self, id: u64) {
        self.inner.wakers.lock().0.retain(|(i, _)| *i != id);
    }
}
