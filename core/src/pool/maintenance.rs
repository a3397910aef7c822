//! Background maintenance, a task on the process's one scheduler thread (`crate::scheduler`)
//! holding only a `Weak` reference: samples demand, closes idle connections past
//! `idle_timeout` (above the floor; adaptive pools: above the warm target after at most
//! [`ADAPTIVE_SURPLUS_IDLE`]) and past their lifetime, reports suspected leaks, keeps
//! `min_idle` / the adaptive target warm. Acquire and release never depend on it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::connector;
use super::shared::Shared;
use super::state::Reason;
use crate::events::{self, Event};
use crate::{scheduler, ManageConnection};

/// How long an adaptive pool keeps a connection above its warm target (the recommended size,
/// or `min_idle`) idle before closing it, when `idle_timeout` is longer: a burst's connections
/// go back to the server a few seconds after the burst instead of after `idle_timeout`
/// (10 min by default), so a fleet of mostly idle processes holds about what it uses. Long
/// enough that a load which comes back every second or two keeps its connections.
pub(crate) const ADAPTIVE_SURPLUS_IDLE: Duration = Duration::from_secs(5);

/// Schedules the maintenance of `shared`, now and every `maintenance_period` until the pool
/// is closed or dropped.
pub(crate) fn spawn<M: ManageConnection>(shared: &Arc<Shared<M>>) {
    let weak = Arc::downgrade(shared);
    scheduler::schedule(
        Instant::now(),
        Box::new(move |now| {
            let shared = weak.upgrade()?;
            if shared.is_closed() {
                return None;
            }
            shared.maintain(now);
            Some(Instant::now() + shared.maintenance_period())
        }),
    );
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
            let idle_limit = if cfg.adaptive && !cfg.idle_timeout.is_zero() {
                cfg.idle_timeout.min(ADAPTIVE_SURPLUS_IDLE)
            } else {
                cfg.idle_timeout
            };
            // Oldest-returned first: the front of the idle queue (acquires take the back).
            let mut retire = Vec::new();
            let mut i = 0;
            while i < st.idle.len() {
                let it = &st.idle[i];
                let expired = it.conn.expired(now);
                let idle_out = !idle_limit.is_zero()
                    && now.saturating_duration_since(it.since) >= idle_limit
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
