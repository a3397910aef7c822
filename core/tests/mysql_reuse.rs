//! Safe reuse: nothing a borrower did to its session is visible to the next one, and a
//! clean borrower costs no reset round trip.

mod mysql_common;

use sharedpool::mysql::Param;
use sharedpool::MysqlPool;

use mysql_common::{admin, dsn_with, scalar};

/// A one-connection pool, so the next borrower gets the same connection.
fn single(name: &str) -> MysqlPool {
    sharedpool::open(&dsn_with(&format!("max_size=1&pool_name={name}")), &[]).expect("open")
}

fn one(pool: &MysqlPool, sql: &str) -> Option<String> {
    let mut c = pool.acquire().expect("acquire");
    let r = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.get_str(0, 0).map(str::to_string)
}

#[test]
fn clean_borrowers_pay_no_reset_and_a_variable_costs_exactly_one() {
    let pool = single("resets");
    let id = one(&pool, "SELECT CONNECTION_ID()");
    let base = pool.stats().resets_total;
    for _ in 0..5 {
        let mut c = pool.acquire().unwrap();
        c.query("SELECT 1", &[]).unwrap();
        c.query("SELECT * FROM information_schema.SCHEMATA", &[])
            .unwrap();
        c.query("DO 1", &[]).unwrap();
    }
    assert_eq!(
        pool.stats().resets_total,
        base,
        "clean reads must not reset"
    );
    {
        let mut c = pool.acquire().unwrap();
        c.query("SET @x = 1", &[]).unwrap();
    }
    assert_eq!(pool.stats().resets_total, base + 1);
    assert_eq!(one(&pool, "SELECT @x"), None, "the variable is gone");
    assert_eq!(
        pool.stats().resets_total,
        base + 1,
        "after a reset, clean again"
    );
    assert_eq!(
        one(&pool, "SELECT CONNECTION_ID()"),
        id,
        "the same connection was reused"
    );
}

#[test]
fn no_session_state_bleeds_into_the_next_borrower() {
    let pool = single("bleed");
    let mut admin = admin();
    admin
        .query(
            "CREATE TABLE IF NOT EXISTS sp.bleed (v INT) ENGINE=InnoDB",
            &[],
        )
        .unwrap();
    admin.query("DELETE FROM sp.bleed", &[]).unwrap();
    admin
        .query("CREATE TABLE IF NOT EXISTS sp.bleed_other (v INT)", &[])
        .unwrap();
    for sql in [
        "CREATE OR REPLACE PROCEDURE sp.set_var() BEGIN SET @pv = 1; END",
        "CREATE OR REPLACE FUNCTION sp.set_tz() RETURNS INT \
         BEGIN SET SESSION time_zone = '+03:00'; RETURN 1; END",
        "CREATE OR REPLACE FUNCTION sp.set_uv() RETURNS INT BEGIN SET @fv = 1; RETURN 1; END",
    ] {
        admin
            .query(sql, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let (id, tz, mode, cs) = {
        let mut c = pool.acquire().unwrap();
        let r = c
            .query(
                "SELECT CONNECTION_ID(), @@time_zone, @@sql_mode, @@character_set_client",
                &[],
            )
            .unwrap();
        let s = |i| r.get_str(0, i).unwrap().to_string();
        (s(0), s(1), s(2), s(3))
    };
    // Each case: what the dirty borrower runs, and a check the next borrower runs.
    let cases: &[(&[&str], &[&str], Option<&str>)] = &[
        (&["SET @v = 42"], &["SELECT @v"], None),
        (&["SELECT @w := 7"], &["SELECT @w"], None),
        (&["SELECT 5 INTO @into"], &["SELECT @into"], None),
        (&["CALL sp.set_var()"], &["SELECT @pv"], None),
        (&["SELECT sp.set_tz()"], &["SELECT @@time_zone"], Some(&tz)),
        (&["SELECT sp.set_uv()"], &["SELECT @fv"], None),
        (
            &["SELECT LAST_INSERT_ID(77)"],
            &["SELECT LAST_INSERT_ID()"],
            Some("0"),
        ),
        (&["SET time_zone = '+05:00'"], &["SELECT @@time_zone"], Some(&tz)),
        (&["SET sql_mode = 'ANSI_QUOTES'"], &["SELECT @@sql_mode"], Some(&mode)),
        (&["SET NAMES latin1"], &["SELECT @@character_set_client"], Some(&cs)),
        (&["USE sp_other"], &["SELECT DATABASE()"], Some("sp")),
        (
            &["CREATE TEMPORARY TABLE tmp_bleed (a INT)", "INSERT INTO tmp_bleed VALUES (1)"],
            &[
                "CREATE TEMPORARY TABLE IF NOT EXISTS tmp_bleed (a INT)",
                "SELECT COUNT(*) FROM tmp_bleed",
            ],
            Some("0"),
        ),
        (
            &["BEGIN", "INSERT INTO sp.bleed VALUES (1)"],
            &["SELECT @@in_transaction + (SELECT COUNT(*) FROM sp.bleed)"],
            Some("0"),
        ),
        (
            &["SET autocommit = 0", "INSERT INTO sp.bleed VALUES (2)"],
            &["SELECT CONCAT(@@autocommit + 0, (SELECT COUNT(*) FROM sp.bleed))"],
            Some("10"),
        ),
        (
            &["SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"],
            &["START TRANSACTION WITH CONSISTENT SNAPSHOT", "SELECT trx_isolation_level FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID()"],
            Some("REPEATABLE READ"),
        ),
        (
            &["SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE"],
            &["SELECT @@tx_isolation"],
            Some("REPEATABLE-READ"),
        ),
        (
            &["LOCK TABLES sp.bleed READ"],
            &["SELECT COUNT(*) FROM sp.bleed_other"],
            Some("0"),
        ),
        (
            &["BEGIN", "SELECT 1", "SELECT sp.set_tz()", "COMMIT"],
            &["SELECT @@time_zone"],
            Some(&tz),
        ),
        (&["BEGIN", "SELECT @z := 1", "COMMIT"], &["SELECT @z"], None),
        (&["SELECT GET_LOCK('sp_bleed', 0)"], &["SELECT IS_USED_LOCK('sp_bleed') IS NULL"], Some("1")),
        (&["PREPARE st FROM 'SELECT 1'"], &["SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'PREPARED_STMT_COUNT'"], Some("0")),
    ];
    for (dirty, check, want) in cases {
        {
            let mut c = pool.acquire().unwrap();
            for sql in *dirty {
                c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
        }
        let mut c = pool.acquire().unwrap();
        let r = c.query("SELECT CONNECTION_ID()", &[]).unwrap();
        assert_eq!(
            r.get_str(0, 0),
            Some(id.as_str()),
            "{dirty:?}: same connection"
        );
        let mut last = None;
        for sql in *check {
            let r = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
            last = r.get_str(0, 0).map(str::to_string);
        }
        assert_eq!(last.as_deref(), *want, "after {dirty:?}, {check:?}");
    }
    // Nothing the transactions inserted was ever committed.
    assert_eq!(
        scalar(&mut admin, "SELECT COUNT(*) FROM sp.bleed").as_deref(),
        Some("0")
    );
    let _ = pool.query("SELECT ?", &[Param::Int(1)]).unwrap();
}

#[test]
fn committed_transactions_are_clean_and_open_ones_cost_one_rollback() {
    let pool = single("txn");
    pool.query(
        "CREATE TABLE IF NOT EXISTS sp.txn (v INT) ENGINE=InnoDB",
        &[],
    )
    .unwrap();
    let base = pool.stats().resets_total;
    {
        let mut c = pool.acquire().unwrap();
        c.query("BEGIN", &[]).unwrap();
        c.query("INSERT INTO sp.txn VALUES (1)", &[]).unwrap();
        c.query("COMMIT", &[]).unwrap();
        assert!(
            !c.needs_reset(),
            "a committed transaction leaves the session clean"
        );
    }
    assert_eq!(pool.stats().resets_total, base);
    // Result sets inside a transaction do not make the session dirty (issue 16).
    for (begin, end) in [
        ("BEGIN", "COMMIT"),
        ("START TRANSACTION READ ONLY", "COMMIT"),
        ("BEGIN", "ROLLBACK"),
    ] {
        let mut c = pool.acquire().unwrap();
        c.query(begin, &[]).unwrap();
        c.query("SELECT 1", &[]).unwrap();
        c.query("SELECT COUNT(*) FROM sp.txn", &[]).unwrap();
        if !begin.ends_with("READ ONLY") {
            c.query("SELECT * FROM sp.txn LIMIT 1 FOR UPDATE", &[])
                .unwrap();
        }
        assert!(c.needs_reset(), "{begin}: open");
        c.query(end, &[]).unwrap();
        assert!(!c.needs_reset(), "{begin} … {end}: clean");
    }
    assert_eq!(pool.stats().resets_total, base, "no round trip on return");
    {
        let mut c = pool.acquire().unwrap();
        c.query("BEGIN", &[]).unwrap();
        c.query("INSERT INTO sp.txn VALUES (2)", &[]).unwrap();
        assert!(c.needs_reset());
    }
    assert_eq!(pool.stats().resets_total, base + 1);
    let mut c = pool.acquire().unwrap();
    assert_eq!(
        c.query(
            "SELECT @@in_transaction, COUNT(*) FROM sp.txn WHERE v = 2",
            &[]
        )
        .unwrap()
        .get_str(0, 1),
        Some("0")
    );
}
