//! Placeholders are found the way the server reads quotes: `NO_BACKSLASH_ESCAPES` set per session
//! or globally, `ANSI_QUOTES`. One test in its own binary: it changes the global `sql_mode`.

mod mysql_common;

use sharedpool::mysql::{Connection, Param};
use sharedpool::ErrorKind;

use mysql_common::{admin, scalar};

/// The statement of the injection found: with `NO_BACKSLASH_ESCAPES`, `'x\'` is a whole literal
/// and `'?'` another; a scanner that reads `\'` as an escape takes that `?` as a placeholder.
const TRAP: &str = r"SELECT COUNT(*) FROM h WHERE 1=0 AND 'x\' <> '?'";
const PAYLOAD: &[u8] = b" OR 1=1 -- ";

fn check_no_backslash_escapes(c: &mut Connection, how: &str) {
    c.query("CREATE TEMPORARY TABLE h (a INT)", &[]).unwrap();
    c.query("INSERT INTO h VALUES (1), (2)", &[]).unwrap();
    // No placeholder in TRAP: a parameter for it is a count mismatch, never spliced in.
    let e = c
        .query(TRAP, &[Param::Text(PAYLOAD)])
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{how}: {e}");
    assert_eq!(
        c.query(TRAP, &[]).unwrap().get_str(0, 0),
        Some("0"),
        "{how}"
    );
    // A real placeholder after such a literal still binds, and escaping follows the mode.
    let r = c
        .query(r"SELECT 'x\', ?", &[Param::Text(br"it's \ here")])
        .unwrap();
    assert_eq!(r.get(0, 0), Some(&br"x\"[..]), "{how}");
    assert_eq!(r.get(0, 1), Some(&br"it's \ here"[..]), "{how}");
    c.query("DROP TEMPORARY TABLE h", &[]).unwrap();
}

#[test]
fn placeholders_follow_the_sessions_sql_mode() {
    let mut c = admin();
    c.query("SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'", &[])
        .unwrap();
    check_no_backslash_escapes(&mut c, "session");

    // ANSI_QUOTES: "x\" is an identifier ending at its second quote. Not visible to the client,
    // so a statement whose placeholders depend on it is refused.
    c.query("SET SESSION sql_mode = 'ANSI_QUOTES'", &[])
        .unwrap();
    let e = c
        .query(r#"SELECT 1 AS "x\", ? AS "?""#, &[Param::Int(1)])
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let r = c.query(r#"SELECT ? AS "a""b""#, &[Param::Int(7)]).unwrap();
    assert_eq!(r.get_str(0, 0), Some("7"));

    // Set globally: new sessions start in the mode and are scanned accordingly.
    let before = scalar(&mut c, "SELECT @@GLOBAL.sql_mode").unwrap_or_default();
    c.query("SET GLOBAL sql_mode = 'NO_BACKSLASH_ESCAPES'", &[])
        .unwrap();
    let fresh = std::panic::catch_unwind(|| {
        let mut n = admin();
        assert_eq!(
            scalar(&mut n, "SELECT @@SESSION.sql_mode").as_deref(),
            Some("NO_BACKSLASH_ESCAPES")
        );
        check_no_backslash_escapes(&mut n, "global");
    });
    c.query("SET GLOBAL sql_mode = ?", &[Param::Text(before.as_bytes())])
        .unwrap();
    if let Err(p) = fresh {
        std::panic::resume_unwind(p);
    }
}
