//! `sp_rows`: a result streamed from the server row by row, and the calls that read it.

use std::ffi::{c_char, CString};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use sharedpool::mysql::StreamStats;
use sharedpool::{CancelToken, Error, ErrorKind};

use crate::boundary::{arg_str, call, call_code, infallible, invalid, out_ptr, text, Failure};
use crate::cancel::{self, sp_query_options};
use crate::code::sp_code;
use crate::conn::{self, sp_conn};
use crate::error::sp_error;
use crate::handles::Handles;
use crate::params::{self, sp_param};
use crate::pool;
use crate::primary::forward;

/// What `sp_rows_next` found.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sp_rows_status {
    /// An error (in `*err`): met mid-stream, or misuse (next after the end or an error).
    SP_ROWS_ERROR = -1,
    /// The end of the rows: the connection is free for the next statement.
    SP_ROWS_END = 0,
    /// A row: read its cells with `sp_rows_cell` / `sp_rows_cells` until the next call.
    SP_ROWS_ROW = 1,
}

impl Failure for sp_rows_status {
    fn failure(_: &Error) -> Self {
        sp_rows_status::SP_ROWS_ERROR
    }
}

/// Rows streamed from one statement (`sp_conn_query_stream`, `sp_pool_query_stream`), read on
/// demand with `sp_rows_next`; the connection is busy (any other statement on it fails with
/// `SP_ERR_INVALID_ARGUMENT`) until the rows reach their end or are freed. Freeing before the
/// end reads a short remainder (a few thousand rows, 256 KiB, 2 ms at most) or else gives the
/// connection up: it is closed when released, and a later statement on it gets
/// `SP_ERR_CONNECTION_LOST`. The pool's `statement_timeout_ms` covers the whole stream, from
/// the call until the rows end or are freed (a per-call deadline and cancel token with
/// `sp_conn_query_stream_ex`). Checked against a table of live handles like `sp_conn`: a freed
/// `sp_rows` gives `SP_ERR_INVALID_ARGUMENT`, never undefined behaviour. Use from one thread
/// at a time.
pub struct sp_rows {
    /// The connection the rows come from.
    conn: Arc<sp_conn>,
    /// The connection belongs to these rows (the pool-level form) and is given back on free.
    owned: bool,
    generation: u64,
    columns: Vec<Column>,
    state: Mutex<State>,
}

struct Column {
    name: CString,
    type_code: u32,
    flags: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    End,
    Failed,
}

struct State {
    phase: Phase,
    /// The current row's cells as (address, length); address 0 for SQL NULL. Empty when there
    /// is no current row.
    cells: Vec<(usize, usize)>,
    /// The stream's counters once it ended (read from the connection before).
    stats: StreamStats,
    /// Affected rows and insert id, once the rows ended.
    counts: (u64, u64),
}

/// The live `sp_rows` handles.
fn table() -> &'static Handles<sp_rows> {
    static ROWS: Handles<sp_rows> = Handles::new();
    &ROWS
}

impl sp_rows {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes this handle keeps for the stream: its cell index (capacity) and the largest row
    /// the client library's reused row buffer has held.
    fn high_water(&self, st: &State) -> u64 {
        let stats = self.stats(st);
        (st.cells.capacity() * std::mem::size_of::<(usize, usize)>()) as u64 + stats.max_row_bytes
    }

    fn stats(&self, st: &State) -> StreamStats {
        if st.phase != Phase::Open || self.generation != sharedpool::fork_generation() {
            return st.stats;
        }
        conn::lock(&self.conn)
            .as_ref()
            .map_or(st.stats, |c| c.stream_stats())
    }
}

/// The live rows behind `r`, or InvalidArgument.
fn live(name: &str, r: *const sp_rows) -> sharedpool::Result<Arc<sp_rows>> {
    if r.is_null() {
        return Err(invalid(name, "rows is NULL"));
    }
    table().get(r).ok_or_else(|| {
        invalid(
            name,
            "rows is not a live sp_rows (freed, or never returned)",
        )
    })
}

/// Starts the statement on `conn` (watched for `deadline` and `cancel` until its rows end or
/// are freed) and registers its rows.
#[allow(clippy::too_many_arguments)]
fn start(
    name: &str,
    conn: Arc<sp_conn>,
    owned: bool,
    sql: *const c_char,
    p: *const sp_param,
    n: usize,
    deadline: Option<Instant>,
    cancel: Option<&CancelToken>,
) -> sharedpool::Result<*mut sp_rows> {
    // SAFETY: `sql` is NULL or a NUL-terminated string (documented).
    let sql = unsafe { arg_str(name, "sql", sql) }?;
    // SAFETY: `p` holds `n` readable parameters when `n > 0` (documented).
    let params = unsafe { params::convert(name, p, n) }?;
    let (columns, counts) = {
        let mut guard = conn::lock(&conn);
        let c = guard
            .as_mut()
            .ok_or_else(|| invalid(name, "conn was released during the call"))?;
        c.start_stream_until(sql, &params, deadline, cancel)?;
        let columns = c
            .stream_columns()
            .iter()
            .map(|c| Column {
                name: text(&c.name),
                type_code: c.type_code,
                flags: c.flags,
            })
            .collect::<Vec<_>>();
        // A statement without rows has its counts already.
        let counts = if c.is_streaming() {
            (0, 0)
        } else {
            c.stream_counts()
        };
        (columns, counts)
    };
    let generation = sharedpool::fork_generation();
    let cells = Vec::with_capacity(columns.len());
    Ok(table().insert(sp_rows {
        conn,
        owned,
        generation,
        columns,
        state: Mutex::new(State {
            phase: Phase::Open,
            cells,
            stats: StreamStats::default(),
            counts,
        }),
    }))
}

/// Runs `sql` (UTF-8, NUL-terminated) on `c` with `?` placeholders bound to `n` `params` (as
/// `sp_conn_query`) and streams its rows: on `SP_OK`, `*rows` receives rows to read with
/// `sp_rows_next` and free with `sp_rows_free`, before releasing `c`. Until the rows end or
/// are freed, `c` is busy. A statement without a result set gives rows with no columns that
/// end at once. Errors: as `sp_conn_query`, plus `SP_ERR_INVALID_ARGUMENT` when `c` already
/// has rows open or `rows` is NULL.
#[no_mangle]
pub extern "C" fn sp_conn_query_stream(
    c: *mut sp_conn,
    sql: *const c_char,
    params: *const sp_param,
    n: usize,
    rows: *mut *mut sp_rows,
    err: *mut *mut sp_error,
) -> sp_code {
    forward!(sp_conn_query_stream(c, sql, params, n, rows, err));
    // SAFETY: no options.
    unsafe {
        conn_stream(
            "sp_conn_query_stream",
            c,
            sql,
            params,
            n,
            std::ptr::null(),
            rows,
            err,
        )
    }
}

/// `sp_conn_query_stream` on a connection taken from `p` for these rows (waiting at most the
/// pool's `acquire_timeout_ms`) and given back to the pool by `sp_rows_free`.
#[no_mangle]
pub extern "C" fn sp_pool_query_stream(
    p: *mut pool::sp_pool,
    sql: *const c_char,
    params: *const sp_param,
    n: usize,
    rows: *mut *mut sp_rows,
    err: *mut *mut sp_error,
) -> sp_code {
    forward!(sp_pool_query_stream(p, sql, params, n, rows, err));
    // SAFETY: no options.
    unsafe {
        pool_stream(
            "sp_pool_query_stream",
            p,
            sql,
            params,
            n,
            std::ptr::null(),
            rows,
            err,
        )
    }
}

/// `sp_conn_query_stream` with a deadline and a cancel token (`o`: NULL for the defaults, see
/// `sp_query_options`) that hold while the rows stream, from the call until the rows end or
/// are freed: when `o->timeout_ms` passes or `o->cancel` is triggered before then, the pool
/// stops the statement on the server (`KILL QUERY` over its control connection; the socket is
/// shut down if the statement does not end within 500 ms), the next `sp_rows_next` fails with
/// `SP_ERR_TIMEOUT` or `SP_ERR_CANCELLED` (also for rows the client library had already read),
/// and the connection is discarded at release. The pool's `statement_timeout_ms` covers the
/// whole stream too (whichever comes first), also without this call. The library keeps its
/// own reference to the token until the rows end or are freed: freeing the `sp_cancel` while
/// the rows are open is safe (it can then no longer be triggered). A token triggered before
/// the call sends nothing (`SP_ERR_CANCELLED`, the connection stays usable). ABI 1.2.
#[no_mangle]
pub extern "C" fn sp_conn_query_stream_ex(
    c: *mut sp_conn,
    sql: *const c_char,
    params: *const sp_param,
    n: usize,
    o: *const sp_query_options,
    rows: *mut *mut sp_rows,
    err: *mut *mut sp_error,
) -> sp_code {
    forward!(sp_conn_query_stream_ex(c, sql, params, n, o, rows, err));
    // SAFETY: `o` is NULL or readable for its `size`, its token live (documented).
    unsafe { conn_stream("sp_conn_query_stream_ex", c, sql, params, n, o, rows, err) }
}

/// `sp_pool_query_stream` with `sp_conn_query_stream_ex`'s deadline and cancel token: they
/// also end the wait for a connection (the wait lasts at most the pool's
/// `acquire_timeout_ms` or until the deadline, whichever comes first; a triggered token fails
/// it with `SP_ERR_CANCELLED`). The deadline counts from the call, wait included. ABI 1.2.
#[no_mangle]
pub extern "C" fn sp_pool_query_stream_ex(
    p: *mut pool::sp_pool,
    sql: *const c_char,
    params: *const sp_param,
    n: usize,
    o: *const sp_query_options,
    rows: *mut *mut sp_rows,
    err: *mut *mut sp_error,
) -> sp_code {
    forward!(sp_pool_query_stream_ex(p, sql, params, n, o, rows, err));
    // SAFETY: `o` is NULL or readable for its `size`, its token live (documented).
    unsafe { pool_stream("sp_pool_query_stream_ex", p, sql, params, n, o, rows, err) }
}

/// The body of `sp_conn_query_stream` (`o` NULL) and `sp_conn_query_stream_ex`.
///
/// # Safety
/// `o` is NULL or points to `o->size` readable bytes; its `cancel` is NULL or a live token.
#[allow(clippy::too_many_arguments)]
unsafe fn conn_stream(
    name: &'static str,
    c: *mut sp_conn,
    sql: *const c_char,
    params: *const sp_param,
    n: usize,
    o: *const sp_query_options,
    rows: *mut *mut sp_rows,
    err: *mut *mut sp_error,
) -> sp_code {
    call_code(name, err, || {
        out_ptr(name, "rows", rows)?;
        // SAFETY: the contract.
        let (deadline, token) = unsafe { cancel::query_options(name, o) }?;
        let handle = conn::live_here(name, c)?;
        let r = start(name, handle, false, sql, params, n, deadline, token)?;
        // SAFETY: `rows` is not NULL and points to writable storage (the caller's contract).
        unsafe { rows.write(r) };
        Ok(())
    })
}

/// The body of `sp_pool_query_stream` (`o` NULL) and `sp_pool_query_stream_ex`.
///
/// # Safety
/// As [`conn_stream`].
#[allow(clippy::too_many_arguments)]
unsafe fn pool_stream(
    name: &'static str,
    p: *mut pool::sp_pool,
    sql: *const c_char,
    params: *const sp_param,
    n: usize,
    o: *const sp_query_options,
    rows: *mut *mut sp_rows,
    err: *mut *mut sp_error,
) -> sp_code {
    call_code(name, err, || {
        out_ptr(name, "rows", rows)?;
        // SAFETY: the contract.
        let (deadline, token) = unsafe { cancel::query_options(name, o) }?;
        let conn = Arc::new(conn::private(pool::acquire_until(
            name, p, deadline, token,
        )?));
        let r = start(name, conn, true, sql, params, n, deadline, token)?;
        // SAFETY: `rows` is not NULL and points to writable storage (the caller's contract).
        unsafe { rows.write(r) };
        Ok(())
    })
}

/// Moves to the next row. `SP_ROWS_ROW`: its cells are readable until the next call on
/// `rows`; `SP_ROWS_END`: no more rows, the connection is free; `SP_ROWS_ERROR` with the error
/// in `*err`: one met mid-stream (`SP_ERR_SERVER`, `SP_ERR_CONNECTION_LOST`, ...;
/// `SP_ERR_TIMEOUT` / `SP_ERR_CANCELLED` once the stream's deadline, the pool's
/// `statement_timeout_ms` or its cancel token stopped it, see `sp_conn_query_stream_ex`; the
/// stream is over) or misuse (`SP_ERR_INVALID_ARGUMENT`: a NULL or freed `rows`, a call after the
/// end or after an error, the connection released while the rows were open).
#[no_mangle]
pub extern "C" fn sp_rows_next(rows: *mut sp_rows, err: *mut *mut sp_error) -> sp_rows_status {
    forward!(sp_rows_next(rows, err));
    const NAME: &str = "sp_rows_next";
    call(NAME, err, || {
        let r = live(NAME, rows)?;
        let mut st = r.lock();
        match st.phase {
            Phase::Open => {}
            Phase::End => return Err(invalid(NAME, "called after the end of the rows")),
            Phase::Failed => return Err(invalid(NAME, "called after the rows failed")),
        }
        st.cells.clear();
        if r.generation != sharedpool::fork_generation() {
            st.phase = Phase::Failed;
            return Err(Error::new(
                ErrorKind::ConnectionLost,
                format!("{NAME}: these rows were opened by the parent process before fork()"),
            ));
        }
        let mut guard = conn::lock(&r.conn);
        let Some(c) = guard.as_mut() else {
            st.phase = Phase::Failed;
            return Err(invalid(
                NAME,
                "the connection was released while the rows were open",
            ));
        };
        match c.stream_next() {
            Ok(Some(row)) => {
                for i in 0..row.len() {
                    st.cells.push(
                        row.get(i)
                            .map_or((0, 0), |b| (b.as_ptr() as usize, b.len())),
                    );
                }
                Ok(sp_rows_status::SP_ROWS_ROW)
            }
            Ok(None) => {
                st.phase = Phase::End;
                st.stats = c.stream_stats();
                st.counts = c.stream_counts();
                Ok(sp_rows_status::SP_ROWS_END)
            }
            Err(e) => {
                st.phase = Phase::Failed;
                st.stats = c.stream_stats();
                Err(e)
            }
        }
    })
}

/// Cell `col` of the current row: on `SP_OK`, `*data` points to its bytes in the server's
/// text form (not NUL-terminated; valid until the next `sp_rows_next` or `sp_rows_free` on
/// `rows`) and `*len` is their length; for SQL NULL `*data` is NULL and `*len` 0 (an empty
/// value has a non-NULL `*data`). `SP_ERR_INVALID_ARGUMENT` (nothing written): NULL or freed
/// `rows`, NULL `data` or `len`, no current row, `col` out of range.
#[no_mangle]
pub extern "C" fn sp_rows_cell(
    rows: *const sp_rows,
    col: usize,
    data: *mut *const c_char,
    len: *mut usize,
) -> sp_code {
    forward!(sp_rows_cell(rows, col, data, len));
    const NAME: &str = "sp_rows_cell";
    call_code(NAME, std::ptr::null_mut(), || {
        out_ptr(NAME, "data", data)?;
        out_ptr(NAME, "len", len)?;
        let r = live(NAME, rows)?;
        let st = r.lock();
        if st.cells.is_empty() {
            return Err(invalid(NAME, "no current row"));
        }
        let &(p, n) = st
            .cells
            .get(col)
            .ok_or_else(|| invalid(NAME, "column out of range"))?;
        // SAFETY: both are non-NULL writable pointers (checked, and the caller's contract).
        unsafe {
            data.write(p as *const c_char);
            len.write(n);
        }
        Ok(())
    })
}

/// The current row's first `n` cells in one call (`n` at most the column count): `data[i]`
/// and `lens[i]` as `sp_rows_cell` gives them. Returns `SP_OK`, or `SP_ERR_INVALID_ARGUMENT`
/// (nothing written) as `sp_rows_cell` and for `n` over the column count.
#[no_mangle]
pub extern "C" fn sp_rows_cells(
    rows: *const sp_rows,
    data: *mut *const c_char,
    lens: *mut usize,
    n: usize,
) -> sp_code {
    forward!(sp_rows_cells(rows, data, lens, n));
    const NAME: &str = "sp_rows_cells";
    call_code(NAME, std::ptr::null_mut(), || {
        let r = live(NAME, rows)?;
        let st = r.lock();
        if st.cells.is_empty() {
            return Err(invalid(NAME, "no current row"));
        }
        if n > st.cells.len() {
            return Err(invalid(NAME, "n is over the column count"));
        }
        if n > 0 {
            out_ptr(NAME, "data", data)?;
            out_ptr(NAME, "lens", lens)?;
        }
        for (i, &(p, len)) in st.cells[..n].iter().enumerate() {
            // SAFETY: `data` and `lens` have room for `n` entries (the caller's contract).
            unsafe {
                data.add(i).write(p as *const c_char);
                lens.add(i).write(len);
            }
        }
        Ok(())
    })
}

/// Runs `f` on the live rows behind `r`, or returns `default`.
fn with<T: Copy>(r: *const sp_rows, default: T, f: impl FnOnce(&sp_rows) -> T) -> T {
    infallible(default, || table().get(r).map_or(default, |r| f(&r)))
}

/// Number of columns (0 for a NULL or freed `rows`, and for a statement without rows).
#[no_mangle]
pub extern "C" fn sp_rows_column_count(rows: *const sp_rows) -> usize {
    forward!(sp_rows_column_count(rows));
    with(rows, 0, |r| r.columns.len())
}

/// The name (or alias) of column `col`, UTF-8 and NUL-terminated, valid until
/// `sp_rows_free(rows)`; `""` for a NULL or freed `rows` or `col` out of range.
#[no_mangle]
pub extern "C" fn sp_rows_column_name(rows: *const sp_rows, col: usize) -> *const c_char {
    forward!(sp_rows_column_name(rows, col));
    infallible(c"".as_ptr(), || {
        // The name lives in the handle, which lives until sp_rows_free removes it.
        table().get(rows).map_or(c"".as_ptr(), |r| {
            r.columns.get(col).map_or(c"".as_ptr(), |c| c.name.as_ptr())
        })
    })
}

/// The MySQL field type number (`MYSQL_TYPE_*`) of column `col`; 0 when unknown.
#[no_mangle]
pub extern "C" fn sp_rows_column_type(rows: *const sp_rows, col: usize) -> u32 {
    forward!(sp_rows_column_type(rows, col));
    with(rows, 0, |r| r.columns.get(col).map_or(0, |c| c.type_code))
}

/// The MySQL field flags of column `col` (as `sp_result_column_flags`); 0 when unknown.
#[no_mangle]
pub extern "C" fn sp_rows_column_flags(rows: *const sp_rows, col: usize) -> u32 {
    forward!(sp_rows_column_flags(rows, col));
    with(rows, 0, |r| r.columns.get(col).map_or(0, |c| c.flags))
}

/// Rows read so far (0 for a NULL or freed `rows`).
#[no_mangle]
pub extern "C" fn sp_rows_row_count(rows: *const sp_rows) -> u64 {
    forward!(sp_rows_row_count(rows));
    with(rows, 0, |r| r.stats(&r.lock()).rows)
}

/// The most bytes held at once for these rows: the handle's cell index plus the largest row
/// the client library's reused row buffer has held (the library copies no cell). Does not grow
/// with the number of rows; for tests and monitoring. 0 for a NULL or freed `rows`.
#[no_mangle]
pub extern "C" fn sp_rows_buffer_high_water(rows: *const sp_rows) -> u64 {
    forward!(sp_rows_buffer_high_water(rows));
    with(rows, 0, |r| r.high_water(&r.lock()))
}

/// Rows changed by the statement (for a statement without rows, e.g. an UPDATE), known once
/// the rows ended; 0 before, and for a NULL or freed `rows`.
#[no_mangle]
pub extern "C" fn sp_rows_affected_rows(rows: *const sp_rows) -> u64 {
    forward!(sp_rows_affected_rows(rows));
    with(rows, 0, |r| r.lock().counts.0)
}

/// The AUTO_INCREMENT id the statement generated (0: none), known once the rows ended; 0 for a
/// NULL or freed `rows`.
#[no_mangle]
pub extern "C" fn sp_rows_insert_id(rows: *const sp_rows) -> u64 {
    forward!(sp_rows_insert_id(rows));
    with(rows, 0, |r| r.lock().counts.1)
}

/// Frees the rows: before their end, reads a short remainder or gives the connection up (see
/// `sp_rows`); rows from `sp_pool_query_stream` give their connection back. Returns `SP_OK`
/// (also for NULL), or `SP_ERR_INVALID_ARGUMENT` for rows already freed (or never returned),
/// which are not touched. Thread-safe.
#[no_mangle]
pub extern "C" fn sp_rows_free(rows: *mut sp_rows) -> sp_code {
    forward!(sp_rows_free(rows));
    const NAME: &str = "sp_rows_free";
    call_code(NAME, std::ptr::null_mut(), || {
        if rows.is_null() {
            return Ok(());
        }
        let r = table()
            .remove(rows)
            .ok_or_else(|| invalid(NAME, "rows is not a live sp_rows (freed twice?)"))?;
        let mut st = r.lock();
        st.cells.clear();
        if r.generation == sharedpool::fork_generation() {
            let mut guard = conn::lock(&r.conn);
            if st.phase == Phase::Open {
                if let Some(c) = guard.as_mut() {
                    c.stream_close();
                }
            }
            if r.owned {
                drop(guard.take());
            }
        }
        // In a child after fork(): the parent's connection is not touched (the pool forgets it).
        Ok(())
    })
}
