//! The pool lock: a `std::sync::Mutex` (poison-tolerant) with `std::sync::Condvar` waits.
//!
//! Not parking_lot, because of `fork()`: parking_lot keeps parked threads in a
//! process-global queue, and in a child those entries belong to threads that no longer
//! exist, whose stacks glibc hands to the child's new threads, which corrupts the queue
//! (seen as a crash in the fork test). std's futex-based primitives keep no such state.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// A mutex that ignores poisoning: nothing that can panic runs while it is held, and the
/// state it guards stays consistent between statements.
pub(crate) struct Lock<T>(Mutex<T>);

impl<T: Default> Default for Lock<T> {
    fn default() -> Self {
        Lock::new(T::default())
    }
}

impl<T> Lock<T> {
    pub fn new(value: T) -> Self {
        Lock(Mutex::new(value))
    }

    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value if the lock is free (tests of who holds it).
    #[cfg(test)]
    pub fn try_lock_for_test(&self) -> Option<T>
    where
        T: Clone,
    {
        self.0.try_lock().ok().map(|g| g.clone())
    }
}

/// Waits on `cv` until notified or `until` (`None`: no deadline); returns the guard.
pub(crate) fn wait_until<'a, T>(
    cv: &Condvar,
    guard: MutexGuard<'a, T>,
    until: Option<Instant>,
) -> MutexGuard<'a, T> {
    match until {
        Some(t) => {
            let d = t.saturating_duration_since(Instant::now());
            cv.wait_timeout(guard, d)
                .unwrap_or_else(PoisonError::into_inner)
                .0
        }
        None => cv.wait(guard).unwrap_or_else(PoisonError::into_inner),
    }
}
