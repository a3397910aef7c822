//! Named TLS settings, as go-sql-driver's `RegisterTLSConfig`: registered once by the program,
//! then named by DSNs (`tls=internal-ca`). A name stands for `verify-identity` with its
//! certificate files.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use crate::{Error, ErrorKind, Result, TlsMode};

/// The certificate files of a registered name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TlsFiles {
    pub ca: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
}

static NAMES: LazyLock<Mutex<HashMap<String, TlsFiles>>> = LazyLock::new(Default::default);

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

/// Registers (or replaces) `name` for `tls=name`: verify-identity with these files (`None`:
/// the client library's default). Pools already open keep what they were opened with. Names
/// are letters, digits, `-` and `_`, and not a TLS mode; each file must be readable.
pub fn register_tls(
    name: &str,
    ca: Option<&str>,
    cert: Option<&str>,
    key: Option<&str>,
) -> Result<()> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(invalid(format!(
            "TLS config name {name:?}: use letters, digits, '-' and '_'"
        )));
    }
    if TlsMode::parse(name).is_some() {
        return Err(invalid(format!(
            "TLS config name {name:?} is a TLS mode; choose another"
        )));
    }
    if cert.is_some() != key.is_some() {
        return Err(invalid(format!(
            "TLS config {name}: a client certificate needs its key, and a key its certificate"
        )));
    }
    for (what, path) in [("CA", ca), ("certificate", cert), ("key", key)] {
        if let Some(p) = path {
            std::fs::File::open(p)
                .map_err(|e| invalid(format!("TLS config {name}: {what} file {p:?}: {e}")))?;
        }
    }
    let files = TlsFiles {
        ca: ca.map(str::to_string),
        cert: cert.map(str::to_string),
        key: key.map(str::to_string),
    };
    NAMES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(name.to_string(), files);
    Ok(())
}

/// The files registered for `name`, if any.
pub(crate) fn lookup(name: &str) -> Option<TlsFiles> {
    NAMES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(name)
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for bad in ["", "has space", "true", "verify-ca", "a/b"] {
            let e = register_tls(bad, None, None, None).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
        let e = register_tls("x", Some("/no/such/ca.pem"), None, None).unwrap_err();
        assert!(e.message().contains("/no/such/ca.pem"), "{e}");
        let e = register_tls("x", None, Some("Cargo.toml"), None).unwrap_err();
        assert!(e.message().contains("needs its key"), "{e}");
        register_tls("unit-test_cfg", Some("Cargo.toml"), None, None).unwrap();
        assert_eq!(
            lookup("unit-test_cfg").unwrap().ca.as_deref(),
            Some("Cargo.toml")
        );
        assert!(lookup("never-registered").is_none());
    }
}
