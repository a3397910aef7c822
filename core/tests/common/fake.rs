//! A fake connection manager: no I/O, every call counted, failures and delays on demand.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use sharedpool::{Error, ErrorKind, ManageConnection, Result};

/// Which manager call a hook is running in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Connect,
    IsAlive,
    Validate,
    Reset,
    Close,
}

type Hook = Arc<dyn Fn(Op) + Send + Sync>;

/// What the fake manager and the test share.
#[derive(Default)]
pub struct Fake {
    /// Sleep in every connect.
    pub connect_delay: Mutex<Duration>,
    /// The next N connects fail.
    pub fail_connects: AtomicU32,
    /// Failing connects fail with `Auth` instead of `Connect`.
    pub fail_auth: AtomicBool,
    /// Every validate fails.
    pub fail_validate: AtomicBool,
    /// Every cheap liveness check fails (the server closed the socket).
    pub fail_alive: AtomicBool,
    /// Every reset fails.
    pub fail_reset: AtomicBool,
    pub connects: AtomicU64,
    pub connect_errors: AtomicU64,
    pub validates: AtomicU64,
    pub alive_checks: AtomicU64,
    pub resets: AtomicU64,
    pub closes: AtomicU64,
    pub forgets: AtomicU64,
    /// Connections alive right now (connected, not yet closed / forgotten / dropped).
    pub live: AtomicUsize,
    pub max_live: AtomicUsize,
    /// Connects running right now, and the most at once.
    pub connecting: AtomicUsize,
    pub max_connecting: AtomicUsize,
    next_id: AtomicU64,
    /// Ids of closed connections, in order.
    pub closed_ids: Mutex<Vec<u64>>,
    /// Called inside connect / is_alive / validate / reset / close.
    pub hook: Mutex<Option<Hook>>,
    /// A fake server's `max_connections` over `live` (every manager sharing this `Fake`):
    /// a connect past it is refused with 1040, and `free_slots` reports the room. None: no limit.
    pub server_limit: Mutex<Option<usize>>,
}

impl Fake {
    pub fn set_hook(&self, hook: impl Fn(Op) + Send + Sync + 'static) {
        *self.hook.lock() = Some(Arc::new(hook));
    }

    fn run_hook(&self, op: Op) {
        let hook = self.hook.lock().clone();
        if let Some(h) = hook {
            h(op);
        }
    }
}

/// A fake connection.
pub struct FakeConn {
    pub id: u64,
    /// Makes `is_broken` true.
    pub broken: bool,
    /// Makes `reset` report a reset round trip.
    pub dirty: bool,
    fake: Arc<Fake>,
}

impl Drop for FakeConn {
    fn drop(&mut self) {
        self.fake.live.fetch_sub(1, SeqCst);
    }
}

/// The manager; clones share one `Fake`.
#[derive(Clone, Default)]
pub struct FakeManager {
    pub fake: Arc<Fake>,
}

impl FakeManager {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_connect_delay(d: Duration) -> Self {
        let m = Self::new();
        *m.fake.connect_delay.lock() = d;
        m
    }
}

impl ManageConnection for FakeManager {
    type Connection = FakeConn;

    fn connect(&self) -> Result<FakeConn> {
        let f = &self.fake;
        let now = f.connecting.fetch_add(1, SeqCst) + 1;
        f.max_connecting.fetch_max(now, SeqCst);
        f.run_hook(Op::Connect);
        let delay = *f.connect_delay.lock();
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        f.connecting.fetch_sub(1, SeqCst);
        if let Some(limit) = *f.server_limit.lock() {
            if f.live.load(SeqCst) >= limit {
                f.connect_errors.fetch_add(1, SeqCst);
                return Err(Error::server(
                    ErrorKind::Connect,
                    1040,
                    "08004",
                    "fake server: Too many connections",
                ));
            }
        }
        let failing = f
            .fail_connects
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            f.connect_errors.fetch_add(1, SeqCst);
            let n = f.connect_errors.load(SeqCst);
            return Err(if f.fail_auth.load(SeqCst) {
                Error::new(ErrorKind::Auth, format!("fake access denied #{n}"))
            } else {
                Error::new(ErrorKind::Connect, format!("fake connection refused #{n}"))
            });
        }
        f.connects.fetch_add(1, SeqCst);
        let live = f.live.fetch_add(1, SeqCst) + 1;
        f.max_live.fetch_max(live, SeqCst);
        Ok(FakeConn {
            id: f.next_id.fetch_add(1, SeqCst) + 1,
            broken: false,
            dirty: false,
            fake: f.clone(),
        })
    }

    fn is_capacity_refusal(&self, error: &Error) -> bool {
        error.server_errno() == 1040
    }

    fn free_slots(&self, _conn: &mut FakeConn) -> Result<Option<u32>> {
        let limit = *self.fake.server_limit.lock();
        Ok(limit.map(|l| l.saturating_sub(self.fake.live.load(SeqCst)) as u32))
    }

    fn validate(&self, conn: &mut FakeConn) -> Result<()> {
        self.fake.validates.fetch_add(1, SeqCst);
        self.fake.run_hook(Op::Validate);
        if conn.broken || self.fake.fail_validate.load(SeqCst) {
            return Err(Error::new(ErrorKind::ConnectionLost, "fake ping failed"));
        }
        Ok(())
    }

    fn is_alive(&self, conn: &mut FakeConn) -> bool {
        self.fake.alive_checks.fetch_add(1, SeqCst);
        self.fake.run_hook(Op::IsAlive);
        !conn.broken && !self.fake.fail_alive.load(SeqCst)
    }

    fn reset(&self, conn: &mut FakeConn) -> Result<bool> {
        self.fake.run_hook(Op::Reset);
        if self.fake.fail_reset.load(SeqCst) {
            return Err(Error::new(ErrorKind::ConnectionLost, "fake reset failed"));
        }
        let dirty = std::mem::take(&mut conn.dirty);
        if dirty {
            self.fake.resets.fetch_add(1, SeqCst);
        }
        Ok(dirty)
    }

    fn is_broken(&self, conn: &mut FakeConn) -> bool {
        conn.broken
    }

    fn close(&self, conn: FakeConn) {
        self.fake.run_hook(Op::Close);
        self.fake.closes.fetch_add(1, SeqCst);
        self.fake.closed_ids.lock().push(conn.id);
        drop(conn);
    }

    fn forget(&self, conn: FakeConn) {
        self.fake.forgets.fetch_add(1, SeqCst);
        drop(conn);
    }
}
