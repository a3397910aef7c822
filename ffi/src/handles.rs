//! Tables of live handles (`sp_pool`, `sp_conn`, …), so a released or foreign pointer is
//! detected instead of dereferenced.
//!
//! A handle given to C is the address of an `Arc`'s contents; the table owns that `Arc`. The
//! library never dereferences a pointer it got from C: it looks the address up and clones the
//! `Arc`, so a handle released by one thread while another thread is inside a call on it stays
//! alive until that call returns. An address is unique while its handle is live; once released,
//! a new handle may reuse the address (a stale pointer then names the new handle: a caller bug
//! this cannot see, but never undefined behaviour).
//!
//! No process-wide lock: a table is [`SHARDS`] reader-writer locks, each over the handles whose
//! address hashes to it. A lookup takes one shard's read lock (threads sharing one `sp_pool`
//! never wait for each other); a borrow's insert and release write-lock the shard of that
//! connection only. Std locks, not parking_lot (see the engine's `pool/lock.rs` on forked
//! children), and fork-safe: a `pthread_atfork` prepare handler write-locks every shard of
//! every table in one fixed order, so a child never inherits a shard locked by a thread it does
//! not have; the parent and child handlers unlock them. Nothing else is locked while a shard is.

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Shards per table: more than the threads that run calls at once on most machines.
const SHARDS: usize = 64;

type Shard<T> = RwLock<BTreeMap<usize, Arc<T>>>;

/// The live handles of one type. Nothing panics while a shard is held, and a poisoned shard is
/// used as it is.
pub(crate) struct Handles<T> {
    shards: [Shard<T>; SHARDS],
    /// Set once the table is in [`TABLES`] for the fork handlers.
    registered: AtomicBool,
}

impl<T: Send + Sync + 'static> Handles<T> {
    /// An empty table (usable in a `static`).
    pub(crate) const fn new() -> Self {
        Handles {
            shards: [const { RwLock::new(BTreeMap::new()) }; SHARDS],
            registered: AtomicBool::new(false),
        }
    }

    /// The shard for address `p`. Handles are heap addresses, 16-byte aligned: drop the
    /// always-zero bits, then take the top bits of a Fibonacci hash.
    fn shard(&self, p: usize) -> &Shard<T> {
        let h = ((p >> 4) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SHARDS.ilog2());
        &self.shards[h as usize]
    }

    fn read(&self, p: usize) -> RwLockReadGuard<'_, BTreeMap<usize, Arc<T>>> {
        self.shard(p).read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self, p: usize) -> RwLockWriteGuard<'_, BTreeMap<usize, Arc<T>>> {
        self.shard(p)
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `value` and returns its handle.
    pub(crate) fn insert(&'static self, value: T) -> *mut T {
        if !self.registered.load(Ordering::Acquire) {
            register_for_fork(self);
        }
        let arc = Arc::new(value);
        let p = Arc::as_ptr(&arc).cast_mut();
        self.write(p as usize).insert(p as usize, arc);
        p
    }

    /// The live handle at `p`, or `None` for NULL, a released or an unknown pointer.
    pub(crate) fn get(&self, p: *const T) -> Option<Arc<T>> {
        self.read(p as usize).get(&(p as usize)).cloned()
    }

    /// Unregisters the handle at `p` and returns it (`None` when it was not live).
    pub(crate) fn remove(&self, p: *const T) -> Option<Arc<T>> {
        self.write(p as usize).remove(&(p as usize))
    }

    /// How many handles are live.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        (0..SHARDS)
            .map(|i| {
                self.shards[i]
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .len()
            })
            .sum()
    }
}

/// What the fork handlers need of a table: write-lock all its shards, in index order.
trait ForkLock: Sync {
    fn lock_all(&'static self, held: &mut Vec<Box<dyn Any>>);
}

impl<T: Send + Sync + 'static> ForkLock for Handles<T> {
    fn lock_all(&'static self, held: &mut Vec<Box<dyn Any>>) {
        for shard in &self.shards {
            held.push(Box::new(
                shard.write().unwrap_or_else(PoisonError::into_inner),
            ));
        }
    }
}

/// Every table that has had a handle, in the order they first had one (the lock order).
static TABLES: Mutex<Vec<&'static dyn ForkLock>> = Mutex::new(Vec::new());

thread_local! {
    /// The guards the prepare handler took, on the forking thread, until parent/child drop them.
    static HELD: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

fn register_for_fork<T: Send + Sync + 'static>(table: &'static Handles<T>) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: the handlers are `extern "C"` functions without captures. `prepare` runs on
        // the forking thread before the fork and only takes locks that no holder keeps while
        // waiting for another lock; `release` drops those guards on the same (forking) thread,
        // in the parent and in the child, where that thread is the only one.
        let rc = unsafe { libc::pthread_atfork(Some(prepare), Some(release), Some(release)) };
        if rc != 0 {
            log::warn!("sharedpool: pthread_atfork failed ({rc}); fork while calls run may hang");
        }
    });
    let mut tables = TABLES.lock().unwrap_or_else(PoisonError::into_inner);
    if !table.registered.swap(true, Ordering::AcqRel) {
        tables.push(table);
    }
}

extern "C" fn prepare() {
    let tables = TABLES.lock().unwrap_or_else(PoisonError::into_inner);
    let mut held: Vec<Box<dyn Any>> = Vec::with_capacity(tables.len() * SHARDS + 1);
    for table in tables.iter() {
        table.lock_all(&mut held);
    }
    held.push(Box::new(tables));
    HELD.with(|h| *h.borrow_mut() = held);
}

extern "C" fn release() {
    // Drop the table list's guard last: the reverse of the order they were taken in.
    HELD.with(|h| {
        let mut held = std::mem::take(&mut *h.borrow_mut());
        while let Some(guard) = held.pop() {
            drop(guard);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_and_foreign_pointers_are_not_found() {
        static TABLE: Handles<u64> = Handles::new();
        let table = &TABLE;
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

    #[test]
    fn handles_spread_over_shards_and_stay_findable() {
        static TABLE: Handles<usize> = Handles::new();
        let ptrs: Vec<_> = (0..1000).map(|i| TABLE.insert(i)).collect();
        let used = TABLE
            .shards
            .iter()
            .filter(|s| !s.read().unwrap().is_empty())
            .count();
        assert!(used > SHARDS / 2, "1000 handles landed in {used} shards");
        for (i, p) in ptrs.iter().enumerate() {
            assert_eq!(TABLE.get(*p).as_deref(), Some(&i));
        }
        for p in &ptrs {
            assert!(TABLE.remove(*p).is_some());
        }
        assert_eq!(TABLE.len(), 0);
    }

    #[test]
    fn fork_handlers_take_and_give_back_every_shard() {
        static TABLE: Handles<u8> = Handles::new();
        let p = TABLE.insert(1);
        prepare();
        assert!(
            TABLE.shards.iter().all(|s| s.try_read().is_err()),
            "prepare must hold every shard"
        );
        release();
        assert_eq!(TABLE.get(p).as_deref(), Some(&1));
        assert!(TABLE.remove(p).is_some());
    }
}
