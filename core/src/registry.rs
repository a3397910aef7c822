//! The registry: one pool per key, shared by counted references.
//!
//! Each key has an entry with its own lock; the registry's map lock is held only to find or
//! insert an entry, never across creating, connecting or closing a pool. An entry goes
//! `Creating` → `Live` → `Dead`; a dead entry (its pool closing) is never handed out, a new
//! open of the key makes a fresh pool.

use std::any::Any;
use std::collections::HashMap;
use std::ops::Deref;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use crate::fork_locks::{self, Held, HoldAcrossFork};
use crate::pool::lock::Lock;

use crate::{Error, ErrorKind, ManageConnection, OnConflict, Options, Pool, Result, Stats};

/// Identifies a pool. `id` is the canonical target (password only as a SHA-256 hash,
/// never in clear); `label` is a short redacted name for logs, errors and metrics.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// The canonical key, compared for sharing.
    pub id: String,
    /// A human label such as `app@db1:3306/metrics` (plus `pool_name` when set).
    pub label: String,
}

type Map<M> = Lock<HashMap<String, Arc<Entry<M>>>>;

/// Maps keys to pools. Usually one per process per manager type (see [`crate::open`]).
pub struct Registry<M: ManageConnection> {
    map: Arc<Map<M>>,
}

enum Slot<M: ManageConnection> {
    /// The first opener is building the pool; others wait on `Entry::ready`.
    Creating,
    /// `linger` counts releases to zero, so a lingering close knows whether it is still due.
    Live {
        pool: Pool<M>,
        refs: u32,
        linger: u64,
    },
    /// Closed or closing, or creation failed: removed from the map, never handed out.
    Dead,
}

struct Entry<M: ManageConnection> {
    key: PoolKey,
    slot: Lock<Slot<M>>,
    ready: Condvar,
    map: Weak<Map<M>>,
}

impl<M: ManageConnection> Entry<M> {
    /// Takes this (dead) entry out of the map, unless a newer one replaced it.
    fn unlink(self: &Arc<Self>) {
        if let Some(map) = self.map.upgrade() {
            let mut map = map.lock();
            if map.get(&self.key.id).is_some_and(|e| Arc::ptr_eq(e, self)) {
                map.remove(&self.key.id);
            }
        }
    }

    /// Drops one reference; the last closes the pool at once or after `linger`.
    fn release(self: &Arc<Self>) {
        let mut slot = self.slot.lock();
        let Slot::Live { pool, refs, linger } = &mut *slot else {
            return;
        };
        *refs -= 1;
        if *refs > 0 {
            return;
        }
        let wait = pool.config().linger;
        if wait.is_zero() {
            self.kill(slot);
            return;
        }
        *linger += 1;
        let epoch = *linger;
        drop(slot);
        let entry = self.clone();
        crate::scheduler::schedule(
            Instant::now() + wait,
            Box::new(move |_| {
                entry.expire(epoch);
                None
            }),
        );
    }

    /// Closes the pool after its linger, unless it was reopened (or released again) since.
    fn expire(self: &Arc<Self>, epoch: u64) {
        let slot = self.slot.lock();
        if matches!(&*slot, Slot::Live { refs: 0, linger, .. } if *linger == epoch) {
            self.kill(slot);
        }
    }

    /// Marks the entry dead and closes its pool, outside every lock.
    fn kill(self: &Arc<Self>, mut slot: MutexGuard<'_, Slot<M>>) {
        let old = std::mem::replace(&mut *slot, Slot::Dead);
        drop(slot);
        self.unlink();
        if let Slot::Live { pool, .. } = old {
            pool.close();
        }
    }
}

/// A fork takes the map's lock, then every entry's (the order `open` takes them in; no code
/// takes the map's while it holds an entry's).
impl<M: ManageConnection> HoldAcrossFork for Map<M> {
    fn hold(self: Arc<Self>) -> Held {
        let map = self.lock();
        let entries: Vec<Arc<Entry<M>>> = map.values().cloned().collect();
        // SAFETY: every guard borrows `self` or one of `entries`, all of which `owner` keeps
        // alive until after the guards are dropped (`fork_locks` drops the guards first).
        let mut guards: Vec<Box<dyn Any>> = vec![Box::new(unsafe {
            std::mem::transmute::<
                MutexGuard<'_, HashMap<String, Arc<Entry<M>>>>,
                MutexGuard<'static, HashMap<String, Arc<Entry<M>>>>,
            >(map)
        })];
        for e in &entries {
            // SAFETY: as above.
            guards.push(Box::new(unsafe {
                std::mem::transmute::<MutexGuard<'_, Slot<M>>, MutexGuard<'static, Slot<M>>>(
                    e.slot.lock(),
                )
            }));
        }
        Held {
            guards,
            owner: Arc::new((self, entries)),
        }
    }
}

impl<M: ManageConnection> Default for Registry<M> {
    fn default() -> Self {
        Self::new()
    }
}

/// Marks a `Creating` entry dead if its creator fails or panics.
struct CreateGuard<'a, M: ManageConnection> {
    entry: &'a Arc<Entry<M>>,
    done: bool,
}

impl<M: ManageConnection> Drop for CreateGuard<'_, M> {
    fn drop(&mut self) {
        if !self.done {
            *self.entry.slot.lock() = Slot::Dead;
            self.entry.ready.notify_all();
            self.entry.unlink();
        }
    }
}

impl<M: ManageConnection> Registry<M> {
    /// An empty registry.
    pub fn new() -> Self {
        Registry {
            map: {
                let map = Arc::new(Lock::new(HashMap::new()));
                fork_locks::register(Arc::downgrade(&map) as Weak<dyn HoldAcrossFork>);
                map
            },
        }
    }

    /// Returns a counted reference to the pool for `key`, creating it with `make_manager` and
    /// `options.pool` on first use. A live pool with different sizing options is a
    /// `ConfigConflict` error naming each differing field, unless `options.on_conflict` is
    /// `Reuse`; a lingering pool (no references left) with different settings is closed and
    /// replaced instead. Racing opens of one key create exactly one pool, calling
    /// `make_manager` once; the registry lock is never held while it runs.
    pub fn open<F>(&self, key: &PoolKey, options: &Options, make_manager: F) -> Result<PoolRef<M>>
    where
        F: FnOnce() -> Result<M>,
    {
        let mut make = Some(make_manager);
        loop {
            let (entry, creator) = {
                let mut map = self.map.lock();
                match map.get(&key.id) {
                    Some(e) => (e.clone(), false),
                    None => {
                        let e = Arc::new(Entry {
                            key: key.clone(),
                            slot: Lock::new(Slot::Creating),
                            ready: Condvar::new(),
                            map: Arc::downgrade(&self.map),
                        });
                        map.insert(key.id.clone(), e.clone());
                        (e, true)
                    }
                }
            };
            if creator {
                let mut guard = CreateGuard {
                    entry: &entry,
                    done: false,
                };
                let make = make.take().expect("the manager is made once");
                let manager = match catch_unwind(AssertUnwindSafe(make)) {
                    Ok(Ok(m)) => m,
                    Ok(Err(e)) => return Err(e),
                    Err(panic) => resume_unwind(panic),
                };
                let pool = Pool::new(manager, options.pool.clone(), key.label.clone());
                *entry.slot.lock() = Slot::Live {
                    pool: pool.clone(),
                    refs: 1,
                    linger: 0,
                };
                guard.done = true;
                entry.ready.notify_all();
                return Ok(PoolRef {
                    entry: entry.clone(),
                    pool,
                });
            }
            let mut slot = entry.slot.lock();
            while matches!(&*slot, Slot::Creating) {
                slot = entry
                    .ready
                    .wait(slot)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if matches!(&*slot, Slot::Live { pool, .. } if pool.is_closed()) {
                // Closed directly through a reference: never hand it out again; the
                // references still held keep their closed pool.
                *slot = Slot::Dead;
            }
            match &mut *slot {
                Slot::Live {
                    pool, refs, linger, ..
                } => {
                    if options.on_conflict == OnConflict::Error {
                        // Only what this caller set: unset options join the live pool's.
                        let diff = pool
                            .config()
                            .differences_in(&options.pool, |n| options.explicit.contains(n));
                        if !diff.is_empty() && *refs == 0 {
                            // Lingering, nobody holds it: replace it with the settings asked for.
                            entry.kill(slot);
                            continue;
                        }
                        if !diff.is_empty() {
                            return Err(conflict(&key.label, &diff));
                        }
                    }
                    *refs += 1;
                    // A lingering close that is due no longer applies.
                    *linger += 1;
                    let pool = pool.clone();
                    drop(slot);
                    return Ok(PoolRef {
                        entry: entry.clone(),
                        pool,
                    });
                }
                _ => {
                    drop(slot);
                    entry.unlink();
                }
            }
        }
    }

    /// Snapshots of every live pool: its key and stats (with `refs`), sorted by label.
    pub fn snapshot(&self) -> Vec<(PoolKey, Stats)> {
        let entries: Vec<_> = self.map.lock().values().cloned().collect();
        let mut out: Vec<_> = entries
            .iter()
            .filter_map(|e| {
                let (pool, refs) = match &*e.slot.lock() {
                    Slot::Live { pool, refs, .. } => (pool.clone(), *refs),
                    _ => return None,
                };
                let mut stats = pool.stats();
                stats.refs = refs;
                Some((e.key.clone(), stats))
            })
            .collect();
        out.sort_by(|a, b| (&a.0.label, &a.0.id).cmp(&(&b.0.label, &b.0.id)));
        out
    }

    /// The number of pools in the registry (live or lingering).
    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    /// Is the registry empty?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn conflict(label: &str, diff: &[String]) -> Error {
    Error::new(
        ErrorKind::ConfigConflict,
        format!(
            "pool {label} is already open with other settings (open vs requested): {}; \
             use the same settings, or on_conflict=reuse to share the open pool as it is",
            diff.join(", ")
        ),
    )
}

/// A counted reference to a registered pool; dropping it releases the reference, and the
/// last release closes the pool (after `linger_ms`).
pub struct PoolRef<M: ManageConnection> {
    entry: Arc<Entry<M>>,
    pool: Pool<M>,
}

impl<M: ManageConnection> PoolRef<M> {
    /// Stats with `refs` filled in.
    pub fn stats(&self) -> Stats {
        let mut stats = self.pool.stats();
        stats.refs = self.refs();
        stats
    }

    /// Counted references to this pool right now.
    pub fn refs(&self) -> u32 {
        match &*self.entry.slot.lock() {
            Slot::Live { refs, .. } => *refs,
            _ => 0,
        }
    }

    /// The registry key of the pool.
    pub fn key(&self) -> &PoolKey {
        &self.entry.key
    }
}

impl<M: ManageConnection> Clone for PoolRef<M> {
    /// Another counted reference to the same pool.
    fn clone(&self) -> Self {
        if let Slot::Live { refs, .. } = &mut *self.entry.slot.lock() {
            *refs += 1;
        }
        PoolRef {
            entry: self.entry.clone(),
            pool: self.pool.clone(),
        }
    }
}

impl<M: ManageConnection> Drop for PoolRef<M> {
    fn drop(&mut self) {
        self.entry.release();
    }
}

impl<M: ManageConnection> Deref for PoolRef<M> {
    type Target = Pool<M>;
    fn deref(&self) -> &Pool<M> {
        &self.pool
    }
}

impl<M: ManageConnection> std::fmt::Debug for PoolRef<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolRef")
            .field("label", &self.entry.key.label)
            .field("refs", &self.refs())
            .finish()
    }
}
