//! The process-wide MySQL registry and the entry points the C ABI and bindings use.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use parking_lot::Mutex;

use crate::mysql::{Dsn, MysqlManager, Param, QueryResult};
use crate::{ErrorKind, PoolConfig, PoolRef, Pooled, Registry, Result};

/// A counted reference to a shared MySQL pool.
pub type MysqlPool = PoolRef<MysqlManager>;
/// A borrowed MySQL connection.
pub type MysqlPooled = Pooled<MysqlManager>;

static REGISTRY: LazyLock<Registry<MysqlManager>> = LazyLock::new(Registry::new);

/// The server's `wait_timeout` per pool key, read once by a probe connect on the first open
/// (inner `None`: the probe could not connect, nothing is clamped). Opens of a key take the
/// key's cell for the probe and the registration, so only one probes and its connection
/// seeds the pool.
type Probed = Arc<Mutex<Option<Option<Duration>>>>;
static WAIT_TIMEOUTS: LazyLock<Mutex<HashMap<String, Probed>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

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
/// The first open of a target connects once to read the server's `wait_timeout` (that
/// connection becomes the pool's first); a wrong password fails here, at once.
pub fn open(dsn: &str, options: &[(&str, &str)]) -> Result<MysqlPool> {
    let (dsn, mut opts) = Dsn::parse_with_options(dsn, options)?;
    let key = dsn.key(&opts);
    let manager = MysqlManager::new(dsn, opts.clone())?;
    let cell = WAIT_TIMEOUTS
        .lock()
        .entry(key.id.clone())
        .or_default()
        .clone();
    let mut cached = cell.lock();
    let mut seed = None;
    let wait_timeout = match *cached {
        Some(w) => w,
        None => match manager.open() {
            Ok(conn) => {
                let w = conn.wait_timeout();
                *cached = Some(w);
                seed = Some(conn);
                w
            }
            Err(e) if e.kind() == ErrorKind::Auth => return Err(e),
            Err(e) => {
                log::warn!(
                    "sharedpool: {}: could not read wait_timeout ({e}); idle_timeout and \
                     max_lifetime are not checked against it",
                    key.label
                );
                *cached = Some(None);
                None
            }
        },
    };
    if let Some(w) = wait_timeout {
        let changed = clamp(&mut opts.pool, w);
        if !changed.is_empty() && seed.is_some() {
            log::warn!(
                "sharedpool: {}: the server's wait_timeout is {} s; clamped {}",
                key.label,
                w.as_secs(),
                changed.join(", ")
            );
        }
    }
    // The key's cell stays locked until the pool is registered: otherwise another first
    // open could create the pool without the probe's connection, which would then be one
    // connection over `max_size` for a moment.
    let pool = REGISTRY.open(&key, &opts, move || {
        Ok(match seed {
            Some(conn) => manager.with_seed(conn),
            None => manager,
        })
    });
    drop(cached);
    pool
}

/// Prometheus text for every live MySQL pool in the process.
pub fn metrics_text() -> String {
    crate::metrics::render(&REGISTRY.snapshot())
}

impl PoolRef<MysqlManager> {
    /// Runs one statement on a connection borrowed for it (waiting up to the pool's
    /// `acquire_timeout`) and returns the connection before returning the result.
    pub fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<QueryResult> {
        let mut conn = self.acquire()?;
        conn.query(sql, params)
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
