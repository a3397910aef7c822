//! Deadlines and cancellation while rows stream: a stream is watched from its statement's
//! start until its rows end or are closed. A deadline or cancel mid-stream stops the statement
//! on the server and the next row read gives the timeout / cancel error (not a lost
//! connection), the connection is discarded; a stream that ends in time is never killed late.
//! One scenario at a time (they time kills on a shared server).

mod mysql_common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sharedpool::mysql::CloseOutcome;
use sharedpool::{CancelToken, ErrorKind, MysqlPool};

use mysql_common::{admin, dsn_with, scalar};

static SERVER: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERVER.lock().unwrap_or_else(|e| e.into_inner())
}

fn pool(query: &str) -> MysqlPool {
    sharedpool::open(&dsn_with(query), &[]).expect("open")
}

/// 20 000 rows, the last one after a server-side SLEEP(10): the first rows reach the caller
/// (the server flushes its network buffer as rows fill it) while the statement still runs.
fn slow_tail(tag: &str) -> String {
    format!("SELECT seq, IF(seq = 20000, SLEEP(10), 0) AS a FROM seq_1_to_20000 /* {tag} */")
}

/// Statements the server runs whose text contains `needle`, waiting up to 2 s for none.
fn still_running(needle: &str) -> usize {
    let until = Instant::now() + Duration::from_secs(2);
    loop {
        let mut a = admin();
        let me = a.connection_id().to_string();
        let r = a.query("SHOW FULL PROCESSLIST", &[]).unwrap();
        let n = (0..r.row_count())
            .filter(|&i| r.get_str(i, 0) != Some(me.as_str()))
            .filter(|&i| r.get_str(i, 7).is_some_and(|s| s.contains(needle)))
            .count();
        if n == 0 || Instant::now() >= until {
            return n;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_deadline_passing_mid_stream_stops_it_with_a_timeout() {
    let _s = serial();
    let pool = pool("pool_name=sd_mid&max_size=1");
    let mut c = pool.acquire().unwrap();
    let t = Instant::now();
    let deadline = t + Duration::from_millis(500);
    let mut rows = c
        .query_stream_until(&slow_tail("sd_mid"), &[], Some(deadline), None)
        .unwrap();
    let first = rows.next().unwrap().unwrap().get(0).map(<[u8]>::to_vec);
    assert_eq!(first.as_deref(), Some(&b"1"[..]));
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "no row before the deadline"
    );
    let mut n = 1u64;
    let err = loop {
        match rows.next() {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("the stream ended although its deadline passed in a SLEEP(10)"),
            Err(e) => break e,
        }
    };
    let took = t.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.message().contains("deadline"), "{err}");
    assert!(err.message().contains("KILL QUERY"), "{err}");
    assert!(
        n < 20000,
        "the row after the kill was handed out ({n} rows)"
    );
    assert!(took >= Duration::from_millis(500), "ended early: {took:?}");
    assert!(
        took < Duration::from_secs(3),
        "took {took:?} for a 500 ms deadline"
    );
    // After the error: the stream is over, the connection refuses statements.
    assert!(rows.next().unwrap().is_none());
    drop(rows);
    assert!(c.is_broken());
    assert_eq!(
        c.query("SELECT 1", &[]).unwrap_err().kind(),
        ErrorKind::ConnectionLost
    );
    drop(c);
    assert_eq!(
        still_running("sd_mid"),
        0,
        "the statement still runs on the server"
    );
    let mut c = pool.acquire().unwrap();
    assert_eq!(scalar(&mut c, "SELECT 2").as_deref(), Some("2"));
    assert!(pool.stats().closed_broken_total >= 1);
}

#[test]
fn a_cancel_mid_stream_stops_it() {
    let _s = serial();
    let pool = pool("pool_name=sd_cancel&max_size=1");
    let mut c = pool.acquire().unwrap();
    let token = CancelToken::new();
    let mut rows = c
        .query_stream_until(&slow_tail("sd_cancel"), &[], None, Some(&token))
        .unwrap();
    assert!(rows.next().unwrap().is_some());
    let t = Instant::now();
    let trigger = std::thread::spawn({
        let token = token.clone();
        move || {
            std::thread::sleep(Duration::from_millis(300));
            token.cancel();
        }
    });
    let err = loop {
        match rows.next() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the stream ended although cancelled in a SLEEP(10)"),
            Err(e) => break e,
        }
    };
    trigger.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    assert!(err.message().contains("cancelled"), "{err}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    drop(rows);
    assert!(c.is_broken());
    drop(c);
    assert_eq!(still_running("sd_cancel"), 0);
    // A token cancelled before the call: nothing is sent, the connection stays usable.
    let mut c = pool.acquire().unwrap();
    let id = c.connection_id();
    let err = c
        .query_stream_until("SELECT 1", &[], None, Some(&token))
        .err()
        .expect("a cancelled token starts no stream");
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(!c.is_broken() && !c.is_streaming());
    assert_eq!(scalar(&mut c, "SELECT 3").as_deref(), Some("3"));
    assert_eq!(c.connection_id(), id);
}

#[test]
fn a_stream_that_ends_in_time_is_not_killed_later() {
    let _s = serial();
    let pool = pool("pool_name=sd_fast&max_size=1&statement_timeout_ms=300");
    let mut c = pool.acquire().unwrap();
    let id = c.connection_id();
    let token = CancelToken::new();
    let deadline = Instant::now() + Duration::from_millis(300);
    let mut rows = c
        .query_stream_until(
            "SELECT seq FROM seq_1_to_5000",
            &[],
            Some(deadline),
            Some(&token),
        )
        .unwrap();
    let mut n = 0;
    while rows.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 5000);
    drop(rows);
    // Closed early, drained, within the deadline.
    let mut rows = c.query_stream("SELECT seq FROM seq_1_to_100", &[]).unwrap();
    assert!(rows.next().unwrap().is_some());
    assert_eq!(rows.close(), CloseOutcome::Drained { rows: 99 });
    // Past both deadlines, and the token triggered after the stream ended: no late kill.
    std::thread::sleep(Duration::from_millis(450));
    token.cancel();
    assert!(!c.is_broken());
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
fn statement_timeout_covers_the_whole_stream() {
    let _s = serial();
    let pool = pool("pool_name=sd_st&max_size=1&statement_timeout_ms=300");
    // A server-side wait mid-stream.
    let mut c = pool.acquire().unwrap();
    let t = Instant::now();
    let mut rows = c.query_stream(&slow_tail("sd_st"), &[]).unwrap();
    let err = loop {
        match rows.next() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the stream ended although past statement_timeout_ms"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.message().contains("statement_timeout_ms"), "{err}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    drop(rows);
    drop(c);
    assert_eq!(still_running("sd_st"), 0);

    // A slow reader: the rows are there, but the caller holds the stream past the timeout.
    let mut c = pool.acquire().unwrap();
    let mut rows = c
        .query_stream("SELECT seq FROM seq_1_to_100000 /* sd_slow */", &[])
        .unwrap();
    assert!(rows.next().unwrap().is_some());
    std::thread::sleep(Duration::from_millis(400));
    let t = Instant::now();
    let err = rows
        .next()
        .err()
        .expect("a row handed out past statement_timeout_ms");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "took {:?}",
        t.elapsed()
    );
    drop(rows);
    drop(c);
    assert_eq!(still_running("sd_slow"), 0);

    // Closed (not read) past the timeout: given up, not drained.
    let mut c = pool.acquire().unwrap();
    let mut rows = c.query_stream("SELECT seq FROM seq_1_to_100", &[]).unwrap();
    assert!(rows.next().unwrap().is_some());
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(rows.close(), CloseOutcome::Abandoned);
    assert!(c.is_broken());
    drop(c);
    let mut c = pool.acquire().unwrap();
    assert_eq!(scalar(&mut c, "SELECT 5").as_deref(), Some("5"));
}
