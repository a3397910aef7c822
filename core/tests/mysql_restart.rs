//! A server restart: borrowers get a clear error or a working connection, never a hang, and
//! the pool recovers once the server is back.

mod mysql_common;

use std::time::{Duration, Instant};

use sharedpool::ErrorKind;

use mysql_common::dsn_with;

#[test]
fn pool_recovers_after_a_server_restart() {
    let restart = std::env::var("SHAREDPOOL_TEST_RESTART").unwrap_or_else(|_| {
        panic!("SHAREDPOOL_TEST_RESTART is not set: run through tests/mariadb.sh run")
    });
    let pool = sharedpool::open(
        &dsn_with("max_size=3&pool_name=restart&acquire_timeout_ms=2000&validation_idle_ms=0"),
        &[],
    )
    .unwrap();
    let held: Vec<_> = (0..3).map(|_| pool.acquire().unwrap()).collect();
    drop(held);
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(&restart)
        .status()
        .expect("run the restart command");
    assert!(status.success(), "restart failed");
    // Every call ends within its timeouts; once the server answers, the pool works again.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut failures = Vec::new();
    loop {
        let t = Instant::now();
        match pool.query("SELECT 1", &[]) {
            Ok(r) => {
                assert_eq!(r.get_str(0, 0), Some("1"));
                break;
            }
            Err(e) => {
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::ConnectionLost | ErrorKind::Connect | ErrorKind::Timeout
                    ),
                    "{e}"
                );
                assert!(t.elapsed() < Duration::from_secs(15), "a call hung: {e}");
                failures.push(e.kind());
            }
        }
        assert!(Instant::now() < deadline, "no recovery: {failures:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    for _ in 0..10 {
        pool.query("SELECT 1", &[]).unwrap();
    }
    let stats = pool.stats();
    assert!(stats.created_total >= 2, "{stats:?}");
}
