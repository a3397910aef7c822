//! `statement_timeout_ms`: a statement past its deadline is stopped on the server and its caller
//! gets a timeout, also when the server stops answering; statements within it are untouched.
//! One scenario at a time (they share the server, and one stops it).

mod mysql_common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sharedpool::ErrorKind;

use mysql_common::{admin, dsn_with, scalar, signal, Resume};

static SERVER: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERVER.lock().unwrap_or_else(|e| e.into_inner())
}

/// Statements of user `sp` the server is running whose text contains `needle`.
fn running(needle: &str) -> usize {
    let mut a = admin();
    let me = a.connection_id();
    let r = a.query("SHOW FULL PROCESSLIST", &[]).unwrap();
    let col = |name: &str| {
        r.columns()
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
            .unwrap()
    };
    let (id, info) = (col("Id"), col("Info"));
    (0..r.row_count())
        .filter(|&row| r.get_str(row, id) != Some(me.to_string().as_str()))
        .filter(|&row| r.get_str(row, info).is_some_and(|i| i.contains(needle)))
        .count()
}

#[test]
fn a_statement_past_its_deadline_is_killed_and_the_pool_goes_on() {
    let _s = serial();
    let pool = sharedpool::open(
        &dsn_with("pool_name=st_kill&max_size=2&statement_timeout_ms=200"),
        &[],
    )
    .unwrap();
    let t = Instant::now();
    let err = pool
        .query("SELECT SLEEP(10) /* st_kill */", &[])
        .unwrap_err();
    let took = t.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("statement_timeout_ms"), "{err}");
    assert!(err.to_string().contains("KILL QUERY"), "{err}");
    assert!(
        took >= Duration::from_millis(200),
        "ended before its deadline: {took:?}"
    );
    assert!(
        took < Duration::from_secs(3),
        "took {took:?} for a 200 ms deadline"
    );
    assert_eq!(
        running("st_kill"),
        0,
        "the statement still runs on the server"
    );
    // The connection was discarded; the next borrower gets a working one.
    let r = pool.query("SELECT 1", &[]).unwrap();
    assert_eq!(r.get_str(0, 0), Some("1"));
    assert!(pool.stats().closed_broken_total >= 1);
}

#[test]
fn statements_within_the_deadline_are_untouched() {
    let _s = serial();
    let pool = sharedpool::open(
        &dsn_with("pool_name=st_fast&max_size=1&statement_timeout_ms=300"),
        &[],
    )
    .unwrap();
    let mut c = pool.acquire().unwrap();
    let id = c.connection_id();
    for _ in 0..200 {
        assert_eq!(scalar(&mut c, "SELECT 1").as_deref(), Some("1"));
    }
    assert_eq!(scalar(&mut c, "SELECT SLEEP(0.1)").as_deref(), Some("0"));
    // Past every deadline of the statements above: no late kill reaches this one.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(scalar(&mut c, "SELECT SLEEP(0.1)").as_deref(), Some("0"));
    drop(c);
    assert_eq!(
        pool.acquire().unwrap().connection_id(),
        id,
        "the connection was reused"
    );
    assert_eq!(pool.stats().created_total, 1);
}

#[test]
fn the_deadline_holds_when_the_server_stops_answering() {
    let _s = serial();
    let pool = sharedpool::open(
        &dsn_with(
            "pool_name=st_stop&max_size=2&statement_timeout_ms=300&read_timeout_ms=30000\
             &connect_timeout_ms=1000",
        ),
        &[],
    )
    .unwrap();
    let mut c = pool.acquire().unwrap();
    let stopper = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(100));
        signal(libc::SIGSTOP);
        Resume
    });
    let t = Instant::now();
    let err = c.query("SELECT SLEEP(5)", &[]).unwrap_err();
    let took = t.elapsed();
    let resume = stopper.join().unwrap();
    drop(resume); // SIGCONT
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("shut down"), "{err}");
    // 300 ms + a control connect of at most 1 s + the 500 ms grace, far from read_timeout.
    assert!(took < Duration::from_secs(5), "took {took:?}");
    drop(c);
    assert_eq!(
        pool.query("SELECT 2", &[]).unwrap().get_str(0, 0),
        Some("2")
    );
}

#[test]
fn a_bad_value_is_a_clear_error() {
    let err = sharedpool::open(&dsn_with("statement_timeout_ms=soon"), &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidOption);
    assert!(err.to_string().contains("statement_timeout_ms"), "{err}");
}
