//! Streaming rows: a result read from the socket one row at a time (`mysql_use_result`,
//! `mysql_fetch_row`, `mysql_fetch_lengths`), each row's cells handed out by pointer and
//! length into the client library's own row buffer, valid until the next fetch. Memory does
//! not grow with the result: the client library reuses its network buffer and row array, and
//! this layer keeps only the current row's pointers. The buffered [`QueryResult`] is built
//! with the same decoder ([`Stream::fetch`] then a copy into one buffer).
//!
//! # The connection while rows are open
//!
//! A connection with an open stream is busy: any other statement on it (and a reset or ping)
//! gets an `InvalidArgument` error naming the open rows, until the stream reaches its end, an
//! error ends it, or it is closed. Reaching the end frees the connection at once (further
//! results of a `CALL` are read and dropped, session tracking is read from the final packet).
//!
//! # Closing early
//!
//! The protocol has no way to stop a result set but to read it to its end. Closing before the
//! end (or returning the connection to the pool with rows still open) reads the remainder when
//! it is short: at most [`DRAIN_ROWS`] rows, [`DRAIN_BYTES`] bytes of cells and [`DRAIN_TIME`]
//! of reading, whichever comes first. The bounds weigh a drain against a replacement
//! connection. Measured on loopback (2 cores, MariaDB 10.11, release build): a new connection
//! (TCP, handshake, session setup) took 0.28 ms, and a drain read 3.2 M rows/s of
//! `SELECT seq, REPEAT('x',100)` (330 MB/s), so a reconnect is worth ~90 KB of drain there;
//! over a network a reconnect costs 4-5 round trips (and a TLS handshake) while a 1 Gbit/s
//! link drains ~125 KB/ms, which moves the balance to a few hundred KB. Hence 256 KiB, 4096
//! rows (tiny rows cost per row, not per byte) and 2 ms (the clock read every 256 rows, so a
//! remainder under 256 rows within the byte bound is always read). A longer remainder is not read: the
//! connection is marked broken, its socket shut down (so the client library's own drain in
//! `mysql_free_result` ends at once; the server stops at its next write) and the pool
//! discards it. Ending the statement with `KILL QUERY` over a control connection, which would
//! let the connection be kept, is the "Statements that stop when the caller says so" issue's.
//!
//! # Deadlines and cancellation
//!
//! A stream is watched from its statement's start until its rows end or it is closed, as
//! go-sql-driver's context watcher runs until `rows.Close()`: the pool's
//! `statement_timeout_ms`, a per-call deadline and a cancel token
//! ([`Connection::query_stream_until`](super::Connection::query_stream_until), the C ABI's
//! `sp_conn_query_stream_ex`) end it with `KILL QUERY` as they end a buffered statement
//! (`deadline.rs`). The watch guard (owning an `Arc` of the pool's killer and a clone of the
//! token) lives in the connection beside the open stream, so no stream outlives its watch
//! and the socket stays open while a kill uses it.
//!
//! `statement_timeout_ms` covers the whole stream, not the time to the first row: the
//! buffered path's timeout covers reading every row too, database/sql's and go-sql-driver's
//! `ctx` covers the whole `Rows` lifetime, and the server's own `max_statement_time` and
//! PostgreSQL's `statement_timeout` count a statement until its last row is sent (a server
//! blocked on a slow reader is still running it). The option bounds how long one statement
//! holds a connection and a server thread; a long export runs on a pool without it (a
//! per-call deadline only ever shortens it, whichever comes first).
//!
//! A kill may come while the caller is between rows: the server then stops at its next
//! check or write, and if the statement has not ended within the grace period the socket is
//! shut down. Either way, every [`Rows::next`] after the deadline or cancel (checked with one
//! atomic load per row) returns the `Timeout` / `Cancelled` error, even for rows the client
//! library had already buffered, and the connection is discarded. Closing such a stream
//! reads nothing more.
//!
//! # The non-blocking path
//!
//! [`Stream`] only decodes: [`Stream::fetch`] takes the row the client library returned. The
//! blocking path gets it from `mysql_fetch_row`; a non-blocking reader gets the same row from
//! `mysql_fetch_row_start`/`_cont` and hands it to [`Stream::take_row`], with the same
//! bookkeeping.

use std::marker::PhantomData;
use std::os::raw::{c_char, c_ulong};
use std::ptr::NonNull;
use std::time::Duration;

use super::ffi::sys;
use super::result::Column;

/// Early close: read at most this many remaining rows before giving the connection up.
pub const DRAIN_ROWS: u64 = 4096;
/// Early close: read at most this many remaining bytes of cells before giving up.
pub const DRAIN_BYTES: u64 = 256 * 1024;
/// Early close: read for at most this long before giving up (checked every
/// [`DRAIN_CLOCK_EVERY`] rows).
pub const DRAIN_TIME: Duration = Duration::from_millis(2);
/// Early close: how often (in rows) the drain looks at the clock.
pub const DRAIN_CLOCK_EVERY: u64 = 256;

/// What a stream has read so far (test-visible: memory stays bounded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Rows fetched.
    pub rows: u64,
    /// Bytes of cells fetched, over all rows.
    pub bytes: u64,
    /// The largest single row, in bytes of cells: what the client library's row buffer held
    /// at its high-water mark.
    pub max_row_bytes: u64,
}

/// How an early close ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseOutcome {
    /// No stream was open (or it had already ended).
    Idle,
    /// The remainder was short and read: the connection is clean and reusable.
    Drained {
        /// Rows read and dropped.
        rows: u64,
    },
    /// The remainder was long: the connection is broken and will be discarded.
    Abandoned,
}

/// One open result being read row by row. Owns its `MYSQL_RES` (freed by the connection,
/// which knows whether the rest must be drained first).
pub(crate) struct Stream {
    res: NonNull<sys::MYSQL_RES>,
    columns: Vec<Column>,
    /// The current row (valid until the next fetch) and its lengths; null before the first.
    row: sys::MYSQL_ROW,
    lens: *const c_ulong,
    stats: StreamStats,
}

impl Stream {
    /// Starts reading `res` (from `mysql_use_result`): decodes the column metadata.
    ///
    /// # Safety
    /// `res` must be a live result of a connection that is used only through this stream
    /// until [`Stream::into_raw`].
    pub(crate) unsafe fn new(res: NonNull<sys::MYSQL_RES>) -> Stream {
        // SAFETY: `res` is live (caller); its fields array has `mysql_num_fields` entries
        // whose names live as long as `res`, copied here.
        let columns = unsafe { columns_of(res.as_ptr()) };
        Stream {
            res,
            columns,
            row: std::ptr::null_mut(),
            lens: std::ptr::null(),
            stats: StreamStats::default(),
        }
    }

    pub(crate) fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub(crate) fn stats(&self) -> StreamStats {
        self.stats
    }

    /// Fetches the next row with `mysql_fetch_row` (blocking). `None` at the end of the rows
    /// or on an error (the caller tells them apart with `mysql_errno`).
    pub(crate) fn fetch(&mut self) -> Option<Row<'_>> {
        // SAFETY: `res` is live and its connection is used by no one else (see `new`).
        let row = unsafe { sys::mysql_fetch_row(self.res.as_ptr()) };
        // SAFETY: as above; `row` is what the library just returned for `res`.
        unsafe { self.take_row(row) }
    }

    /// Takes `row`, the library's latest row for this result (NULL at the end or on error),
    /// whichever call fetched it; records its size.
    ///
    /// # Safety
    /// `row` must be the value the last fetch on this stream's result returned.
    pub(crate) unsafe fn take_row(&mut self, row: sys::MYSQL_ROW) -> Option<Row<'_>> {
        if row.is_null() {
            self.row = std::ptr::null_mut();
            self.lens = std::ptr::null();
            return None;
        }
        // SAFETY: a row was just fetched from `res`: the lengths array has one entry per
        // column and stays valid until the next fetch.
        let lens = unsafe { sys::mysql_fetch_lengths(self.res.as_ptr()) };
        self.row = row;
        self.lens = lens;
        let n = self.columns.len();
        // SAFETY: `lens` has `n` entries (above).
        let bytes: u64 = (0..n).map(|i| unsafe { *lens.add(i) } as u64).sum();
        self.stats.rows += 1;
        self.stats.bytes += bytes;
        self.stats.max_row_bytes = self.stats.max_row_bytes.max(bytes);
        self.current()
    }

    /// The row the last fetch returned, if it returned one.
    pub(crate) fn current(&self) -> Option<Row<'_>> {
        (!self.row.is_null()).then_some(Row {
            row: self.row,
            lens: self.lens,
            n: self.columns.len(),
            _stream: PhantomData,
        })
    }

    /// Gives the result back for freeing.
    pub(crate) fn into_raw(self) -> *mut sys::MYSQL_RES {
        self.res.as_ptr()
    }
}

/// The column metadata of a result.
///
/// # Safety
/// `res` must be a live result.
pub(crate) unsafe fn columns_of(res: *mut sys::MYSQL_RES) -> Vec<Column> {
    // SAFETY: `res` is live; mysql_fetch_fields returns `n` MYSQL_FIELDs whose name pointers
    // live as long as `res` and are copied before return.
    unsafe {
        let n = sys::mysql_num_fields(res) as usize;
        let fields = sys::mysql_fetch_fields(res);
        (0..n)
            .map(|i| {
                let f = &*fields.add(i);
                let name = if f.name.is_null() {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(f.name.cast::<u8>(), f.name_length as usize)
                };
                // BINARY_FLAG also marks text columns with a binary collation (utf8mb4_bin,
                // MariaDB's JSON): keep it on string columns only for the binary charset (63),
                // so callers can tell bytes from text by the flags.
                let text = super::kind::is_string(f.type_ as u32) && f.charsetnr != 63;
                Column {
                    name: String::from_utf8_lossy(name).into_owned(),
                    type_code: f.type_ as u32,
                    flags: if text {
                        f.flags as u32 & !128
                    } else {
                        f.flags as u32
                    },
                }
            })
            .collect()
    }
}

/// One row of a stream: cells by pointer into the client library's buffer, valid until the
/// next fetch on the same stream (the borrow enforces it in Rust).
#[derive(Clone, Copy)]
pub struct Row<'a> {
    row: sys::MYSQL_ROW,
    lens: *const c_ulong,
    n: usize,
    _stream: PhantomData<&'a Stream>,
}

impl<'a> Row<'a> {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for a row without columns.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Cell `i` in the server's text form; `None` for SQL NULL or out of range.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.n {
            return None;
        }
        // SAFETY: `row` and `lens` have `n` entries and stay valid for `'a` (until the next
        // fetch, which needs the stream mutably); a NULL cell pointer is SQL NULL.
        unsafe {
            let p: *const c_char = *self.row.add(i);
            (!p.is_null())
                .then(|| std::slice::from_raw_parts(p.cast::<u8>(), *self.lens.add(i) as usize))
        }
    }
}

/// Rows being streamed from a [`Connection`](super::Connection), which stays borrowed (busy)
/// until they are dropped; dropping them before the end closes early (see the module doc).
pub struct Rows<'c> {
    pub(crate) conn: &'c mut super::Connection,
}

impl Rows<'_> {
    /// The column metadata.
    pub fn columns(&self) -> &[Column] {
        self.conn.stream_columns()
    }

    /// The next row, `Ok(None)` at the end (the connection is then free), or the error the
    /// server or the network reported mid-stream.
    #[allow(clippy::should_implement_trait)] // rows borrow the stream: not an Iterator
    pub fn next(&mut self) -> crate::Result<Option<Row<'_>>> {
        self.conn.stream_next()
    }

    /// What has been read so far.
    pub fn stats(&self) -> StreamStats {
        self.conn.stream_stats()
    }

    /// Closes early (a no-op after the end) and says how.
    pub fn close(self) -> CloseOutcome {
        self.conn.stream_close()
    }
}

impl Drop for Rows<'_> {
    fn drop(&mut self) {
        self.conn.stream_close();
    }
}
