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

/// Byte offsets of the `?` placeholders in `sql`, outside quotes and comments.
pub(crate) fn placeholders(sql: &[u8]) -> Vec<usize> {
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
                i += 1;
                while i < n {
                    if sql[i] == b'\\' && q != b'`' {
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

/// `sql` with every placeholder replaced by its parameter. A count mismatch is
/// `InvalidArgument`.
pub(crate) fn bind(
    sql: &str,
    params: &[Param<'_>],
    escape: &mut dyn FnMut(&[u8], &mut Vec<u8>),
) -> Result<Vec<u8>> {
    let bytes = sql.as_bytes();
    let spots = if params.is_empty() && !sql.contains('?') {
        Vec::new()
    } else {
        placeholders(bytes)
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
        bind(sql, params, &mut naive_escape).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn placeholders_skip_quotes_and_comments() {
        let sql = "SELECT '?', \"?\", `?`, 'it''s ?', 'a\\'?' -- ?\n, ? # ?\n /* ? */ , ?";
        assert_eq!(placeholders(sql.as_bytes()).len(), 2);
        assert_eq!(placeholders(b"SELECT 1--?").len(), 1, "-- needs a space");
        assert_eq!(placeholders(b"SELECT ? -- ?").len(), 1);
        assert_eq!(placeholders(b"SELECT '?").len(), 0, "unterminated quote");
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
