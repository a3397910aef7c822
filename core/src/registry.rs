//! The registry: one pool per key, shared by counted references. STUB: agreed API.

use std::ops::Deref;

use crate::{ManageConnection, Options, Pool, Result, Stats};

/// Identifies a pool. `id` is the canonical target (password only as a SHA-256 hash,
/// never in clear); `label` is a short redacted name for logs, errors and metrics.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// The canonical key, compared for sharing.
    pub id: String,
    /// A human label such as `app@db1:3306/metrics` (plus `pool_name` when set).
    pub label: String,
}

/// Maps keys to pools. Usually one per process per manager type (see [`crate::open`]).
pub struct Registry<M: ManageConnection> {
    _m: std::marker::PhantomData<M>,
}

impl<M: ManageConnection> Default for Registry<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: ManageConnection> Registry<M> {
    /// An empty registry.
    pub fn new() -> Self {
        todo!()
    }

    /// Returns a counted reference to the pool for `key`, creating it with `make_manager` and
    /// `options.pool` on first use. A live pool with different sizing options is a
    /// `ConfigConflict` error naming each differing field, unless `options.on_conflict` is
    /// `Reuse`. Racing opens of one key create exactly one pool.
    pub fn open<F>(&self, _key: &PoolKey, _options: &Options, _make_manager: F) -> Result<PoolRef<M>>
    where
        F: FnOnce() -> Result<M>,
    {
        todo!()
    }

    /// Snapshots of every live pool: its label and stats (with `refs`).
    pub fn snapshot(&self) -> Vec<(String, Stats)> {
        todo!()
    }
}

/// A counted reference to a registered pool; dropping it releases the reference, and the
/// last release closes the pool (after `linger_ms`).
pub struct PoolRef<M: ManageConnection> {
    _m: std::marker::PhantomData<M>,
}

impl<M: ManageConnection> PoolRef<M> {
    /// Stats with `refs` filled in.
    pub fn stats(&self) -> Stats {
        todo!()
    }
}

impl<M: ManageConnection> Deref for PoolRef<M> {
    type Target = Pool<M>;
    fn deref(&self) -> &Pool<M> {
        todo!()
    }
}
