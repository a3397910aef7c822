//! The floor: one raw libmariadb connection (the client library sharedpool itself uses),
//! plus the server-status helpers every MySQL comparison reads its counts with.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::os::raw::{c_int, c_uint, c_ulong, c_void};
use std::ptr;
use std::sync::Once;
use std::time::Duration;

use mysqlclient_sys as ffi;

/// Where the throwaway MariaDB listens, parsed from `SHAREDPOOL_TEST_DSN`
/// (`mysql://user:pass@host:port/db`).
#[derive(Clone)]
pub struct Target {
    pub dsn: String,
    host: CString,
    user: CString,
    pass: CString,
    db: CString,
    port: u32,
}

impl Target {
    pub fn from_env() -> Target {
        let dsn = std::env::var("SHAREDPOOL_TEST_DSN").expect(
            "SHAREDPOOL_TEST_DSN is not set: run through tests/mariadb.sh run (make bench does)",
        );
        Target::parse(&dsn)
            .unwrap_or_else(|| panic!("SHAREDPOOL_TEST_DSN is not mysql://user:pass@host:port/db"))
    }

    fn parse(dsn: &str) -> Option<Target> {
        let rest = dsn.strip_prefix("mysql://")?;
        let (cred, addr) = rest.rsplit_once('@')?;
        let (user, pass) = cred.split_once(':').unwrap_or((cred, ""));
        let (hostport, db) = addr.split_once('/').unwrap_or((addr, ""));
        let db = db.split('?').next().unwrap_or("");
        let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "3306"));
        Some(Target {
            dsn: dsn.to_string(),
            host: CString::new(host).ok()?,
            user: CString::new(user).ok()?,
            pass: CString::new(pass).ok()?,
            db: CString::new(db).ok()?,
            port: port.parse().ok()?,
        })
    }
}

/// A client error: the MySQL errno (0 when not from the server or library) and the message.
#[derive(Debug)]
pub struct RawError {
    pub errno: u32,
    pub message: String,
}

impl std::fmt::Display for RawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.errno)
    }
}

/// The connect, read and write timeouts of every benchmark connection (libmariadb's defaults
/// wait forever): a contender never blocks a run, it fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

extern "C" {
    /// `mysql_options` with the option as a plain integer, as core/src/mysql/ffi.rs does:
    /// mysqlclient-sys's enum differs between builds, while the connect (0), read (11) and
    /// write (12) timeouts are numbered alike in every MySQL and MariaDB client.
    #[link_name = "mysql_options"]
    fn mysql_options_raw(mysql: *mut ffi::MYSQL, option: c_uint, arg: *const c_void) -> c_int;
}

/// One dedicated libmariadb connection.
pub struct RawConn(*mut ffi::MYSQL);

// SAFETY: a MYSQL handle may move between threads as long as one thread uses it at a time,
// which `&mut self` on every method guarantees.
unsafe impl Send for RawConn {}

static LIBRARY_INIT: Once = Once::new();

impl RawConn {
    pub fn connect(t: &Target) -> Result<RawConn, RawError> {
        RawConn::connect_within(t, TIMEOUT)
    }

    /// [`RawConn::connect`] with `timeout` (whole seconds, at least 1) as the connect, read
    /// and write timeout.
    pub fn connect_within(t: &Target, timeout: Duration) -> Result<RawConn, RawError> {
        LIBRARY_INIT.call_once(|| {
            // SAFETY: mysql_library_init must run once before threads use the library; no
            // arguments are passed.
            unsafe { ffi::mysql_server_init(0, ptr::null_mut(), ptr::null_mut()) };
        });
        // SAFETY: a NULL argument asks the library to allocate a handle.
        let m = unsafe { ffi::mysql_init(ptr::null_mut()) };
        if m.is_null() {
            return Err(RawError {
                errno: 0,
                message: "mysql_init: out of memory".into(),
            });
        }
        let conn = RawConn(m);
        let secs: c_uint = timeout.as_secs().clamp(1, c_uint::MAX.into()) as c_uint;
        for (opt, name) in [(0, "CONNECT"), (11, "READ"), (12, "WRITE")] {
            // SAFETY: `m` is a valid handle; the three timeout options read an unsigned int
            // from the pointer during the call.
            if unsafe { mysql_options_raw(m, opt, (&secs as *const c_uint).cast()) } != 0 {
                return Err(RawError {
                    errno: 0,
                    message: format!("mysql_options(MYSQL_OPT_{name}_TIMEOUT) failed"),
                });
            }
        }
        // SAFETY: `m` is a valid handle; every string is a NUL-terminated CString that
        // outlives the call.
        let ok = unsafe {
            ffi::mysql_real_connect(
                m,
                t.host.as_ptr(),
                t.user.as_ptr(),
                t.pass.as_ptr(),
                t.db.as_ptr(),
                t.port,
                ptr::null(),
                0,
            )
        };
        if ok.is_null() {
            return Err(conn.error());
        }
        Ok(conn)
    }

    fn error(&self) -> RawError {
        // SAFETY: the handle is valid; mysql_error returns a NUL-terminated string it owns.
        unsafe {
            RawError {
                errno: ffi::mysql_errno(self.0),
                message: CStr::from_ptr(ffi::mysql_error(self.0))
                    .to_string_lossy()
                    .into_owned(),
            }
        }
    }

    /// Runs `sql` and reads every row as text (None = NULL).
    pub fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, RawError> {
        // SAFETY: the handle is valid and `sql` is valid for `len` bytes.
        if unsafe { ffi::mysql_real_query(self.0, sql.as_ptr().cast(), sql.len() as c_ulong) } != 0
        {
            return Err(self.error());
        }
        // SAFETY: the handle is valid; a NULL result means no result set or an error.
        let res = unsafe { ffi::mysql_store_result(self.0) };
        if res.is_null() {
            // SAFETY: the handle is valid.
            return if unsafe { ffi::mysql_errno(self.0) } != 0 {
                Err(self.error())
            } else {
                Ok(Vec::new())
            };
        }
        let mut rows = Vec::new();
        // SAFETY: `res` is a valid result until mysql_free_result; each row has
        // mysql_num_fields cells, each NULL or NUL-terminated (text protocol).
        unsafe {
            let n = ffi::mysql_num_fields(res) as usize;
            loop {
                let row = ffi::mysql_fetch_row(res);
                if row.is_null() {
                    break;
                }
                let cells = (0..n)
                    .map(|i| {
                        let c = *row.add(i);
                        (!c.is_null()).then(|| CStr::from_ptr(c).to_string_lossy().into_owned())
                    })
                    .collect();
                rows.push(cells);
            }
            ffi::mysql_free_result(res);
        }
        Ok(rows)
    }
}

impl Drop for RawConn {
    fn drop(&mut self) {
        // SAFETY: the handle came from mysql_init and is closed exactly once.
        unsafe { ffi::mysql_close(self.0) };
    }
}

/// A connection of the benchmark's own, for server counters; it counts as one connection
/// in `Max_used_connections`, which the reports subtract.
pub struct Server {
    conn: RawConn,
    /// Statements this connection sent (so `Questions` deltas can exclude them).
    pub sent: u64,
}

impl Server {
    pub fn connect(t: &Target) -> Server {
        let conn = RawConn::connect(t)
            .unwrap_or_else(|e| panic!("cannot reach the benchmark server: {e}"));
        Server { conn, sent: 0 }
    }

    pub fn query(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.sent += 1;
        self.conn
            .query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The first cell of the first row.
    pub fn scalar(&mut self, sql: &str) -> Option<String> {
        self.query(sql)
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
    }

    /// `SHOW GLOBAL STATUS`, numeric values only.
    pub fn status(&mut self) -> HashMap<String, i64> {
        self.query("SHOW GLOBAL STATUS")
            .into_iter()
            .filter_map(|r| {
                let name = r.first()?.clone()?;
                let v = r.get(1)?.as_deref()?.parse::<i64>().ok()?;
                Some((name, v))
            })
            .collect()
    }
}

/// `after - before` for one status counter.
pub fn delta(before: &HashMap<String, i64>, after: &HashMap<String, i64>, name: &str) -> i64 {
    after.get(name).copied().unwrap_or(0) - before.get(name).copied().unwrap_or(0)
}
