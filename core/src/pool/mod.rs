//! The pool engine. STUB: signatures are the agreed API; the engine issue fills them in.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use crate::{CancelToken, ManageConnection, PoolConfig, Result, Stats};

/// How one acquire waits. `Default` = the pool's `acquire_timeout`, no label, no cancel.
#[derive(Default)]
pub struct Acquire<'a> {
    /// Overrides the pool's `acquire_timeout`.
    pub timeout: Option<Duration>,
    /// Names the borrower in leak warnings.
    pub label: Option<&'a str>,
    /// Ends the wait with a `Cancelled` error when triggered from another thread.
    pub cancel: Option<&'a CancelToken>,
    /// Polled about every 50 ms while waiting; returning `true` cancels the wait
    /// (Python uses it to notice Ctrl-C).
    pub interrupt: Option<&'a dyn Fn() -> bool>,
}

/// A bounded pool of connections from one manager. Cheap to clone (an `Arc`).
pub struct Pool<M: ManageConnection> {
    _m: std::marker::PhantomData<M>,
}

impl<M: ManageConnection> Clone for Pool<M> {
    fn clone(&self) -> Self {
        todo!()
    }
}

impl<M: ManageConnection> Pool<M> {
    /// Creates a pool and starts prefilling `min_idle` connections in the background.
    /// `name` is a redacted, human label used in logs, errors and metrics.
    pub fn new(_manager: M, _config: PoolConfig, _name: impl Into<String>) -> Pool<M> {
        todo!()
    }

    /// Borrows a connection, waiting up to the pool's `acquire_timeout`.
    pub fn acquire(&self) -> Result<Pooled<M>> {
        self.acquire_with(&Acquire::default())
    }

    /// Borrows a connection as `how` says.
    pub fn acquire_with(&self, _how: &Acquire<'_>) -> Result<Pooled<M>> {
        todo!()
    }

    /// A snapshot of state and counters (`refs` is 0 here; the registry fills it).
    pub fn stats(&self) -> Stats {
        todo!()
    }

    /// Closes the pool: acquires fail with pool-closed, waiters are woken with that error,
    /// idle connections close now (outside the lock), borrowed ones when they come back.
    pub fn close(&self) {
        todo!()
    }

    /// Has the pool been closed?
    pub fn is_closed(&self) -> bool {
        todo!()
    }

    /// The settings the pool was created with.
    pub fn config(&self) -> &PoolConfig {
        todo!()
    }

    /// The redacted label given at creation.
    pub fn name(&self) -> &str {
        todo!()
    }

    /// The connection manager.
    pub fn manager(&self) -> &M {
        todo!()
    }
}

/// A borrowed connection; returns itself to the pool on drop.
pub struct Pooled<M: ManageConnection> {
    _m: std::marker::PhantomData<M>,
}

impl<M: ManageConnection> Pooled<M> {
    /// Closes the connection instead of returning it (the borrower knows it is unusable).
    pub fn discard(self) {
        todo!()
    }
}

impl<M: ManageConnection> Deref for Pooled<M> {
    type Target = M::Connection;
    fn deref(&self) -> &M::Connection {
        todo!()
    }
}

impl<M: ManageConnection> DerefMut for Pooled<M> {
    fn deref_mut(&mut self) -> &mut M::Connection {
        todo!()
    }
}
