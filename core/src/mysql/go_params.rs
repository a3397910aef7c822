//! go-sql-driver/mysql's DSN parameters, in either DSN form: each is translated into the
//! library's own options with the same meaning, accepted as a documented no-op, or refused
//! with the reason. Names that are neither (nor an option or a session variable) stay errors.
//! The README's "go-sql-driver parameters" table lists them all.

use crate::{Error, ErrorKind, Result};

/// What a go-sql-driver parameter becomes.
#[derive(Debug, PartialEq)]
pub(crate) enum Translated {
    /// Not a go-sql-driver name: an option or a session variable of this library, as is.
    Native,
    /// These options instead.
    Options(Vec<(&'static str, String)>),
    /// Accepted, and already how this library behaves.
    NoOp,
}

fn refused(key: &str, value: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::InvalidOption,
        format!("DSN parameter {key}={value}: not supported: {why}"),
    )
}

fn bad(key: &str, value: &str, expected: &str) -> Error {
    Error::new(
        ErrorKind::InvalidOption,
        format!("DSN parameter {key}: invalid value {value:?}, expected {expected}"),
    )
}

/// go-sql-driver's booleans (strconv.ParseBool).
fn boolean(key: &str, value: &str) -> Result<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(bad(key, value, "true or false")),
    }
}

/// A Go duration (`time.ParseDuration`: "30s", "1m30s", "1.5s", "250ms", "0") in whole
/// milliseconds, rounded up.
pub(crate) fn go_duration_ms(value: &str) -> Option<u64> {
    let s = value.trim();
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(0);
    }
    let mut rest = s;
    let mut total_ns: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let ns = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total_ns += number * ns;
    }
    let ms = (total_ns / 1e6).ceil();
    (ms.is_finite() && ms <= u64::MAX as f64).then_some(ms as u64)
}

/// Translates one DSN parameter.
pub(crate) fn translate(key: &str, value: &str) -> Result<Translated> {
    use Translated::{NoOp, Options};
    let timeout = |name: &'static str| -> Result<Translated> {
        let ms = go_duration_ms(value)
            .ok_or_else(|| bad(key, value, "a Go duration such as 5s, 1m30s or 500ms"))?;
        if ms == 0 {
            // go-sql-driver: 0 = no timeout. Every wait here is finite: keep the default.
            return Ok(NoOp);
        }
        Ok(Options(vec![(name, ms.to_string())]))
    };
    // A boolean whose one value is how this library works and whose other it refuses.
    let only = |ok: bool, why: &str| -> Result<Translated> {
        if boolean(key, value)? == ok {
            Ok(NoOp)
        } else {
            Err(refused(key, value, why))
        }
    };
    Ok(match key {
        "timeout" => timeout("connect_timeout_ms")?,
        "readTimeout" => timeout("read_timeout_ms")?,
        "writeTimeout" => timeout("write_timeout_ms")?,
        "clientFoundRows" => Options(vec![(
            "client_found_rows",
            boolean(key, value)?.to_string(),
        )]),
        "rejectReadOnly" => Options(vec![("reject_read_only", boolean(key, value)?.to_string())]),
        "maxAllowedPacket" => Options(vec![("max_allowed_packet", value.to_string())]),
        // A list: go-sql-driver tries each in turn; the first is the one used here.
        "charset" if value.contains(',') => {
            let first = value.split(',').next().unwrap_or_default().trim();
            Options(vec![("charset", first.to_string())])
        }
        "collation" => {
            let name = value.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(bad(key, value, "a collation name such as utf8mb4_unicode_ci"));
            }
            let charset = name.split('_').next().unwrap_or_default();
            Options(vec![
                ("charset", charset.to_string()),
                ("collation_connection", format!("'{name}'")),
            ])
        }
        "loc" => match value {
            "UTC" => NoOp,
            _ => return Err(refused(key, value, "times are read and written as UTC (loc=UTC)")),
        },
        // Already how this library works, whichever value: DATE/DATETIME/TIMESTAMP values are
        // always time.Time in Go (the language's date types elsewhere); parameters are always
        // interpolated on the client (escaped by the client library); a connection is always
        // checked before hand-out; `tls=preferred` falls back to plain text already and other
        // modes never do.
        "parseTime" | "interpolateParams" | "checkConnLiveness" | "allowFallbackToPlaintext" => {
            boolean(key, value)?;
            NoOp
        }
        "allowNativePasswords" => only(
            true,
            "the native password plugin is always allowed (the client library picks the plugin)",
        )?,
        "allowOldPasswords" => only(false, "pre-4.1 passwords are insecure")?,
        "allowCleartextPasswords" => only(false, "passwords are never sent in clear text")?,
        "allowAllFiles" => only(false, "LOAD DATA LOCAL INFILE is always off")?,
        "multiStatements" => only(
            false,
            "several statements in one call defeat the pool's session tracking; send them one by one",
        )?,
        "columnsWithAlias" => only(false, "column names are returned as the server sends them")?,
        // Sent to the server as connection attributes by go-sql-driver; not sent here.
        "connectionAttributes" => NoOp,
        "serverPubKey" | "timeTruncate" => {
            return Err(refused(key, value, "no equivalent in this library"))
        }
        _ => Translated::Native,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for (s, ms) in [
            ("0", Some(0)),
            ("5s", Some(5000)),
            ("1m30s", Some(90_000)),
            ("1.5s", Some(1500)),
            ("250ms", Some(250)),
            ("1h", Some(3_600_000)),
            ("1500us", Some(2)),
            ("1ns", Some(1)),
            ("", None),
            ("5", None),
            ("s", None),
            ("5 s", None),
            ("-1s", None),
            ("1d", None),
        ] {
            assert_eq!(go_duration_ms(s), ms, "{s:?}");
        }
    }
}
