//! `sp_conn`: a borrowed connection, and the calls made on it.

use std::ffi::c_char;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};

use sharedpool::mysql::{Param, QueryResult};
use sharedpool::{Error, ErrorKind, MysqlPooled};

use crate::boundary::{arg_str, call, call_code, infallible, invalid};
use crate::cancel::{self, sp_query_options};
use crate::code::sp_code;
use crate::error::sp_error;
use crate::handles::Handles;
use crate::params::{self, sp_param};
use crate::primary::forward;
use crate::result::sp_result;

/// A connection borrowed from a pool by `sp_pool_acquire`, given back by `sp_conn_release`
/// (or closed by `sp_conn_discard`). Use it from one thread at a time (calls on one `sp_conn`
/// from several threads are serialised, never undefined, but interleave statements). Like
/// `sp_pool`, checked against a table of live handles: a released `sp_conn` gives
/// `SP_ERR_INVALID_ARGUMENT`, and a second release is ignored.
pub struct sp_conn {
    /// `None` once given back (a release racing a call in progress).
    conn: Mutex<Option<MysqlPooled>>,
    /// The fork generation it was borrowed in: a child must not talk on the parent's socket.
    generation: u64,
}

/// The live `sp_conn` handles.
fn conns() -> &'static Handles<sp_conn> {
    static CONNS: Handles<sp_conn> = Handles::new();
    &CONNS
}

impl sp_conn {
    /// The connection, `None` once given back. A panic caught during an earlier call on this
    /// connection does not make it unusable here (the pool decides whether it is broken).
    fn lock(&self) -> MutexGuard<'_, Option<MysqlPooled>> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the connection out to give it back. In a child process, a parent's thread may have
    /// held the lock at `fork()` (a statement in progress), and it stays locked for ever: then the
    /// handle is leaked instead of waited for (the pool forgot the parent's connections anyway).
    fn take(self: Arc<Self>) -> Option<MysqlPooled> {
        if self.generation == sharedpool::fork_generation() {
            return self.lock().take();
        }
        let taken = match self.conn.try_lock() {
            Ok(mut guard) => Some(guard.take()),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner().take()),
            Err(TryLockError::WouldBlock) => None,
        };
        taken.unwrap_or_else(|| {
            std::mem::forget(self);
            None
        })
    }
}

/// The connection behind `c` (see `sp_conn::lock`), for the other objects that use it.
pub(crate) fn lock(c: &sp_conn) -> MutexGuard<'_, Option<MysqlPooled>> {
    c.lock()
}

/// A borrowed connection not in the handle table (owned by the `sp_rows` that uses it).
pub(crate) fn private(conn: MysqlPooled) -> sp_conn {
    sp_conn {
        conn: Mutex::new(Some(conn)),
        generation: sharedpool::fork_generation(),
    }
}

/// Registers a borrowed connection and returns its handle.
pub(crate) fn insert(conn: MysqlPooled) -> *mut sp_conn {
    conns().insert(private(conn))
}

/// The live connection behind `c`, or InvalidArgument.
fn live(name: &str, c: *const sp_conn) -> sharedpool::Result<Arc<sp_conn>> {
    if c.is_null() {
        return Err(invalid(name, "conn is NULL"));
    }
    conns().get(c).ok_or_else(|| {
        invalid(
            name,
            "conn is not a live sp_conn (released, or never acquired)",
        )
    })
}

/// The live connection behind `c`, borrowed in this process (not inherited through `fork()`),
/// or an error.
pub(crate) fn live_here(name: &str, c: *const sp_conn) -> sharedpool::Result<Arc<sp_conn>> {
    let handle = live(name, c)?;
    if handle.generation != sharedpool::fork_generation() {
        return Err(Error::new(
            ErrorKind::ConnectionLost,
            format!(
                "{name}: this connection was borrowed by the parent process before fork(); \
                 a child process must acquire its own (releasing this one in the child is \
                 safe)"
            ),
        ));
    }
    Ok(handle)
}

/// Runs `sql` (UTF-8, NUL-terminated) on the connection, with `?` placeholders bound to `n`
/// `params` (NULL allowed when `n` is 0; all borrowed for the call), and reads the whole
/// result. Session state (transactions, variables) persists on this connection until it is
/// released. Returns a result to free with `sp_result_free`, or NULL with the error in `*err`
/// (`SP_ERR_SERVER` with errno and SQLSTATE, `SP_ERR_CONNECTION_LOST`, ...;
/// `SP_ERR_INVALID_ARGUMENT` for a NULL/released `c`, NULL/non-UTF-8 `sql` or bad params;
/// `SP_ERR_CONNECTION_LOST` in a child process for a connection the parent borrowed before
/// `fork()`, never touching the parent's socket).
/// Use one `c` from one thread at a time (see `sp_conn`); different connections are
/// independent.
#[no_mangle]
pub extern "C" fn sp_conn_query(
    c: *mut sp_conn,
    sql: *const c_char,
    params: *const sp_param,
    n: usize,
    err: *mut *mut sp_error,
) -> *mut sp_result {
    forward!(sp_conn_query(c, sql, params, n, err));
    const NAME: &str = "sp_conn_query";
    call(NAME, err, || {
        run(NAME, c, sql, params, n, |conn, sql, params| {
            conn.query(sql, params)
        })
    })
}

/// The body of the `sp_conn_query*` calls: checks, converts, and runs `query` on the
/// connection, returning its result as a new `sp_result`.
fn run(
    name: &'static str,
    c: *mut sp_conn,
    sql: *const c_char,
    params: *const sp_param,
    n: usize,
    query: impl FnOnce(&mut MysqlPooled, &str, &[Param<'_>]) -> sharedpool::Result<QueryResult>,
) -> sharedpool::Result<*mut sp_result> {
    let handle = live_here(name, c)?;
    // SAFETY: `sql` is NULL or a NUL-terminated string (documented).
    let sql = unsafe { arg_str(name, "sql", sql) }?;
    // SAFETY: `params` holds `n` readable parameters when `n > 0` (documented).
    let params = unsafe { params::convert(name, params, n) }?;
    let mut guard = handle.lock();
    let conn = guard
        .as_mut()
        .ok_or_else(|| invalid(name, "conn was released during the call"))?;
    let result = query(conn, sql, &params)?;
    Ok(Box::into_raw(Box::new(sp_result::new(&result))))
}

/// `sp_conn_query` with a deadline and a cancel token for the running statement (`o`: NULL for
/// the defaults, see `sp_query_options`). When the deadline passes or `o->cancel` is triggered
/// while the statement runs, the pool stops it on the server (`KILL QUERY` over a control
/// connection; the statement's socket is shut down if the server does not answer within
/// 500 ms): the call fails with `SP_ERR_TIMEOUT` or `SP_ERR_CANCELLED`, and the connection is
/// discarded at release (statements on it fail with `SP_ERR_CONNECTION_LOST`). The pool's
/// `statement_timeout_ms` applies too, whichever comes first. ABI 1.2.
#[no_mangle]
pub extern "C" fn sp_conn_query_ex(
    c: *mut sp_conn,
    sql: *const c_char,
    params: *const sp_param,
    n: usize,
    o: *const sp_query_options,
    err: *mut *mut sp_error,
) -> *mut sp_result {
    forward!(sp_conn_query_ex(c, sql, params, n, o, err));
    const NAME: &str = "sp_conn_query_ex";
    call(NAME, err, || {
        // SAFETY: `o` is NULL or points to `o->size` readable bytes; its token is NULL or live,
        // borrowed for this call (documented).
        let (deadline, token) = unsafe { cancel::query_options(NAME, o) }?;
        run(NAME, c, sql, params, n, |conn, sql, params| {
            conn.query_until(sql, params, deadline, token)
        })
    })
}

/// Chooses the autocommit mode of this borrow (`on`: each statement commits on its own, the
/// session's default; `false`: the first statement opens a transaction that lasts until
/// `COMMIT` or `ROLLBACK`, the way PEP 249 and JDBC connections run). No I/O: the mode is
/// switched before the next statement, with one `SET autocommit` only when the session is in
/// the other mode, so a borrower that wants the mode the last one left costs nothing. At
/// release an open transaction is rolled back and the next borrower starts in the default
/// mode again. Switching it on with a transaction open commits it (as `SET autocommit = 1`
/// does). `SP_ERR_INVALID_ARGUMENT` for a NULL or released `c`. ABI 1.3.
#[no_mangle]
pub extern "C" fn sp_conn_set_autocommit(
    c: *mut sp_conn,
    on: bool,
    err: *mut *mut sp_error,
) -> sp_code {
    forward!(sp_conn_set_autocommit(c, on, err));
    const NAME: &str = "sp_conn_set_autocommit";
    call_code(NAME, err, || {
        let handle = live_here(NAME, c)?;
        let mut guard = handle.lock();
        let conn = guard
            .as_mut()
            .ok_or_else(|| invalid(NAME, "conn was released during the call"))?;
        conn.set_autocommit(on);
        Ok(())
    })
}

/// Gives the connection back to its pool (its session is cleaned there: an open transaction is
/// rolled back, changed session state reset). In a child process after `fork()`, a connection
/// borrowed by the parent is given up without a byte on its socket. Safe after the pool's last `sp_pool_release`
/// (the connection is then closed). NULL is fine; a second release of the same handle is
/// detected and ignored. Thread-safe.
#[no_mangle]
pub extern "C" fn sp_conn_release(c: *mut sp_conn) {
    forward!(sp_conn_release(c));
    infallible((), || {
        if let Some(handle) = conns().remove(c) {
            drop(handle.take());
        }
    })
}

/// Closes the connection instead of giving it back (for a connection the caller knows is
/// unusable); the pool opens another when needed. Consumes `c` like `sp_conn_release`. NULL is
/// fine; a released handle is detected and ignored. Thread-safe.
#[no_mangle]
pub extern "C" fn sp_conn_discard(c: *mut sp_conn) {
    forward!(sp_conn_discard(c));
    infallible((), || {
        if let Some(conn) = conns().remove(c).and_then(sp_conn::take) {
            conn.discard();
        }
    })
}
