//! The process-wide MySQL registry and the entry points the C ABI and bindings use.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use super::{rounded_timeouts, Dsn, MysqlManager, Param, QueryResult};
use crate::events::{self, Event};
use crate::fork;
use crate::fork_locks::{self, Leaf};
use crate::pool::lock::Lock;
use crate::{ErrorKind, PoolConfig, PoolRef, Pooled, Registry, Result};

/// A counted reference to a shared MySQL pool.
pub type MysqlPool = PoolRef<MysqlManager>;
/// A borrowed MySQL connection.
pub type MysqlPooled = Pooled<MysqlManager>;

/// `CR_SERVER_GONE_ERROR`: the client could not send the command.
const CR_SERVER_GONE_ERROR: u32 = 2006;

static REGISTRY: LazyLock<Registry<MysqlManager>> = LazyLock::new(Registry::new);

/// What opens of one pool key learnt: the server's `wait_timeout`, read by a probe connect on
/// the first open that reaches the server (`None` until then: an open that cannot reach it
/// clamps nothing, the next open probes again), and whether the rounding of its timeouts was
/// reported. Opens of a key take the key's cell, so only one probes at a time.
#[derive(Default)]
struct KeyState {
    wait_timeout: Option<Duration>,
    rounding_reported: bool,
}

type Probed = Arc<Lock<KeyState>>;

/// The cells by pool key, and the fork generation they belong to. A key's cell is held across
/// a whole open (connects included), so a fork may copy it locked: a child starts a map of its
/// own instead of touching the parent's cells (it probes again). The map's own lock is a leaf,
/// held across a fork (`fork_locks`).
struct WaitTimeouts(Arc<Leaf<(u64, HashMap<String, Probed>)>>);

impl WaitTimeouts {
    /// The cell of `key` in this process.
    fn cell(&self, key: &str) -> Probed {
        let mut m = self.0.lock();
        let now = fork::generation();
        if m.0 != now {
            // Leaked, not dropped: a parent's thread may have held one locked.
            std::mem::forget(std::mem::take(&mut m.1));
            m.0 = now;
        }
        m.1.entry(key.to_string())
            .or_insert_with(|| Arc::new(Lock::new(KeyState::default())))
            .clone()
    }
}

static WAIT_TIMEOUTS: LazyLock<WaitTimeouts> =
    LazyLock::new(|| WaitTimeouts(fork_locks::leaf((fork::generation(), HashMap::new()))));

/// Keeps `idle_timeout` and `max_lifetime` below the server's `wait_timeout` (90 % of it),
/// so the server never closes a connection the pool still counts on. Returns the changes.
fn clamp(config: &mut PoolConfig, wait_timeout: Duration) -> Vec<String> {
    let limit = wait_timeout.mul_f64(0.9).max(Duration::from_secs(1));
    let mut changed = Vec::new();
    for (name, d) in [
        ("idle_timeout_ms", &mut config.idle_timeout),
        ("max_lifetime_ms", &mut config.max_lifetime),
    ] {
        if d.is_zero() || *d > limit {
            let shown = if d.is_zero() {
                "0 (never)".to_string()
            } else {
                d.as_millis().to_string()
            };
            changed.push(format!("{name} {shown} -> {}", limit.as_millis()));
            *d = limit;
        }
    }
    changed
}

/// Opens (or joins) the shared pool for `dsn`. Options in the DSN's query string come first;
/// `options` (same names) override them. Errors: `InvalidDsn`, `InvalidOption`,
/// `ConfigConflict`, and connect errors when the first connect fails fast (`Auth`).
///
/// Until the server's `wait_timeout` is known for the target, an open connects once to read
/// it; that connection joins the pool as an ordinary member (or closes if the pool is full).
/// A wrong password fails here, at once.
pub fn open(dsn: &str, options: &[(&str, &str)]) -> Result<MysqlPool> {
    let (dsn, mut opts) = Dsn::parse_with_options(dsn, options)?;
    let key = dsn.key(&opts);
    let manager = MysqlManager::new(dsn.clone(), opts.clone())?;
    let cell = WAIT_TIMEOUTS.cell(&key.id);
    let mut cached = cell.lock();
    if !cached.rounding_reported {
        cached.rounding_reported = true;
        let rounded = rounded_timeouts(&opts.pool);
        if !rounded.is_empty() {
            events::emit(Event::Warning {
                pool: key.label.clone(),
                message: format!(
                    "the client library takes whole seconds: rounded up {}",
                    rounded.join(", ")
                ),
            });
        }
    }
    let mut probe = None;
    if cached.wait_timeout.is_none() {
        match manager.open() {
            Ok(conn) => {
                cached.wait_timeout = conn.wait_timeout();
                probe = Some(conn);
            }
            Err(e) if e.kind() == ErrorKind::Auth => return Err(e),
            Err(e) => events::emit(Event::Warning {
                pool: key.label.clone(),
                message: format!(
                    "could not read wait_timeout ({e}); idle_timeout and max_lifetime are \
                     not checked against it until an open reaches the server (each \
                     connection still retires itself before its own wait_timeout)"
                ),
            }),
        }
    }
    let unclamped = opts.clone();
    if let Some(w) = cached.wait_timeout {
        let changed = clamp(&mut opts.pool, w);
        if !changed.is_empty() && probe.is_some() {
            events::emit(Event::Warning {
                pool: key.label.clone(),
                message: format!(
                    "the server's wait_timeout is {} s; clamped {}",
                    w.as_secs(),
                    changed.join(", ")
                ),
            });
        }
    }
    // The key's cell stays locked until the pool is registered, so racing first opens agree
    // on the clamp.
    let mut pool = REGISTRY.open(&key, &opts, || Ok(manager));
    if probe.is_some() && opts.pool != unclamped.pool {
        if let Err(e) = &pool {
            if e.kind() == ErrorKind::ConfigConflict {
                // A pool opened while the server was unreachable (unclamped) is still live:
                // join it as it is; its connections still retire before their wait_timeout.
                let manager = MysqlManager::new(dsn, unclamped.clone())?;
                pool = REGISTRY.open(&key, &unclamped, || Ok(manager));
            }
        }
    }
    drop(cached);
    if let (Ok(pool), Some(conn)) = (&pool, probe) {
        // An ordinary member through the pool's books (counted, aged, checked before
        // hand-out), or closed when the pool is full. Issue 16: kept aside as the first
        // connection, it was invisible to the stats and handed out unchecked.
        drop(pool.adopt(conn));
    }
    pool
}

/// Prometheus text for every live MySQL pool in the process.
pub fn metrics_text() -> String {
    crate::metrics::render(&REGISTRY.snapshot())
}

impl PoolRef<MysqlManager> {
    /// Runs one statement on a connection borrowed for it (waiting up to the pool's
    /// `acquire_timeout`) and returns the connection before returning the result.
    ///
    /// When the statement could not even be sent (`CR_SERVER_GONE_ERROR`, 2006: the
    /// connection was found dead on write, so the server never saw it), it is retried once
    /// on another connection. A connection lost while waiting for the answer (2013) is not
    /// retried: the statement may have run.
    pub fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<QueryResult> {
        let first = self.acquire()?.query(sql, params);
        match first {
            Err(e) if e.server_errno() == CR_SERVER_GONE_ERROR => {
                self.acquire()?.query(sql, params)
            }
            r => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_below_wait_timeout() {
        let mut c = PoolConfig::default();
        let changed = clamp(&mut c, Duration::from_secs(100));
        assert_eq!(c.idle_timeout, Duration::from_secs(90));
        assert_eq!(c.max_lifetime, Duration::from_secs(90));
        assert_eq!(changed.len(), 2);
        let mut c = PoolConfig::default();
        assert!(clamp(&mut c, Duration::from_secs(28800)).is_empty());
        c.idle_timeout = Duration::ZERO;
        assert_eq!(clamp(&mut c, Duration::from_secs(28800)).len(), 1);
        assert_eq!(c.idle_timeout, Duration::from_secs(25920));
    }
}
