//! The borrower's path: take an idle connection (one lock, pop, unlock), or queue as a
//! waiter and get a connection handed over by a returning borrower or a connector.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::sync::MutexGuard;

use super::conn::Conn;
use super::connector;
use super::lock::wait_until;
use super::pooled::Pooled;
use super::shared::Shared;
use super::state::{Borrow, Handoff, Reason, State, Waiter};
use super::Acquire;
use crate::events::{self, Event};
use crate::{Error, ErrorKind, ManageConnection, Result};

/// How often `Acquire::interrupt` is polled while waiting.
pub(crate) const INTERRUPT_POLL: Duration = Duration::from_millis(50);

type Guard<'a, C> = MutexGuard<'a, State<C>>;

/// Unregisters a cancel waker when the wait ends, however it ends.
struct Unregister<'a>(Option<(&'a crate::CancelToken, u64)>);

impl Drop for Unregister<'_> {
    fn drop(&mut self) {
        if let Some((token, id)) = self.0.take() {
            token.unregister(id);
        }
    }
}

fn cancelled_error(name: &str) -> Error {
    Error::new(
        ErrorKind::Cancelled,
        format!("waiting for a connection from pool {name} was cancelled"),
    )
}

impl<M: ManageConnection> Shared<M> {
    /// Borrows a connection as `how` says.
    pub fn acquire(self: &Arc<Self>, how: &Acquire<'_>) -> Result<Pooled<M>> {
        self.check_fork();
        let timeout = how.timeout.unwrap_or(self.config.acquire_timeout);
        let start = Instant::now();
        if how.cancel.is_some_and(|c| c.is_cancelled()) {
            self.state.lock().counters.cancelled += 1;
            return Err(cancelled_error(&self.name));
        }
        let mut st = self.state.lock();
        st.counters.arrivals += 1;
        let mut now = start;
        loop {
            if st.closed {
                return Err(self.closed_error());
            }
            if !st.waiters.is_empty() {
                break;
            }
            let Some(idle) = st.idle.pop_back() else {
                break;
            };
            if idle.conn.expired(now) {
                st.closing += 1;
                drop(st);
                self.retire(vec![(idle.conn, Reason::Lifetime)]);
                st = self.state.lock();
                now = Instant::now();
                continue;
            }
            let mut conn = idle.conn;
            if now.saturating_duration_since(idle.since) < self.config.validation_idle {
                // Used recently: counted as handed out now (one lock on this path), then a
                // cheap look at it outside the lock; the count is undone if it is dead.
                let borrow = self.count_out(&mut st, how, start);
                drop(st);
                let alive = catch_unwind(AssertUnwindSafe(|| self.manager.is_alive(&mut conn.raw)))
                    .unwrap_or(false);
                if alive {
                    conn.uses += 1;
                    return Ok(Pooled::new(self.clone(), conn, start, borrow));
                }
                st = self.state.lock();
                st.counters.acquires -= 1;
                st.borrows.remove(&borrow);
                st.closing += 1;
                drop(st);
                self.retire(vec![(conn, Reason::Broken)]);
                st = self.state.lock();
                now = Instant::now();
                if now.saturating_duration_since(start) >= timeout {
                    break; // out of time: the wait below reports the timeout
                }
                continue;
            }
            // Idle for long: ping it outside the lock.
            drop(st);
            let valid = catch_unwind(AssertUnwindSafe(|| self.manager.validate(&mut conn.raw)))
                .is_ok_and(|r| r.is_ok());
            st = self.state.lock();
            if valid && !st.closed {
                return Ok(self.hand_out(st, conn, how, start));
            }
            st.closing += 1;
            drop(st);
            let reason = if valid { Reason::Pool } else { Reason::Broken };
            self.retire(vec![(conn, reason)]);
            st = self.state.lock();
            now = Instant::now();
            if now.saturating_duration_since(start) >= timeout {
                break; // out of time: the wait below reports the timeout
            }
        }
        if let Some(e) = st.fail_fast(now) {
            return Err(e);
        }
        self.wait(st, how, timeout, start)
    }

    /// Counts a successful acquire without a wait and wraps `conn` for the borrower
    /// (a waiter's hand-off is counted by `State::put`).
    fn hand_out(
        self: &Arc<Self>,
        mut st: Guard<'_, M::Connection>,
        mut conn: Conn<M::Connection>,
        how: &Acquire<'_>,
        now: Instant,
    ) -> Pooled<M> {
        let borrow = self.count_out(&mut st, how, now);
        drop(st);
        conn.uses += 1;
        Pooled::new(self.clone(), conn, now, borrow)
    }

    /// Counts an acquire and registers the borrow for leak detection; returns its id (0
    /// when leak detection is off).
    fn count_out(&self, st: &mut State<M::Connection>, how: &Acquire<'_>, now: Instant) -> u64 {
        st.counters.acquires += 1;
        if self.config.leak_detection.is_zero() {
            return 0;
        }
        st.next_borrow += 1;
        let id = st.next_borrow;
        let label = how.label.unwrap_or("(unlabelled)").to_string();
        st.borrows.insert(
            id,
            Borrow {
                since: now,
                label,
                reported: false,
            },
        );
        id
    }

    /// Queues as a waiter until a connection is handed over, the deadline passes, or the
    /// wait is cancelled. Connects needed for it start in the background.
    ///
    /// The waiter sleeps on its own slot, not the pool lock: a hand-off (accounted by the
    /// deliverer) costs one wake-up and no pool-lock acquisition here. Only giving up
    /// (timeout, cancel, interrupt) takes the pool lock, to leave the queue.
    fn wait(
        self: &Arc<Self>,
        mut st: Guard<'_, M::Connection>,
        how: &Acquire<'_>,
        timeout: Duration,
        start: Instant,
    ) -> Result<Pooled<M>> {
        let deadline = start.checked_add(timeout);
        let label = (!self.config.leak_detection.is_zero())
            .then(|| how.label.unwrap_or("(unlabelled)").to_string());
        let waiter = Arc::new(Waiter::new(start, label));
        st.waiters.push_back(waiter.clone());
        let approvals = self.plan(&mut st);
        drop(st);
        connector::spawn(approvals);
        let _unregister = Unregister(how.cancel.and_then(|token| {
            let w = waiter.clone();
            let wake = Arc::new(move || w.nudge());
            token.register(wake).map(|id| (token, id))
        }));
        let mut interrupted = false;
        let mut slot = waiter.slot.lock();
        let cancelled = loop {
            let cancelled = interrupted || how.cancel.is_some_and(|c| c.is_cancelled());
            if cancelled {
                break true;
            }
            if let Some(delivered) = slot.take() {
                drop(slot);
                return self.received(delivered);
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                break false;
            }
            let mut until = deadline;
            if how.interrupt.is_some() {
                let poll = now + INTERRUPT_POLL;
                until = Some(until.map_or(poll, |d| d.min(poll)));
            }
            slot = wait_until(&waiter.cv, slot, until);
            if let Some(interrupt) = how.interrupt {
                // Called without any lock: it may run arbitrary code (Python signals).
                drop(slot);
                interrupted = catch_unwind(AssertUnwindSafe(interrupt)).unwrap_or(true);
                slot = waiter.slot.lock();
            }
        };
        drop(slot);
        // Giving up: leave the queue under the pool lock. If we are not queued any more,
        // a deliverer got there first and our slot is filled.
        let mut st = self.state.lock();
        if st.waiters.iter().any(|w| Arc::ptr_eq(w, &waiter)) {
            if !cancelled {
                return Err(self.timed_out(st, &waiter, timeout));
            }
            st.remove_waiter(&waiter);
            st.counters.cancelled += 1;
            return Err(cancelled_error(&self.name));
        }
        let delivered = waiter.slot.lock().take();
        if cancelled {
            st.counters.cancelled += 1;
            if let Some(Ok(handoff)) = delivered {
                // Handed over just as the wait was cancelled: not an acquire; it goes back.
                let conn = st.unaccount(handoff);
                self.give_back(st, conn);
            }
            return Err(cancelled_error(&self.name));
        }
        match delivered {
            // Timed out just as a connection (or an error) arrived: take it.
            Some(d) => {
                drop(st);
                self.received(d)
            }
            // Not queued and nothing delivered: cannot happen (see `Waiter`); a timeout.
            None => Err(self.timed_out(st, &waiter, timeout)),
        }
    }

    /// Wraps what a deliverer put in our slot (already accounted under the pool lock).
    fn received(self: &Arc<Self>, delivered: Result<Handoff<M::Connection>>) -> Result<Pooled<M>> {
        let h = delivered?;
        Ok(Pooled::new(self.clone(), h.conn, h.at, h.borrow))
    }

    /// Returns a connection nobody took to the pool: to the oldest waiter or idle, or
    /// closes it (outside the lock) when the pool has closed meanwhile.
    fn give_back(&self, mut st: Guard<'_, M::Connection>, conn: Conn<M::Connection>) {
        if st.closed {
            st.closing += 1;
            drop(st);
            self.retire(vec![(conn, Reason::Pool)]);
        } else {
            let wake = st.put(conn, Instant::now());
            drop(st);
            drop(wake);
        }
    }

    /// Leaves the queue and explains the timeout.
    fn timed_out(
        &self,
        mut st: Guard<'_, M::Connection>,
        waiter: &Arc<Waiter<M::Connection>>,
        timeout: Duration,
    ) -> Error {
        let mut message = format!(
            "timed out after {} ms waiting for a connection (max_size={}, open={}, active={}, idle={}, waiting={})",
            timeout.as_millis(),
            self.config.max_size,
            st.open + st.connecting,
            st.active(),
            st.idle.len(),
            st.waiters.len(),
        );
        if let Some(e) = &st.last_error {
            message.push_str(&format!("; last connect error: {e}"));
        }
        st.remove_waiter(waiter);
        st.counters.timeouts += 1;
        drop(st);
        events::emit(Event::AcquireTimeout {
            pool: self.name.clone(),
            message: message.clone(),
        });
        Error::new(ErrorKind::Timeout, message)
    }
}
