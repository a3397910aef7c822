//! The state every handle of one pool shares, and the operations that are not on a
//! borrower's path: connect results, closing connections, closing the pool, stats, fork.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, MutexGuard, Weak};
use std::time::{Duration, Instant};

use super::approval::Approval;
use super::backoff::backoff;
use super::conn::Conn;
use super::connector;
use super::lock::Lock;
use super::maintenance;
use super::state::{connect_failing, Reason, State};
use crate::events::{self, Event};
use crate::fork_locks::{self, Held, HoldAcrossFork};
use crate::{fork, scheduler, Error, ErrorKind, ManageConnection, PoolConfig, Result, Stats};

pub(crate) struct Shared<M: ManageConnection> {
    pub me: Weak<Shared<M>>,
    pub manager: M,
    pub config: PoolConfig,
    pub name: String,
    pub state: Lock<State<M::Connection>>,
    /// Mirror of `state.generation`, read without the lock.
    pub generation: AtomicU64,
    /// Mirror of `state.closed`, read without the lock.
    pub closed: AtomicBool,
    /// Set while the capacity cap holds growth back (read without the lock on the return
    /// path, which then refreshes the server's free slots).
    pub near_capacity: AtomicBool,
}

impl<M: ManageConnection> Shared<M> {
    pub fn new(manager: M, mut config: PoolConfig, name: String) -> Arc<Self> {
        config.max_size = config.max_size.max(1);
        config.min_idle = config.min_idle.min(config.max_size);
        config.max_connecting = config.max_connecting.max(1);
        let generation = fork::generation();
        let now = Instant::now();
        let shared = Arc::new_cyclic(|me| Shared {
            me: me.clone(),
            state: Lock::new(State::new(now, &config, generation)),
            manager,
            config,
            name,
            generation: AtomicU64::new(generation),
            closed: AtomicBool::new(false),
            near_capacity: AtomicBool::new(false),
        });
        fork_locks::register(Arc::downgrade(&shared) as Weak<dyn HoldAcrossFork>);
        shared
    }

    /// Starts background work: maintenance and the `min_idle` prefill.
    pub fn start(self: &Arc<Self>) {
        maintenance::spawn(self);
        self.replenish();
    }

    /// Grants the connects `State::connects_wanted` asks for. Call with the lock held;
    /// pass the result to `connector::spawn` after unlocking.
    pub fn plan(&self, st: &mut State<M::Connection>) -> Vec<Approval<M>> {
        let now = Instant::now();
        let (n, held) = st.connects_wanted(&self.config, now);
        self.near_capacity.store(held, Ordering::Relaxed);
        if st.capacity.holding_back(held, now) {
            self.near_capacity_event(st, now);
        }
        (0..n)
            .map(|_| {
                st.connecting += 1;
                Approval::granted(self.me.clone(), st.generation)
            })
            .collect()
    }

    /// Sends the "server near capacity" event of an episode that begins (from the scheduler
    /// thread: the caller holds the pool lock).
    fn near_capacity_event(&self, st: &State<M::Connection>, now: Instant) {
        let cap = st.capacity.cap(now, &self.config).unwrap_or(st.open);
        let mut message = format!(
            "pool capped at {cap} of max_size {} (server_headroom={})",
            self.config.max_size, self.config.server_headroom
        );
        if let Some(e) = &st.capacity.refusal {
            message.push_str(&format!("; the server refused a connection: {e}"));
        }
        let event = Event::ServerNearCapacity {
            pool: self.name.clone(),
            cap,
            message,
        };
        scheduler::schedule(
            now,
            Box::new(move |_| {
                events::emit(event.clone());
                None
            }),
        );
    }

    /// Reads the server's free slots over `conn` when a reading is due: after a connect that
    /// takes the pool above `min_idle` (`opening`), or while the cap holds growth back.
    pub fn read_capacity(&self, conn: &mut M::Connection, opening: bool) {
        let now = Instant::now();
        {
            let st = self.state.lock();
            let above_floor = st.open + u32::from(opening) > self.config.min_idle;
            if !above_floor || !st.capacity.reading_due(now, &self.config) {
                return;
            }
        }
        let free = catch_unwind(AssertUnwindSafe(|| self.manager.free_slots(conn)));
        let free = match free {
            Ok(Ok(Some(free))) => free,
            Ok(Ok(None)) => return,
            Ok(Err(e)) => {
                log::debug!(
                    "sharedpool: pool {}: reading the server's capacity: {e}",
                    self.name
                );
                return;
            }
            Err(_) => {
                log::error!(
                    "sharedpool: pool {}: the connection manager panicked in free_slots",
                    self.name
                );
                return;
            }
        };
        let approvals = {
            let mut st = self.state.lock();
            let open = st.open + u32::from(opening);
            st.capacity.read(now, free, open);
            if opening {
                // `connected` plans next.
                return;
            }
            self.plan(&mut st)
        };
        connector::spawn(approvals);
    }

    /// Starts whatever connects are wanted now.
    pub fn replenish(&self) {
        let approvals = {
            let mut st = self.state.lock();
            self.plan(&mut st)
        };
        connector::spawn(approvals);
    }

    /// Takes `raw`, opened outside the pool, as an ordinary member (counted, aged from now,
    /// checked before hand-out) when there is room; otherwise hands it back.
    pub fn adopt(&self, raw: M::Connection) -> std::result::Result<(), M::Connection> {
        let approval = {
            let mut st = self.state.lock();
            if st.closed || st.open + st.connecting >= self.config.max_size {
                return Err(raw);
            }
            st.connecting += 1;
            Approval::granted(self.me.clone(), st.generation)
        };
        connector::spawn(self.connected(approval, Ok(raw)).into_iter().collect());
        Ok(())
    }

    /// Accounts a finished connect; returns the approval for the next one when more are wanted.
    pub fn connected(
        &self,
        approval: Approval<M>,
        result: Result<M::Connection>,
    ) -> Option<Approval<M>> {
        let now = Instant::now();
        let mut st = self.state.lock();
        approval.consume();
        st.connecting = st.connecting.saturating_sub(1);
        let mut failed = None;
        let mut surplus = None;
        let mut wakes = Vec::new();
        match result {
            Ok(raw) if st.closed => {
                drop(st);
                self.close_raw(raw);
                return None;
            }
            Ok(raw)
                if st.open >= 1
                    && st
                        .capacity
                        .headroom_cap(&self.config)
                        .is_some_and(|cap| st.open >= cap) =>
            {
                // Started before a reading showed no room past the headroom: the slot goes
                // back to the server (a pool always keeps its first connection).
                surplus = Some(raw);
            }
            Ok(raw) => {
                st.open += 1;
                st.counters.created += 1;
                st.failures = 0;
                st.backoff_until = None;
                st.last_error = None;
                st.capacity.connected();
                let conn = Conn::new(raw, now, self.config.max_lifetime, st.generation);
                wakes.push(st.put(conn, now));
            }
            Err(e) if self.manager.is_capacity_refusal(&e) => {
                // The server is up and full: no fail-fast, no connect back-off; the cap
                // stops growth for a while and waiters wait for returned connections.
                st.counters.connect_errors += 1;
                st.failures = 0;
                st.backoff_until = None;
                let live = st.open.saturating_sub(st.closing);
                if st.capacity.refused(now, live, e.clone()) {
                    self.near_capacity_event(&st, now);
                }
                if let Some(until) = st.capacity.refused_until() {
                    let weak = self.me.clone();
                    scheduler::schedule(
                        until,
                        Box::new(move |_| {
                            weak.upgrade()?.replenish();
                            None
                        }),
                    );
                }
                // Counted, and told once per episode: not a connect failure every retry.
                st.last_error = Some(e);
            }
            Err(e) => {
                st.counters.connect_errors += 1;
                st.failures = st.failures.saturating_add(1);
                st.backoff_until = now.checked_add(backoff(st.failures));
                let live = st.open.saturating_sub(st.closing);
                if e.kind() == ErrorKind::Auth || live == 0 {
                    let fail = connect_failing(&e, st.failures);
                    wakes = st.fail_waiters(&fail);
                }
                failed = Some(e.to_string());
                st.last_error = Some(e);
            }
        }
        let next = self.plan(&mut st);
        drop(st);
        drop(wakes);
        if let Some(raw) = surplus {
            self.close_raw(raw);
        }
        if let Some(message) = failed {
            events::emit(Event::ConnectFailed {
                pool: self.name.clone(),
                message,
            });
        }
        let mut next = next.into_iter();
        let mine = next.next();
        connector::spawn(next.collect());
        mine
    }

    /// Closes connections already counted in `closing` (outside the lock), then accounts
    /// for them and starts replacements when wanted.
    pub fn retire(&self, conns: Vec<(Conn<M::Connection>, Reason)>) {
        if conns.is_empty() {
            return;
        }
        let generation = conns[0].0.generation;
        let reasons: Vec<Reason> = conns
            .into_iter()
            .map(|(c, r)| {
                self.close_raw(c.raw);
                r
            })
            .collect();
        let approvals = {
            let mut st = self.state.lock();
            if st.generation != generation {
                return;
            }
            for r in reasons {
                st.closing = st.closing.saturating_sub(1);
                st.open = st.open.saturating_sub(1);
                st.counters.count_close(r);
            }
            self.plan(&mut st)
        };
        connector::spawn(approvals);
    }

    /// Closes one raw connection through the manager; a panic there is contained.
    pub fn close_raw(&self, raw: M::Connection) {
        if catch_unwind(AssertUnwindSafe(|| self.manager.close(raw))).is_err() {
            log::error!(
                "sharedpool: pool {}: the connection manager panicked in close",
                self.name
            );
        }
    }

    /// The error of every acquire on a closed pool.
    pub fn closed_error(&self) -> Error {
        Error::new(
            ErrorKind::PoolClosed,
            format!("pool {} is closed", self.name),
        )
    }

    /// Closes the pool: see `Pool::close`.
    pub fn close(&self) {
        self.check_fork();
        let (idle, wakes) = {
            let mut st = self.state.lock();
            if st.closed {
                return;
            }
            st.closed = true;
            self.closed.store(true, Ordering::Release);
            let e = self.closed_error();
            let wakes = st.fail_waiters(&e);
            let idle: Vec<_> = st.idle.drain(..).map(|i| (i.conn, Reason::Pool)).collect();
            st.closing += idle.len() as u32;
            (idle, wakes)
        };
        drop(wakes);
        self.retire(idle);
        events::emit(Event::PoolClosed {
            pool: self.name.clone(),
        });
    }

    /// Notices a `fork()`: in the child, inherited connections are forgotten (no I/O on
    /// their sockets), counts start over, background work restarts.
    pub fn check_fork(&self) {
        let now = fork::generation();
        if now == self.generation.load(Ordering::Acquire) {
            return;
        }
        let inherited = {
            let mut st = self.state.lock();
            if st.generation == now {
                return;
            }
            st.generation = now;
            self.generation.store(now, Ordering::Release);
            st.open = 0;
            st.connecting = 0;
            st.closing = 0;
            st.waiters.clear();
            st.woken = 0;
            st.handoff_until = None;
            st.borrows.clear();
            st.failures = 0;
            st.backoff_until = None;
            st.idle.drain(..).collect::<Vec<_>>()
        };
        for idle in inherited {
            let _ = catch_unwind(AssertUnwindSafe(|| self.manager.forget(idle.conn.raw)));
        }
        if !self.closed.load(Ordering::Acquire) {
            if let Some(me) = self.me.upgrade() {
                me.start();
            }
        }
    }

    /// A snapshot of state and counters (`refs` = 0).
    pub fn stats(&self) -> Stats {
        self.check_fork();
        let st = self.state.lock();
        let c = &st.counters;
        Stats {
            refs: 0,
            max_size: self.config.max_size,
            total: st.open + st.connecting,
            idle: st.idle.len() as u32,
            active: st.active(),
            waiting: st.waiting(),
            acquires_total: c.acquires,
            timeouts_total: c.timeouts,
            created_total: c.created,
            closed_total: c.closed,
            resets_total: c.resets,
            connect_errors_total: c.connect_errors,
            connecting: st.connecting,
            closed_idle_total: c.closed_idle,
            closed_lifetime_total: c.closed_lifetime,
            closed_max_uses_total: c.closed_max_uses,
            closed_broken_total: c.closed_broken,
            closed_pool_total: c.closed_pool,
            cancelled_total: c.cancelled,
            leaks_total: c.leaks,
            wait_time_us_total: c.wait_us_total,
            wait_time_us_max: c.wait_us_max,
            hold_time_us_total: c.hold_us_total,
            arrival_rate: st.demand.rate,
            hold_time_avg: st.demand.hold,
            demand: st.demand.load(),
            recommended_size: st.demand.recommended,
            capacity_cap: st
                .capacity
                .cap(Instant::now(), &self.config)
                .unwrap_or(self.config.max_size),
        }
    }

    /// How often maintenance runs for this configuration.
    pub fn maintenance_period(&self) -> Duration {
        let c = &self.config;
        let mut p = Duration::from_secs(1);
        if c.adaptive {
            p = p.min(Duration::from_millis(100));
        }
        for (d, div) in [
            (c.idle_timeout, 2),
            (c.max_lifetime, 4),
            (c.leak_detection, 2),
        ] {
            if !d.is_zero() {
                p = p.min(d / div);
            }
        }
        p.max(Duration::from_millis(10))
    }
}

/// A fork takes the state lock.
impl<M: ManageConnection> HoldAcrossFork for Shared<M> {
    fn hold(self: Arc<Self>) -> Held {
        // SAFETY: the guard borrows `self`, which `owner` keeps alive until after it is
        // dropped (`fork_locks::release` drops the guards first).
        let state = unsafe {
            std::mem::transmute::<
                MutexGuard<'_, State<M::Connection>>,
                MutexGuard<'static, State<M::Connection>>,
            >(self.state.lock())
        };
        Held {
            guards: vec![Box::new(state) as Box<dyn Any>],
            owner: self,
        }
    }
}

impl<M: ManageConnection> Drop for Shared<M> {
    fn drop(&mut self) {
        let st = self.state.get_mut();
        let inherited = st.generation != fork::generation();
        for idle in st.idle.drain(..).collect::<Vec<_>>() {
            let raw = idle.conn.raw;
            let _ = catch_unwind(AssertUnwindSafe(|| {
                if inherited {
                    self.manager.forget(raw)
                } else {
                    self.manager.close(raw)
                }
            }));
        }
    }
}
