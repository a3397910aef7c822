//! Connect settings: charset, LOCAL INFILE off, TLS modes, Unix socket and Go DSNs.

mod mysql_common;

use sharedpool::mysql::{Connection, Dsn};
use sharedpool::{ErrorKind, Options};

use mysql_common::{admin, dsn, scalar};

fn connect(dsn: &str, opts: &[(&str, &str)]) -> sharedpool::Result<Connection> {
    let (d, o) = Dsn::parse_with_options(dsn, opts)?;
    Connection::connect(&d, &o)
}

#[test]
fn defaults_charset_and_no_local_infile() {
    let mut c = admin();
    assert_eq!(
        scalar(&mut c, "SELECT @@character_set_client").as_deref(),
        Some("utf8mb4")
    );
    assert_eq!(scalar(&mut c, "SELECT DATABASE()").as_deref(), Some("sp"));
    assert!(c.wait_timeout().is_some());
    c.query("CREATE TEMPORARY TABLE li (a TEXT)", &[]).unwrap();
    let e = c
        .query("LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE li", &[])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    assert_eq!(e.server_errno(), 4166, "local infile is disabled: {e}");
    assert_eq!(
        scalar(&mut c, "SELECT COUNT(*) FROM li").as_deref(),
        Some("0")
    );
    let mut c = connect(&dsn(), &[("charset", "latin1")]).unwrap();
    assert_eq!(
        scalar(&mut c, "SELECT @@character_set_client").as_deref(),
        Some("latin1")
    );
}

/// The session's TLS cipher, empty when not encrypted.
fn cipher(c: &mut Connection) -> String {
    let r = c
        .query("SHOW SESSION STATUS LIKE 'Ssl_cipher'", &[])
        .unwrap();
    r.get_str(0, 1).unwrap_or_default().to_string()
}

#[test]
fn tls_modes_against_the_test_server() {
    let ca = std::env::var("SHAREDPOOL_TEST_TLS_CA").ok();
    let tls = |mode: &str, ca: Option<&str>| {
        let mut o = vec![("tls", mode)];
        if let Some(ca) = ca {
            o.push(("tls_ca", ca));
        }
        connect(&dsn(), &o)
    };
    let mut c = tls("disabled", None).unwrap();
    assert_eq!(cipher(&mut c), "", "tls=disabled is plain text");
    let mut c = tls("preferred", None).unwrap();
    match &ca {
        None => {
            // A server without TLS (the default throwaway one).
            assert_eq!(cipher(&mut c), "");
            let e = tls("required", None).map(|_| ()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
            assert!(e.message().contains("tls=required"), "{e}");
            let e = tls("verify-identity", None).map(|_| ()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
        }
        Some(ca) => {
            // SHAREDPOOL_TEST_TLS=1: the server has a certificate from a throwaway CA.
            assert_ne!(cipher(&mut c), "", "tls=preferred uses TLS when offered");
            // `required` and go-sql-driver's `skip-verify` encrypt without checking.
            for mode in ["required", "skip-verify"] {
                let mut c = tls(mode, None).unwrap_or_else(|e| panic!("{mode}: {e}"));
                assert_ne!(cipher(&mut c), "", "{mode}");
            }
            let other = std::env::var("SHAREDPOOL_TEST_TLS_OTHER_CA").expect("the other CA");
            // Names registered as go-sql-driver's RegisterTLSConfig: verify-identity with files.
            sharedpool::mysql::register_tls("test-ca", Some(ca), None, None).unwrap();
            sharedpool::mysql::register_tls("other-ca", Some(&other), None, None).unwrap();
            let mut c = connect(&format!("{}?tls=test-ca", dsn()), &[]).unwrap();
            assert_ne!(cipher(&mut c), "", "tls=<registered name>");
            let e = connect(&format!("{}?tls=other-ca", dsn()), &[])
                .map(|_| ())
                .unwrap_err();
            assert_eq!(
                e.kind(),
                ErrorKind::Connect,
                "registered with the wrong CA: {e}"
            );
            // `true` (go-sql-driver's, and `on`) verifies: never a silent downgrade.
            for mode in ["verify-ca", "verify-identity", "true", "on"] {
                let e = tls(mode, Some(&other)).map(|_| ()).unwrap_err();
                assert_eq!(
                    e.kind(),
                    ErrorKind::Connect,
                    "{mode} with the wrong CA: {e}"
                );
                let mut c = tls(mode, Some(ca)).unwrap_or_else(|e| panic!("{mode}: {e}"));
                assert_ne!(cipher(&mut c), "", "{mode}");
                let e = tls(mode, None).map(|_| ()).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Connect, "{mode} without the CA: {e}");
            }
        }
    }
}

#[test]
fn go_dsn_unix_socket_and_unreachable_server() {
    let d = Dsn::parse(&dsn()).unwrap();
    let (host, port) = match &d.address {
        sharedpool::mysql::Address::Tcp { host, port } => (host.clone(), *port),
        _ => panic!("the test DSN is TCP"),
    };
    let go = format!("sp:sp-secret@tcp({host}:{port})/sp?charset=utf8mb4");
    let mut c = connect(&go, &[]).unwrap();
    assert_eq!(
        scalar(&mut c, "SELECT CURRENT_USER()").as_deref(),
        Some("sp@127.0.0.1")
    );
    let socket = std::env::var("SHAREDPOOL_TEST_SOCKET").expect("SHAREDPOOL_TEST_SOCKET");
    let mut c = connect(&format!("sp:sp-secret@unix({socket})/sp"), &[]).unwrap();
    assert_eq!(
        scalar(&mut c, "SELECT CURRENT_USER()").as_deref(),
        Some("sp@localhost")
    );
    let mut c = connect(
        &format!("mysql://sp:sp-secret@localhost/sp?socket={socket}"),
        &[],
    )
    .unwrap();
    assert_eq!(scalar(&mut c, "SELECT DATABASE()").as_deref(), Some("sp"));
    // Nothing listens on port 1: a Connect error, quickly.
    let e = connect(
        "mysql://sp:sp-secret@127.0.0.1:1/sp",
        &[("connect_timeout_ms", "2000")],
    )
    .map(|_| ())
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(!e.message().contains("sp-secret"));
    let _ = Options::default();
}

#[test]
fn idle_timeout_and_max_lifetime_stay_below_wait_timeout() {
    let pool = sharedpool::open(
        &mysql_common::dsn_with("pool_name=wait_timeout&idle_timeout_ms=0"),
        &[("init_sql", "SET SESSION wait_timeout = 60")],
    )
    .unwrap();
    let cfg = pool.config();
    assert_eq!(
        cfg.idle_timeout,
        std::time::Duration::from_secs(54),
        "{cfg:?}"
    );
    assert_eq!(
        cfg.max_lifetime,
        std::time::Duration::from_secs(54),
        "{cfg:?}"
    );
    let mut c = pool.acquire().unwrap();
    assert_eq!(
        scalar(&mut c, "SELECT @@wait_timeout").as_deref(),
        Some("60")
    );
    // A second open with the same options agrees with the live pool (no conflict).
    let again = sharedpool::open(
        &mysql_common::dsn_with("pool_name=wait_timeout&idle_timeout_ms=0"),
        &[("init_sql", "SET SESSION wait_timeout = 60")],
    )
    .unwrap();
    assert_eq!(again.stats().refs, 2);
}

#[test]
fn init_sql_runs_and_may_not_change_the_charset() {
    let mut c = connect(&dsn(), &[("init_sql", "SET @from_init = 'yes'")]).unwrap();
    assert_eq!(scalar(&mut c, "SELECT @from_init").as_deref(), Some("yes"));
    let e = connect(&dsn(), &[("init_sql", "SET NAMES latin1")])
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidOption, "{e}");
    let e = connect(&dsn(), &[("init_sql", "SELEKT")])
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.server_errno(), 1064, "{e}");
    assert!(e.message().contains("init_sql"), "{e}");
    let mut c = connect(&dsn(), &[("charset", "utf8")]).unwrap();
    assert_eq!(scalar(&mut c, "SELECT 'ok'").as_deref(), Some("ok"));
}
