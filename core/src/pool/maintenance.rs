//! Background maintenance, one thread per pool holding only a `Weak` reference: samples
//! demand, closes idle connections past `idle_timeout` (above the floor) and past their
//! lifetime, reports suspected leaks, keeps `min_idle` / the adaptive target warm.
//! Acquire and release never depend on it.

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use super::connector;
use super::shared::Shared;
use super::state::Reason;
use crate::events::{self, Event};
use crate::ManageConnection;

/// Wakes the maintenance thread early and tells it to stop.
///
/// `std::sync` on purpose: its futex-based condvar keeps no process-global queue of parked
/// threads, so a child process after `fork()` can wait on it although the parent's
/// maintenance thread (which does not exist in the child) was parked on it.
#[derive(Default)]
pub(crate) struct Signal {
    stopped: Mutex<bool>,
    cv: Condvar,
}

impl Signal {
    /// Holds the signal's lock (for `fork_locks`).
    pub fn hold(&self) -> std::sync::MutexGuard<'_, bool> {
        self.stopped.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_all();
    }

    /// Sleeps up to `period`; false once stopped.
    fn sleep(&self, period: Duration) -> bool {
        let stopped = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        let stopped = if *stopped {
            stopped
        } else {
            self.cv
                .wait_timeout(stopped, period)
                .unwrap_or_else(|e| e.into_inner())
                .0
        };
        !*stopped
    }
}

/// Starts the maintenance thread of `shared`.
pub(crate) fn spawn<M: ManageConnection>(shared: &Arc<Shared<M>>) {
    let weak = Arc::downgrade(shared);
    let signal = shared.signal.clone();
    let spawned = std::thread::Builder::new()
        .name("sharedpool-maint".into())
        .spawn(move || run(weak, signal));
    if let Err(e) = spawned {
        log::error!("sharedpool: cannot start the maintenance thread: {e}");
    }
}

fn run<M: ManageConnection>(weak: Weak<Shared<M>>, signal: Arc<Signal>) {
    loop {
        let period = {
            let Some(shared) = weak.upgrade() else {
                return;
            };
            if shared.is_closed() {
                return;
            }
            shared.maintain(Instant::now());
            shared.maintenance_period()
        };
        if !signal.sleep(period) {
            return;
        }
    }
}

impl<M: ManageConnection> Shared<M> {
    /// Is the pool closed? (Lock-free.)
    pub fn is_closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::Acquire)
    }

    /// One maintenance pass.
    pub fn maintain(&self, now: Instant) {
        self.check_fork();
        let cfg = &self.config;
        let mut events = Vec::new();
        let (retire, approvals) = {
            let mut st = self.state.lock();
            if st.closed {
                return;
            }
            let (arrivals, returns, hold) = (
                st.counters.arrivals,
                st.counters.returns,
                st.counters.hold_us_total,
            );
            st.demand.sample(now, arrivals, returns, hold, cfg);
            let warm = if cfg.adaptive {
                st.demand.recommended
            } else {
                0
            };
            // Oldest-returned first: the front of the idle queue.
            let mut retire = Vec::new();
            let mut i = 0;
            while i < st.idle.len() {
                let it = &st.idle[i];
                let expired = it.conn.expired(now);
                let idle_out = !cfg.idle_timeout.is_zero()
                    && now.saturating_duration_since(it.since) >= cfg.idle_timeout
                    && st.idle.len() as u32 > cfg.min_idle
                    && st.open.saturating_sub(st.closing) > warm;
                if expired || idle_out {
                    let it = st.idle.remove(i).expect("index in range");
                    st.closing += 1;
                    let reason = if expired {
                        Reason::Lifetime
                    } else {
                        Reason::Idle
                    };
                    retire.push((it.conn, reason));
                } else {
                    i += 1;
                }
            }
            if !cfg.leak_detection.is_zero() {
                let mut found = 0;
                for b in st.borrows.values_mut() {
                    let held = now.saturating_duration_since(b.since);
                    if !b.reported && held >= cfg.leak_detection {
                        b.reported = true;
                        found += 1;
                        events.push(Event::LeakSuspected {
                            pool: self.name.clone(),
                            borrower: b.label.clone(),
                            held_ms: held.as_millis() as u64,
                        });
                    }
                }
                st.counters.leaks += found;
            }
            (retire, self.plan(&mut st))
        };
        connector::spawn(approvals);
        self.retire(retire);
        for e in events {
            events::emit(e);
        }
    }
}
