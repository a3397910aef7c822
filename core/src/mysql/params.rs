//! Client-side parameter binding: `?` placeholders replaced by safely escaped literals.
//!
//! The scanner skips `'…'`, `"…"` and `` `…` `` quoted parts and `-- `, `#` and `/* */`
//! comments, so a `?` inside them is left alone. Text goes through the connection's
//! `mysql_real_escape_string` (it knows the charset and `NO_BACKSLASH_ESCAPES`); binary data
//! is sent as a hex literal, which needs no escaping at all.

use crate::{Error, ErrorKind, Result};

/// One bound parameter value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Param<'a> {
    /// SQL NULL.
    Null,
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A double (NaN and infinities are rejected).
    Double(f64),
    /// UTF-8 text (may contain NUL bytes).
    Text(&'a [u8]),
    /// Binary data.
    Blob(&'a [u8]),
}

/// How the session reads a backslash inside quotes: the server status flag
/// `NO_BACKSLASH_ESCAPES` says; `Unknown` when the client library cannot tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backslashes {
    Escape,
    Literal,
    Unknown,
}

/// One way of reading quotes: is a backslash an escape inside `'…'`, inside `"…"`?
type Reading = (bool, bool);

/// Byte offsets of the `?` placeholders in `sql`, outside quotes and comments, read the way the
/// server will. `"…"` is a string, where backslashes escape, unless `sql_mode` has
/// `ANSI_QUOTES` (an identifier, where they don't); that mode is not known on the client side,
/// so a statement whose placeholders differ between the readings is refused, as is one that
/// differs between the backslash readings when those are unknown. Never guessing is what keeps
/// a quoted `?` from taking a parameter (an injection).
pub(crate) fn placeholders(sql: &[u8], backslashes: Backslashes) -> Result<Vec<usize>> {
    let readings: &[Reading] = match backslashes {
        Backslashes::Literal => &[(false, false)],
        Backslashes::Escape => &[(true, true), (true, false)],
        Backslashes::Unknown => &[(true, true), (true, false), (false, false)],
    };
    let first = scan(sql, readings[0]);
    if sql.contains(&b'\\') {
        for &r in &readings[1..] {
            if scan(sql, r) != first {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    "the statement's quoted text reads differently depending on sql_mode \
                     (ANSI_QUOTES, NO_BACKSLASH_ESCAPES), so its placeholders are ambiguous: \
                     quote strings with single quotes and pass values as parameters",
                ));
            }
        }
    }
    Ok(first)
}

fn scan(sql: &[u8], (backslash_single, backslash_double): Reading) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = sql.len();
    while i < n {
        match sql[i] {
            b'?' => {
                out.push(i);
                i += 1;
            }
            q @ (b'\'' | b'"' | b'`') => {
                let backslash = match q {
                    b'\'' => backslash_single,
                    b'"' => backslash_double,
                    _ => false,
                };
                i += 1;
                while i < n {
                    if backslash && sql[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if sql[i] == q {
                        // A doubled quote is an escaped quote, not the end.
                        if i + 1 < n && sql[i + 1] == q {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'#' => {
                while i < n && sql[i] != b'\n' {
                    i += 1;
                }
            }
            b'-' if sql.get(i + 1) == Some(&b'-')
                && sql
                    .get(i + 2)
                    .map_or(true, |c| c.is_ascii_whitespace() || *c < 32) =>
            {
                while i < n && sql[i] != b'\n' {
                    i += 1;
                }
            }
            // `/*! … */` and `/*M! … */` are executed by the server: their text is SQL.
            b'/' if sql[i..].starts_with(b"/*!") => i += 3,
            b'/' if sql[i..].starts_with(b"/*M!") => i += 4,
            b'/' if sql.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < n && !(sql[i] == b'*' && sql.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    out
}

/// Writes `param` as an SQL literal into `out`; `escape` appends the escaped form of text.
pub(crate) fn render(
    param: &Param<'_>,
    index: usize,
    out: &mut Vec<u8>,
    escape: &mut dyn FnMut(&[u8], &mut Vec<u8>),
) -> Result<()> {
    use std::io::Write;
    match *param {
        Param::Null => out.extend_from_slice(b"NULL"),
        Param::Int(v) => write!(out, "{v}").expect("write to Vec"),
        Param::UInt(v) => write!(out, "{v}").expect("write to Vec"),
        Param::Double(v) => {
            if !v.is_finite() {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("parameter {}: {v} is not a finite number", index + 1),
                ));
            }
            // Scientific notation with the shortest round-trip digits: a DOUBLE literal.
            write!(out, "{v:e}").expect("write to Vec");
        }
        Param::Text(t) => {
            out.push(b'\'');
            escape(t, out);
            out.push(b'\'');
        }
        Param::Blob(b) => {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.reserve(b.len() * 2 + 3);
            out.extend_from_slice(b"X'");
            for &byte in b {
                out.push(HEX[(byte >> 4) as usize]);
                out.push(HEX[(byte & 15) as usize]);
            }
            out.push(b'\'');
        }
    }
    Ok(())
}

/// `sql` with every placeholder replaced by its parameter. A count mismatch, or placeholders
/// that depend on how the server reads quotes, is `InvalidArgument`.
pub(crate) fn bind(
    sql: &str,
    params: &[Param<'_>],
    backslashes: Backslashes,
    escape: &mut dyn FnMut(&[u8], &mut Vec<u8>),
) -> Result<Vec<u8>> {
    let bytes = sql.as_bytes();
    let spots = if params.is_empty() && !sql.contains('?') {
        Vec::new()
    } else {
        placeholders(bytes, backslashes)?
    };
    if spots.len() != params.len() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "the statement has {} placeholder(s) but {} parameter(s) were given",
                spots.len(),
                params.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(bytes.len() + params.len() * 8);
    let mut last = 0;
    for (i, (&at, p)) in spots.iter().zip(params).enumerate() {
        out.extend_from_slice(&bytes[last..at]);
        render(p, i, &mut out, escape)?;
        last = at + 1;
    }
    out.extend_from_slice(&bytes[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_escape(t: &[u8], out: &mut Vec<u8>) {
        for &c in t {
            if c == b'\'' || c == b'\\' {
                out.push(b'\\');
            }
            out.push(c);
        }
    }

    fn b(sql: &str, params: &[Param<'_>]) -> Result<String> {
        bind(sql, params, Backslashes::Escape, &mut naive_escape)
            .map(|v| String::from_utf8(v).unwrap())
    }

    fn count(sql: &str, backslashes: Backslashes) -> usize {
        placeholders(sql.as_bytes(), backslashes).unwrap().len()
    }

    #[test]
    fn placeholders_skip_quotes_and_comments() {
        let e = Backslashes::Escape;
        let sql = "SELECT '?', \"?\", `?`, 'it''s ?', 'a\\'?' -- ?\n, ? # ?\n /* ? */ , ?";
        assert_eq!(count(sql, e), 2);
        assert_eq!(count("SELECT 1--?", e), 1, "-- needs a space");
        assert_eq!(count("SELECT ? -- ?", e), 1);
        assert_eq!(count("SELECT '?", e), 0, "unterminated quote");
        assert_eq!(
            count("SELECT 1 /*! + ? */", e),
            1,
            "executable comments are SQL"
        );
        assert_eq!(count("SELECT 1 /*M!100000 + ? */ /* ? */", e), 1);
    }

    #[test]
    fn placeholders_follow_no_backslash_escapes() {
        // The injection of the issue: with NO_BACKSLASH_ESCAPES, 'x\' ends at its second quote
        // and '?' is a literal; read with escapes, the `?` looks like a placeholder.
        let sql = r"SELECT COUNT(*) FROM h WHERE 1=0 AND 'x\' <> '?'";
        assert!(placeholders(sql.as_bytes(), Backslashes::Literal)
            .unwrap()
            .is_empty());
        assert_eq!(count(sql, Backslashes::Escape), 1);
        let e = placeholders(sql.as_bytes(), Backslashes::Unknown).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        let e = bind(
            sql,
            &[Param::Text(b" OR 1=1 -- ")],
            Backslashes::Literal,
            &mut naive_escape,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        assert_eq!(count(r"SELECT 'a\', ?", Backslashes::Literal), 1);
    }

    #[test]
    fn double_quotes_with_backslashes_are_ambiguous_without_the_sql_mode() {
        // A string unless ANSI_QUOTES, an identifier (no escapes) with it.
        let sql = r#"SELECT "x\" , ?, "?""#;
        let e = placeholders(sql.as_bytes(), Backslashes::Escape).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        assert!(e.message().contains("ANSI_QUOTES"), "{e}");
        // Under NO_BACKSLASH_ESCAPES both readings agree.
        assert_eq!(count(sql, Backslashes::Literal), 1);
        // No backslash: no ambiguity.
        assert_eq!(count(r#"SELECT "a""b", ?"#, Backslashes::Unknown), 1);
    }

    #[test]
    fn renders_each_kind() {
        let s = b(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
            &[
                Param::Null,
                Param::Int(-5),
                Param::UInt(u64::MAX),
                Param::Double(0.1),
                Param::Text(b"it's"),
                Param::Blob(&[0, 0xff]),
            ],
        )
        .unwrap();
        assert_eq!(
            s,
            "INSERT INTO t VALUES (NULL, -5, 18446744073709551615, 1e-1, 'it\\'s', X'00FF')"
        );
        let v: f64 = "1.2345678901234567e-300".parse().unwrap();
        let s = b("?", &[Param::Double(v)]).unwrap();
        assert_eq!(s.parse::<f64>().unwrap(), v);
    }

    #[test]
    fn bad_input_is_invalid_argument() {
        for e in [
            b("SELECT ?", &[]).unwrap_err(),
            b("SELECT 1", &[Param::Int(1)]).unwrap_err(),
            b("SELECT ?", &[Param::Double(f64::NAN)]).unwrap_err(),
            b("SELECT ?", &[Param::Double(f64::INFINITY)]).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        }
    }
}
