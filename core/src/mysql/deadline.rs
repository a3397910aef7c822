//! Statement deadlines (`statement_timeout_ms`): a statement still running at its deadline is
//! stopped on the server, and its caller gets a timeout instead of waiting for `read_timeout`.
//!
//! Each pool's [`Killer`] keeps the statements running under a deadline (at most one per
//! connection) and one task on the process scheduler, armed for the earliest deadline. A
//! deadline that passes starts a short-lived thread that sends `KILL QUERY <id>` over the pool's
//! control connection (one at most, opened when first needed, closed after
//! [`CONTROL_IDLE`] unused, never one of the pool's connections). If the statement has not ended
//! [`GRACE`] after the kill (the server stopped answering, the network is gone), the statement's
//! socket is shut down, which ends the blocked read at once. Either way the statement's
//! connection is discarded afterwards: a `KILL QUERY` that arrives just after the statement
//! finished would otherwise stop the next borrower's statement. So the caller waits at most
//! its deadline, plus the kill (bounded by the control connection's timeouts, at most
//! [`CONTROL_IO`] each), plus `GRACE`.

use std::collections::BTreeMap;
use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Weak};
use std::time::{Duration, Instant};

use super::conn::Connection;
use super::dsn::Dsn;
use crate::pool::lock::{wait_until, Lock};
use crate::{scheduler, CancelToken, Options, Result};

/// How long a killed statement may take to end before its socket is shut down.
pub(crate) const GRACE: Duration = Duration::from_millis(500);
/// The control connection's connect, read and write timeouts (at most; the pool's if shorter).
pub(crate) const CONTROL_IO: Duration = Duration::from_secs(2);
/// The control connection is closed after this long unused.
pub(crate) const CONTROL_IDLE: Duration = Duration::from_secs(10);

/// Why a statement was ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    /// `statement_timeout_ms` passed.
    StatementTimeout,
    /// The caller's deadline for this call passed.
    CallDeadline,
    /// The caller's cancel token was triggered.
    Cancelled,
}

/// How a statement past its deadline was ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The server confirmed `KILL QUERY`.
    Killed,
    /// The kill failed or the statement did not end after it: the socket was shut down.
    ShutDown(String),
}

/// The statement deadlines of one pool, and its control connection.
pub(crate) struct Killer {
    me: Weak<Killer>,
    dsn: Arc<Dsn>,
    control_options: Options,
    /// The control connection and when it was last used. Kills of one pool take turns.
    control: Lock<(Option<Connection>, Instant)>,
    running: Lock<Running>,
}

#[derive(Default)]
struct Running {
    /// Statements under a deadline, earliest first, with the deadline's reason.
    watches: BTreeMap<(Instant, u64), (Arc<Watch>, Why)>,
    seq: u64,
    /// The scheduled task that is current, and the deadline it is armed for.
    armed: Option<(Instant, u64)>,
}

/// One statement under a deadline.
struct Watch {
    connection_id: u64,
    fd: c_int,
    /// Set when a kill starts (with `WatchState::killing`): read without the lock by a
    /// stream on every row, so a stream past its deadline stops at once.
    fired: AtomicBool,
    state: Lock<WatchState>,
    cv: Condvar,
}

#[derive(Default)]
struct WatchState {
    /// The deadline passed (or the cancel came) and a kill thread owns the statement's end.
    killing: bool,
    /// Why its deadline or cancel applies (set with `killing`).
    why: Option<Why>,
    /// The statement's call returned.
    statement_done: bool,
    /// The kill thread is finished with the socket.
    kill_done: bool,
    ended: Option<Ended>,
}

impl std::fmt::Debug for Killer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Killer").field("dsn", &self.dsn).finish()
    }
}

impl Killer {
    /// The killer of a pool connecting to `dsn` with `options`.
    pub(crate) fn new(dsn: Arc<Dsn>, options: &Options) -> Arc<Killer> {
        let mut control_options = options.clone();
        let p = &mut control_options.pool;
        for d in [
            &mut p.connect_timeout,
            &mut p.read_timeout,
            &mut p.write_timeout,
        ] {
            *d = (*d).min(CONTROL_IO);
        }
        p.statement_timeout = Duration::ZERO;
        control_options.session.init_sql = None;
        Arc::new_cyclic(|me| Killer {
            me: me.clone(),
            dsn,
            control_options,
            control: Lock::new((None, Instant::now())),
            running: Lock::new(Running::default()),
        })
    }

    /// Watches a statement on connection `connection_id` (socket `fd`) until `deadline` (for
    /// reason `why`), and for `cancel`, until [`Watched::finish`]. The guard owns what it
    /// needs (the killer, a clone of the token), so a stream can keep it as long as its rows
    /// are open; the socket must stay open until `finish` returns.
    pub(crate) fn watch(
        self: &Arc<Self>,
        connection_id: u64,
        fd: c_int,
        deadline: Option<(Instant, Why)>,
        cancel: Option<&CancelToken>,
    ) -> Watched {
        let watch = Arc::new(Watch {
            connection_id,
            fd,
            fired: AtomicBool::new(false),
            state: Lock::default(),
            cv: Condvar::new(),
        });
        let mut key = None;
        if let Some((at, why)) = deadline {
            let mut r = self.running.lock();
            r.seq += 1;
            let seq = r.seq;
            key = Some((at, seq));
            r.watches.insert((at, seq), (watch.clone(), why));
            if r.armed.map_or(true, |(armed, _)| at < armed) {
                let task = r.seq;
                r.armed = Some((at, task));
                drop(r);
                let me = self.me.clone();
                scheduler::schedule(at, Box::new(move |now| me.upgrade()?.tick(task, now)));
            }
        }
        let registered = cancel.and_then(|token| {
            let (me, w) = (self.me.clone(), Arc::downgrade(&watch));
            let id = token.register(Arc::new(move || {
                if let (Some(me), Some(w)) = (me.upgrade(), w.upgrade()) {
                    if let Some(key) = key {
                        me.running.lock().watches.remove(&key);
                    }
                    me.start_kill(w, Why::Cancelled);
                }
            }));
            match id {
                Some(id) => Some((token.clone(), id)),
                None => {
                    // Cancelled already: end it as soon as it starts.
                    self.start_kill(watch.clone(), Why::Cancelled);
                    None
                }
            }
        });
        Watched {
            killer: self.clone(),
            key,
            watch,
            registered,
        }
    }

    /// The scheduled task `task`: starts the kills that are due; returns its next run.
    fn tick(&self, task: u64, now: Instant) -> Option<Instant> {
        let mut r = self.running.lock();
        if r.armed.map(|a| a.1) != Some(task) {
            return None; // replaced by a task armed for an earlier deadline
        }
        let later = r.watches.split_off(&(now, u64::MAX));
        let due = std::mem::replace(&mut r.watches, later);
        let next = r.watches.keys().next().map(|k| k.0);
        r.armed = next.map(|n| (n, task));
        drop(r);
        for (watch, why) in due.into_values() {
            self.start_kill(watch, why);
        }
        next
    }

    /// Hands `watch` to a kill thread, unless its statement ended already or is being killed.
    fn start_kill(&self, watch: Arc<Watch>, why: Why) {
        {
            let mut st = watch.state.lock();
            if st.statement_done || st.killing {
                return;
            }
            st.killing = true;
            st.why = Some(why);
            watch.fired.store(true, Ordering::Release);
        }
        let Some(me) = self.me.upgrade() else {
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("sharedpool-kill".into())
            .spawn({
                let watch = watch.clone();
                move || me.end(&watch)
            });
        if spawned.is_err() {
            // No thread for the kill: end it the sure way, here.
            shut_down(&watch, "no thread could be started for KILL QUERY".into());
            let mut st = watch.state.lock();
            st.kill_done = true;
            watch.cv.notify_all();
        }
    }

    /// A kill thread: `KILL QUERY`, then the socket if the statement does not end.
    fn end(&self, watch: &Watch) {
        let killed = self.kill_query(watch.connection_id);
        let until = Instant::now() + GRACE;
        let mut st = watch.state.lock();
        while !st.statement_done && Instant::now() < until {
            st = wait_until(&watch.cv, st, Some(until));
        }
        if st.statement_done {
            st.ended = Some(match killed {
                Ok(()) => Ended::Killed,
                Err(e) => Ended::ShutDown(format!("KILL QUERY failed ({e})")),
            });
        } else {
            let why = match killed {
                Ok(()) => format!("it did not end {} ms after KILL QUERY", GRACE.as_millis()),
                Err(e) => format!("KILL QUERY failed ({e})"),
            };
            drop(st);
            shut_down(watch, why);
            st = watch.state.lock();
        }
        st.kill_done = true;
        watch.cv.notify_all();
    }

    /// `KILL QUERY <id>` over the control connection (opened when needed).
    fn kill_query(&self, id: u64) -> Result<()> {
        let mut control = self.control.lock();
        let opened = control.0.is_none();
        if opened {
            control.0 = Some(Connection::connect(&self.dsn, &self.control_options)?);
        }
        let conn = control.0.as_mut().expect("opened above");
        let result = conn.query(&format!("KILL QUERY {id}"), &[]).map(drop);
        // 1094: no such thread (the statement's connection is gone already): nothing to stop.
        let result = match result {
            Err(e) if e.server_errno() == 1094 => Ok(()),
            other => other,
        };
        if conn.is_broken() {
            control.0 = None;
        }
        control.1 = Instant::now();
        drop(control);
        if opened {
            let me = self.me.clone();
            scheduler::schedule(
                Instant::now() + CONTROL_IDLE,
                Box::new(move |now| me.upgrade()?.close_idle_control(now)),
            );
        }
        result
    }

    /// Closes the control connection once unused for `CONTROL_IDLE`; else checks again.
    fn close_idle_control(&self, now: Instant) -> Option<Instant> {
        let mut control = self.control.lock();
        control.0.as_ref()?;
        let due = control.1 + CONTROL_IDLE;
        if now < due {
            return Some(due);
        }
        let conn = control.0.take();
        drop(control);
        drop(conn);
        None
    }
}

/// Shuts the statement's socket down (the fd stays open: the statement's thread owns it and
/// is still in its call, see `Watched::finish`).
fn shut_down(watch: &Watch, why: String) {
    // SAFETY: `fd` is the socket of a connection whose statement call has not returned
    // (`statement_done` was false, and `finish` waits for `kill_done` before the connection
    // can be closed), so it is still that socket. shutdown() takes no memory.
    unsafe { libc::shutdown(watch.fd, libc::SHUT_RDWR) };
    watch.state.lock().ended = Some(Ended::ShutDown(why));
}

/// A statement being watched; [`finish`](Watched::finish) when its call returns (a stream:
/// when its rows end or are closed). Dropping it without `finish` would leave the kill armed:
/// every path that ends a statement calls `finish`.
pub(crate) struct Watched {
    killer: Arc<Killer>,
    key: Option<(Instant, u64)>,
    watch: Arc<Watch>,
    registered: Option<(CancelToken, u64)>,
}

impl Watched {
    /// Has the deadline passed or the cancel come (a kill started)? One atomic load.
    pub fn fired(&self) -> bool {
        self.watch.fired.load(Ordering::Acquire)
    }

    /// The statement's call returned: why and how it was ended when its deadline passed or
    /// its cancel came (`None`: neither). Waits for a kill in progress, so the socket is not
    /// closed under it.
    pub fn finish(mut self) -> Option<(Why, Ended)> {
        self.end()
    }

    fn end(&mut self) -> Option<(Why, Ended)> {
        if let Some((token, id)) = self.registered.take() {
            token.unregister(id);
        }
        if let Some(key) = self.key.take() {
            self.killer.running.lock().watches.remove(&key);
        }
        let mut st = self.watch.state.lock();
        if st.statement_done {
            return None; // ended already
        }
        st.statement_done = true;
        if !st.killing {
            return None;
        }
        self.watch.cv.notify_all();
        while !st.kill_done {
            st = wait_until(&self.watch.cv, st, None);
        }
        Some((st.why?, st.ended.clone()?))
    }
}

impl Drop for Watched {
    /// A guard dropped without [`finish`](Watched::finish) (a panic, a forgotten path) still
    /// disarms the kill and waits for one in progress, so no kill outlives its statement.
    fn drop(&mut self) {
        self.end();
    }
}
