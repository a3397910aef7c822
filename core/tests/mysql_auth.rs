//! A wrong password fails at once with an Auth error and never rides on a live pool.

mod mysql_common;

use sharedpool::ErrorKind;

use mysql_common::dsn_with;

fn with_password(dsn: &str, password: &str) -> String {
    let (head, tail) = dsn.split_once("@").expect("user:pass@ in the test DSN");
    let user = head.rsplit_once(':').expect("a password in the test DSN").0;
    format!("{user}:{password}@{tail}")
}

#[test]
fn wrong_password_is_auth_and_never_joins_the_right_pool() {
    let right = dsn_with("pool_name=auth&acquire_timeout_ms=60000");
    let good = sharedpool::open(&right, &[]).expect("right password opens");
    good.query("SELECT 1", &[]).unwrap();
    let wrong = with_password(&right, "not-the-password");
    let started = std::time::Instant::now();
    let e = match sharedpool::open(&wrong, &[]) {
        Err(e) => e,
        Ok(pool) => pool.query("SELECT 1", &[]).unwrap_err(),
    };
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert_eq!(e.server_errno(), 1045, "{e}");
    assert!(!e.to_string().contains("not-the-password"), "{e}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "reported at once, not after the 60 s acquire timeout"
    );
    assert_eq!(
        good.stats().refs,
        1,
        "the wrong password did not join the live pool"
    );
    let metrics = sharedpool::metrics_text();
    assert!(
        metrics.contains("#auth"),
        "the live pool's label is listed: {metrics}"
    );
    assert!(!metrics.contains("not-the-password") && !metrics.contains("sp-secret"));
    // Same again with the pool already live under the right key: still rejected.
    let e = sharedpool::open(&wrong, &[]).map(|_| ()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    good.query("SELECT 1", &[]).unwrap();
}

#[test]
fn bad_dsn_and_options_are_clear_errors() {
    let e = sharedpool::open("mysql://sp:hunter2@127.0.0.1:notaport/sp", &[])
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidDsn);
    assert!(!e.message().contains("hunter2"));
    let e = sharedpool::open(&dsn_with("max_sise=4"), &[])
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidOption);
    assert!(e.message().contains("max_sise"));
    let e = sharedpool::open(&mysql_common::dsn(), &[("read_timeout_ms", "0")])
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidOption);
}
