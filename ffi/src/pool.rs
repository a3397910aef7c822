//! `sp_pool`: a counted reference to a shared pool, and the calls made on it.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use sharedpool::{Acquire, MysqlPool};

use crate::boundary::{arg_opt_str, arg_str, call, call_code, infallible, invalid, out_ptr};
use crate::cancel::{self, sp_acquire_options, sp_interrupt_fn};
use crate::code::sp_code;
use crate::conn::{self, sp_conn};
use crate::error::sp_error;
use crate::handles::Handles;
use crate::options::sp_options;
use crate::params::{self, sp_param};
use crate::primary::forward;
use crate::result::sp_result;
use crate::stats::{self, sp_stats};

/// A counted reference to the process-wide pool of one MySQL target. Opened by
/// `sp_pool_open`, released by `sp_pool_release`. Thread-safe: one `sp_pool` may be used by
/// any number of threads at once. Every call first looks the handle up in a table of live
/// handles: a released (or never opened) `sp_pool` gives `SP_ERR_INVALID_ARGUMENT` instead of
/// undefined behaviour; only a stale pointer whose address a newer handle reuses goes unseen.
pub struct sp_pool {
    pool: MysqlPool,
}

/// The live `sp_pool` handles.
fn pools() -> &'static Handles<sp_pool> {
    static POOLS: Handles<sp_pool> = Handles::new();
    &POOLS
}

/// The live pool behind `p`, or InvalidArgument.
fn live(name: &str, p: *const sp_pool) -> sharedpool::Result<std::sync::Arc<sp_pool>> {
    if p.is_null() {
        return Err(invalid(name, "pool is NULL"));
    }
    pools().get(p).ok_or_else(|| {
        invalid(
            name,
            "pool is not a live sp_pool (released, or never opened)",
        )
    })
}

/// Opens (or joins) the shared pool for `dsn` (UTF-8, NUL-terminated, borrowed), with
/// options from the DSN's query string overridden by `o` (nullable, borrowed; not needed after
/// the call). Every open of the same target (same user, password, host, port, database,
/// session options, `pool_name`) shares one pool. Returns a new reference to release with
/// `sp_pool_release`, or NULL with the error in `*err` (`SP_ERR_INVALID_DSN`,
/// `SP_ERR_INVALID_OPTION`, `SP_ERR_CONFIG_CONFLICT`, `SP_ERR_AUTH`, ...). Thread-safe.
#[no_mangle]
pub extern "C" fn sp_pool_open(
    dsn: *const c_char,
    o: *const sp_options,
    err: *mut *mut sp_error,
) -> *mut sp_pool {
    forward!(sp_pool_open(dsn, o, err));
    const NAME: &str = "sp_pool_open";
    call(NAME, err, || {
        // SAFETY: `dsn` is NULL or a NUL-terminated string (documented).
        let dsn = unsafe { arg_str(NAME, "dsn", dsn) }?;
        // SAFETY: `o` is NULL or a live option set (documented).
        let pairs = unsafe { o.as_ref() }
            .map(sp_options::pairs)
            .unwrap_or_default();
        let pool = sharedpool::open(dsn, &pairs)?;
        Ok(pools().insert(sp_pool { pool }))
    })
}

/// Releases one reference. The last release closes the pool: idle connections close, borrowed
/// ones close when they come back (releasing with connections still borrowed is safe, and so
/// is using and releasing those connections afterwards). NULL is fine; a second release of
/// the same handle is detected and ignored. Thread-safe; a call on the same handle still
/// running in another thread keeps the reference until it returns.
#[no_mangle]
pub extern "C" fn sp_pool_release(p: *mut sp_pool) {
    forward!(sp_pool_release(p));
    infallible((), || drop(pools().remove(p)))
}

/// Borrows a connection, waiting at most `timeout_ms` milliseconds (negative: the pool's
/// `acquire_timeout_ms`). Returns a connection to give back with `sp_conn_release`, or NULL
/// with the error in `*err` (`SP_ERR_TIMEOUT` with the pool's state in the message,
/// `SP_ERR_POOL_CLOSED`, `SP_ERR_CONNECT`, ...; `SP_ERR_INVALID_ARGUMENT` for a NULL or released
/// `p`). Thread-safe.
#[no_mangle]
pub extern "C" fn sp_pool_acquire(
    p: *mut sp_pool,
    timeout_ms: i64,
    err: *mut *mut sp_error,
) -> *mut sp_conn {
    forward!(sp_pool_acquire(p, timeout_ms, err));
    const NAME: &str = "sp_pool_acquire";
    call(NAME, err, || {
        let pool = live(NAME, p)?;
        let how = Acquire {
            timeout: timeout(timeout_ms),
            ..Acquire::default()
        };
        Ok(conn::insert(pool.pool.acquire_with(&how)?))
    })
}

/// `sp_pool_acquire` with more control: `o` (nullable: all defaults; borrowed for the call)
/// gives the timeout, a cancellation token that another thread may trigger, an interrupt
/// callback polled while waiting, a label naming the borrower in leak warnings, and the time
/// the caller already waited (taken off the timeout: with none left, the call takes an idle
/// connection or fails with `SP_ERR_TIMEOUT` at once). A
/// cancelled or interrupted wait fails with `SP_ERR_CANCELLED`; a NULL or released `p`, an
/// `o->size` below 4 or a non-UTF-8 label with `SP_ERR_INVALID_ARGUMENT`. Thread-safe.
#[no_mangle]
pub extern "C" fn sp_pool_acquire_ex(
    p: *mut sp_pool,
    o: *const sp_acquire_options,
    err: *mut *mut sp_error,
) -> *mut sp_conn {
    forward!(sp_pool_acquire_ex(p, o, err));
    const NAME: &str = "sp_pool_acquire_ex";
    call(NAME, err, || {
        let pool = live(NAME, p)?;
        // SAFETY: `o` is NULL or points to `o->size` readable bytes (documented).
        let f = unsafe { cancel::read(NAME, o) }?;
        // SAFETY: `cancel` is NULL or a live token, borrowed for this call (documented).
        let token = unsafe { f.cancel.as_ref() }.map(|c| &c.token);
        // SAFETY: `label` is NULL or a NUL-terminated string (documented).
        let label = unsafe { arg_opt_str(NAME, "options->label", f.label) }?;
        let poll = Interrupt {
            f: f.interrupt,
            ctx: f.interrupt_ctx,
        };
        let interrupt = || poll.call();
        let wait = timeout(f.timeout_ms).unwrap_or(pool.pool.config().acquire_timeout);
        let waited = Duration::from_millis(u64::try_from(f.waited_ms).unwrap_or(0));
        let how = Acquire {
            timeout: Some(wait.saturating_sub(waited)),
            label,
            cancel: token,
            interrupt: f.interrupt.map(|_| &interrupt as &dyn Fn() -> bool),
        };
        Ok(conn::insert(pool.pool.acquire_with(&how)?))
    })
}

/// A C interrupt callback with its context.
struct Interrupt {
    f: sp_interrupt_fn,
    ctx: *mut c_void,
}

impl Interrupt {
    fn call(&self) -> bool {
        match self.f {
            // SAFETY: the caller gave a callback that accepts its own `interrupt_ctx`.
            Some(f) => unsafe { f(self.ctx) },
            None => false,
        }
    }
}

fn timeout(ms: i64) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

/// Runs one statement on a connection borrowed for just this call (pool default timeout):
/// `sql` (UTF-8, NUL-terminated) with `?` placeholders bound to `n` `params` (NULL allowed when
/// `n` is 0; all borrowed for the call). Returns a result to free with `sp_result_free`, or
/// NULL with the error in `*err` (`SP_ERR_SERVER` with errno and SQLSTATE, `SP_ERR_TIMEOUT`,
/// ...; `SP_ERR_INVALID_ARGUMENT` for a NULL/released `p`, NULL/non-UTF-8 `sql` or bad
/// params). Thread-safe.
#[no_mangle]
pub extern "C" fn sp_pool_query(
    p: *mut sp_pool,
    sql: *const c_char,
    params: *const sp_param,
    n: usize,
    err: *mut *mut sp_error,
) -> *mut sp_result {
    forward!(sp_pool_query(p, sql, params, n, err));
    const NAME: &str = "sp_pool_query";
    call(NAME, err, || {
        let pool = live(NAME, p)?;
        // SAFETY: `sql` is NULL or a NUL-terminated string (documented).
        let sql = unsafe { arg_str(NAME, "sql", sql) }?;
        // SAFETY: `params` holds `n` readable parameters when `n > 0` (documented).
        let params = unsafe { params::convert(NAME, params, n) }?;
        let mut conn = pool.pool.acquire()?;
        let result = conn.query(sql, &params)?;
        drop(conn);
        Ok(Box::into_raw(Box::new(sp_result::new(&result))))
    })
}

/// A connection from the pool behind `p`, waiting at most its `acquire_timeout_ms` or until
/// `deadline`, whichever comes first, and ended by `cancel`.
pub(crate) fn acquire_until(
    name: &str,
    p: *const sp_pool,
    deadline: Option<std::time::Instant>,
    cancel: Option<&sharedpool::CancelToken>,
) -> sharedpool::Result<sharedpool::MysqlPooled> {
    let pool = live(name, p)?;
    let wait = pool.pool.config().acquire_timeout;
    let how = Acquire {
        timeout: Some(deadline.map_or(wait, |d| {
            wait.min(d.saturating_duration_since(std::time::Instant::now()))
        })),
        cancel,
        ..Acquire::default()
    };
    pool.pool.acquire_with(&how)
}

/// Fills `*out` with the pool's state and counters. The caller sets `out->size` to
/// `sizeof(sp_stats)`; only fields that fit in that size are written (an older caller gets the
/// fields it knows), and `out->size` becomes the number of bytes filled. Returns `SP_OK`, or
/// `SP_ERR_INVALID_ARGUMENT` for NULL, a released pool, or `out->size < 4` (nothing written).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn sp_pool_stats(p: *const sp_pool, out: *mut sp_stats) -> sp_code {
    forward!(sp_pool_stats(p, out));
    const NAME: &str = "sp_pool_stats";
    call_code(NAME, std::ptr::null_mut(), || {
        let pool = live(NAME, p)?;
        out_ptr(NAME, "out", out)?;
        // SAFETY: `out` is not NULL and readable for its leading `size` field (documented).
        let size = unsafe { std::ptr::addr_of!((*out).size).read_unaligned() };
        if (size as usize) < std::mem::size_of::<u32>() {
            return Err(invalid(
                NAME,
                format_args!("out->size ({size}) is too small"),
            ));
        }
        let s = sp_stats::from(&pool.pool.stats());
        // SAFETY: `out` points to `size` writable bytes (documented).
        unsafe { stats::write(&s, out, size) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{sp_error_code, sp_error_free, sp_error_message};
    use std::ffi::CStr;

    #[test]
    fn null_and_stale_pools_are_invalid_arguments() {
        let mut err: *mut sp_error = std::ptr::null_mut();
        assert!(sp_pool_acquire(std::ptr::null_mut(), 0, &mut err).is_null());
        assert_eq!(sp_error_code(err), sp_code::SP_ERR_INVALID_ARGUMENT);
        sp_error_free(err);
        err = std::ptr::null_mut();
        let stray = 0x1234 as *mut sp_pool;
        assert!(
            sp_pool_query(stray, c"SELECT 1".as_ptr(), std::ptr::null(), 0, &mut err).is_null()
        );
        assert_eq!(sp_error_code(err), sp_code::SP_ERR_INVALID_ARGUMENT);
        // SAFETY: the message is a live NUL-terminated string until the free below.
        let msg = unsafe { CStr::from_ptr(sp_error_message(err)) }
            .to_str()
            .unwrap();
        assert!(msg.contains("not a live sp_pool"), "{msg}");
        sp_error_free(err);
        sp_pool_release(stray);
        let mut st = sp_stats {
            size: std::mem::size_of::<sp_stats>() as u32,
            ..sp_stats::default()
        };
        assert_eq!(
            sp_pool_stats(stray, &mut st),
            sp_code::SP_ERR_INVALID_ARGUMENT
        );
        assert!(sp_pool_open(std::ptr::null(), std::ptr::null(), std::ptr::null_mut()).is_null());
    }
}
