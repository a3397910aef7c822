//! DSN parsing: `mysql://user:pass@host:port/db?opt=v` (percent-encoded) and the Go driver's
//! `user:pass@tcp(host:port)/db?opt=v` / `user:pass@unix(/path/sock)/db?opt=v`.
//!
//! Error messages never echo the user-info part of a DSN, so they can't leak a password.

use std::fmt;

use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::go_params::{self, Translated};
use crate::{Error, ErrorKind, Options, PoolKey, Result};

/// Where the server is.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// TCP host (name or IP, lowercased; IPv6 without brackets) and port.
    Tcp {
        /// Host name or address.
        host: String,
        /// TCP port (default 3306).
        port: u16,
    },
    /// A Unix socket path.
    Unix(String),
}

/// A parsed DSN. `Debug` redacts the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Dsn {
    /// User name.
    pub user: String,
    /// Password (empty for none). Never printed; its memory is wiped when the value is dropped
    /// (the pool keeps this one copy to reconnect, until it closes).
    pub password: Zeroizing<String>,
    /// Server address.
    pub address: Address,
    /// Default database, if any.
    pub database: Option<String>,
    /// The query-string options, decoded, in order (applied with `Options::set`).
    pub options: Vec<(String, String)>,
}

impl fmt::Debug for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dsn")
            .field("user", &self.user)
            .field(
                "password",
                &if self.password.is_empty() { "" } else { "***" },
            )
            .field("address", &self.address)
            .field("database", &self.database)
            .field("options", &self.options)
            .finish()
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Address::Tcp { host, port } => write!(f, "{host}:{port}"),
            Address::Unix(path) => write!(f, "unix({path})"),
        }
    }
}

const DEFAULT_PORT: u16 = 3306;

fn bad(msg: impl fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidDsn, format!("invalid DSN: {msg}"))
}

/// Percent-decodes `part` into one buffer, wiped on every path that drops it (it may be the
/// password).
fn decode_secret(part: &str, what: &str) -> Result<Zeroizing<String>> {
    // Decoding never grows the text: with this capacity the buffer is never reallocated (a
    // reallocation would leave a copy behind in freed memory).
    let mut bytes = Vec::with_capacity(part.len());
    bytes.extend(percent_decode_str(part));
    if bytes.contains(&0) {
        bytes.zeroize();
        return Err(bad(format_args!("{what} contains a NUL byte")));
    }
    String::from_utf8(bytes).map(Zeroizing::new).map_err(|e| {
        e.into_bytes().zeroize();
        bad(format_args!(
            "{what} is not valid UTF-8 after percent-decoding"
        ))
    })
}

fn decode(part: &str, what: &str) -> Result<String> {
    decode_secret(part, what).map(|mut s| std::mem::take(&mut *s))
}

fn parse_port(s: &str) -> Result<u16> {
    match s.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        // Never echo `s`: with an unencoded '/' or '?' in a password, it may be part of it.
        _ => Err(bad(
            "the port is not a number from 1 to 65535 (special characters in the user or \
             password must be percent-encoded)",
        )),
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn parse_host_port(s: &str) -> Result<Address> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| bad("an IPv6 address is missing its closing ']'"))?;
        let host = &rest[..end];
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => parse_port(p)?,
            None if after.is_empty() => DEFAULT_PORT,
            None => return Err(bad("unexpected text after the IPv6 address")),
        };
        (host.to_string(), port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), parse_port(p)?),
            None => (s.to_string(), DEFAULT_PORT),
        }
    };
    let host = decode(&host, "the host")?;
    if host.is_empty() {
        return Err(bad("the host is empty"));
    }
    if host.contains(',') {
        return Err(bad("several hosts are not supported; give one host"));
    }
    if host
        .chars()
        .any(|c| c.is_whitespace() || "/?#@()".contains(c))
    {
        return Err(bad(
            "the host contains a character that is not allowed (special characters in the \
             user or password must be percent-encoded)",
        ));
    }
    Ok(Address::Tcp {
        host: host.to_ascii_lowercase(),
        port,
    })
}

fn parse_query(q: &str, out: &mut Vec<(String, String)>) -> Result<()> {
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            bad(format_args!(
                "query parameter {:?} has no '=value'",
                decode(pair, "a query parameter").unwrap_or_default()
            ))
        })?;
        // '+' means space in query strings.
        let k = decode(&k.replace('+', " "), "a query parameter name")?;
        let v = decode(&v.replace('+', " "), "a query parameter value")?;
        out.push((k, v));
    }
    Ok(())
}

fn split_userinfo(userinfo: Option<&str>, encoded: bool) -> Result<(String, Zeroizing<String>)> {
    let Some(ui) = userinfo else {
        return Ok((String::new(), Zeroizing::default()));
    };
    let (u, p) = ui.split_once(':').unwrap_or((ui, ""));
    if encoded {
        Ok((decode(u, "the user")?, decode_secret(p, "the password")?))
    } else {
        if ui.contains('\0') {
            return Err(bad("the user or password contains a NUL byte"));
        }
        Ok((u.to_string(), Zeroizing::new(p.to_string())))
    }
}

/// `/db?query` (or empty) after the address.
fn parse_path_query(rest: &str, dsn: &mut Dsn) -> Result<()> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !path.is_empty() {
        let db = path
            .strip_prefix('/')
            .ok_or_else(|| bad("expected '/' before the database name"))?;
        if db.contains('/') {
            return Err(bad("the database name contains '/'"));
        }
        let db = decode(db, "the database name")?;
        dsn.database = (!db.is_empty()).then_some(db);
    }
    parse_query(query, &mut dsn.options)
}

impl Dsn {
    /// Parses either DSN form. Query options are kept as strings (see [`Dsn::options`]);
    /// `socket=/path` in the URL form selects a Unix socket.
    pub fn parse(s: &str) -> Result<Dsn> {
        let s = s.trim();
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        let mut dsn = if let Some(rest) = s
            .strip_prefix("mysql://")
            .or_else(|| s.strip_prefix("mariadb://"))
        {
            Self::parse_url(rest)?
        } else if s.contains("://") {
            return Err(bad("the scheme must be mysql:// or mariadb://"));
        } else {
            Self::parse_go(s)?
        };
        // `socket` is a DSN-level option: it changes the address, not a pool setting.
        if let Some(i) = dsn.options.iter().rposition(|(k, _)| k == "socket") {
            let (_, path) = dsn.options.remove(i);
            dsn.options.retain(|(k, _)| k != "socket");
            if path.is_empty() {
                return Err(bad("socket= needs a path"));
            }
            dsn.address = Address::Unix(path);
        }
        if dsn.user.is_empty() {
            return Err(bad("no user name"));
        }
        Ok(dsn)
    }

    fn parse_url(rest: &str) -> Result<Dsn> {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if tail.starts_with('#') || tail.contains('#') {
            return Err(bad(
                "a '#' fragment is not allowed (percent-encode '#' as %23)",
            ));
        }
        if tail.contains('@') {
            // A '/' or '?' in an unencoded password moves user info into the path or the
            // query, whose errors would echo it.
            return Err(bad(
                "'@' after the address (percent-encode '/', '?' and '@' in the user, password, \
                 database and options)",
            ));
        }
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let (user, password) = split_userinfo(userinfo, true)?;
        let address = if hostport.is_empty() {
            Address::Tcp {
                host: "localhost".into(),
                port: DEFAULT_PORT,
            }
        } else {
            parse_host_port(hostport)?
        };
        let mut dsn = Dsn {
            user,
            password,
            address,
            database: None,
            options: Vec::new(),
        };
        parse_path_query(tail, &mut dsn)?;
        Ok(dsn)
    }

    fn parse_go(s: &str) -> Result<Dsn> {
        // [user[:password]@][proto[(addr)]]/dbname[?params]; the password is not encoded, so
        // find the address by its protocol marker rather than by the first '/' or '@'.
        let marker = ["@tcp(", "@unix(", "@tcp/", "@unix/", "@/"]
            .iter()
            .filter_map(|m| s.rfind(m).map(|i| (i, *m)))
            .max_by_key(|(i, _)| *i);
        let (userinfo, after) = match marker {
            Some((i, _)) => (Some(&s[..i]), &s[i + 1..]),
            None if s.starts_with("tcp") || s.starts_with("unix") || s.starts_with('/') => {
                (None, s)
            }
            None => {
                return Err(bad(
                    "expected mysql://user:pass@host:port/db or user:pass@tcp(host:port)/db \
                     or user:pass@unix(/path)/db",
                ))
            }
        };
        if after.contains('@') {
            // Another '@' after the address: which part is the user info is ambiguous, and
            // errors about the address or options would echo it.
            return Err(bad(
                "'@' after the address (percent-encode '@' in the database and options as %40)",
            ));
        }
        let (user, password) = split_userinfo(userinfo, false)?;
        let (address, rest) = if let Some(a) = after.strip_prefix("tcp(") {
            let close = a
                .find(')')
                .ok_or_else(|| bad("tcp( is missing its closing ')'"))?;
            let inner = &a[..close];
            let addr = if inner.is_empty() {
                Address::Tcp {
                    host: "127.0.0.1".into(),
                    port: DEFAULT_PORT,
                }
            } else {
                parse_host_port(inner)?
            };
            (addr, &a[close + 1..])
        } else if let Some(a) = after.strip_prefix("unix(") {
            let close = a
                .find(')')
                .ok_or_else(|| bad("unix( is missing its closing ')'"))?;
            let path = &a[..close];
            if path.is_empty() || path.contains('\0') {
                return Err(bad("unix() needs a socket path"));
            }
            (Address::Unix(path.to_string()), &a[close + 1..])
        } else if let Some(a) = after.strip_prefix("tcp") {
            (
                Address::Tcp {
                    host: "127.0.0.1".into(),
                    port: DEFAULT_PORT,
                },
                a,
            )
        } else if after.starts_with('/') {
            (
                Address::Tcp {
                    host: "127.0.0.1".into(),
                    port: DEFAULT_PORT,
                },
                after,
            )
        } else {
            return Err(bad("unknown network; use tcp(host:port) or unix(/path)"));
        };
        if !rest.is_empty() && !rest.starts_with('/') {
            return Err(bad("expected '/' after the address"));
        }
        if rest.is_empty() {
            return Err(bad(
                "expected '/' after the address (use '/' for no database)",
            ));
        }
        let mut dsn = Dsn {
            user,
            password,
            address,
            database: None,
            options: Vec::new(),
        };
        parse_path_query(rest, &mut dsn)?;
        Ok(dsn)
    }

    /// Parses `dsn`, applies its query options, then `overrides` (same names), and validates.
    pub fn parse_with_options(dsn: &str, overrides: &[(&str, &str)]) -> Result<(Dsn, Options)> {
        let dsn = Dsn::parse(dsn)?;
        let mut options = Options::default();
        for (k, v) in &dsn.options {
            match go_params::translate(k, v)? {
                Translated::Native => options.set(k, v),
                Translated::Options(pairs) => pairs.iter().try_for_each(|(k, v)| options.set(k, v)),
                Translated::NoOp => Ok(()),
            }
            .map_err(|e| e.context("in the DSN"))?;
        }
        for (k, v) in overrides {
            options.set(k, v)?;
        }
        options.validate()?;
        Ok((dsn, options))
    }

    /// A short redacted label: `user@host:port/db` (plus `#pool_name`).
    pub fn label(&self, options: &Options) -> String {
        let mut s = format!("{}@{:?}", self.user, self.address);
        if let Some(db) = &self.database {
            s.push('/');
            s.push_str(db);
        }
        if let Some(name) = &options.pool_name {
            s.push('#');
            s.push_str(name);
        }
        s
    }

    /// The pool key: the canonical target with the password only as a SHA-256 hash.
    pub fn key(&self, options: &Options) -> PoolKey {
        let se = &options.session;
        let hash = Sha256::digest(self.password.as_bytes());
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        let id = format!(
            "mysql|user={:?}|addr={:?}|db={:?}|charset={:?}|tls={}|tls_ca={:?}|tls_cert={:?}\
             |tls_key={:?}|init_sql={:?}|found_rows={}|max_packet={:?}|reject_ro={}\
             |vars={:?}|pool_name={:?}|password_sha256={}",
            self.user,
            self.address,
            self.database,
            se.charset,
            se.tls.as_str(),
            se.tls_ca,
            se.tls_cert,
            se.tls_key,
            se.init_sql,
            se.client_found_rows,
            se.max_allowed_packet,
            se.reject_read_only,
            se.variables,
            options.pool_name,
            hex
        );
        PoolKey {
            id,
            label: self.label(options),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: u16) -> Address {
        Address::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn url_form() {
        let d =
            Dsn::parse("mysql://sp:s%40cr%2Ft@DB1.example:3307/metrics?max_size=4&tls=disabled")
                .unwrap();
        assert_eq!(d.user, "sp");
        assert_eq!(*d.password, "s@cr/t");
        assert_eq!(d.address, tcp("db1.example", 3307));
        assert_eq!(d.database.as_deref(), Some("metrics"));
        assert_eq!(
            d.options,
            vec![
                ("max_size".into(), "4".into()),
                ("tls".into(), "disabled".into())
            ]
        );
        let d = Dsn::parse("mysql://u@[::1]/").unwrap();
        assert_eq!(d.address, tcp("::1", 3306));
        assert_eq!(d.database, None);
        assert_eq!(*d.password, "");
        let d = Dsn::parse("mysql://u:p@localhost/db?socket=/tmp/my.sock").unwrap();
        assert_eq!(d.address, Address::Unix("/tmp/my.sock".into()));
        assert!(d.options.is_empty());
        let d = Dsn::parse("mysql://u:p@h/db?init_sql=SET+%40a%3D1").unwrap();
        assert_eq!(d.options, vec![("init_sql".into(), "SET @a=1".into())]);
    }

    #[test]
    fn go_form() {
        let d = Dsn::parse("sp:p@ss:w@rd@tcp(127.0.0.1:3306)/sp?charset=utf8mb4").unwrap();
        assert_eq!(d.user, "sp");
        assert_eq!(*d.password, "p@ss:w@rd");
        assert_eq!(d.address, tcp("127.0.0.1", 3306));
        assert_eq!(d.database.as_deref(), Some("sp"));
        assert_eq!(d.options, vec![("charset".into(), "utf8mb4".into())]);
        let d = Dsn::parse("sp:x/y@unix(/run/mysqld/mysqld.sock)/sp").unwrap();
        assert_eq!(*d.password, "x/y");
        assert_eq!(d.address, Address::Unix("/run/mysqld/mysqld.sock".into()));
        let d = Dsn::parse("root@/").unwrap();
        assert_eq!(d.address, tcp("127.0.0.1", 3306));
        assert_eq!(d.database, None);
        let d = Dsn::parse("u:p@tcp([::1]:3310)/db").unwrap();
        assert_eq!(d.address, tcp("::1", 3310));
    }

    #[test]
    fn garbage_is_invalid_dsn_without_the_password() {
        for s in [
            "",
            "hello",
            "postgres://u:hunter2@h/db",
            "mysql://u:hunter2@h:99999/db",
            "mysql://u:hun/ter2@h/db",
            "mysql://u:hunter2@h:12ab/db",
            "mysql://u:hunter2@/db#frag",
            "u:hunter2@tcp(h:3306",
            "u:hunter2@tcp(h:3306)db",
            "u:hunter2@udp(h)/db",
            "mysql://:hunter2@h/db",
            "mysql://u:hunter2@h/db?noequals",
            "mysql://u:hunter2@h/a/b",
            "mysql://u:hunter2@h1,h2/db",
            // Found by fuzzing: user info moved into the query by a stray '?' or '/' was
            // echoed by the query parameter errors.
            "mysql://?u:hunter2@h/db",
            "mysql://u:hun?ter2@h/db",
            "u:@/?@hunter2@?tcp(h)/",
            "/x?u:hunter2@tcp:1000)/db",
        ] {
            let e = Dsn::parse(s).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidDsn, "{s}: {e}");
            assert!(!e.message().contains("hunter2"), "{s}: {e}");
            assert!(!e.message().contains("ter2"), "{s}: {e}");
        }
    }

    #[test]
    fn unknown_options_are_invalid_option() {
        let e = Dsn::parse_with_options("mysql://u:hunter2@h/db?max_sise=3", &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidOption);
        assert!(e.message().contains("max_sise"), "{e}");
        assert!(!e.message().contains("hunter2"));
        let e = Dsn::parse_with_options("mysql://u:p@h/db?max_size=x", &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidOption);
    }

    #[test]
    fn explicit_options_override_the_dsn() {
        let (_, o) =
            Dsn::parse_with_options("mysql://u:p@h/db?max_size=4", &[("max_size", "7")]).unwrap();
        assert_eq!(o.pool.max_size, 7);
    }

    #[test]
    fn key_hashes_the_password_and_label_redacts() {
        let (a, oa) = Dsn::parse_with_options("mysql://sp:hunter2@H:3306/sp", &[]).unwrap();
        let (b, ob) = Dsn::parse_with_options("sp:hunter2@tcp(h:3306)/sp", &[]).unwrap();
        let (c, oc) = Dsn::parse_with_options("mysql://sp:other@h:3306/sp", &[]).unwrap();
        let (ka, kb, kc) = (a.key(&oa), b.key(&ob), c.key(&oc));
        assert_eq!(ka, kb, "both forms name the same target");
        assert_ne!(ka.id, kc.id, "different passwords never share");
        assert_eq!(ka.label, "sp@h:3306/sp");
        for k in [&ka, &kc] {
            assert!(!k.id.contains("hunter2") && !k.label.contains("hunter2"));
        }
        let (_, on) = Dsn::parse_with_options("mysql://sp:hunter2@h/sp?pool_name=x", &[]).unwrap();
        assert_eq!(a.key(&on).label, "sp@h:3306/sp#x");
        assert_ne!(a.key(&on).id, ka.id);
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("hunter2") && dbg.contains("***"), "{dbg}");
    }
}
