//! The committed header's version macros match Cargo.toml (after rustls-ffi's
//! `rustls_header_version.rs`), and every function it declares is in `ffi/symbols.txt`.

use std::collections::BTreeSet;
use std::path::Path;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn define<'a>(header: &'a str, name: &str) -> &'a str {
    let prefix = format!("#define {name} ");
    header
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("the header has no {name}"))
        .trim()
}

#[test]
fn version_macros_match_cargo_toml() {
    let header = read("../include/sharedpool.h");
    assert_eq!(
        define(&header, "SHAREDPOOL_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert_eq!(
        define(&header, "SHAREDPOOL_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_MINOR")
    );
    assert_eq!(
        define(&header, "SHAREDPOOL_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION_PATCH")
    );
    assert_eq!(
        define(&header, "SHAREDPOOL_VERSION"),
        format!("\"{}\"", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn header_functions_are_the_symbol_list() {
    let header = read("../include/sharedpool.h");
    let declared: BTreeSet<String> = header
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with("typedef") && l.contains("sp_"))
        .filter_map(|l| {
            let open = l.find('(')?;
            let name = l[..open].rsplit([' ', '*']).next()?;
            name.starts_with("sp_").then(|| name.to_string())
        })
        .collect();
    let listed: BTreeSet<String> = read("symbols.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    assert_eq!(
        declared, listed,
        "include/sharedpool.h and ffi/symbols.txt differ"
    );
}
