//! The client library boundary: process-wide and per-thread initialisation, and the few
//! declarations `mysqlclient-sys` does not give us in a form common to MariaDB and MySQL.
//!
//! `MYSQL` is treated as opaque everywhere: only functions are called, no field is read.

use std::cell::Cell;
use std::os::raw::{c_char, c_int, c_uint, c_void};
use std::sync::{Once, OnceLock};

pub(crate) use mysqlclient_sys as sys;
pub(crate) use sys::MYSQL;

/// True when linked against MySQL's libmysqlclient, false for MariaDB Connector/C.
pub(crate) const IS_MYSQL: bool = sys::SUPPORTS_MYSQL_SSL_MODE;

/// `enum mysql_option` values. 0–12 are identical in every MySQL and MariaDB client since 4.1;
/// the TLS ones differ and are picked per library.
pub(crate) mod opt {
    use super::{sys, IS_MYSQL};
    pub const CONNECT_TIMEOUT: u32 = 0;
    pub const SET_CHARSET_NAME: u32 = 7;
    pub const LOCAL_INFILE: u32 = 8;
    pub const PROTOCOL: u32 = 9;
    pub const READ_TIMEOUT: u32 = 11;
    pub const WRITE_TIMEOUT: u32 = 12;
    /// `MYSQL_OPT_SSL_KEY`/`CERT`/`CA` as the linked library numbers them.
    pub const SSL_KEY: u32 = sys::mysql_option::MYSQL_OPT_SSL_KEY as u32;
    pub const SSL_CERT: u32 = sys::mysql_option::MYSQL_OPT_SSL_CERT as u32;
    pub const SSL_CA: u32 = sys::mysql_option::MYSQL_OPT_SSL_CA as u32;
    /// MariaDB only: `MYSQL_OPT_MAX_ALLOWED_PACKET` (unsigned long).
    pub const MARIADB_MAX_ALLOWED_PACKET: u32 = 39;
    /// MySQL only: `MYSQL_OPT_SSL_MODE`.
    pub const SSL_MODE: u32 = if IS_MYSQL {
        sys::mysql_option::MYSQL_OPT_SSL_MODE as u32
    } else {
        u32::MAX
    };
    /// MariaDB only: `MYSQL_OPT_SSL_VERIFY_SERVER_CERT` (my_bool).
    pub const MARIADB_SSL_VERIFY_SERVER_CERT: u32 = 21;
    /// MariaDB only: `MYSQL_OPT_SSL_ENFORCE` (my_bool).
    pub const MARIADB_SSL_ENFORCE: u32 = 38;
    /// `MYSQL_PROTOCOL_TCP` / `MYSQL_PROTOCOL_SOCKET`, same in both libraries.
    pub const PROTOCOL_TCP: u32 = 1;
    pub const PROTOCOL_SOCKET: u32 = 2;
}

/// `enum_session_state_type` values (protocol constants, same in both libraries).
pub(crate) mod track {
    pub const SCHEMA: u32 = 1;
    pub const STATE_CHANGE: u32 = 2;
    pub const TRANSACTION_CHARACTERISTICS: u32 = 4;
    pub const TRANSACTION_STATE: u32 = 5;
}

/// Server status bits (`SERVER_STATUS_*`), protocol constants.
pub(crate) mod status {
    pub const IN_TRANS: u32 = 1;
    pub const AUTOCOMMIT: u32 = 2;
    pub const NO_BACKSLASH_ESCAPES: u32 = 0x200;
    pub const IN_TRANS_READONLY: u32 = 0x2000;
    pub const SESSION_STATE_CHANGED: u32 = 0x4000;
}

/// `MARIADB_CONNECTION_SERVER_STATUS` in `enum mariadb_value`.
const MARIADB_CONNECTION_SERVER_STATUS: c_uint = 30;

type GetInfoV = unsafe extern "C" fn(*mut MYSQL, c_uint, *mut c_void, ...) -> c_char;

/// `mariadb_get_infov`, looked up at run time: MariaDB Connector/C has it, libmysqlclient not.
fn get_infov() -> Option<GetInfoV> {
    static F: OnceLock<Option<GetInfoV>> = OnceLock::new();
    *F.get_or_init(|| {
        // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only looks a symbol up.
        let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"mariadb_get_infov".as_ptr()) };
        // SAFETY: when present, the symbol is `my_bool mariadb_get_infov(MYSQL*, enum
        // mariadb_value, void*, ...)`, which `GetInfoV` describes.
        (!p.is_null()).then(|| unsafe { std::mem::transmute::<*mut c_void, GetInfoV>(p) })
    })
}

/// The server status flags of the last response (MariaDB Connector/C only: MySQL's client
/// has no accessor, and there session tracking data is complete on its own).
pub(crate) fn server_status(mysql: *mut MYSQL) -> Option<u32> {
    let f = get_infov()?;
    let mut v: c_uint = 0;
    // SAFETY: `mysql` is a valid handle (caller); SERVER_STATUS writes one unsigned int.
    let rc = unsafe {
        f(
            mysql,
            MARIADB_CONNECTION_SERVER_STATUS,
            (&mut v as *mut c_uint).cast(),
        )
    };
    (rc == 0).then_some(v)
}

type GetSocket = unsafe extern "C" fn(*mut MYSQL) -> c_int;

/// The connection's socket descriptor (`mysql_get_socket`, MariaDB Connector/C; looked up at
/// run time as libmysqlclient lacks it). `None` when unknown.
pub(crate) fn socket(mysql: *mut MYSQL) -> Option<c_int> {
    static F: OnceLock<Option<GetSocket>> = OnceLock::new();
    let f = (*F.get_or_init(|| {
        // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only looks a symbol up.
        let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"mysql_get_socket".as_ptr()) };
        // SAFETY: when present, the symbol is `my_socket mysql_get_socket(MYSQL*)`, and
        // `my_socket` is an `int` on Unix.
        (!p.is_null()).then(|| unsafe { std::mem::transmute::<*mut c_void, GetSocket>(p) })
    }))?;
    // SAFETY: `mysql` is a valid handle (caller).
    let fd = unsafe { f(mysql) };
    (fd >= 0).then_some(fd)
}

/// What a non-blocking look at an idle connection's socket found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Peek {
    /// Nothing to read and no error: the connection looks alive.
    Quiet,
    /// End of file, an error (reset), or bytes nobody asked for (the server's error packet
    /// before it closed the connection, e.g. on KILL).
    Dead,
}

/// Peeks one byte from `fd` without blocking or consuming it.
pub(crate) fn peek(fd: c_int) -> Peek {
    let mut byte = 0u8;
    loop {
        // SAFETY: `fd` is the connection's open socket; one byte is written into `byte` at
        // most; MSG_PEEK leaves the data in the socket, MSG_DONTWAIT never blocks.
        let n = unsafe {
            libc::recv(
                fd,
                (&mut byte as *mut u8).cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) => return Peek::Quiet,
                #[allow(unreachable_patterns)] // EWOULDBLOCK == EAGAIN on Linux
                Some(libc::EWOULDBLOCK) => return Peek::Quiet,
                _ => return Peek::Dead,
            }
        }
        return Peek::Dead;
    }
}

/// `CLIENT_MULTI_RESULTS`: lets `CALL` return result sets (multi-statements stay off).
pub(crate) const CLIENT_MULTI_RESULTS: u64 = 1 << 17;

extern "C" {
    /// `mysql_options` with the option as a plain integer: the enum's numbering differs
    /// between the two libraries, so callers pass the value from [`opt`].
    #[link_name = "mysql_options"]
    pub(crate) fn mysql_options_raw(mysql: *mut MYSQL, option: c_uint, arg: *const c_void)
        -> c_int;
    /// `mysql_session_track_get_first` with the tracker type as a plain integer.
    #[link_name = "mysql_session_track_get_first"]
    pub(crate) fn session_track_get_first(
        mysql: *mut MYSQL,
        kind: c_uint,
        data: *mut *const c_char,
        length: *mut usize,
    ) -> c_int;
}

static LIBRARY_INIT: Once = Once::new();

/// Ends the client library's per-thread state when a thread that used it exits.
struct ThreadGuard;

impl Drop for ThreadGuard {
    fn drop(&mut self) {
        // SAFETY: this thread called mysql_thread_init (see `ensure_thread`); calling
        // mysql_thread_end once at thread exit is what the C API asks for.
        unsafe { sys::mysql_thread_end() };
    }
}

thread_local! {
    static THREAD_READY: Cell<bool> = const { Cell::new(false) };
    static THREAD_GUARD: ThreadGuard = const { ThreadGuard };
}

/// Initialises the library once per process and this thread once; call before any other
/// client function on the current thread. Cheap after the first call.
pub(crate) fn ensure_thread() {
    LIBRARY_INIT.call_once(|| {
        // SAFETY: mysql_server_init (= mysql_library_init) with no arguments, called once per
        // process under `Once` before any other client function, as the C API requires.
        let rc = unsafe { sys::mysql_server_init(0, std::ptr::null_mut(), std::ptr::null_mut()) };
        if rc != 0 {
            log::error!("sharedpool: mysql_library_init failed ({rc})");
        }
    });
    // `try_with`: during thread teardown the flags may already be gone; then do nothing.
    if THREAD_READY.try_with(|r| r.replace(true)).unwrap_or(true) {
        return;
    }
    // SAFETY: the library is initialised above; mysql_thread_init is idempotent per thread.
    unsafe { sys::mysql_thread_init() };
    // Touch the guard so its destructor runs at thread exit (ignored if already torn down).
    let _ = THREAD_GUARD.try_with(|_| ());
}
