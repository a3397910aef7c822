//! The process-wide MySQL registry and the entry points the C ABI and bindings use.
//! STUB: the MySQL layer issue fills it in.

use crate::mysql::MysqlManager;
use crate::{PoolRef, Pooled, Result};

/// A counted reference to a shared MySQL pool.
pub type MysqlPool = PoolRef<MysqlManager>;
/// A borrowed MySQL connection.
pub type MysqlPooled = Pooled<MysqlManager>;

/// Opens (or joins) the shared pool for `dsn`. Options in the DSN's query string come first;
/// `options` (same names) override them. Errors: `InvalidDsn`, `InvalidOption`,
/// `ConfigConflict`, and connect errors when the first connect fails fast (`Auth`).
pub fn open(_dsn: &str, _options: &[(&str, &str)]) -> Result<MysqlPool> {
    todo!()
}

/// Prometheus text for every live MySQL pool in the process.
pub fn metrics_text() -> String {
    todo!()
}
