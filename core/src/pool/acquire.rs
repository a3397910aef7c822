//! The borrower's path: take an idle connection (one lock, pop, unlock), or queue as a
//! waiter until woken to retry (normal mode) or handed a connection (hand-off mode).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::sync::MutexGuard;

use super::conn::Conn;
use super::connector;
use super::lock::wait_until;
use super::pooled::Pooled;
use super::shared::Shared;
use super::state::{Delivery, Handoff, Reason, State, Waiter};
use super::Acquire;
use crate::events::{self, Event};
use crate::{Error, ErrorKind, ManageConnection, Result};

/// How often `Acquire::interrupt` is polled while waiting.
pub(crate) const INTERRUPT_POLL: Duration = Duration::from_millis(50);

type Guard<'a, C> = MutexGuard<'a, State<C>>;

/// How a look at the idle stack ended.
enum Idle<'a, M: ManageConnection> {
    Done(Result<Pooled<M>>),
    /// Nothing to take: wait, with the lock still held.
    Wait(Guard<'a, M::Connection>),
}

/// How a wait ended.
enum Waited<'a, M: ManageConnection> {
    Done(Result<Pooled<M>>),
    /// Woken in normal mode (no longer counted in `woken`): look at the idle stack again.
    Retry(Guard<'a, M::Connection>),
}

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
        let (mut woken, mut now) = (false, start);
        loop {
            st = match self.from_idle(st, how, timeout, (start, now), woken) {
                Idle::Done(r) => return r,
                Idle::Wait(st) => st,
            };
            if let Some(e) = st.fail_fast(Instant::now()) {
                return Err(e);
            }
            st = match self.wait(st, how, timeout, start, woken) {
                Waited::Done(r) => return r,
                Waited::Retry(st) => st,
            };
            woken = true;
            now = Instant::now();
        }
    }

    /// Takes an idle connection, unless waiters come first: in hand-off mode a newcomer
    /// queues behind them (a woken waiter, the oldest, may take one). Expired connections
    /// are closed and long-idle ones validated, both outside the lock. `now` is read
    /// before the lock was taken (no clock read under it on the fast path).
    fn from_idle<'a>(
        self: &'a Arc<Self>,
        mut st: Guard<'a, M::Connection>,
        how: &Acquire<'_>,
        timeout: Duration,
        (start, mut now): (Instant, Instant),
        woken: bool,
    ) -> Idle<'a, M> {
        loop {
            if st.closed {
                return Idle::Done(Err(self.closed_error()));
            }
            if !woken && !st.waiters.is_empty() && st.handoff(now) {
                return Idle::Wait(st);
            }
            let Some(idle) = st.take_idle() else {
                return Idle::Wait(st);
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
                let (borrow, since, waited_us) = self.count_out(&mut st, how, start, woken);
                let wake = st.wake_next();
                drop(st);
                drop(wake);
                // A connection never handed out was just opened: nothing to look at yet.
                let alive = conn.uses == 0
                    || catch_unwind(AssertUnwindSafe(|| self.manager.is_alive(&mut conn.raw)))
                        .unwrap_or(false);
                if alive {
                    conn.uses += 1;
                    return Idle::Done(Ok(Pooled::new(self.clone(), conn, since, borrow)));
                }
                st = self.state.lock();
                st.uncount_acquire(borrow, waited_us);
                st.closing += 1;
                drop(st);
                self.retire(vec![(conn, Reason::Broken)]);
                st = self.state.lock();
                now = Instant::now();
                if now.saturating_duration_since(start) >= timeout {
                    return Idle::Wait(st); // out of time: the wait reports the timeout
                }
                continue;
            }
            // Idle for long: ping it outside the lock.
            drop(st);
            let valid = catch_unwind(AssertUnwindSafe(|| self.manager.validate(&mut conn.raw)))
                .is_ok_and(|r| r.is_ok());
            st = self.state.lock();
            if valid && !st.closed {
                return Idle::Done(Ok(self.hand_out(st, conn, how, start, woken)));
            }
            st.closing += 1;
            drop(st);
            let reason = if valid { Reason::Pool } else { Reason::Broken };
            self.retire(vec![(conn, reason)]);
            st = self.state.lock();
            now = Instant::now();
            if now.saturating_duration_since(start) >= timeout {
                return Idle::Wait(st); // out of time: the wait reports the timeout
            }
        }
    }

    /// Counts a successful acquire from the idle stack and wraps `conn` for the borrower
    /// (a hand-off to a waiter is counted by `State::put`). A woken waiter's wait counts in
    /// the wait time. When connections stay idle, the next waiter is woken for them.
    fn hand_out(
        self: &Arc<Self>,
        mut st: Guard<'_, M::Connection>,
        mut conn: Conn<M::Connection>,
        how: &Acquire<'_>,
        start: Instant,
        woken: bool,
    ) -> Pooled<M> {
        let (borrow, since, _) = self.count_out(&mut st, how, start, woken);
        let wake = st.wake_next();
        drop(st);
        drop(wake);
        conn.uses += 1;
        Pooled::new(self.clone(), conn, since, borrow)
    }

    /// Counts an acquire from the idle stack (a woken waiter's wait counts in the wait time;
    /// a first look finds it at once) and registers the borrow for leak detection. Returns
    /// the borrow's id (0 when leak detection is off), when it started, and the wait counted.
    fn count_out(
        &self,
        st: &mut State<M::Connection>,
        how: &Acquire<'_>,
        start: Instant,
        woken: bool,
    ) -> (u64, Instant, u64) {
        let since = if woken { Instant::now() } else { start };
        let (borrow, waited_us) = st.count_acquire(start, since, self.borrow_label(how));
        (borrow, since, waited_us)
    }

    /// The borrower's name for leak warnings, when leak detection is on.
    fn borrow_label<'h>(&self, how: &Acquire<'h>) -> Option<&'h str> {
        (!self.config.leak_detection.is_zero()).then(|| how.label.unwrap_or("(unlabelled)"))
    }

    /// Queues as a waiter (at the front when `woken`: it was the oldest) until woken to
    /// retry, handed a connection, the deadline passes, or the wait is cancelled.
    /// Connects needed for it start in the background.
    ///
    /// The waiter sleeps on its own slot, not the pool lock: a hand-off (accounted by the
    /// deliverer) costs one wake-up and no pool-lock acquisition here. Retrying and giving
    /// up (timeout, cancel, interrupt) take the pool lock.
    fn wait<'a>(
        self: &'a Arc<Self>,
        mut st: Guard<'a, M::Connection>,
        how: &Acquire<'_>,
        timeout: Duration,
        start: Instant,
        woken: bool,
    ) -> Waited<'a, M> {
        let deadline = start.checked_add(timeout);
        let label = self.borrow_label(how).map(str::to_string);
        let waiter = Arc::new(Waiter::new(start, label));
        if woken {
            st.waiters.push_front(waiter.clone());
        } else {
            st.waiters.push_back(waiter.clone());
        }
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
            match slot.take() {
                Some(Delivery::Done(d)) => {
                    drop(slot);
                    return Waited::Done(self.received(d));
                }
                Some(Delivery::Retry) => {
                    drop(slot);
                    return Waited::Retry(self.unwoken());
                }
                None => {}
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
        if st.remove_waiter(&waiter) {
            if !cancelled {
                return Waited::Done(Err(self.timed_out(st, timeout)));
            }
            st.counters.cancelled += 1;
            return Waited::Done(Err(cancelled_error(&self.name)));
        }
        let delivered = waiter.slot.lock().take();
        match delivered {
            // Woken just as the wait ended: pass the wake-up on, or retry (a timed-out
            // retry that finds nothing idle reports the timeout).
            Some(Delivery::Retry) => {
                st.woken = st.woken.saturating_sub(1);
                if !cancelled {
                    return Waited::Retry(st);
                }
                st.counters.cancelled += 1;
                let wake = st.wake_next();
                drop(st);
                drop(wake);
                Waited::Done(Err(cancelled_error(&self.name)))
            }
            Some(Delivery::Done(d)) if cancelled => {
                st.counters.cancelled += 1;
                if let Ok(handoff) = d {
                    // Handed over just as the wait was cancelled: not an acquire; it goes back.
                    let conn = st.unaccount(handoff);
                    self.give_back(st, conn);
                }
                Waited::Done(Err(cancelled_error(&self.name)))
            }
            // Timed out just as a connection (or an error) arrived: take it.
            Some(Delivery::Done(d)) => {
                drop(st);
                Waited::Done(self.received(d))
            }
            // Not queued and nothing delivered: cannot happen (see `Waiter`); a timeout.
            None => Waited::Done(Err(self.timed_out(st, timeout))),
        }
    }

    /// Takes the pool lock for a woken waiter's retry; it no longer counts as woken.
    fn unwoken(&self) -> Guard<'_, M::Connection> {
        let mut st = self.state.lock();
        st.woken = st.woken.saturating_sub(1);
        st
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

    /// Explains and counts a timeout (the waiter has left the queue).
    fn timed_out(&self, mut st: Guard<'_, M::Connection>, timeout: Duration) -> Error {
        let mut message = format!(
            "timed out after {} ms waiting for a connection (max_size={}, open={}, active={}, idle={}, waiting={})",
            timeout.as_millis(),
            self.config.max_size,
            st.open + st.connecting,
            st.active(),
            st.idle.len(),
            st.waiting() + 1,
        );
        let now = Instant::now();
        let cap = st.capacity.cap(now, &self.config);
        let refusal = st.capacity.refusal.clone();
        if let Some(cap) = cap {
            let why = if refusal.is_some() {
                "server at capacity"
            } else {
                "server near capacity"
            };
            message.push_str(&format!(
                "; {why}: pool capped at {cap} (server_headroom={})",
                self.config.server_headroom
            ));
        }
        match (&refusal, &st.last_error) {
            (Some(e), _) => message.push_str(&format!("; the server refused a connection: {e}")),
            (None, Some(e)) => message.push_str(&format!("; last connect error: {e}")),
            (None, None) => {}
        }
        st.counters.timeouts += 1;
        drop(st);
        events::emit(Event::AcquireTimeout {
            pool: self.name.clone(),
            message: message.clone(),
        });
        match refusal {
            // The server's own code, for callers that look for 1040.
            Some(e) => Error::server(ErrorKind::Timeout, e.server_errno(), e.sqlstate(), message),
            None => Error::new(ErrorKind::Timeout, message),
        }
    }
}
