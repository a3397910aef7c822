//! DSN parameters that shape the session, against the real server: go-sql-driver's
//! `clientFoundRows`, `rejectReadOnly`, `maxAllowedPacket`, `collation`, and session variables,
//! which hold on every connection and come back after a reset.

mod mysql_common;

use sharedpool::mysql::Param;

use mysql_common::dsn_with;

#[test]
fn client_found_rows_counts_matched_rows() {
    for (flag, want) in [("false", 0), ("true", 1)] {
        let pool = sharedpool::open(
            &dsn_with(&format!("clientFoundRows={flag}&pool_name=cfr{flag}")),
            &[],
        )
        .unwrap();
        let mut c = pool.acquire().unwrap();
        c.query("CREATE TEMPORARY TABLE cfr (a INT)", &[]).unwrap();
        c.query("INSERT INTO cfr VALUES (1)", &[]).unwrap();
        // The row matches but does not change.
        let r = c.query("UPDATE cfr SET a = 1", &[]).unwrap();
        assert_eq!(r.affected_rows(), want, "clientFoundRows={flag}");
        c.discard();
    }
}

#[test]
fn session_variables_hold_on_every_connection_and_after_a_reset() {
    let pool = sharedpool::open(
        &dsn_with(
            "time_zone=%27%2B03%3A00%27&sql_mode=%27ANSI_QUOTES%27&collation=utf8mb4_unicode_ci\
             &max_size=2&pool_name=vars",
        ),
        &[],
    )
    .unwrap();
    let check = |c: &mut sharedpool::MysqlPooled| {
        let r = c
            .query(
                "SELECT @@SESSION.time_zone, @@SESSION.sql_mode, @@SESSION.collation_connection",
                &[],
            )
            .unwrap();
        assert_eq!(r.get_str(0, 0), Some("+03:00"));
        assert_eq!(r.get_str(0, 1), Some("ANSI_QUOTES"));
        assert_eq!(r.get_str(0, 2), Some("utf8mb4_unicode_ci"));
    };
    let mut a = pool.acquire().unwrap();
    let mut b = pool.acquire().unwrap();
    check(&mut a);
    check(&mut b);
    // A borrower changes them; the reset on return puts the DSN's values back.
    a.query("SET time_zone = '+00:00', sql_mode = ''", &[])
        .unwrap();
    let id = a.connection_id();
    drop(a);
    drop(b);
    let mut c = pool.acquire().unwrap();
    if c.connection_id() != id {
        drop(c);
        let _other = pool.acquire().unwrap();
        c = pool.acquire().unwrap();
    }
    assert_eq!(c.connection_id(), id);
    check(&mut c);
    assert!(pool.stats().resets_total >= 1);
}

#[test]
fn reject_read_only_closes_a_connection_that_hit_a_read_only_error() {
    for (flag, closed) in [("false", false), ("true", true)] {
        let pool = sharedpool::open(
            &dsn_with(&format!(
                "rejectReadOnly={flag}&max_size=1&pool_name=ro{flag}"
            )),
            &[],
        )
        .unwrap();
        let mut c = pool.acquire().unwrap();
        let id = c.connection_id();
        c.query("CREATE TABLE IF NOT EXISTS ro_t (a INT)", &[])
            .unwrap();
        c.query("START TRANSACTION READ ONLY", &[]).unwrap();
        let e = c.query("INSERT INTO ro_t VALUES (1)", &[]).unwrap_err();
        assert_eq!(e.server_errno(), 1792, "{e}");
        drop(c);
        let c = pool.acquire().unwrap();
        assert_eq!(c.connection_id() != id, closed, "rejectReadOnly={flag}");
    }
}

#[test]
fn max_allowed_packet_limits_the_packets_the_client_takes() {
    let pool = sharedpool::open(&dsn_with("maxAllowedPacket=65536&pool_name=packet"), &[]).unwrap();
    let r = pool
        .query("SELECT REPEAT('x', ?)", &[Param::Int(1000)])
        .unwrap();
    assert_eq!(r.get(0, 0).map(<[u8]>::len), Some(1000));
    let e = pool
        .query("SELECT REPEAT('x', ?)", &[Param::Int(200_000)])
        .unwrap_err();
    assert!(
        e.message().to_lowercase().contains("packet"),
        "a row over the limit fails clearly: {e}"
    );
    // The connection that failed is not reused; the pool goes on.
    let r = pool.query("SELECT 1", &[]).unwrap();
    assert_eq!(r.get_str(0, 0), Some("1"));
}
