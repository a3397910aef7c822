//! Tables of live `sp_pool` / `sp_conn` handles, so a released or foreign pointer is detected
//! instead of dereferenced.
//!
//! A handle given to C is the address of an `Arc`'s contents; the table owns that `Arc`. The
//! library never dereferences a pointer it got from C: it looks the address up and clones the
//! `Arc`, so a handle released by one thread while another thread is inside a call on it stays
//! alive until that call returns. An address is unique while its handle is live; once released,
//! a new handle may reuse the address (a stale pointer then names the new handle: a caller bug
//! this cannot see, but never undefined behaviour).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The live handles of one type. A std mutex (like the engine's since it met parking_lot's
/// global parked-thread table in forked children); nothing panics while it is held, and a
/// poisoned table is used as it is.
pub(crate) struct Handles<T> {
    live: Mutex<Option<HashMap<usize, Arc<T>>>>,
}

impl<T> Handles<T> {
    /// An empty table (usable in a `static`).
    pub(crate) const fn new() -> Self {
        Handles {
            live: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<HashMap<usize, Arc<T>>>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `value` and returns its handle.
    pub(crate) fn insert(&self, value: T) -> *mut T {
        let arc = Arc::new(value);
        let p = Arc::as_ptr(&arc).cast_mut();
        self.lock()
            .get_or_insert_with(HashMap::new)
            .insert(p as usize, arc);
        p
    }

    /// The live handle at `p`, or `None` for NULL, a released or an unknown pointer.
    pub(crate) fn get(&self, p: *const T) -> Option<Arc<T>> {
        self.lock().as_ref()?.get(&(p as usize)).cloned()
    }

    /// Unregisters the handle at `p` and returns it (`None` when it was not live).
    pub(crate) fn remove(&self, p: *const T) -> Option<Arc<T>> {
        self.lock().as_mut()?.remove(&(p as usize))
    }

    /// How many handles are live.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().as_ref().map_or(0, HashMap::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_and_foreign_pointers_are_not_found() {
        let table: Handles<u64> = Handles::new();
        let a = table.insert(7);
        let b = table.insert(8);
        assert_eq!(table.get(a).as_deref(), Some(&7));
        assert_eq!(table.get(b).as_deref(), Some(&8));
        assert!(table.get(std::ptr::null()).is_none());
        let stray = 0x1000 as *const u64;
        assert!(table.get(stray).is_none());
        let held = table.get(a).unwrap();
        assert_eq!(table.remove(a).as_deref(), Some(&7));
        assert!(
            table.get(a).is_none(),
            "a released handle must not be found"
        );
        assert!(table.remove(a).is_none(), "a double release must be seen");
        assert_eq!(*held, 7, "a handle in use stays alive after its release");
        assert_eq!(table.len(), 1);
    }
}
