//! The connection manager: everything the pool engine needs to know about a connection.
//!
//! The engine never does I/O itself; it calls these methods, always outside its lock.

use crate::{Error, Result};

/// Opens, checks, cleans and closes connections of one kind for the pool engine.
///
/// MySQL is one implementation ([`crate::mysql::MysqlManager`]); tests use fakes.
pub trait ManageConnection: Send + Sync + 'static {
    /// The connection type handed out by the pool.
    type Connection: Send + 'static;

    /// Opens a new connection. Errors of kind `Auth` are final (the pool fails fast on them).
    fn connect(&self) -> Result<Self::Connection>;

    /// Is `error`, from `connect`, the server refusing a new connection for lack of room
    /// (too many connections, a per-user limit)? The pool then caps its growth for a while
    /// and keeps its waiters waiting instead of failing them. Default: `false`.
    fn is_capacity_refusal(&self, error: &Error) -> bool {
        let _ = error;
        false
    }

    /// How many more connections the server would accept from this pool now, read over
    /// `conn` (a round trip; the pool asks at most about once a second), or `None` when
    /// unknown. The pool leaves `server_headroom` of them free. Default: `Ok(None)`.
    fn free_slots(&self, conn: &mut Self::Connection) -> Result<Option<u32>> {
        let _ = conn;
        Ok(None)
    }

    /// Checks the connection is alive (a ping), before it is handed out after a long idle.
    fn validate(&self, conn: &mut Self::Connection) -> Result<()>;

    /// A cheap liveness check before a recently used connection is handed out: no round
    /// trip, at most a non-blocking look at the socket (has the server closed it or sent
    /// something unasked?). `false` discards it. Default: `true`.
    fn is_alive(&self, conn: &mut Self::Connection) -> bool {
        let _ = conn;
        true
    }

    /// Makes a returned connection clean for the next borrower: rolls back an open
    /// transaction and resets changed session state. Returns `Ok(true)` when it had to do a
    /// reset round trip, `Ok(false)` when the connection was already clean. An error
    /// discards the connection.
    fn reset(&self, conn: &mut Self::Connection) -> Result<bool>;

    /// Cheap, no I/O: has the connection seen a fatal error and must be discarded?
    fn is_broken(&self, conn: &mut Self::Connection) -> bool;

    /// Closes the connection politely (may do I/O). Default: drop it.
    fn close(&self, conn: Self::Connection) {
        drop(conn);
    }

    /// Gives the connection up without a byte on its socket: used in a child after
    /// `fork()` for connections inherited from the parent. Default: leak it.
    fn forget(&self, conn: Self::Connection) {
        std::mem::forget(conn);
    }
}
