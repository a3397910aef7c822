//! MySQL errno → [`ErrorKind`], and which errors leave the connection unusable.

use crate::ErrorKind;

/// Access denied in its forms: wrong password, no such user, no access to the database,
/// host not allowed, expired password, unsupported auth plugin.
const AUTH: &[u32] = &[1044, 1045, 1130, 1251, 1275, 1698, 1862, 1820, 2059, 2061];

/// Errors after which the session is gone: server gone/lost, connection killed, shutdown,
/// timeouts, protocol out of sync.
const FATAL_SERVER: &[u32] = &[1053, 1152, 1927, 3169, 4031];

/// The server refusing a new connection for lack of room: 1040 too many connections, 1203
/// the global `max_user_connections`, 1226 an account's resource limit (MAX_USER_CONNECTIONS
/// and the hourly limits).
const CAPACITY: &[u32] = &[1040, 1203, 1226];

/// Is `errno`, met while connecting, a refusal for capacity (not an outage)?
pub(crate) fn is_capacity_refusal(errno: u32) -> bool {
    CAPACITY.contains(&errno)
}

/// Connector/C's words before a server error that arrived before the TLS handshake ended
/// (reported as 2002 / 2026, e.g. a full server's 1040 while TLS is preferred).
const PRE_TLS: &str = "cannot be verified: ";

/// The server's own errno, SQLSTATE and message inside a client error that wraps one
/// received before TLS (`... cannot be verified: 1040 - Too many connections`).
pub(crate) fn unwrap_pre_tls(errno: u32, message: &str) -> Option<(u32, &'static str, &str)> {
    if errno != 2002 && errno != 2026 {
        return None;
    }
    let inner = &message[message.find(PRE_TLS)? + PRE_TLS.len()..];
    let (code, text) = inner.split_once(" - ")?;
    let code: u32 = code.trim().parse().ok()?;
    let state = match code {
        1040 => "08004",
        1203 | 1226 => "42000",
        _ => "HY000",
    };
    Some((code, state, text))
}

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
        assert!(is_capacity_refusal(1040) && is_capacity_refusal(1203));
        assert!(!is_capacity_refusal(2002) && !is_capacity_refusal(1045));
        let wrapped = "Received error packet before completion of TLS handshake. The \
                       authenticity of the following error cannot be verified: 1040 - Too many connections";
        assert_eq!(
            unwrap_pre_tls(2002, wrapped),
            Some((1040, "08004", "Too many connections"))
        );
        assert_eq!(unwrap_pre_tls(2003, wrapped), None);
        assert_eq!(
            unwrap_pre_tls(2002, "Can't connect to server on '127.0.0.1'"),
            None
        );
    }
}
