//! Streaming rows: read on demand, the connection busy while they are open, errors met
//! mid-stream reported, early close drains a short remainder and gives up a long one.

mod mysql_common;

use sharedpool::mysql::stream::{DRAIN_BYTES, DRAIN_ROWS};
use sharedpool::mysql::{CloseOutcome, Param};
use sharedpool::{ErrorKind, MysqlPool};

use mysql_common::{admin, dsn_with, scalar};

fn single(name: &str) -> MysqlPool {
    sharedpool::open(&dsn_with(&format!("max_size=1&pool_name={name}")), &[]).expect("open")
}

fn conn_id(pool: &MysqlPool) -> String {
    let mut c = pool.acquire().unwrap();
    let r = c.query("SELECT CONNECTION_ID()", &[]).unwrap();
    r.get_str(0, 0).unwrap().to_string()
}

#[test]
fn rows_stream_with_columns_and_match_the_buffered_result() {
    let pool = single("stream_match");
    let mut c = pool.acquire().unwrap();
    let sql = "SELECT seq, IF(seq % 7 = 0, NULL, REPEAT('x', seq % 5)) AS s FROM seq_1_to_20000 \
               WHERE seq > ?";
    let buffered = c.query(sql, &[Param::Int(10)]).unwrap();
    let mut rows = c.query_stream(sql, &[Param::Int(10)]).unwrap();
    let names: Vec<_> = rows.columns().iter().map(|c| c.name.clone()).collect();
    assert_eq!(names, ["seq", "s"]);
    let mut n = 0;
    while let Some(row) = rows.next().unwrap() {
        assert_eq!(row.len(), 2);
        assert_eq!(row.get(0), buffered.get(n, 0), "row {n}");
        assert_eq!(row.get(1), buffered.get(n, 1), "row {n}");
        assert_eq!(row.get(2), None);
        n += 1;
    }
    assert_eq!(n, buffered.row_count());
    assert_eq!(n, 19990);
    let st = rows.stats();
    assert_eq!(st.rows, 19990);
    assert!(st.max_row_bytes <= 9, "{st:?}");
    assert!(rows.next().unwrap().is_none(), "after the end: None again");
    drop(rows);
    assert!(!c.is_streaming(), "the end frees the connection");
    assert_eq!(scalar(&mut c, "SELECT 1").as_deref(), Some("1"));
}

#[test]
fn a_busy_connection_refuses_other_statements_until_the_stream_ends() {
    let pool = single("stream_busy");
    let mut c = pool.acquire().unwrap();
    c.start_stream("SELECT seq FROM seq_1_to_100", &[]).unwrap();
    assert!(c.is_streaming());
    let e = c.query("SELECT 1", &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("busy"), "{e}");
    let e = c.start_stream("SELECT 1", &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let mut n = 0;
    while c.stream_next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 100);
    assert_eq!(scalar(&mut c, "SELECT 2").as_deref(), Some("2"));
}

#[test]
fn statements_without_rows_give_an_ended_stream_with_counts() {
    let pool = single("stream_exec");
    let mut c = pool.acquire().unwrap();
    c.query("CREATE TEMPORARY TABLE st (a INT)", &[]).unwrap();
    c.start_stream("INSERT INTO st VALUES (1), (2), (3)", &[])
        .unwrap();
    assert!(!c.is_streaming());
    assert!(c.stream_columns().is_empty());
    assert!(c.stream_next().unwrap().is_none());
    assert_eq!(c.stream_counts().0, 3);
}

#[test]
fn an_error_mid_stream_comes_after_the_rows_before_it() {
    let pool = single("stream_error");
    let mut c = pool.acquire().unwrap();
    // The subquery fails (more than one row) only when seq reaches 5000.
    let mut rows = c
        .query_stream(
            "SELECT seq, IF(seq = 5000, (SELECT 1 UNION SELECT 2), seq) FROM seq_1_to_10000",
            &[],
        )
        .unwrap();
    let mut n = 0;
    let err = loop {
        match rows.next() {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("the stream ended without the error after {n} rows"),
            Err(e) => break e,
        }
    };
    assert!(n > 0 && n < 5000, "{n} rows before the error");
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.server_errno(), 1242, "{err}");
    drop(rows);
    assert!(!c.is_streaming());
    assert!(!c.is_broken(), "a server error mid-stream is not fatal");
    assert_eq!(scalar(&mut c, "SELECT 3").as_deref(), Some("3"));
}

#[test]
fn rows_arrive_while_the_statement_still_runs() {
    let pool = single("stream_early");
    let mut c = pool.acquire().unwrap();
    let id = c.connection_id();
    let mut rows = c
        .query_stream(
            // The server flushes its 16 KiB network buffer as rows fill it, long before the
            // last row, which sleeps. (MariaDB materializes a UNION, so no UNION here.)
            "SELECT seq, IF(seq = 20000, SLEEP(3), 0) AS a FROM seq_1_to_20000",
            &[],
        )
        .unwrap();
    let first = rows.next().unwrap().unwrap().get(0).map(<[u8]>::to_vec);
    assert_eq!(first.as_deref(), Some(&b"1"[..]));
    assert!(rows.stats().rows == 1);
    // The first row is in hand: the server is still running the statement (in its SLEEP).
    let mut a = admin();
    let r = a.query("SHOW FULL PROCESSLIST", &[]).unwrap();
    let running = (0..r.row_count()).find(|&i| r.get_str(i, 0) == Some(&id.to_string()));
    let info = running.and_then(|i| r.get_str(i, 7)).unwrap_or_default();
    assert!(info.contains("SLEEP(3)"), "statement not running: {info:?}");
    let mut n = 1;
    while rows.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 20000);
}

#[test]
fn early_close_drains_a_short_remainder_and_keeps_the_connection() {
    let pool = single("stream_drain");
    let before = conn_id(&pool);
    {
        let mut c = pool.acquire().unwrap();
        let mut rows = c.query_stream("SELECT seq FROM seq_1_to_200", &[]).unwrap();
        for _ in 0..10 {
            rows.next().unwrap().unwrap();
        }
        assert_eq!(rows.close(), CloseOutcome::Drained { rows: 190 });
        assert!(!c.is_broken());
        assert_eq!(scalar(&mut c, "SELECT 4").as_deref(), Some("4"));
    }
    {
        // Returned to the pool with rows open: the pool's reset drains them.
        let mut c = pool.acquire().unwrap();
        c.start_stream("SELECT seq FROM seq_1_to_50", &[]).unwrap();
        c.stream_next().unwrap().unwrap();
    }
    assert_eq!(conn_id(&pool), before, "the same connection is reused");
}

#[test]
fn early_close_gives_up_a_long_remainder_and_the_pool_discards_the_connection() {
    let pool = single("stream_abandon");
    let before = conn_id(&pool);
    let closed = pool.stats().closed_total;
    {
        let mut c = pool.acquire().unwrap();
        let mut rows = c
            .query_stream("SELECT seq, REPEAT('x', 100) FROM seq_1_to_5000000", &[])
            .unwrap();
        for _ in 0..100 {
            rows.next().unwrap().unwrap();
        }
        assert_eq!(rows.close(), CloseOutcome::Abandoned);
        let st = c.stream_stats();
        assert!(
            st.rows <= 100 + DRAIN_ROWS && st.bytes <= 100 * 107 + DRAIN_BYTES + 107,
            "read too much before giving up: {st:?}"
        );
        assert!(c.is_broken());
        let e = c.query("SELECT 1", &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionLost);
    }
    assert_ne!(
        conn_id(&pool),
        before,
        "a new connection replaced the broken one"
    );
    assert_eq!(pool.stats().closed_total, closed + 1);
}

#[test]
fn a_long_stream_left_open_at_release_is_given_up() {
    let pool = single("stream_release");
    let before = conn_id(&pool);
    {
        let mut c = pool.acquire().unwrap();
        c.start_stream("SELECT seq FROM seq_1_to_5000000", &[])
            .unwrap();
        c.stream_next().unwrap().unwrap();
    }
    assert_ne!(conn_id(&pool), before);
}

#[test]
fn concurrent_streams_on_several_connections_stay_apart() {
    let pool =
        sharedpool::open(&dsn_with("max_size=4&pool_name=stream_concurrent"), &[]).expect("open");
    let pool = &pool;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4u64)
            .map(|t| {
                s.spawn(move || {
                    let mut c = pool.acquire().unwrap();
                    let sql = format!("SELECT seq, seq * {} FROM seq_1_to_200000", t + 1);
                    let mut rows = c.query_stream(&sql, &[]).unwrap();
                    let mut n = 0u64;
                    while let Some(row) = rows.next().unwrap() {
                        n += 1;
                        let v: u64 = std::str::from_utf8(row.get(1).unwrap())
                            .unwrap()
                            .parse()
                            .unwrap();
                        assert_eq!(v, n * (t + 1), "thread {t} row {n}");
                    }
                    n
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 200000);
        }
    });
}

#[test]
fn a_connection_killed_mid_stream_ends_the_rows_with_an_error_and_breaks_it() {
    let pool = single("stream_killed");
    let mut c = pool.acquire().unwrap();
    let id = c.connection_id();
    let mut rows = c
        .query_stream("SELECT seq, REPEAT('x', 100) FROM seq_1_to_5000000", &[])
        .unwrap();
    for _ in 0..10 {
        rows.next().unwrap().unwrap();
    }
    admin().query(&format!("KILL {id}"), &[]).unwrap();
    let mut n = 10u64;
    let err = loop {
        match rows.next() {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("all {n} rows arrived despite the KILL"),
            Err(e) => break e,
        }
    };
    assert!(n < 5_000_000);
    assert!(
        matches!(err.kind(), ErrorKind::ConnectionLost | ErrorKind::Server),
        "{err}"
    );
    drop(rows);
    assert!(c.is_broken(), "a killed connection is broken: {err}");
}
