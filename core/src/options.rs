//! Options: the one list of string keys shared by the C ABI, the DSN query string, Python
//! keyword arguments and Go options, parsed into typed settings with documented defaults.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use crate::{Error, ErrorKind, Result};

/// Sizing and recycling settings of one pool. Not part of the pool key: a second `open`
/// whose settings differ gets a config-conflict error (see [`PoolConfig::differences`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PoolConfig {
    /// Most connections open at once, counting those being opened. Default 10.
    pub max_size: u32,
    /// Idle connections kept ready; prefilled in the background after open. Default 0.
    pub min_idle: u32,
    /// How long `acquire` waits for a connection. Default 30 s.
    pub acquire_timeout: Duration,
    /// An idle connection above `min_idle` is closed after this long. Default 10 min; 0 = never.
    pub idle_timeout: Duration,
    /// A connection is recycled after this age (minus up to 2.5 % jitter). Default 30 min; 0 = never.
    pub max_lifetime: Duration,
    /// A connection is recycled after this many borrows. Default 0 = unlimited.
    pub max_uses: u64,
    /// Most connects running at once (storm protection). Default 2.
    pub max_connecting: u32,
    /// A connection idle longer than this is pinged before hand-out. Default 1 s.
    pub validation_idle: Duration,
    /// Keep the measured demand ⌈λ·W·headroom⌉ warm ahead of load, and close connections
    /// above it after 5 s idle (or `idle_timeout`, if shorter). Default false.
    pub adaptive: bool,
    /// Multiplier on the measured demand L = λ·W for the recommended size. Default 1.5.
    pub headroom: f64,
    /// Warn when a connection is held longer than this. Default 0 = off.
    pub leak_detection: Duration,
    /// Keep a pool whose last reference went warm this long for a new `open`. Default 0.
    pub linger: Duration,
    /// Connect timeout for a new connection. Default 10 s.
    pub connect_timeout: Duration,
    /// Socket read timeout. Default 60 s.
    pub read_timeout: Duration,
    /// Socket write timeout. Default 60 s.
    pub write_timeout: Duration,
    /// A statement still running after this long is stopped on the server (`KILL QUERY`) and
    /// fails with a timeout; its connection is discarded. Default 0: no limit.
    pub statement_timeout: Duration,
    /// Server connection slots left free for others (operators, migrations, other services):
    /// the pool does not grow above `min_idle` when a new connection would leave fewer free
    /// than this, by the server's own count (read at most about once a second). 0 = off.
    /// Default 3.
    pub server_headroom: u32,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_size: 10,
            min_idle: 0,
            acquire_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(1800),
            max_uses: 0,
            max_connecting: 2,
            validation_idle: Duration::from_secs(1),
            adaptive: false,
            headroom: 1.5,
            leak_detection: Duration::ZERO,
            linger: Duration::ZERO,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(60),
            statement_timeout: Duration::ZERO,
            server_headroom: 3,
        }
    }
}

/// TLS mode of a MySQL connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TlsMode {
    /// No TLS.
    Disabled,
    /// TLS when the server offers it (the default).
    #[default]
    Preferred,
    /// TLS or fail; the certificate is not checked.
    Required,
    /// TLS with the server certificate checked against the CA.
    VerifyCa,
    /// As `VerifyCa`, and the host name must match the certificate.
    VerifyIdentity,
}

impl TlsMode {
    /// Parses an option value, go-sql-driver's names included: its `tls=true` verifies the
    /// chain and the host name (a DSN moved from it must not lose verification) and
    /// `skip-verify` encrypts without checks.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        Some(match value.trim().to_ascii_lowercase().as_str() {
            "disabled" | "false" | "off" => TlsMode::Disabled,
            "preferred" => TlsMode::Preferred,
            "required" | "skip-verify" => TlsMode::Required,
            "verify-ca" | "verify_ca" => TlsMode::VerifyCa,
            "verify-identity" | "verify_identity" | "true" | "on" => TlsMode::VerifyIdentity,
            _ => return None,
        })
    }

    /// The option value that names this mode.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Disabled => "disabled",
            TlsMode::Preferred => "preferred",
            TlsMode::Required => "required",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyIdentity => "verify-identity",
        }
    }
}

/// Settings that shape the session a connection has; part of the pool key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionOptions {
    /// Connection character set. Default `utf8mb4`.
    pub charset: String,
    /// TLS mode. Default `preferred`.
    pub tls: TlsMode,
    /// CA certificate file for TLS.
    pub tls_ca: Option<String>,
    /// Client certificate file for TLS.
    pub tls_cert: Option<String>,
    /// Client key file for TLS.
    pub tls_key: Option<String>,
    /// A statement run on every new connection and after every reset.
    pub init_sql: Option<String>,
    /// `CLIENT_FOUND_ROWS`: UPDATE counts the rows matched, not the rows changed.
    pub client_found_rows: bool,
    /// The client's packet limit in bytes (`None`: the client library's default).
    pub max_allowed_packet: Option<u64>,
    /// A connection that gets "read only" errors (1290, 1792) is closed, not reused: after a
    /// failover, the pool reconnects to the new primary (go-sql-driver's `rejectReadOnly`).
    pub reject_read_only: bool,
    /// Session variables ([`SESSION_VARIABLES`]) set on every new connection and after every
    /// reset, as `SET SESSION name = value` (the value is SQL: quote strings).
    pub variables: Vec<(String, String)>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            charset: "utf8mb4".into(),
            tls: TlsMode::default(),
            tls_ca: None,
            tls_cert: None,
            tls_key: None,
            init_sql: None,
            client_found_rows: false,
            max_allowed_packet: None,
            reject_read_only: false,
            variables: Vec::new(),
        }
    }
}

/// What a second `open` does when its sizing options differ from the live pool's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnConflict {
    /// Fail with a config-conflict error naming the differing fields (the default).
    #[default]
    Error,
    /// Take the live pool as it is.
    Reuse,
}

/// Every option of an `open`, parsed.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Options {
    /// Sizing and recycling (not part of the key).
    pub pool: PoolConfig,
    /// Session shaping (part of the key).
    pub session: SessionOptions,
    /// Separates pools for one target (part of the key).
    pub pool_name: Option<String>,
    /// What a conflicting second `open` does.
    pub on_conflict: OnConflict,
    /// The options the caller set (through [`Options::set`]): a second `open` conflicts with
    /// the live pool only in these; the others take the live pool's values.
    pub explicit: BTreeSet<&'static str>,
}

/// The names `Options::set` accepts, in documentation order.
pub const OPTION_NAMES: &[&str] = &[
    "max_size",
    "min_idle",
    "acquire_timeout_ms",
    "idle_timeout_ms",
    "max_lifetime_ms",
    "max_uses",
    "max_connecting",
    "validation_idle_ms",
    "adaptive",
    "headroom",
    "leak_detection_ms",
    "linger_ms",
    "pool_name",
    "on_conflict",
    "init_sql",
    "connect_timeout_ms",
    "read_timeout_ms",
    "write_timeout_ms",
    "statement_timeout_ms",
    "server_headroom",
    "charset",
    "tls",
    "tls_ca",
    "tls_cert",
    "tls_key",
    "client_found_rows",
    "max_allowed_packet",
    "reject_read_only",
];

/// Session variables accepted as options (and DSN parameters, as go-sql-driver takes them):
/// set on every new connection and after every reset. Other names are unknown options, so a
/// misspelt option is an error rather than a `SET` that fails at connect.
pub const SESSION_VARIABLES: &[&str] = &[
    "time_zone",
    "sql_mode",
    "transaction_isolation",
    "tx_isolation",
    "transaction_read_only",
    "autocommit",
    "innodb_lock_wait_timeout",
    "lock_wait_timeout",
    "max_execution_time",
    "max_statement_time",
    "wait_timeout",
    "interactive_timeout",
    "net_read_timeout",
    "net_write_timeout",
    "group_concat_max_len",
    "sql_select_limit",
    "sql_safe_updates",
    "sql_big_selects",
    "foreign_key_checks",
    "unique_checks",
    "div_precision_increment",
    "collation_connection",
    "default_storage_engine",
    "optimizer_switch",
    "long_query_time",
    "explicit_defaults_for_timestamp",
];

fn invalid(key: &str, value: &str, expected: &str) -> Error {
    Error::new(
        ErrorKind::InvalidOption,
        format!("option {key}: invalid value {value:?}, expected {expected}"),
    )
}

fn parse_u64(key: &str, value: &str) -> Result<u64> {
    value
        .trim()
        .parse::<u64>()
        .map_err(|_| invalid(key, value, "a non-negative integer"))
}

fn parse_u32(key: &str, value: &str) -> Result<u32> {
    value
        .trim()
        .parse::<u32>()
        .map_err(|_| invalid(key, value, "a non-negative integer below 2^32"))
}

fn parse_ms(key: &str, value: &str) -> Result<Duration> {
    parse_u64(key, value).map(Duration::from_millis)
}

fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(invalid(key, value, "true or false")),
    }
}

fn parse_text(key: &str, value: &str) -> Result<String> {
    if value.contains('\0') {
        return Err(invalid(key, value, "text without NUL bytes"));
    }
    Ok(value.to_string())
}

impl Options {
    /// Sets one option from its string form. Unknown keys and unparsable values are errors.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        self.set_value(key, value)?;
        if let Some(name) = OPTION_NAMES.iter().find(|n| **n == key) {
            self.explicit.insert(name);
        }
        Ok(())
    }

    fn set_value(&mut self, key: &str, value: &str) -> Result<()> {
        let p = &mut self.pool;
        match key {
            "max_size" => {
                p.max_size = parse_u32(key, value)?;
                if p.max_size == 0 {
                    return Err(invalid(key, value, "at least 1"));
                }
            }
            "min_idle" => p.min_idle = parse_u32(key, value)?,
            "server_headroom" => p.server_headroom = parse_u32(key, value)?,
            "acquire_timeout_ms" => p.acquire_timeout = parse_ms(key, value)?,
            "idle_timeout_ms" => p.idle_timeout = parse_ms(key, value)?,
            "max_lifetime_ms" => p.max_lifetime = parse_ms(key, value)?,
            "max_uses" => p.max_uses = parse_u64(key, value)?,
            "max_connecting" => {
                p.max_connecting = parse_u32(key, value)?;
                if p.max_connecting == 0 {
                    return Err(invalid(key, value, "at least 1"));
                }
            }
            "validation_idle_ms" => p.validation_idle = parse_ms(key, value)?,
            "adaptive" => p.adaptive = parse_bool(key, value)?,
            "headroom" => {
                let h: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| invalid(key, value, "a number >= 1"))?;
                if !(1.0..=100.0).contains(&h) {
                    return Err(invalid(key, value, "a number from 1 to 100"));
                }
                p.headroom = h;
            }
            "leak_detection_ms" => p.leak_detection = parse_ms(key, value)?,
            "linger_ms" => p.linger = parse_ms(key, value)?,
            "connect_timeout_ms" => p.connect_timeout = parse_ms(key, value)?,
            "read_timeout_ms" => p.read_timeout = parse_ms(key, value)?,
            "write_timeout_ms" => p.write_timeout = parse_ms(key, value)?,
            "statement_timeout_ms" => p.statement_timeout = parse_ms(key, value)?,
            "pool_name" => {
                let name = parse_text(key, value)?;
                self.pool_name = (!name.is_empty()).then_some(name);
            }
            "on_conflict" => {
                self.on_conflict = match value.trim() {
                    "error" => OnConflict::Error,
                    "reuse" => OnConflict::Reuse,
                    _ => return Err(invalid(key, value, "error or reuse")),
                }
            }
            "init_sql" => {
                let sql = parse_text(key, value)?;
                self.session.init_sql = (!sql.trim().is_empty()).then_some(sql);
            }
            "charset" => {
                let cs = value.trim();
                if cs.is_empty() || !cs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(invalid(key, value, "a character set name such as utf8mb4"));
                }
                self.session.charset = cs.to_string();
            }
            "tls" => {
                if let Some(mode) = TlsMode::parse(value) {
                    self.session.tls = mode;
                } else if let Some(files) = crate::mysql::tls_names::lookup(value.trim()) {
                    // A name registered with `register_tls`: verify-identity with its files.
                    self.session.tls = TlsMode::VerifyIdentity;
                    self.session.tls_ca = files.ca;
                    self.session.tls_cert = files.cert;
                    self.session.tls_key = files.key;
                } else {
                    return Err(invalid(
                        key,
                        value,
                        "disabled (false), preferred, required (skip-verify), verify-ca, \
                         verify-identity (true) or a name registered with sp_tls_register",
                    ));
                }
            }
            "tls_ca" => self.session.tls_ca = Some(parse_text(key, value)?),
            "tls_cert" => self.session.tls_cert = Some(parse_text(key, value)?),
            "tls_key" => self.session.tls_key = Some(parse_text(key, value)?),
            "client_found_rows" => self.session.client_found_rows = parse_bool(key, value)?,
            "max_allowed_packet" => {
                let n = parse_u64(key, value)?;
                // 1 KiB to 1 GiB, the server's own bounds.
                if n != 0 && !(1024..=1 << 30).contains(&n) {
                    return Err(invalid(key, value, "0 (the default) or 1024 to 1073741824"));
                }
                self.session.max_allowed_packet = (n != 0).then_some(n);
            }
            "reject_read_only" => self.session.reject_read_only = parse_bool(key, value)?,
            _ if SESSION_VARIABLES.contains(&key) => {
                let v = parse_text(key, value)?;
                if v.trim().is_empty() {
                    return Err(invalid(key, value, "an SQL value such as 'UTC' or 100"));
                }
                let vars = &mut self.session.variables;
                vars.retain(|(k, _)| k != key);
                vars.push((key.to_string(), v));
                vars.sort();
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidOption,
                    format!(
                        "unknown option {key:?}; known options: {}; session variables: {}",
                        OPTION_NAMES.join(", "),
                        SESSION_VARIABLES.join(", ")
                    ),
                ))
            }
        }
        Ok(())
    }

    /// Parses a list of key/value pairs; later pairs override earlier ones.
    pub fn from_pairs<'a, I>(pairs: I) -> Result<Options>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut options = Options::default();
        for (k, v) in pairs {
            options.set(k, v)?;
        }
        options.validate()?;
        Ok(options)
    }

    /// Checks settings that only make sense together.
    pub fn validate(&self) -> Result<()> {
        let p = &self.pool;
        if p.min_idle > p.max_size {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                format!(
                    "option min_idle ({}) must not exceed max_size ({})",
                    p.min_idle, p.max_size
                ),
            ));
        }
        Ok(())
    }
}

struct Ms(Duration);

impl fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.as_millis())
    }
}

impl PoolConfig {
    /// The fields that differ from `other`, as `name: mine vs theirs`, in option names.
    pub fn differences(&self, other: &PoolConfig) -> Vec<String> {
        self.differences_in(other, |_| true)
    }

    /// [`PoolConfig::differences`] in the options `named` accepts only.
    pub fn differences_in(&self, other: &PoolConfig, named: impl Fn(&str) -> bool) -> Vec<String> {
        let mut out = Vec::new();
        macro_rules! cmp {
            ($field:ident, $name:literal) => {
                if self.$field != other.$field && named($name) {
                    out.push(format!("{}: {} vs {}", $name, self.$field, other.$field));
                }
            };
            ($field:ident, $name:literal, ms) => {
                if self.$field != other.$field && named($name) {
                    out.push(format!(
                        "{}: {} vs {}",
                        $name,
                        Ms(self.$field),
                        Ms(other.$field)
                    ));
                }
            };
        }
        cmp!(max_size, "max_size");
        cmp!(min_idle, "min_idle");
        cmp!(acquire_timeout, "acquire_timeout_ms", ms);
        cmp!(idle_timeout, "idle_timeout_ms", ms);
        cmp!(max_lifetime, "max_lifetime_ms", ms);
        cmp!(max_uses, "max_uses");
        cmp!(max_connecting, "max_connecting");
        cmp!(validation_idle, "validation_idle_ms", ms);
        cmp!(adaptive, "adaptive");
        cmp!(headroom, "headroom");
        cmp!(leak_detection, "leak_detection_ms", ms);
        cmp!(linger, "linger_ms", ms);
        cmp!(connect_timeout, "connect_timeout_ms", ms);
        cmp!(read_timeout, "read_timeout_ms", ms);
        cmp!(write_timeout, "write_timeout_ms", ms);
        cmp!(statement_timeout, "statement_timeout_ms", ms);
        cmp!(server_headroom, "server_headroom");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_documented_values() {
        let o = Options::default();
        assert_eq!(o.pool.max_size, 10);
        assert_eq!(o.pool.acquire_timeout, Duration::from_secs(30));
        assert_eq!(o.session.charset, "utf8mb4");
        assert_eq!(o.on_conflict, OnConflict::Error);
    }

    #[test]
    fn every_listed_name_is_accepted() {
        let sample = |k: &str| match k {
            "adaptive" | "client_found_rows" | "reject_read_only" => "true",
            "max_allowed_packet" => "1048576",
            "headroom" => "2",
            "on_conflict" => "reuse",
            "tls" => "disabled",
            "charset" => "utf8mb4",
            "max_size" | "max_connecting" => "5",
            "min_idle" => "1",
            "pool_name" | "init_sql" | "tls_ca" | "tls_cert" | "tls_key" => "x",
            _ => "100",
        };
        for name in OPTION_NAMES {
            let mut o = Options::default();
            o.set(name, sample(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn unknown_and_bad_values_are_errors() {
        let mut o = Options::default();
        let e = o.set("max_sise", "4").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidOption);
        assert!(e.message().contains("max_sise"));
        for (k, v) in [
            ("max_size", "four"),
            ("max_size", "0"),
            ("max_size", "-1"),
            ("adaptive", "maybe"),
            ("headroom", "0.5"),
            ("tls", "sometimes"),
            ("on_conflict", "merge"),
            ("charset", "utf8; DROP"),
        ] {
            let e = o.set(k, v).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidOption, "{k}={v}");
            assert!(e.message().contains(k), "{}", e.message());
        }
    }

    #[test]
    fn tls_values_never_lose_verification() {
        for (v, mode) in [
            ("true", TlsMode::VerifyIdentity),
            ("ON", TlsMode::VerifyIdentity),
            ("verify-identity", TlsMode::VerifyIdentity),
            ("verify_ca", TlsMode::VerifyCa),
            ("skip-verify", TlsMode::Required),
            ("required", TlsMode::Required),
            ("preferred", TlsMode::Preferred),
            ("false", TlsMode::Disabled),
            ("disabled", TlsMode::Disabled),
        ] {
            let mut o = Options::default();
            o.set("tls", v).unwrap_or_else(|e| panic!("tls={v}: {e}"));
            assert_eq!(o.session.tls, mode, "tls={v}");
        }
    }

    #[test]
    fn min_idle_above_max_size_is_rejected() {
        let e = Options::from_pairs([("max_size", "2"), ("min_idle", "3")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidOption);
    }

    #[test]
    fn differences_name_fields_and_values() {
        let a = Options::from_pairs([("max_size", "4")]).unwrap().pool;
        let b = Options::from_pairs([("max_size", "8"), ("idle_timeout_ms", "5")])
            .unwrap()
            .pool;
        let d = a.differences(&b);
        assert_eq!(d, vec!["max_size: 4 vs 8", "idle_timeout_ms: 600000 vs 5"]);
    }
}
