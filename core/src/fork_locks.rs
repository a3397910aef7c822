//! Locks held across `fork()`: a child must never inherit a lock that a thread it does not have
//! held at the fork (its first call would wait for ever).
//!
//! A `pthread_atfork` prepare handler takes the locks of every live pool, in the order the pools
//! were created, then forks; the parent and child handlers give them back. This is deadlock-free
//! because these are leaf locks: no code waits for another lock while it holds one of them (a
//! pool's state lock and its maintenance signal are never held together, and neither is held
//! while a connection is opened, closed or used, or an event is emitted).

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError, Weak};

use crate::pool::lock::Lock;

/// Something whose locks a child must not inherit locked.
pub(crate) trait HoldAcrossFork: Send + Sync {
    /// Takes every lock of `self` and returns the guards with `self`, to drop after the fork.
    fn hold(self: Arc<Self>) -> Held;
}

/// Guards taken before a fork, and their owner (kept alive while they are held).
pub(crate) struct Held {
    /// Dropped in reverse order: the last taken is given back first.
    pub guards: Vec<Box<dyn Any>>,
    pub owner: Arc<dyn Any + Send + Sync>,
}

static LIVE: Mutex<Vec<Weak<dyn HoldAcrossFork>>> = Mutex::new(Vec::new());

/// A lone leaf lock (a process-wide table), held across every fork as it is.
pub(crate) struct Leaf<T>(Lock<T>);

impl<T> std::ops::Deref for Leaf<T> {
    type Target = Lock<T>;
    fn deref(&self) -> &Lock<T> {
        &self.0
    }
}

impl<T: Send + 'static> HoldAcrossFork for Leaf<T> {
    fn hold(self: Arc<Self>) -> Held {
        // SAFETY: the guard borrows `self`, which `owner` keeps alive until after it is dropped
        // (`release` drops the guards first).
        let guard = unsafe {
            std::mem::transmute::<MutexGuard<'_, T>, MutexGuard<'static, T>>(self.0.lock())
        };
        Held {
            guards: vec![Box::new(guard)],
            owner: self,
        }
    }
}

/// A process-wide leaf lock around `value`, held across every fork for as long as it lives.
pub(crate) fn leaf<T: Send + 'static>(value: T) -> Arc<Leaf<T>> {
    let it = Arc::new(Leaf(Lock::new(value)));
    register(Arc::downgrade(&it) as Weak<dyn HoldAcrossFork>);
    it
}

thread_local! {
    /// What `prepare` took, on the forking thread, until `parent` or `child` gives it back.
    static HELD: RefCell<Vec<Held>> = const { RefCell::new(Vec::new()) };
}

/// Adds `it` to the things held across a fork (for as long as it lives).
pub(crate) fn register(it: Weak<dyn HoldAcrossFork>) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: the handlers are `extern "C"` functions without captures. `prepare` runs on
        // the forking thread before the fork and takes only leaf locks (module doc); `parent` and
        // `child` run on that same thread after it and drop the guards it stored there.
        let rc = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
        if rc != 0 {
            log::warn!("sharedpool: pthread_atfork failed ({rc}); a fork during calls may hang");
        }
    });
    let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    live.retain(|w| w.strong_count() > 0);
    live.push(it);
}

extern "C" fn prepare() {
    let live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    let held: Vec<Held> = live
        .iter()
        .filter_map(Weak::upgrade)
        .map(|it| it.hold())
        .collect();
    // The list's own lock is held too: no pool registers mid-fork.
    let list = Held {
        guards: vec![Box::new(live)],
        owner: Arc::new(()),
    };
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        *h = held;
        h.push(list);
    });
}

/// Gives back what `prepare` took, last taken first. In the child, an owner whose last
/// reference this was is leaked instead of dropped: dropping a pool there would run its
/// shutdown inside a fork handler.
fn release(in_child: bool) {
    HELD.with(|h| {
        let mut held = std::mem::take(&mut *h.borrow_mut());
        while let Some(Held { mut guards, owner }) = held.pop() {
            while let Some(g) = guards.pop() {
                drop(g);
            }
            if in_child && Arc::strong_count(&owner) == 1 {
                std::mem::forget(owner);
            }
        }
    });
}

extern "C" fn parent() {
    release(false);
}

extern "C" fn child() {
    release(true);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::MutexGuard;

    struct Two(Mutex<u8>, Mutex<u8>);

    impl HoldAcrossFork for Two {
        fn hold(self: Arc<Self>) -> Held {
            // SAFETY: the guards borrow `self`, which `owner` keeps alive until after they drop.
            let a: MutexGuard<'static, u8> = unsafe { std::mem::transmute(self.0.lock().unwrap()) };
            let b: MutexGuard<'static, u8> = unsafe { std::mem::transmute(self.1.lock().unwrap()) };
            Held {
                guards: vec![Box::new(a), Box::new(b)],
                owner: self,
            }
        }
    }

    #[test]
    fn prepare_holds_every_lock_and_parent_gives_them_back() {
        let it = Arc::new(Two(Mutex::new(1), Mutex::new(2)));
        register(Arc::downgrade(&it) as Weak<dyn HoldAcrossFork>);
        prepare();
        assert!(it.0.try_lock().is_err() && it.1.try_lock().is_err());
        parent();
        assert_eq!(*it.0.try_lock().unwrap() + *it.1.try_lock().unwrap(), 3);
        drop(it);
        prepare(); // a dead registration is skipped
        parent();
    }

    #[test]
    fn a_leaf_is_held_across_the_fork() {
        let leaf = leaf(7u8);
        prepare();
        assert!(leaf.try_lock_for_test().is_none());
        parent();
        assert_eq!(leaf.try_lock_for_test(), Some(7));
    }
}
