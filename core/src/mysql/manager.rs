//! The MySQL connection manager the pool engine drives.

use std::sync::Arc;

use super::conn::Connection;
use super::deadline::Killer;
use super::dsn::Dsn;
use super::error_map;
use crate::{Error, ErrorKind, ManageConnection, Options, Result};

/// Opens and recycles MySQL connections for the pool engine.
pub struct MysqlManager {
    /// Shared with the killer: one copy of the password in memory.
    dsn: Arc<Dsn>,
    options: Options,
    /// Stops statements past their deadline, or cancelled (a control connection when needed).
    killer: Arc<Killer>,
}

impl std::fmt::Debug for MysqlManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlManager")
            .field("dsn", &self.dsn)
            .finish()
    }
}

impl MysqlManager {
    /// A manager for `dsn` with `options`' timeouts and session settings. Zero timeouts are
    /// rejected: every network wait is finite.
    pub fn new(dsn: Dsn, options: Options) -> Result<MysqlManager> {
        let p = &options.pool;
        for (name, d) in [
            ("connect_timeout_ms", p.connect_timeout),
            ("read_timeout_ms", p.read_timeout),
            ("write_timeout_ms", p.write_timeout),
        ] {
            if d.is_zero() {
                return Err(Error::new(
                    ErrorKind::InvalidOption,
                    format!("option {name}: must be at least 1 (timeouts are always finite)"),
                ));
            }
        }
        let dsn = Arc::new(dsn);
        let killer = Killer::new(dsn.clone(), &options);
        Ok(MysqlManager {
            dsn,
            options,
            killer,
        })
    }

    /// The parsed DSN (its `Debug` redacts the password).
    pub fn dsn(&self) -> &Dsn {
        &self.dsn
    }

    /// Opens a connection directly, outside any pool.
    pub fn open(&self) -> Result<Connection> {
        let mut conn = Connection::connect(&self.dsn, &self.options)?;
        conn.set_killer(self.killer.clone());
        Ok(conn)
    }
}

impl ManageConnection for MysqlManager {
    type Connection = Connection;

    fn connect(&self) -> Result<Connection> {
        self.open()
    }

    fn is_capacity_refusal(&self, error: &Error) -> bool {
        error_map::is_capacity_refusal(error.server_errno())
    }

    fn free_slots(&self, conn: &mut Connection) -> Result<Option<u32>> {
        conn.free_slots().map(Some)
    }

    fn validate(&self, conn: &mut Connection) -> Result<()> {
        conn.ping()
    }

    fn is_alive(&self, conn: &mut Connection) -> bool {
        conn.is_alive()
    }

    fn reset(&self, conn: &mut Connection) -> Result<bool> {
        conn.reset()
    }

    fn is_broken(&self, conn: &mut Connection) -> bool {
        conn.is_broken()
    }

    fn close(&self, conn: Connection) {
        drop(conn);
    }
}
