//! One MySQL connection: connect with finite timeouts and safe defaults, run text statements,
//! and follow the server's session tracking to know whether the session is dirty.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_uint, c_ulong, c_void};
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::deadline::{Ended, Killer, Watched, Why};
use super::dsn::{Address, Dsn};
use super::error_map;
use super::ffi::{self, opt, status, sys, track, MYSQL};
use super::params::{self, Backslashes, Param};
use super::result::{Column, QueryResult};
use super::stream::{
    CloseOutcome, Row, Rows, Stream, StreamStats, DRAIN_BYTES, DRAIN_CLOCK_EVERY, DRAIN_ROWS,
    DRAIN_TIME,
};
use crate::{CancelToken, Error, ErrorKind, Options, Result, TlsMode};
use zeroize::{Zeroize, Zeroizing};

/// Turns on the trackers reuse depends on: `state_change` reports any session change
/// (variables, user variables, temporary tables, prepared statements, …) and `schema` the
/// current database.
///
/// With libmysqlclient, `CHARACTERISTICS` also reports the transaction state string
/// (`T_______` while one is open) and pending `SET TRANSACTION` characteristics. MariaDB
/// Connector/C reads no tracking data after a result set, only the status flags, and the
/// transaction tracker raises `SESSION_STATE_CHANGED` on a result set inside a transaction
/// (`S`: a result set was sent), which can't be told from a real change there: so it stays
/// off, the open transaction comes from `SERVER_STATUS_IN_TRANS`, and what only it reported
/// (`LOCK TABLES`, one-shot `SET TRANSACTION`) is matched in the statement text.
fn tracking() -> &'static str {
    if ffi::IS_MYSQL {
        "SESSION session_track_state_change=ON, session_track_schema=ON, \
         session_track_transaction_info='CHARACTERISTICS'"
    } else {
        "SESSION session_track_state_change=ON, session_track_schema=ON, \
         session_track_transaction_info=OFF"
    }
}

/// Session changes that MariaDB reports neither in session tracking nor in the status flags
/// (with the transaction tracker off, see [`tracking`]): user variables assigned in a
/// `SELECT` (`:=`, `INTO @var`), named locks (`GET_LOCK`), `LAST_INSERT_ID(expr)`, table
/// locks (`LOCK TABLES`, `FLUSH … READ LOCK`, `BACKUP LOCK`) and one-shot `SET TRANSACTION`.
/// Matching is textual and conservative (a false hit costs one reset).
fn may_change_session_unseen(sql: &[u8]) -> bool {
    /// Is the first non-blank byte from `at` one that `pred` accepts?
    fn next_is(sql: &[u8], at: usize, pred: impl Fn(u8) -> bool) -> bool {
        sql[at..]
            .iter()
            .find(|c| !c.is_ascii_whitespace())
            .is_some_and(|&c| pred(c))
    }
    /// End offsets of the case-insensitive matches of `needle`.
    fn ends<'a>(sql: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
        sql.windows(needle.len())
            .enumerate()
            .filter(move |(_, w)| w.eq_ignore_ascii_case(needle))
            .map(move |(i, _)| i + needle.len())
    }
    /// Does the statement start with these words (blanks between them)?
    fn starts(sql: &[u8], words: &[&[u8]]) -> bool {
        let mut rest = sql;
        for w in words {
            rest = rest.trim_ascii_start();
            if rest.len() < w.len() || !rest[..w.len()].eq_ignore_ascii_case(w) {
                return false;
            }
            rest = &rest[w.len()..];
            if rest
                .first()
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                return false;
            }
        }
        true
    }
    starts(sql, &[b"LOCK"])
        || starts(sql, &[b"FLUSH"])
        || starts(sql, &[b"BACKUP", b"LOCK"])
        || starts(sql, &[b"SET", b"TRANSACTION"])
        || ends(sql, b":=").next().is_some()
        || ends(sql, b"GET_LOCK").next().is_some()
        || ends(sql, b"INTO").any(|end| next_is(sql, end, |c| c == b'@'))
        || ends(sql, b"LAST_INSERT_ID(").any(|end| next_is(sql, end, |c| c != b')'))
}

/// Does the server's charset name `server` match the requested `wanted` (`utf8` is an alias
/// of `utf8mb3` on recent servers)?
fn same_charset(server: &str, wanted: &str) -> bool {
    let norm = |s: &str| {
        let s = s.to_ascii_lowercase();
        if s == "utf8" {
            "utf8mb3".to_string()
        } else {
            s
        }
    };
    norm(server) == norm(wanted)
}

/// One MySQL connection. Not shared between threads; moves between them freely.
pub struct Connection {
    raw: NonNull<MYSQL>,
    /// A fatal error was seen: the connection must be discarded.
    broken: bool,
    /// The server reported a session state change since the last reset.
    dirty: bool,
    /// The server reported an open transaction (or locked tables).
    in_transaction: bool,
    /// The server reported a change of the current database (`USE`).
    schema_changed: bool,
    /// The session's autocommit mode, as the server last reported it (or the pool set it).
    autocommit: bool,
    /// The mode a clean session has: read at connect (the server's default, or what the
    /// DSN's variables and `init_sql` chose).
    default_autocommit: bool,
    /// The mode to switch to before the next statement (see [`Connection::set_autocommit`]).
    pending_autocommit: Option<bool>,
    /// The DSN's default database, restored after a reset when the borrower changed it.
    database: Option<CString>,
    charset: CString,
    init_sql: Option<String>,
    /// `name = value, …` of the session variables, set with the tracking settings.
    variables: String,
    /// Close rather than reuse a connection that got a "read only" error.
    reject_read_only: bool,
    /// The client's packet limit, when the caller set one (named in "lost connection" errors:
    /// that is how the client library reports a packet over it).
    max_allowed_packet: Option<u64>,
    wait_timeout: Option<Duration>,
    /// When the last command was sent (the server's idle clock for `wait_timeout`).
    last_sent: Instant,
    label: String,
    /// The rows being streamed, while a stream is open (the connection is busy).
    stream: Option<Stream>,
    /// What the last stream read, kept once it ended.
    last_stream: StreamStats,
    /// Affected rows and insert id of the last streamed statement.
    stream_counts: (u64, u64),
    /// The open stream's deadline and cancel watch, kept until its rows end or are closed
    /// (see `super::stream`, "Deadlines and cancellation").
    stream_watch: Option<Watched>,
    /// `statement_timeout_ms` (zero: none), enforced by the pool's killer once it has one.
    statement_timeout: Duration,
    killer: Option<Arc<Killer>>,
}

// SAFETY: a MYSQL handle may be used from any thread as long as one thread uses it at a time
// and that thread called mysql_thread_init (`ffi::ensure_thread` at every entry point).
// `Connection` is not `Sync`, and every method takes `&mut self`.
unsafe impl Send for Connection {}

/// The client library's timeouts are whole seconds: `d` rounded up (at least 1 s).
fn secs(d: Duration) -> c_uint {
    let s = d.as_millis().div_ceil(1000).max(1);
    s.min(u128::from(c_uint::MAX)) as c_uint
}

/// The `*_timeout_ms` options that are not whole seconds, as `name ms -> ms` (what they are
/// rounded up to).
pub fn rounded_timeouts(p: &crate::PoolConfig) -> Vec<String> {
    [
        ("connect_timeout_ms", p.connect_timeout),
        ("read_timeout_ms", p.read_timeout),
        ("write_timeout_ms", p.write_timeout),
    ]
    .into_iter()
    .filter(|(_, d)| d.as_millis() % 1000 != 0)
    .map(|(name, d)| format!("{name} {} -> {}", d.as_millis(), u128::from(secs(d)) * 1000))
    .collect()
}

fn cstring(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{what} contains a NUL byte"),
        )
    })
}

/// `CLIENT_FOUND_ROWS`: affected rows of an UPDATE are the rows matched.
const CLIENT_FOUND_ROWS: c_ulong = 2;

/// Wipes the copy of the password the client library keeps in a connected handle (for its
/// automatic reconnect and `mysql_change_user`, neither of which is used here).
///
/// # Safety
/// `raw` must be a valid, connected handle.
unsafe fn wipe_library_password(raw: *mut MYSQL) {
    // SAFETY: the handle is valid (caller); `passwd` is NULL or the library's own
    // NUL-terminated copy, which it only frees later.
    unsafe {
        let p = (*raw).passwd;
        if !p.is_null() {
            std::slice::from_raw_parts_mut(p.cast::<u8>(), libc::strlen(p)).zeroize();
        }
    }
}

/// Reads errno, SQLSTATE and message from a handle.
///
/// # Safety
/// `raw` must be a valid handle from `mysql_init`.
unsafe fn last_error(raw: *mut MYSQL) -> (u32, String, String) {
    // SAFETY: the caller guarantees `raw` is valid; the library returns NUL-terminated
    // strings owned by the handle, copied before any other call.
    unsafe {
        let errno = sys::mysql_errno(raw);
        let msg = CStr::from_ptr(sys::mysql_error(raw))
            .to_string_lossy()
            .into_owned();
        let state = CStr::from_ptr(sys::mysql_sqlstate(raw))
            .to_string_lossy()
            .into_owned();
        (errno, state, msg)
    }
}

/// Sets one option on a handle.
///
/// # Safety
/// `raw` must be a valid handle not yet connected; `arg` must point to what the option expects.
unsafe fn set_option(raw: *mut MYSQL, option: u32, arg: *const c_void) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let rc = unsafe { ffi::mysql_options_raw(raw, option, arg) };
    if rc != 0 {
        return Err(Error::new(
            ErrorKind::InvalidOption,
            format!("the client library rejected connection option {option}"),
        ));
    }
    Ok(())
}

/// Closes a handle on drop unless disarmed (connect failure paths).
struct HandleGuard(*mut MYSQL);

impl Drop for HandleGuard {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the handle came from mysql_init and is not used after this.
            unsafe { sys::mysql_close(self.0) };
        }
    }
}

impl Connection {
    /// Opens a connection to `dsn` with `options`' timeouts and session settings, turns on
    /// session tracking and runs `init_sql`.
    pub fn connect(dsn: &Dsn, options: &Options) -> Result<Connection> {
        ffi::ensure_thread();
        let label = dsn.label(options);
        let user = cstring(&dsn.user, "the user")?;
        // Wiped when dropped, as is the client library's copy once connected.
        let password = Zeroizing::new(cstring(&dsn.password, "the password")?);
        let database = dsn
            .database
            .as_deref()
            .map(|d| cstring(d, "the database"))
            .transpose()?;
        let se = &options.session;
        let charset = cstring(&se.charset, "charset")?;
        let (host, port, socket) = match &dsn.address {
            Address::Tcp { host, port } => (cstring(host, "the host")?, *port, None),
            Address::Unix(path) => (c"localhost".to_owned(), 0, Some(cstring(path, "socket")?)),
        };
        let paths = [
            (opt::SSL_CA, &se.tls_ca),
            (opt::SSL_CERT, &se.tls_cert),
            (opt::SSL_KEY, &se.tls_key),
        ]
        .into_iter()
        .filter_map(|(o, p)| {
            p.as_deref()
                .map(|p| cstring(p, "a TLS path").map(|c| (o, c)))
        })
        .collect::<Result<Vec<_>>>()?;

        // SAFETY: mysql_init(NULL) allocates a new handle (NULL on out of memory).
        let raw = unsafe { sys::mysql_init(std::ptr::null_mut()) };
        if raw.is_null() {
            return Err(Error::new(
                ErrorKind::Internal,
                "mysql_init failed (out of memory)",
            ));
        }
        let mut guard = HandleGuard(raw);
        let p = &options.pool;
        let (ct, rt, wt) = (
            secs(p.connect_timeout),
            secs(p.read_timeout),
            secs(p.write_timeout),
        );
        let zero: c_uint = 0;
        let protocol: c_uint = if socket.is_some() {
            opt::PROTOCOL_SOCKET
        } else {
            opt::PROTOCOL_TCP
        };
        // SAFETY: `raw` is a fresh handle; each argument has the type its option expects
        // (unsigned int for timeouts, local infile and protocol; a C string for names/paths;
        // my_bool/bool are one byte in both libraries), and the library copies them.
        unsafe {
            set_option(raw, opt::CONNECT_TIMEOUT, (&ct as *const c_uint).cast())?;
            set_option(raw, opt::READ_TIMEOUT, (&rt as *const c_uint).cast())?;
            set_option(raw, opt::WRITE_TIMEOUT, (&wt as *const c_uint).cast())?;
            set_option(raw, opt::LOCAL_INFILE, (&zero as *const c_uint).cast())?;
            set_option(raw, opt::PROTOCOL, (&protocol as *const c_uint).cast())?;
            set_option(raw, opt::SET_CHARSET_NAME, charset.as_ptr().cast())?;
            for (o, path) in &paths {
                set_option(raw, *o, path.as_ptr().cast())?;
            }
            Self::set_tls(raw, se.tls)?;
            if let Some(n) = se.max_allowed_packet {
                if ffi::IS_MYSQL {
                    return Err(Error::new(
                        ErrorKind::InvalidOption,
                        "max_allowed_packet needs MariaDB Connector/C (linked: libmysqlclient)",
                    ));
                }
                let n = n as c_ulong;
                set_option(
                    raw,
                    opt::MARIADB_MAX_ALLOWED_PACKET,
                    (&n as *const c_ulong).cast(),
                )?;
            }
        }
        let mut flags = ffi::CLIENT_MULTI_RESULTS as c_ulong;
        if se.client_found_rows {
            flags |= CLIENT_FOUND_ROWS;
        }
        // SAFETY: every pointer is a live NUL-terminated string or NULL; `raw` is valid.
        let connected = unsafe {
            sys::mysql_real_connect(
                raw,
                host.as_ptr(),
                user.as_ptr(),
                password.as_ptr(),
                database.as_ref().map_or(std::ptr::null(), |d| d.as_ptr()),
                c_uint::from(port),
                socket.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
                flags,
            )
        };
        if connected.is_null() {
            // SAFETY: `raw` is valid until the guard closes it.
            let (errno, state, msg) = unsafe { last_error(raw) };
            // A server error the client library wrapped (it came before TLS): the caller
            // gets the server's code, 1040 and not 2002.
            if let Some((errno, state, text)) = error_map::unwrap_pre_tls(errno, &msg) {
                return Err(Error::server(
                    error_map::connect_kind(errno),
                    errno,
                    state,
                    format!("connecting to {label}: {text} (sent by the server before TLS)"),
                ));
            }
            return Err(Error::server(
                error_map::connect_kind(errno),
                errno,
                state,
                format!("connecting to {label}: {msg}"),
            ));
        }
        if matches!(
            se.tls,
            TlsMode::Required | TlsMode::VerifyCa | TlsMode::VerifyIdentity
        ) {
            // SAFETY: `raw` is connected; NULL means no TLS.
            let cipher = unsafe { sys::mysql_get_ssl_cipher(raw) };
            if cipher.is_null() {
                return Err(Error::new(
                    ErrorKind::Connect,
                    format!(
                        "connecting to {label}: tls={} but the connection is not encrypted \
                         (the server does not offer TLS)",
                        se.tls.as_str()
                    ),
                ));
            }
        }
        // SAFETY: `raw` is a connected handle.
        unsafe { wipe_library_password(raw) };
        guard.0 = std::ptr::null_mut();
        let mut conn = Connection {
            // SAFETY: checked non-null above.
            raw: unsafe { NonNull::new_unchecked(raw) },
            broken: false,
            dirty: false,
            in_transaction: false,
            schema_changed: false,
            autocommit: true,
            default_autocommit: true,
            pending_autocommit: None,
            database,
            charset,
            init_sql: se.init_sql.clone(),
            // Names are from a fixed list; values are SQL, as the caller wrote them.
            variables: se
                .variables
                .iter()
                .map(|(k, v)| format!(", SESSION {k} = {v}"))
                .collect(),
            reject_read_only: se.reject_read_only,
            max_allowed_packet: se.max_allowed_packet,
            wait_timeout: None,
            last_sent: Instant::now(),
            label,
            stream: None,
            last_stream: StreamStats::default(),
            stream_counts: (0, 0),
            stream_watch: None,
            statement_timeout: options.pool.statement_timeout,
            killer: None,
        };
        conn.setup_session(false)
            .map_err(|e| e.context(format_args!("setting up a session on {}", conn.label)))?;
        let r = conn.query(
            "SELECT @@SESSION.wait_timeout, @@character_set_client, @@SESSION.autocommit",
            &[],
        )?;
        let cs = r.get_str(0, 1).unwrap_or_default();
        if !same_charset(cs, &se.charset) {
            // Escaping follows the charset the client library negotiated; a different one on
            // the server (e.g. `SET NAMES` in init_sql) would make escaping unsafe.
            return Err(Error::new(
                ErrorKind::InvalidOption,
                format!(
                    "{}: the session's character set is {cs:?}, not {:?}; set it with the \
                     charset option, not SET NAMES in init_sql",
                    conn.label, se.charset
                ),
            ));
        }
        conn.wait_timeout = r
            .get_str(0, 0)
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|&s| s > 0)
            .map(Duration::from_secs);
        conn.default_autocommit = r.get_str(0, 2) != Some("0");
        conn.autocommit = conn.default_autocommit;
        Ok(conn)
    }

    /// TLS options for `mode` in the linked library's terms.
    ///
    /// # Safety
    /// `raw` must be a valid, not yet connected handle.
    unsafe fn set_tls(raw: *mut MYSQL, mode: TlsMode) -> Result<()> {
        if ffi::IS_MYSQL {
            let m: c_uint = match mode {
                TlsMode::Disabled => 1,
                TlsMode::Preferred => 2,
                TlsMode::Required => 3,
                TlsMode::VerifyCa => 4,
                TlsMode::VerifyIdentity => 5,
            };
            // SAFETY: MYSQL_OPT_SSL_MODE takes a pointer to unsigned int.
            return unsafe { set_option(raw, opt::SSL_MODE, (&m as *const c_uint).cast()) };
        }
        // MariaDB Connector/C: ENFORCE turns TLS on (it falls back to plain text when the
        // server has none, so `required` is checked after connect); VERIFY_SERVER_CERT checks
        // the chain and the host name (verify-ca is as strict as verify-identity here).
        let (enforce, verify): (u8, u8) = match mode {
            TlsMode::Disabled => (0, 0),
            TlsMode::Preferred | TlsMode::Required => (1, 0),
            TlsMode::VerifyCa | TlsMode::VerifyIdentity => (1, 1),
        };
        // SAFETY: both options take a pointer to a one-byte my_bool.
        unsafe {
            if enforce == 1 {
                set_option(
                    raw,
                    opt::MARIADB_SSL_ENFORCE,
                    (&enforce as *const u8).cast(),
                )?;
            }
            set_option(
                raw,
                opt::MARIADB_SSL_VERIFY_SERVER_CERT,
                (&verify as *const u8).cast(),
            )
        }
    }

    /// Session tracking on (and `SET NAMES` after a reset, which put the charset back to the
    /// server default), `init_sql` run, and the session counted as clean.
    fn setup_session(&mut self, names: bool) -> Result<()> {
        let sql = if names {
            // The charset name was checked to be [A-Za-z0-9_]+ by the options parser.
            format!(
                "SET NAMES {}, {}{}",
                self.charset.to_string_lossy(),
                tracking(),
                self.variables
            )
        } else {
            format!("SET {}{}", tracking(), self.variables)
        };
        self.query(&sql, &[])?;
        if let Some(sql) = self.init_sql.clone() {
            self.query(&sql, &[])
                .map_err(|e| e.context("running init_sql"))?;
        }
        self.dirty = false;
        self.in_transaction = false;
        self.schema_changed = false;
        Ok(())
    }

    /// Statements on this connection are held to their deadlines through `killer`.
    pub(crate) fn set_killer(&mut self, killer: Arc<Killer>) {
        self.killer = Some(killer);
    }

    fn raw(&self) -> *mut MYSQL {
        self.raw.as_ptr()
    }

    /// How many more connections the server accepts from a user without SUPER now:
    /// `max_connections` minus `Threads_connected` (two round trips; the pool asks at most
    /// about once a second). Per-user limits are not read (that needs the process list, which
    /// MariaDB materializes per call); their refusals (1203, 1226) cap the pool instead.
    pub fn free_slots(&mut self) -> Result<u32> {
        let number = |r: &QueryResult, col: usize, what: &str| -> Result<u64> {
            r.get_str(0, col)
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| Error::new(ErrorKind::Internal, format!("no number for {what}")))
        };
        let max = self.query("SELECT @@GLOBAL.max_connections", &[])?;
        let max = number(&max, 0, "max_connections")?;
        let used = self.query("SHOW GLOBAL STATUS LIKE 'Threads_connected'", &[])?;
        let used = number(&used, 1, "Threads_connected")?;
        Ok(max.saturating_sub(used).min(u64::from(u32::MAX)) as u32)
    }

    /// The server's connection id (`CONNECTION_ID()`).
    #[allow(clippy::useless_conversion)] // c_ulong is 32 bits on some targets
    pub fn connection_id(&self) -> u64 {
        // SAFETY: the handle is valid for the life of `self`.
        u64::from(unsafe { sys::mysql_thread_id(self.raw()) })
    }

    /// The session's `wait_timeout`, read at connect.
    pub fn wait_timeout(&self) -> Option<Duration> {
        self.wait_timeout
    }

    /// Has the server reported a session change or an open transaction since the last reset?
    pub fn needs_reset(&self) -> bool {
        self.dirty || self.in_transaction
    }

    /// Has this connection seen a fatal error?
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Has it been idle for 90 % of its session's `wait_timeout` (so the server closes it or
    /// is about to)? Each connection carries its own clamp, whatever the pool options say.
    pub fn near_wait_timeout(&self) -> bool {
        self.wait_timeout
            .is_some_and(|w| self.last_sent.elapsed() >= w.mul_f64(0.9))
    }

    /// A cheap check, no round trip: not broken, not near its `wait_timeout`, and its socket
    /// has neither been closed by the server nor received anything unasked (an error packet
    /// the server sends before closing, e.g. on KILL or a timeout). Marks it broken if not.
    pub fn is_alive(&mut self) -> bool {
        if self.broken {
            return false;
        }
        let dead = self.near_wait_timeout()
            || ffi::socket(self.raw()).is_some_and(|fd| ffi::peek(fd) == ffi::Peek::Dead);
        if dead {
            self.broken = true;
        }
        !dead
    }

    /// An error from the handle's last call; marks the connection broken when fatal, and
    /// dirty: an ERR packet carries no session data, and the statement may have changed some
    /// state before failing.
    fn error(&mut self, context: &str) -> Error {
        // SAFETY: the handle is valid.
        let (errno, state, msg) = unsafe { last_error(self.raw()) };
        self.dirty = true;
        // 1290: the server runs with --read-only; 1792: a read-only transaction (a replica
        // after a failover, with rejectReadOnly).
        if error_map::is_fatal(errno)
            || errno == 0
            || (self.reject_read_only && matches!(errno, 1290 | 1792))
        {
            self.broken = true;
        }
        let kind = if errno == 0 {
            ErrorKind::ConnectionLost
        } else {
            error_map::query_kind(errno)
        };
        let mut msg = if context.is_empty() {
            msg
        } else {
            format!("{context}: {msg}")
        };
        if let (Some(limit), 2013 | 2020) = (self.max_allowed_packet, errno) {
            msg.push_str(&format!(
                " (a packet over max_allowed_packet={limit} ends the connection)"
            ));
        }
        Error::server(kind, errno, state, msg)
    }

    fn check_usable(&self) -> Result<()> {
        if self.stream.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "the connection to {} is busy: rows of an earlier statement are still \
                     open (read them to the end or close them first)",
                    self.label
                ),
            ));
        }
        if self.broken {
            return Err(Error::new(
                ErrorKind::ConnectionLost,
                format!(
                    "the connection to {} is broken by an earlier error",
                    self.label
                ),
            ));
        }
        Ok(())
    }

    /// Escapes `text` into `out` with the connection's charset (quotes not added).
    fn escape(raw: *mut MYSQL, text: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        out.reserve(text.len() * 2 + 1);
        // SAFETY: `out` has room for 2*len+1 bytes past `start`, as the function requires;
        // `text` is read for `len` bytes; the handle is valid.
        let n = unsafe {
            sys::mysql_real_escape_string(
                raw,
                out.as_mut_ptr().add(start).cast::<c_char>(),
                text.as_ptr().cast::<c_char>(),
                text.len() as c_ulong,
            )
        };
        if n == c_ulong::MAX {
            // libmysqlclient refuses under NO_BACKSLASH_ESCAPES: then only the quote is
            // special, and doubling it is safe in every supported charset.
            for &c in text {
                if c == b'\'' {
                    out.push(b'\'');
                }
                out.push(c);
            }
            return;
        }
        // SAFETY: the library wrote `n` bytes (n <= 2*len) at `start`.
        unsafe { out.set_len(start + n as usize) };
    }

    /// Binds `params` into `sql` and sends it (`mysql_real_query`); the response is not read.
    fn send(&mut self, sql: &str, params: &[Param<'_>]) -> Result<()> {
        ffi::ensure_thread();
        self.check_usable()?;
        let raw = self.raw();
        let backslashes = match ffi::server_status(raw) {
            Some(st) if st & status::NO_BACKSLASH_ESCAPES != 0 => Backslashes::Literal,
            Some(_) => Backslashes::Escape,
            None => Backslashes::Unknown,
        };
        let bound = params::bind(sql, params, backslashes, &mut |t, out| {
            Self::escape(raw, t, out)
        })?;
        if may_change_session_unseen(sql.as_bytes()) {
            self.dirty = true;
        }
        self.last_sent = Instant::now();
        // SAFETY: `bound` is a buffer of `len` bytes; the handle is valid.
        let rc =
            unsafe { sys::mysql_real_query(raw, bound.as_ptr().cast(), bound.len() as c_ulong) };
        if rc != 0 {
            return Err(self.error(""));
        }
        Ok(())
    }

    /// Runs `sql` with `?` placeholders bound to `params` and reads the whole result. Extra
    /// result sets (from `CALL`) are read and dropped so the connection stays usable.
    pub fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<QueryResult> {
        self.query_until(sql, params, None, None)
    }

    /// [`query`](Self::query), ended on the server (`KILL QUERY`, see `deadline.rs`) when
    /// `deadline` passes or `cancel` is triggered while it runs: a `Timeout` or `Cancelled`
    /// error, and the connection is discarded. Only pooled connections have the control
    /// connection this needs; on others both are ignored (`statement_timeout_ms` too).
    pub fn query_until(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        deadline: Option<Instant>,
        cancel: Option<&CancelToken>,
    ) -> Result<QueryResult> {
        self.apply_autocommit()?;
        let watched = self.watch(deadline, cancel)?;
        let result = self.send(sql, params).and_then(|()| {
            let first = self.read_result();
            let more = self.drain_more_results();
            let r = first?;
            more.map(|()| r)
        });
        let Some((why, ended)) = watched.and_then(Watched::finish) else {
            return result;
        };
        // Reported even when the call returned rows or counts: a killed statement may end
        // without an error (an interrupted SLEEP returns 1), so its result cannot be trusted.
        // (One that finished just as the kill came is reported as stopped too, as every driver
        // does: what it changed is committed or rolled back as the server says.)
        drop(result);
        Err(self.stopped(why, ended))
    }

    /// Starts watching the statement about to be sent for `deadline` (and the pool's
    /// `statement_timeout_ms`, whichever comes first) and `cancel`. `None`: nothing to watch
    /// (no deadline, no token, or a connection outside a pool). A token cancelled already is
    /// an error before anything is sent, as is a busy or broken connection (checked first, so
    /// a watch never names a statement that is not this one).
    fn watch(
        &self,
        deadline: Option<Instant>,
        cancel: Option<&CancelToken>,
    ) -> Result<Option<Watched>> {
        self.check_usable()?;
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(Error::new(
                ErrorKind::Cancelled,
                "statement cancelled by the caller before it was sent",
            ));
        }
        let statement_timeout = !self.statement_timeout.is_zero();
        // Only a watched statement pays for the killer and the socket lookup.
        if !statement_timeout && deadline.is_none() && cancel.is_none() {
            return Ok(None);
        }
        let Some(killer) = self.killer.as_ref() else {
            return Ok(None);
        };
        let Some(fd) = ffi::socket(self.raw()) else {
            return Ok(None);
        };
        let start = Instant::now();
        let statement =
            statement_timeout.then(|| (start + self.statement_timeout, Why::StatementTimeout));
        let call = deadline.map(|at| (at, Why::CallDeadline));
        let deadline = match (statement, call) {
            (Some(s), Some(c)) => Some(if c.0 <= s.0 { c } else { s }),
            (s, c) => s.or(c),
        };
        Ok(Some(killer.watch(
            self.connection_id(),
            fd,
            deadline,
            cancel,
        )))
    }

    /// The error of a statement its deadline or cancel ended; the connection is marked
    /// broken: a late `KILL QUERY` could stop the next borrower's statement, never reuse it.
    fn stopped(&mut self, why: Why, ended: Ended) -> Error {
        self.broken = true;
        let how = match ended {
            Ended::Killed => "the server stopped it (KILL QUERY)".to_string(),
            Ended::ShutDown(why) => format!("its connection was shut down: {why}"),
        };
        let (kind, what) = match why {
            Why::StatementTimeout => (
                ErrorKind::Timeout,
                format!(
                    "statement timed out after {} ms (statement_timeout_ms)",
                    self.statement_timeout.as_millis()
                ),
            ),
            Why::CallDeadline => (
                ErrorKind::Timeout,
                "statement passed the caller's deadline".to_string(),
            ),
            Why::Cancelled => (
                ErrorKind::Cancelled,
                "statement cancelled by the caller".to_string(),
            ),
        };
        Error::new(kind, format!("{what} on {}; {how}", self.label))
    }

    /// Reads and drops the further results of a statement (CALL returns its status last).
    fn drain_more_results(&mut self) -> Result<()> {
        let raw = self.raw();
        loop {
            // SAFETY: the handle is valid; no result is pending here.
            let more = unsafe { sys::mysql_more_results(raw) };
            if more == sys::FALSE || self.broken {
                return Ok(());
            }
            // SAFETY: as above.
            let rc = unsafe { sys::mysql_next_result(raw) };
            if rc > 0 {
                return Err(self.error("reading a further result"));
            }
            if rc < 0 {
                return Ok(());
            }
            let _ = self.read_result();
        }
    }

    /// `mysql_use_result` after a statement was sent: the rows to read, or `None` for a
    /// statement without a result set (its counts read and its OK packet tracked).
    fn use_result(&mut self) -> Result<Option<Stream>> {
        let raw = self.raw();
        // SAFETY: the handle is valid and a statement was just sent.
        let res = unsafe { sys::mysql_use_result(raw) };
        let Some(res) = NonNull::new(res) else {
            // SAFETY: the handle is valid.
            if unsafe { sys::mysql_field_count(raw) } != 0 {
                return Err(self.error(""));
            }
            // SAFETY: the handle is valid.
            self.stream_counts =
                unsafe { (sys::mysql_affected_rows(raw), sys::mysql_insert_id(raw)) };
            self.track(true);
            return Ok(None);
        };
        // SAFETY: `res` is live, and this connection reads it only through the stream until
        // `free_stream`.
        Ok(Some(unsafe { Stream::new(res) }))
    }

    /// Frees a stream that reached its end (or an error): reports the error that ended it,
    /// reads the final packet's session flags.
    fn free_stream(&mut self, s: Stream) -> Result<()> {
        let raw = self.raw();
        self.last_stream = s.stats();
        // SAFETY: the handle is valid.
        let failed = unsafe { sys::mysql_errno(raw) } != 0;
        let err = failed.then(|| self.error(""));
        // SAFETY: the result is live and freed once; its rows were all read, so freeing
        // reads nothing more.
        unsafe { sys::mysql_free_result(s.into_raw()) };
        self.track(false);
        if let Some(e) = err {
            return Err(e);
        }
        // SAFETY: the handle is valid.
        let affected = unsafe { sys::mysql_affected_rows(raw) };
        self.stream_counts = (if affected == u64::MAX { 0 } else { affected }, 0);
        Ok(())
    }

    /// Reads the current result (rows or counts) into a `QueryResult`, with the streaming
    /// decoder.
    fn read_result(&mut self) -> Result<QueryResult> {
        let Some(mut s) = self.use_result()? else {
            let mut r = QueryResult::default();
            r.set_counts(self.stream_counts.0, self.stream_counts.1);
            return Ok(r);
        };
        let mut r = QueryResult::new(s.columns().to_vec());
        while let Some(row) = s.fetch() {
            r.push_row(|i| row.get(i));
        }
        self.free_stream(s)?;
        r.shrink();
        r.set_counts(self.stream_counts.0, 0);
        Ok(r)
    }

    /// Runs `sql` and streams its rows (see [`super::stream`]): the connection stays busy
    /// until the returned rows reach their end or are dropped. The pool's
    /// `statement_timeout_ms` applies to the whole stream.
    pub fn query_stream(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Rows<'_>> {
        self.query_stream_until(sql, params, None, None)
    }

    /// [`query_stream`](Self::query_stream) under a deadline and a cancel token, as
    /// [`query_until`](Self::query_until), watched from the statement's start until its rows
    /// end or are dropped: past `deadline` or on `cancel` the statement is stopped on the
    /// server, the next [`Rows::next`] gives the `Timeout` or `Cancelled` error, and the
    /// connection is discarded.
    pub fn query_stream_until(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        deadline: Option<Instant>,
        cancel: Option<&CancelToken>,
    ) -> Result<Rows<'_>> {
        self.start_stream_until(sql, params, deadline, cancel)?;
        Ok(Rows { conn: self })
    }

    /// Runs `sql` and leaves its rows open on the connection, for callers that cannot hold a
    /// borrow (the C ABI): read them with [`Connection::stream_next`], end early with
    /// [`Connection::stream_close`]. A statement without a result set gives a stream of no
    /// columns that is already at its end.
    pub fn start_stream(&mut self, sql: &str, params: &[Param<'_>]) -> Result<()> {
        self.start_stream_until(sql, params, None, None)
    }

    /// [`start_stream`](Self::start_stream) under a deadline and a cancel token (see
    /// [`query_stream_until`](Self::query_stream_until)).
    pub fn start_stream_until(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        deadline: Option<Instant>,
        cancel: Option<&CancelToken>,
    ) -> Result<()> {
        self.apply_autocommit()?;
        let watched = self.watch(deadline, cancel)?;
        self.last_stream = StreamStats::default();
        let started = self
            .send(sql, params)
            .and_then(|()| match self.use_result() {
                Ok(Some(s)) => Ok(Some(s)),
                Ok(None) => self.drain_more_results().map(|()| None),
                Err(e) => {
                    let _ = self.drain_more_results();
                    Err(e)
                }
            });
        match (started, watched) {
            (Ok(Some(s)), None) => {
                self.stream = Some(s);
                Ok(())
            }
            (Ok(Some(s)), Some(w)) if !w.fired() => {
                self.stream = Some(s);
                self.stream_watch = Some(w);
                Ok(())
            }
            (Ok(Some(s)), Some(w)) => {
                // Stopped before its first row: the rows are not handed out.
                self.stream = Some(s);
                self.stream_watch = Some(w);
                Err(self.stream_stopped())
            }
            (result, Some(w)) => match w.finish() {
                Some((why, ended)) => Err(self.stopped(why, ended)),
                None => result.map(drop),
            },
            (result, None) => result.map(drop),
        }
    }

    /// Ends the open stream's watch (waiting for a kill in progress); `Some` when its
    /// deadline or cancel stopped it. Call once the stream is done with the socket.
    fn end_stream_watch(&mut self) -> Option<(Why, Ended)> {
        self.stream_watch.take().and_then(Watched::finish)
    }

    /// The open stream was stopped by its deadline or cancel: its remainder is not read, the
    /// connection is broken, and this is the error to report.
    fn stream_stopped(&mut self) -> Error {
        let stopped = self.end_stream_watch();
        if let Some(s) = self.stream.take() {
            self.abandon(s);
        }
        match stopped {
            Some((why, ended)) => self.stopped(why, ended),
            // Not reached: a fired watch is killing, and `finish` reports it.
            None => {
                self.broken = true;
                Error::new(ErrorKind::Internal, "a stopped stream lost its reason")
            }
        }
    }

    /// Is a stream open (the connection busy)?
    pub fn is_streaming(&self) -> bool {
        self.stream.is_some()
    }

    /// The open stream's columns (empty when none is open).
    pub fn stream_columns(&self) -> &[Column] {
        self.stream.as_ref().map_or(&[], |s| s.columns())
    }

    /// What the open stream (or else the last one) has read.
    pub fn stream_stats(&self) -> StreamStats {
        self.stream.as_ref().map_or(self.last_stream, |s| s.stats())
    }

    /// Affected rows and insert id of the last streamed statement once its stream ended.
    pub fn stream_counts(&self) -> (u64, u64) {
        self.stream_counts
    }

    /// The next row of the open stream. `Ok(None)` at its end (or when none is open): the
    /// stream is then closed and the connection free. An error met mid-stream ends the
    /// stream too (the connection is marked broken when the error is fatal). Once the
    /// stream's deadline passed or its cancel came, the `Timeout` or `Cancelled` error, even
    /// for a row or an end read after the kill (what a killed statement sent cannot be
    /// trusted, as in [`query_until`](Self::query_until)).
    pub fn stream_next(&mut self) -> Result<Option<Row<'_>>> {
        let Some(s) = self.stream.as_mut() else {
            return Ok(None);
        };
        ffi::ensure_thread();
        let got = s.fetch().is_some();
        if self.stream_watch.as_ref().is_some_and(Watched::fired) {
            return Err(self.stream_stopped());
        }
        if got {
            return Ok(self.stream.as_ref().and_then(Stream::current));
        }
        let s = self.stream.take().expect("the stream is open");
        let ended = self.free_stream(s).and_then(|()| self.drain_more_results());
        if let Some((why, how)) = self.end_stream_watch() {
            return Err(self.stopped(why, how));
        }
        ended.map(|()| None)
    }

    /// Ends the open stream before its end: a short remainder is read (the connection stays
    /// usable), a long one is not (the connection is marked broken); see [`super::stream`].
    /// A stream stopped by its deadline or cancel (before or during the drain) is given up.
    pub fn stream_close(&mut self) -> CloseOutcome {
        let Some(mut s) = self.stream.take() else {
            return CloseOutcome::Idle;
        };
        ffi::ensure_thread();
        if self.stream_watch.as_ref().is_some_and(Watched::fired) {
            self.stream = Some(s);
            drop(self.stream_stopped());
            return CloseOutcome::Abandoned;
        }
        let start = Instant::now();
        let before = s.stats();
        let outcome = loop {
            let now = s.stats();
            let drained = now.rows - before.rows;
            // The clock is read every DRAIN_CLOCK_EVERY rows: a remainder shorter than that
            // is read whatever the speed (a slow machine, valgrind) when under the byte bound.
            if drained >= DRAIN_ROWS
                || now.bytes - before.bytes >= DRAIN_BYTES
                || (drained > 0
                    && drained % DRAIN_CLOCK_EVERY == 0
                    && start.elapsed() >= DRAIN_TIME)
            {
                self.abandon(s);
                break CloseOutcome::Abandoned;
            }
            if s.fetch().is_none() {
                let rows = s.stats().rows - before.rows;
                let ok = self.free_stream(s).and_then(|()| self.drain_more_results());
                break if ok.is_err() && self.broken {
                    CloseOutcome::Abandoned
                } else {
                    CloseOutcome::Drained { rows }
                };
            }
        };
        // The drain ran under the watch (a remainder behind a server-side wait is still
        // bounded by the deadline); a kill during it gives the connection up.
        if self.end_stream_watch().is_some() {
            self.broken = true;
            return CloseOutcome::Abandoned;
        }
        outcome
    }

    /// Gives up a stream without reading its remainder: the connection is marked broken and
    /// its socket shut down, so the client library's drain in `mysql_free_result` reads
    /// nothing more (at most what the kernel already holds).
    fn abandon(&mut self, s: Stream) {
        self.broken = true;
        self.last_stream = s.stats();
        if let Some(fd) = ffi::socket(self.raw()) {
            // SAFETY: `fd` is this connection's open socket, which is closed with it.
            unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
        }
        // SAFETY: the result is live and freed once; with the socket shut down its drain
        // fails at once.
        unsafe { sys::mysql_free_result(s.into_raw()) };
    }

    /// Reads what the last response says about the session into the dirty flags.
    ///
    /// `ok_packet`: the response was an OK packet (no result set). MariaDB Connector/C only
    /// parses session tracking data from OK packets and keeps stale data after a result set,
    /// so there the server status flags of the final EOF packet are used instead.
    fn track(&mut self, ok_packet: bool) {
        let raw = self.raw();
        let status = ffi::server_status(raw);
        if let Some(st) = status {
            self.in_transaction = st & (status::IN_TRANS | status::IN_TRANS_READONLY) != 0;
            self.autocommit = st & status::AUTOCOMMIT != 0;
            if !ok_packet {
                // With the transaction tracker off (MariaDB), the flag means a real change.
                if st & status::SESSION_STATE_CHANGED != 0 {
                    self.dirty = true;
                }
                return;
            }
        }
        let mut data: *const c_char = std::ptr::null();
        let mut len: usize = 0;
        // SAFETY: the handle is valid; on success the library points `data` at `len` bytes
        // owned by the handle, read before the next call.
        unsafe {
            let mut get = |kind| {
                (ffi::session_track_get_first(raw, kind, &mut data, &mut len) == 0
                    && !data.is_null())
                .then(|| std::slice::from_raw_parts(data.cast::<u8>(), len).to_vec())
            };
            if get(track::SCHEMA).is_some() {
                self.dirty = true;
                self.schema_changed = true;
            }
            if get(track::STATE_CHANGE).is_some() {
                self.dirty = true;
            }
            if let Some(state) = get(track::TRANSACTION_STATE) {
                // 8 flags, '_' when clear: T/I open transaction, r/R/w/W/s/S statements in
                // it, L locked tables.
                self.in_transaction = state.iter().any(|&c| c != b'_');
                if state.get(7) == Some(&b'L') {
                    self.dirty = true;
                }
            }
            // `SET TRANSACTION …` without SESSION applies to the next transaction only:
            // reported as characteristics outside a transaction.
            if let Some(chars) = get(track::TRANSACTION_CHARACTERISTICS) {
                if !chars.is_empty() && !self.in_transaction {
                    self.dirty = true;
                }
            }
        }
    }

    /// `mysql_ping`: is the server still there? (No automatic reconnect.)
    pub fn ping(&mut self) -> Result<()> {
        ffi::ensure_thread();
        self.check_usable()?;
        if self.near_wait_timeout() {
            self.broken = true;
            return Err(Error::new(
                ErrorKind::ConnectionLost,
                format!(
                    "the connection to {} was idle past 90 % of its wait_timeout",
                    self.label
                ),
            ));
        }
        self.last_sent = Instant::now();
        // SAFETY: the handle is valid.
        if unsafe { sys::mysql_ping(self.raw()) } != 0 {
            let e = self.error("ping");
            self.broken = true;
            return Err(Error::server(
                ErrorKind::ConnectionLost,
                e.server_errno(),
                e.sqlstate(),
                e.message(),
            ));
        }
        Ok(())
    }

    /// Makes the session clean for the next borrower. `Ok(false)`: it already was (no round
    /// trip); `Ok(true)`: a rollback or a reset was done.
    pub fn reset(&mut self) -> Result<bool> {
        ffi::ensure_thread();
        // Rows still open when the connection comes back: drained when short, else broken.
        self.stream_close();
        self.check_usable()?;
        // A mode the borrower chose but never used: nothing to switch (nor undo).
        self.pending_autocommit = None;
        let cleaned = self.clean()?;
        // The next borrower starts in the default mode: switched before its first statement,
        // so that a borrower asking for the same mode as the last one pays nothing.
        self.pending_autocommit =
            (self.autocommit != self.default_autocommit).then_some(self.default_autocommit);
        Ok(cleaned)
    }

    /// Ends the borrower's transaction and session changes (see [`reset`](Self::reset)).
    fn clean(&mut self) -> Result<bool> {
        if !self.needs_reset() {
            return Ok(false);
        }
        if !self.dirty {
            self.query("ROLLBACK", &[])?;
            if self.dirty || self.in_transaction {
                return self.full_reset().map(|()| true);
            }
            return Ok(true);
        }
        self.full_reset().map(|()| true)
    }

    /// Chooses the autocommit mode of this borrow's next statements (PEP 249 connections run
    /// with it off, so their first statement opens the transaction without a `BEGIN`). No I/O
    /// here: the mode is switched before the next statement, only when the session is in the
    /// other one. The pool's reset puts the next borrower back on the default mode the same
    /// way. Like `SET autocommit = 1`, switching it on commits an open transaction.
    pub fn set_autocommit(&mut self, on: bool) {
        self.pending_autocommit = Some(on);
    }

    /// Switches the session to the pending autocommit mode, if any and if it differs.
    fn apply_autocommit(&mut self) -> Result<()> {
        let Some(on) = self.pending_autocommit else {
            return Ok(());
        };
        if on != self.autocommit {
            let dirty = self.dirty;
            self.send(
                if on {
                    "SET autocommit = 1"
                } else {
                    "SET autocommit = 0"
                },
                &[],
            )?;
            self.read_result()?;
            // The pool's own change, undone by the next reset: not a borrower's session change.
            self.dirty = dirty;
            self.autocommit = on;
        }
        self.pending_autocommit = None;
        Ok(())
    }

    /// `mysql_reset_connection`, then the DSN's database, charset, tracking and `init_sql`.
    fn full_reset(&mut self) -> Result<()> {
        let raw = self.raw();
        self.last_sent = Instant::now();
        // SAFETY: the handle is valid and idle.
        if unsafe { sys::mysql_reset_connection(raw) } != 0 {
            let e = self.error("mysql_reset_connection");
            self.broken = true;
            return Err(e);
        }
        // MariaDB keeps the current database across a reset; a borrower's `USE` must not.
        match &self.database {
            _ if !self.schema_changed => {}
            Some(db) => {
                // SAFETY: the handle is valid; `db` is NUL-terminated.
                if unsafe { sys::mysql_select_db(raw, db.as_ptr()) } != 0 {
                    let e = self.error("restoring the default database");
                    self.broken = true;
                    return Err(e);
                }
            }
            None => {
                // SELECT DATABASE() costs a round trip only on the dirty path.
                let r = self.query("SELECT DATABASE()", &[])?;
                if r.get(0, 0).is_some() {
                    self.broken = true;
                    return Err(Error::new(
                        ErrorKind::ConnectionLost,
                        "a borrower selected a database on a DSN without one; the \
                         connection is discarded",
                    ));
                }
            }
        }
        self.setup_session(true)?;
        // A reset session is back in its default mode (the status flags say so too, where the
        // client library reads them).
        self.autocommit = self.default_autocommit;
        Ok(())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        ffi::ensure_thread();
        if let Some(s) = self.stream.take() {
            self.abandon(s);
        }
        // A kill in progress uses the socket: wait for it before closing.
        self.end_stream_watch();
        // SAFETY: the handle is valid and not used after this; mysql_close sends COM_QUIT
        // (the engine uses `forget` instead when no byte may be sent).
        unsafe { sys::mysql_close(self.raw()) };
    }
}

#[cfg(test)]
mod tests {
    use super::may_change_session_unseen as unseen;

    #[test]
    fn textual_session_change_hints() {
        for sql in [
            "SELECT @a := 1",
            "select get_lock('x', 1)",
            "SELECT 1 INTO @v",
            "SELECT a FROM t LIMIT 1 into   @v",
            "SELECT LAST_INSERT_ID( 5 )",
            "LOCK TABLES t READ",
            " lock table t write",
            "FLUSH TABLES WITH READ LOCK",
            "BACKUP LOCK t",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "set  transaction read only",
        ] {
            assert!(unseen(sql.as_bytes()), "{sql}");
        }
        for sql in [
            "SELECT 1",
            "SELECT LAST_INSERT_ID()",
            "INSERT INTO t VALUES (1)",
            "SELECT @@time_zone",
            "SELECT * FROM t FOR UPDATE",
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            "SELECT * FROM locks",
            "UNLOCK TABLES",
        ] {
            assert!(!unseen(sql.as_bytes()), "{sql}");
        }
    }
}
