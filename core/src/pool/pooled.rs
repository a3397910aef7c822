//! A borrowed connection (RAII) and the return path: check, reset, then make idle (waking
//! a waiter) or, in hand-off mode, hand to the oldest waiter; or close, outside the lock.

use std::ops::{Deref, DerefMut};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use super::conn::{thread_token, Conn};
use super::shared::Shared;
use super::state::Reason;
use crate::ManageConnection;

/// A borrowed connection; returns itself to the pool on drop. It owns a reference to its
/// pool, so it may outlive every other handle (the connection is then closed on return).
pub struct Pooled<M: ManageConnection> {
    shared: Arc<Shared<M>>,
    conn: Option<Conn<M::Connection>>,
    since: Instant,
    borrow: u64,
}

impl<M: ManageConnection> Pooled<M> {
    pub(crate) fn new(
        shared: Arc<Shared<M>>,
        conn: Conn<M::Connection>,
        since: Instant,
        borrow: u64,
    ) -> Self {
        Pooled {
            shared,
            conn: Some(conn),
            since,
            borrow,
        }
    }

    /// Closes the connection instead of returning it (the borrower knows it is unusable).
    pub fn discard(mut self) {
        if let Some(conn) = self.conn.take() {
            self.shared.recycle(conn, self.since, self.borrow, true);
        }
    }

    /// How many times this connection has been borrowed, this borrow included.
    pub fn uses(&self) -> u64 {
        self.conn.as_ref().map_or(0, |c| c.uses)
    }
}

impl<M: ManageConnection> Drop for Pooled<M> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.shared.recycle(conn, self.since, self.borrow, false);
        }
    }
}

impl<M: ManageConnection> Deref for Pooled<M> {
    type Target = M::Connection;
    fn deref(&self) -> &M::Connection {
        &self
            .conn
            .as_ref()
            .expect("a Pooled holds its connection until dropped")
            .raw
    }
}

impl<M: ManageConnection> DerefMut for Pooled<M> {
    fn deref_mut(&mut self) -> &mut M::Connection {
        &mut self
            .conn
            .as_mut()
            .expect("a Pooled holds its connection until dropped")
            .raw
    }
}

impl<M: ManageConnection> std::fmt::Debug for Pooled<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pooled")
            .field("pool", &self.shared.name)
            .field("uses", &self.uses())
            .finish()
    }
}

impl<M: ManageConnection> Shared<M> {
    /// Takes a connection back from a borrower. Manager calls happen before the lock.
    pub(crate) fn recycle(
        &self,
        mut conn: Conn<M::Connection>,
        since: Instant,
        borrow: u64,
        discard: bool,
    ) {
        self.check_fork();
        if conn.generation != self.generation.load(Ordering::Acquire) {
            // Inherited from the parent process: not a byte on its socket.
            let _ = catch_unwind(AssertUnwindSafe(|| self.manager.forget(conn.raw)));
            return;
        }
        let now = Instant::now();
        conn.returned_by = thread_token();
        let mut reset = false;
        let reason = if discard {
            Some(Reason::Broken)
        } else if self.is_closed() {
            Some(Reason::Pool)
        } else if catch_unwind(AssertUnwindSafe(|| self.manager.is_broken(&mut conn.raw)))
            .unwrap_or(true)
        {
            Some(Reason::Broken)
        } else if self.config.max_uses > 0 && conn.uses >= self.config.max_uses {
            Some(Reason::MaxUses)
        } else if conn.expired(now) {
            Some(Reason::Lifetime)
        } else {
            match catch_unwind(AssertUnwindSafe(|| self.manager.reset(&mut conn.raw))) {
                Ok(Ok(did)) => {
                    reset = did;
                    if self.near_capacity.load(Ordering::Relaxed) {
                        // Growth is held back: has the server room again?
                        self.read_capacity(&mut conn.raw, false);
                    }
                    None
                }
                _ => Some(Reason::Broken),
            }
        };
        let held_us = now.saturating_duration_since(since).as_micros() as u64;
        let mut st = self.state.lock();
        if st.generation != conn.generation {
            drop(st);
            let _ = catch_unwind(AssertUnwindSafe(|| self.manager.forget(conn.raw)));
            return;
        }
        st.counters.returns += 1;
        st.counters.hold_us_total += held_us;
        if reset {
            st.counters.resets += 1;
        }
        if borrow != 0 {
            st.borrows.remove(&borrow);
        }
        let reason = reason.or(st.closed.then_some(Reason::Pool));
        match reason {
            None => {
                let wake = st.put(conn, now);
                drop(st);
                drop(wake);
            }
            Some(reason) => {
                st.closing += 1;
                drop(st);
                self.retire(vec![(conn, reason)]);
            }
        }
    }
}
