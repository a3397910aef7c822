//! MySQL errno → [`ErrorKind`], and which errors leave the connection unusable.

use crate::ErrorKind;

/// Access denied in its forms: wrong password, no such user, no access to the database,
/// host not allowed, expired password, unsupported auth plugin.
const AUTH: &[u32] = &[1044, 1045, 1130, 1251, 1275, 1698, 1862, 1820, 2059, 2061];

/// Errors after which the session is gone: server gone/lost, connection killed, shutdown,
/// timeouts, protocol out of sync.
const FATAL_SERVER: &[u32] = &[1053, 1152, 1927, 3169, 4031];

/// Is the connection unusable after `errno`? Every client-side error (2000–2999) counts:
/// they mean the protocol state is unknown.
pub(crate) fn is_fatal(errno: u32) -> bool {
    (2000..3000).contains(&errno) || FATAL_SERVER.contains(&errno)
}

/// The kind of an error seen while connecting.
pub(crate) fn connect_kind(errno: u32) -> ErrorKind {
    if AUTH.contains(&errno) {
        ErrorKind::Auth
    } else {
        ErrorKind::Connect
    }
}

/// The kind of an error seen on an open connection.
pub(crate) fn query_kind(errno: u32) -> ErrorKind {
    if is_fatal(errno) {
        ErrorKind::ConnectionLost
    } else {
        ErrorKind::Server
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(connect_kind(1045), ErrorKind::Auth);
        assert_eq!(connect_kind(2003), ErrorKind::Connect);
        assert_eq!(query_kind(1064), ErrorKind::Server);
        assert_eq!(query_kind(2013), ErrorKind::ConnectionLost);
        assert_eq!(query_kind(1927), ErrorKind::ConnectionLost);
        assert!(!is_fatal(1213), "deadlock keeps the connection");
    }
}
