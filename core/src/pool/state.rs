//! The pool's shared state, all behind one mutex: idle connections, the waiter queue,
//! the counts that bound the pool, connect failure state and the counters.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::sync::Condvar;

use super::capacity::Capacity;
use super::conn::{thread_token, Conn};
use super::demand::Demand;
use super::lock::Lock;
use crate::{Error, PoolConfig, Result};

/// A waiter that has waited this long (since it queued, or since the last hand-off mode
/// ended, whichever is later) switches the pool to hand-off mode.
pub(crate) const STARVING: Duration = Duration::from_millis(1);

/// How many of the most recently returned idle connections an acquire looks through for the
/// one its own thread gave back (a short scan under the lock; pools are small).
pub(crate) const AFFINITY_SCAN: usize = 8;

/// An idle connection and since when it has been idle.
pub(crate) struct Idle<C> {
    pub conn: Conn<C>,
    pub since: Instant,
}

/// A connection handed to a waiter, already counted as an acquire by the deliverer.
pub(crate) struct Handoff<C> {
    pub conn: Conn<C>,
    /// When it was handed over (the borrow's start).
    pub at: Instant,
    /// The wait it ended, in µs (counted in `wait_us_total`).
    pub waited_us: u64,
    /// Leak-detection borrow id (0: none).
    pub borrow: u64,
}

/// What a deliverer leaves in a waiter's slot.
pub(crate) enum Delivery<C> {
    /// Normal mode: a connection went idle; take it if still there, or queue again at
    /// the front. The waiter has left the queue and is counted in `State::woken`.
    Retry,
    /// Hand-off mode (or an error): the result of the acquire, already accounted.
    Done(Result<Handoff<C>>),
}

/// One waiting acquirer. It parks on its own slot mutex and condvar, never on the pool
/// lock: the deliverer (holding the pool lock) fills the slot and wakes exactly this
/// thread. A hand-off is accounted by the deliverer; the waiter then only takes it.
///
/// Lock order: pool lock, then slot. A waiter holding its slot never takes the pool lock.
/// A waiter is delivered to only while it is queued, and only under the pool lock, so a
/// waiter that finds itself no longer queued (under the pool lock) has a filled slot.
pub(crate) struct Waiter<C> {
    pub slot: Lock<Option<Delivery<C>>>,
    pub cv: Condvar,
    /// When the acquire started (for the wait time and the hand-off mode).
    pub start: Instant,
    /// The borrower's label, when leak detection is on.
    pub label: Option<String>,
}

impl<C> Waiter<C> {
    pub fn new(start: Instant, label: Option<String>) -> Self {
        Waiter {
            slot: Lock::new(None),
            cv: Condvar::new(),
            start,
            label,
        }
    }

    /// Fills the slot. Call with the pool lock held, after removing the waiter from the
    /// queue; wake it (drop the returned [`Wake`]) after releasing the pool lock.
    fn deliver(self: Arc<Self>, delivery: Delivery<C>) -> Wake<C> {
        *self.slot.lock() = Some(delivery);
        Wake(Some(self))
    }

    /// Wakes the waiter without delivering (it rechecks cancel and deadline).
    pub fn nudge(&self) {
        let _slot = self.slot.lock();
        self.cv.notify_one();
    }
}

/// Wakes a waiter whose slot was filled, when dropped. Drop it after the pool lock, so the
/// woken thread does not run into the lock its deliverer still holds. (No wake-up is lost:
/// the waiter checks its slot and sleeps under the slot lock, which the filling took.)
#[must_use = "drop it after releasing the pool lock"]
pub(crate) struct Wake<C>(Option<Arc<Waiter<C>>>);

impl<C> Wake<C> {
    /// Nobody to wake.
    pub fn none() -> Self {
        Wake(None)
    }
}

impl<C> Drop for Wake<C> {
    fn drop(&mut self) {
        if let Some(w) = self.0.take() {
            w.cv.notify_one();
        }
    }
}

/// A borrow tracked for leak detection.
pub(crate) struct Borrow {
    pub since: Instant,
    pub label: String,
    pub reported: bool,
}

/// Why a connection was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    Idle,
    Lifetime,
    MaxUses,
    Broken,
    Pool,
}

/// Monotonic counters (read by `stats`).
#[derive(Default)]
pub(crate) struct Counters {
    pub arrivals: u64,
    pub acquires: u64,
    pub returns: u64,
    pub timeouts: u64,
    pub created: u64,
    pub closed: u64,
    pub resets: u64,
    pub connect_errors: u64,
    pub closed_idle: u64,
    pub closed_lifetime: u64,
    pub closed_max_uses: u64,
    pub closed_broken: u64,
    pub closed_pool: u64,
    pub cancelled: u64,
    pub leaks: u64,
    pub wait_us_total: u64,
    pub wait_us_max: u64,
    pub hold_us_total: u64,
}

impl Counters {
    /// Counts one closed connection.
    pub fn count_close(&mut self, reason: Reason) {
        self.closed += 1;
        match reason {
            Reason::Idle => self.closed_idle += 1,
            Reason::Lifetime => self.closed_lifetime += 1,
            Reason::MaxUses => self.closed_max_uses += 1,
            Reason::Broken => self.closed_broken += 1,
            Reason::Pool => self.closed_pool += 1,
        }
    }
}

/// Everything behind the pool lock.
pub(crate) struct State<C> {
    /// Idle connections; the back is the most recently returned (reused first).
    pub idle: VecDeque<Idle<C>>,
    /// Waiting acquirers, oldest first. While `idle` is not empty, one of them is woken
    /// (`woken > 0`) and on its way to take it.
    pub waiters: VecDeque<Arc<Waiter<C>>>,
    /// Waiters woken to retry (`Delivery::Retry`) and not back under the lock yet. At most
    /// one at a time (as Go's `mutexWoken`): a return costs at most one wake-up.
    pub woken: u32,
    /// Hand-off mode, while set: waiters that started at or before it are served first,
    /// returned connections go straight to the oldest waiter and newcomers queue.
    pub handoff_until: Option<Instant>,
    /// When the last hand-off mode ended (the pool's creation at first).
    pub normal_since: Instant,
    /// Established connections: idle, borrowed and being closed.
    pub open: u32,
    /// Connects in progress (each holds an approval).
    pub connecting: u32,
    /// Connections taken out to be closed (still counted in `open` until closed).
    pub closing: u32,
    pub closed: bool,
    /// The fork generation the counts belong to.
    pub generation: u64,
    pub last_error: Option<Error>,
    /// Consecutive failed connects.
    pub failures: u32,
    /// No connect before this, after failures.
    pub backoff_until: Option<Instant>,
    /// Borrows tracked for leak detection (only when `leak_detection` is on).
    pub borrows: HashMap<u64, Borrow>,
    pub next_borrow: u64,
    pub counters: Counters,
    pub demand: Demand,
    /// The server's room: a cap on growth after a capacity refusal or near the headroom.
    pub capacity: Capacity,
}

impl<C> State<C> {
    pub fn new(now: Instant, config: &PoolConfig, generation: u64) -> Self {
        State {
            idle: VecDeque::new(),
            waiters: VecDeque::new(),
            woken: 0,
            handoff_until: None,
            normal_since: now,
            open: 0,
            connecting: 0,
            closing: 0,
            closed: false,
            generation,
            last_error: None,
            failures: 0,
            backoff_until: None,
            borrows: HashMap::new(),
            next_borrow: 0,
            counters: Counters::default(),
            demand: Demand::new(now, config),
            capacity: Capacity::default(),
        }
    }

    /// Borrowed connections.
    pub fn active(&self) -> u32 {
        self.open
            .saturating_sub(self.closing)
            .saturating_sub(self.idle.len() as u32)
    }

    /// Acquirers waiting: queued or woken.
    pub fn waiting(&self) -> u32 {
        self.waiters.len() as u32 + self.woken
    }

    /// Is the pool in hand-off mode at `now`? It begins when the oldest waiter has waited
    /// [`STARVING`] (counted from the end of the last hand-off mode, so that normal mode
    /// gets at least that long between two), and ends once every waiter queued when it
    /// began has been served or has given up.
    pub fn handoff(&mut self, now: Instant) -> bool {
        let Some(front) = self.waiters.front() else {
            if self.handoff_until.take().is_some() {
                self.normal_since = now;
            }
            return false;
        };
        if let Some(until) = self.handoff_until {
            if front.start <= until {
                return true;
            }
            self.handoff_until = None;
            self.normal_since = now;
        }
        let since = front.start.max(self.normal_since);
        if now.saturating_duration_since(since) < STARVING {
            return false;
        }
        self.handoff_until = self.waiters.back().map(|w| w.start);
        true
    }

    /// The idle connection for the calling thread: the one it gave back itself, when that is
    /// among the [`AFFINITY_SCAN`] most recently returned, else the most recently returned.
    /// Reusing its own connection keeps a thread paired with the same server thread, which
    /// the scheduler keeps warm and close (measured through the C ABI, 4 threads on 8
    /// connections: see the module doc of `pool`).
    pub fn take_idle(&mut self) -> Option<Idle<C>> {
        let me = thread_token();
        let n = self.idle.len();
        let mine = (1..=n.min(AFFINITY_SCAN))
            .map(|back| n - back)
            .find(|&i| self.idle[i].conn.returned_by == me);
        match mine {
            Some(i) => self.idle.remove(i),
            None => self.idle.pop_back(),
        }
    }

    /// Returns `conn`: in hand-off mode to the oldest waiter, counting the acquire for it
    /// (wait time, leak-detection borrow); otherwise to the idle stack, waking the oldest
    /// waiter to come and take it unless one is already on its way. Drop the returned
    /// [`Wake`] after releasing the pool lock.
    pub fn put(&mut self, mut conn: Conn<C>, now: Instant) -> Wake<C> {
        if self.waiters.is_empty() {
            if self.handoff_until.take().is_some() {
                self.normal_since = now;
            }
            self.idle.push_back(Idle { conn, since: now });
            return Wake::none();
        }
        let at = Instant::now();
        if !self.handoff(at) {
            self.idle.push_back(Idle { conn, since: now });
            return self.wake_next();
        }
        let Some(w) = self.waiters.pop_front() else {
            unreachable!("hand-off mode with no waiter");
        };
        let (borrow, waited_us) = self.count_acquire(w.start, at, w.label.as_deref());
        conn.uses += 1;
        w.deliver(Delivery::Done(Ok(Handoff {
            conn,
            at,
            waited_us,
            borrow,
        })))
    }

    /// Wakes the oldest waiter to retry when a connection is idle and no woken waiter is
    /// on its way already. Drop the returned [`Wake`] after releasing the pool lock.
    pub fn wake_next(&mut self) -> Wake<C> {
        if self.woken > 0 || self.idle.is_empty() {
            return Wake::none();
        }
        let Some(w) = self.waiters.pop_front() else {
            return Wake::none();
        };
        self.woken += 1;
        w.deliver(Delivery::Retry)
    }

    /// Counts an acquire that started at `start` and got its connection at `at`: the wait
    /// time, and with `label` (leak detection on) a tracked borrow. Returns the borrow's id
    /// (0: none) and the wait counted, for [`State::uncount_acquire`].
    pub fn count_acquire(
        &mut self,
        start: Instant,
        at: Instant,
        label: Option<&str>,
    ) -> (u64, u64) {
        let waited_us = at.saturating_duration_since(start).as_micros() as u64;
        let c = &mut self.counters;
        c.acquires += 1;
        c.wait_us_total += waited_us;
        c.wait_us_max = c.wait_us_max.max(waited_us);
        let borrow = label.map_or(0, |l| self.track(l.to_string(), at));
        (borrow, waited_us)
    }

    /// Undoes [`State::count_acquire`] for an acquire that did not take its connection.
    pub fn uncount_acquire(&mut self, borrow: u64, waited_us: u64) {
        let c = &mut self.counters;
        c.acquires = c.acquires.saturating_sub(1);
        c.wait_us_total = c.wait_us_total.saturating_sub(waited_us);
        if borrow != 0 {
            self.borrows.remove(&borrow);
        }
    }

    /// Tracks a borrow for leak detection; returns its id.
    fn track(&mut self, label: String, since: Instant) -> u64 {
        self.next_borrow += 1;
        let id = self.next_borrow;
        let borrow = Borrow {
            since,
            label,
            reported: false,
        };
        self.borrows.insert(id, borrow);
        id
    }

    /// Undoes the accounting `put` did for a hand-off its waiter did not take (the wait
    /// was cancelled as it arrived); returns the connection as it was before.
    pub fn unaccount(&mut self, h: Handoff<C>) -> Conn<C> {
        self.uncount_acquire(h.borrow, h.waited_us);
        let mut conn = h.conn;
        conn.uses = conn.uses.saturating_sub(1);
        conn
    }

    /// Ends every wait with `error`. Drop the returned wakes after releasing the pool lock.
    pub fn fail_waiters(&mut self, error: &Error) -> Vec<Wake<C>> {
        let waiters: Vec<_> = self.waiters.drain(..).collect();
        waiters
            .into_iter()
            .map(|w| w.deliver(Delivery::Done(Err(error.clone()))))
            .collect()
    }

    /// Removes `waiter` from the queue (it gave up); `false` when it was not queued any
    /// more (its slot has been filled).
    pub fn remove_waiter(&mut self, waiter: &Arc<Waiter<C>>) -> bool {
        match self.waiters.iter().position(|w| Arc::ptr_eq(w, waiter)) {
            Some(i) => {
                self.waiters.remove(i);
                true
            }
            None => false,
        }
    }

    /// How many connects to start now: enough for the waiters, `min_idle` idle and the
    /// adaptive warm target, within `max_size` and the capacity cap (counting connects) and
    /// `max_connecting` (one at a time while the target is failing). The second value: does
    /// the capacity cap hold back connects wanted otherwise?
    pub fn connects_wanted(&self, config: &PoolConfig, now: Instant) -> (u32, bool) {
        if self.closed {
            return (0, false);
        }
        let live = self.open.saturating_sub(self.closing);
        let active = self.active();
        let warm = if config.adaptive {
            self.demand.recommended
        } else {
            0
        };
        let waiting = self.waiting();
        let limit = if self.failures > 0 {
            1
        } else {
            config.max_connecting.max(1)
        };
        let wanted = |size: u32| {
            let needed = (active + waiting)
                .max(active + config.min_idle)
                .max(warm)
                .min(size);
            let room = size.saturating_sub(self.open + self.connecting);
            needed
                .saturating_sub(live + self.connecting)
                .min(room)
                .min(limit.saturating_sub(self.connecting))
        };
        let n = wanted(config.max_size);
        match self.capacity.cap(now, config) {
            Some(cap) => {
                let capped = wanted(cap);
                (capped, capped < n)
            }
            None => (n, false),
        }
    }

    /// The error a new acquirer gets at once while connects fail and nothing can come back
    /// soon: no idle connection, in backoff, and no live connection (or the last failure was
    /// an authentication error).
    pub fn fail_fast(&self, now: Instant) -> Option<Error> {
        let e = self.last_error.as_ref()?;
        if self.failures == 0 || !self.idle.is_empty() {
            return None;
        }
        let in_backoff = self.backoff_until.is_some_and(|t| now < t);
        let nothing_live = self.open.saturating_sub(self.closing) == 0;
        let auth = e.kind() == crate::ErrorKind::Auth;
        (in_backoff && (nothing_live || auth)).then(|| connect_failing(e, self.failures))
    }
}

/// A connect error as acquirers see it while the target is failing.
pub(crate) fn connect_failing(e: &Error, failures: u32) -> Error {
    let s = if failures == 1 { "" } else { "s" };
    let message = format!(
        "cannot connect ({failures} consecutive failure{s}): {}",
        e.message()
    );
    if e.server_errno() != 0 {
        Error::server(e.kind(), e.server_errno(), e.sqlstate(), message)
    } else {
        Error::new(e.kind(), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZERO: Duration = Duration::ZERO;

    fn conn(n: u32) -> Conn<u32> {
        Conn::new(n, Instant::now(), ZERO, 0)
    }

    /// A state whose last hand-off mode ended long ago.
    fn state() -> State<u32> {
        let mut st = State::new(Instant::now(), &PoolConfig::default(), 0);
        st.normal_since = Instant::now() - Duration::from_secs(1);
        st
    }

    fn queue(st: &mut State<u32>, waited: Duration) -> Arc<Waiter<u32>> {
        let w = Arc::new(Waiter::new(Instant::now() - waited, None));
        st.waiters.push_back(w.clone());
        w
    }

    fn slot(w: &Waiter<u32>) -> &'static str {
        match &*w.slot.lock() {
            None => "empty",
            Some(Delivery::Retry) => "retry",
            Some(Delivery::Done(Ok(_))) => "conn",
            Some(Delivery::Done(Err(_))) => "error",
        }
    }

    #[test]
    fn a_thread_takes_back_the_connection_it_returned() {
        let mut st = state();
        let mut mine = conn(1);
        mine.returned_by = thread_token();
        drop(st.put(mine, Instant::now()));
        let other = std::thread::spawn(thread_token).join().unwrap();
        for n in 2..=4 {
            let mut c = conn(n);
            c.returned_by = other;
            drop(st.put(c, Instant::now()));
        }
        assert_eq!(st.take_idle().map(|i| i.conn.raw), Some(1));
        // None of its own left: the most recently returned.
        assert_eq!(st.take_idle().map(|i| i.conn.raw), Some(4));
        // Only the last AFFINITY_SCAN returns are looked through.
        let mut st = state();
        let mut mine = conn(0);
        mine.returned_by = thread_token();
        drop(st.put(mine, Instant::now()));
        for n in 1..=AFFINITY_SCAN as u32 {
            drop(st.put(conn(n), Instant::now()));
        }
        assert_eq!(
            st.take_idle().map(|i| i.conn.raw),
            Some(AFFINITY_SCAN as u32)
        );
        assert_eq!(st.idle.len(), AFFINITY_SCAN);
    }

    #[test]
    fn normal_mode_makes_a_return_idle_and_wakes_one_waiter_at_a_time() {
        let mut st = state();
        let (a, b) = (queue(&mut st, ZERO), queue(&mut st, ZERO));
        drop(st.put(conn(1), Instant::now()));
        assert_eq!((st.idle.len(), st.woken, st.waiters.len()), (1, 1, 1));
        assert_eq!((slot(&a), slot(&b)), ("retry", "empty"));
        assert_eq!(st.waiting(), 2);
        // One woken waiter is on its way already: no second wake-up.
        drop(st.put(conn(2), Instant::now()));
        assert_eq!((st.idle.len(), st.woken, slot(&b)), (2, 1, "empty"));
        // It arrives and takes one; the next waiter is woken for the other.
        st.woken -= 1;
        st.idle.pop_back();
        drop(st.wake_next());
        assert_eq!((st.woken, slot(&b), st.waiters.len()), (1, "retry", 0));
        assert_eq!(st.counters.acquires, 0);
        assert!(st.handoff_until.is_none());
    }

    #[test]
    fn a_starving_waiter_starts_hand_off_mode_until_its_queue_is_served() {
        let mut st = state();
        let old = queue(&mut st, Duration::from_millis(5));
        let mid = queue(&mut st, ZERO);
        drop(st.put(conn(1), Instant::now()));
        assert_eq!((slot(&old), st.idle.len(), st.woken), ("conn", 0, 0));
        assert!(st.handoff_until.is_some());
        assert_eq!(st.counters.acquires, 1);
        assert!(
            st.counters.wait_us_max >= 5000,
            "{}",
            st.counters.wait_us_max
        );
        // A newcomer during hand-off mode queues behind the waiters of its start.
        let young = queue(&mut st, ZERO);
        drop(st.put(conn(2), Instant::now()));
        assert_eq!((slot(&mid), slot(&young)), ("conn", "empty"));
        // Those are served: normal mode again, the newcomer is woken to take an idle one.
        drop(st.put(conn(3), Instant::now()));
        assert_eq!((slot(&young), st.idle.len(), st.woken), ("retry", 1, 1));
        assert!(st.handoff_until.is_none());
        assert_eq!(st.counters.acquires, 2);
    }

    #[test]
    fn normal_mode_lasts_at_least_the_threshold_between_two_hand_offs() {
        let mut st = state();
        queue(&mut st, Duration::from_millis(5));
        assert!(st.handoff(Instant::now()));
        st.waiters.pop_front();
        // The queue is empty: hand-off mode ends; a waiter that has waited long already
        // counts its wait from then.
        assert!(!st.handoff(Instant::now()));
        queue(&mut st, Duration::from_millis(5));
        assert!(!st.handoff(Instant::now()));
        assert!(st.handoff(Instant::now() + STARVING));
    }

    #[test]
    fn failing_waiters_delivers_errors_and_empties_the_queue() {
        let mut st = state();
        let (a, b) = (queue(&mut st, ZERO), queue(&mut st, ZERO));
        let wakes = st.fail_waiters(&Error::new(crate::ErrorKind::PoolClosed, "closed"));
        assert_eq!(wakes.len(), 2);
        assert_eq!((slot(&a), slot(&b), st.waiting()), ("error", "error", 0));
    }
}
