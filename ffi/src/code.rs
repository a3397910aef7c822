//! `sp_code`: the stable error codes of the C ABI.

use sharedpool::ErrorKind;

/// A result code. The values are stable and never renumbered; new codes are only appended.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sp_code {
    /// Success.
    SP_OK = 0,
    /// A caller passed something unusable (NULL, a released handle, invalid UTF-8, out of range).
    SP_ERR_INVALID_ARGUMENT = 1,
    /// The DSN could not be parsed.
    SP_ERR_INVALID_DSN = 2,
    /// An unknown option, or a value that does not parse.
    SP_ERR_INVALID_OPTION = 3,
    /// A second open asked for different sizing options than the live pool has.
    SP_ERR_CONFIG_CONFLICT = 4,
    /// The server could not be reached or refused the connection.
    SP_ERR_CONNECT = 5,
    /// The server rejected the credentials.
    SP_ERR_AUTH = 6,
    /// No connection became available before the deadline.
    SP_ERR_TIMEOUT = 7,
    /// The pool was closed.
    SP_ERR_POOL_CLOSED = 8,
    /// The server answered a statement with an error (see the errno and SQLSTATE).
    SP_ERR_SERVER = 9,
    /// The connection died in the middle of a call.
    SP_ERR_CONNECTION_LOST = 10,
    /// The caller cancelled the wait.
    SP_ERR_CANCELLED = 11,
    /// A bug in sharedpool (a caught panic, a broken invariant).
    SP_ERR_INTERNAL = 12,
}

impl From<ErrorKind> for sp_code {
    fn from(kind: ErrorKind) -> sp_code {
        match kind {
            ErrorKind::InvalidArgument => sp_code::SP_ERR_INVALID_ARGUMENT,
            ErrorKind::InvalidDsn => sp_code::SP_ERR_INVALID_DSN,
            ErrorKind::InvalidOption => sp_code::SP_ERR_INVALID_OPTION,
            ErrorKind::ConfigConflict => sp_code::SP_ERR_CONFIG_CONFLICT,
            ErrorKind::Connect => sp_code::SP_ERR_CONNECT,
            ErrorKind::Auth => sp_code::SP_ERR_AUTH,
            ErrorKind::Timeout => sp_code::SP_ERR_TIMEOUT,
            ErrorKind::PoolClosed => sp_code::SP_ERR_POOL_CLOSED,
            ErrorKind::Server => sp_code::SP_ERR_SERVER,
            ErrorKind::ConnectionLost => sp_code::SP_ERR_CONNECTION_LOST,
            ErrorKind::Cancelled => sp_code::SP_ERR_CANCELLED,
            ErrorKind::Internal => sp_code::SP_ERR_INTERNAL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_equal_error_kind_values() {
        let kinds = [
            ErrorKind::InvalidArgument,
            ErrorKind::InvalidDsn,
            ErrorKind::InvalidOption,
            ErrorKind::ConfigConflict,
            ErrorKind::Connect,
            ErrorKind::Auth,
            ErrorKind::Timeout,
            ErrorKind::PoolClosed,
            ErrorKind::Server,
            ErrorKind::ConnectionLost,
            ErrorKind::Cancelled,
            ErrorKind::Internal,
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            assert_eq!(sp_code::from(kind) as u32, kind as u32);
            assert_eq!(kind as u32, i as u32 + 1);
        }
    }
}
