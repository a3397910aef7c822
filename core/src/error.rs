//! The one error type of the crate, with a stable kind that maps onto the C ABI's `sp_code`.

use std::fmt;

/// What went wrong, in the categories every binding exposes.
///
/// The numeric values are the C ABI's `sp_code` values; they are never renumbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorKind {
    /// A caller passed something unusable (NULL, out of range, wrong type).
    InvalidArgument = 1,
    /// The DSN could not be parsed.
    InvalidDsn = 2,
    /// An unknown option, or a value that does not parse.
    InvalidOption = 3,
    /// A second `open` asked for different sizing options than the live pool has.
    ConfigConflict = 4,
    /// The server could not be reached or refused the connection.
    Connect = 5,
    /// The server rejected the credentials.
    Auth = 6,
    /// No connection became available before the deadline.
    Timeout = 7,
    /// The pool was closed.
    PoolClosed = 8,
    /// The server answered a statement with an error.
    Server = 9,
    /// The connection died in the middle of a call (server gone, lost, killed).
    ConnectionLost = 10,
    /// The caller cancelled the wait.
    Cancelled = 11,
    /// A bug in sharedpool (a caught panic, a broken invariant).
    Internal = 12,
}

impl ErrorKind {
    /// A short lowercase name, stable, for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::InvalidDsn => "invalid_dsn",
            ErrorKind::InvalidOption => "invalid_option",
            ErrorKind::ConfigConflict => "config_conflict",
            ErrorKind::Connect => "connect",
            ErrorKind::Auth => "auth",
            ErrorKind::Timeout => "timeout",
            ErrorKind::PoolClosed => "pool_closed",
            ErrorKind::Server => "server",
            ErrorKind::ConnectionLost => "connection_lost",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Internal => "internal",
        }
    }
}

/// An error with its kind, a human message, and for server errors the MySQL errno and SQLSTATE.
///
/// Messages never contain a password: everything that builds one uses the redacted target.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    server_errno: u32,
    sqlstate: String,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            server_errno: 0,
            sqlstate: String::new(),
        }
    }

    /// An error reported by the server, with its errno and SQLSTATE.
    pub fn server(
        kind: ErrorKind,
        errno: u32,
        sqlstate: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error {
            kind,
            message: message.into(),
            server_errno: errno,
            sqlstate: sqlstate.into(),
        }
    }

    /// The category.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The MySQL errno, 0 when the error did not come from the server.
    pub fn server_errno(&self) -> u32 {
        self.server_errno
    }

    /// The SQLSTATE, empty when the error did not come from the server.
    pub fn sqlstate(&self) -> &str {
        &self.sqlstate
    }

    /// The same error with `context: ` put before its message.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.server_errno != 0 {
            write!(
                f,
                "{} (errno {}, SQLSTATE {})",
                self.message, self.server_errno, self.sqlstate
            )
        } else {
            f.write_str(&self.message)
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("server_errno", &self.server_errno)
            .field("sqlstate", &self.sqlstate)
            .finish()
    }
}

impl std::error::Error for Error {}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
