//! A borrow with autocommit off (the PEP 249 path): its first statement opens the transaction
//! without a `BEGIN`, a return rolls back only what the server says is open, and the next
//! borrower is back in the default mode. Counted with the session's own `Com_*` status.

mod mysql_common;

use sharedpool::mysql::Connection;
use sharedpool::MysqlPool;

use mysql_common::{admin, dsn_with, scalar};

/// A one-connection pool, so the next borrower gets the same connection.
fn single(name: &str) -> MysqlPool {
    sharedpool::open(&dsn_with(&format!("max_size=1&pool_name={name}")), &[]).expect("open")
}

/// The session's `Com_begin`, `Com_rollback`, `Com_commit`, `Com_set_option` counters.
fn counters(c: &mut Connection) -> [u64; 4] {
    let r = c
        .query(
            "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.SESSION_STATUS \
             WHERE VARIABLE_NAME IN ('COM_BEGIN', 'COM_ROLLBACK', 'COM_COMMIT', 'COM_SET_OPTION')",
            &[],
        )
        .expect("session status");
    let mut out = [0; 4];
    for row in 0..r.row_count() {
        let value = r.get_str(row, 1).unwrap().parse().unwrap();
        match r.get_str(row, 0).unwrap() {
            "COM_BEGIN" => out[0] = value,
            "COM_ROLLBACK" => out[1] = value,
            "COM_COMMIT" => out[2] = value,
            "COM_SET_OPTION" => out[3] = value,
            other => panic!("unexpected {other}"),
        }
    }
    out
}

fn delta(after: [u64; 4], before: [u64; 4]) -> [u64; 4] {
    std::array::from_fn(|i| after[i] - before[i])
}

#[test]
fn autocommit_off_costs_no_round_trip_once_the_session_is_in_that_mode() {
    let pool = single("ac_cost");
    let mut admin = admin();
    admin
        .query(
            "CREATE TABLE IF NOT EXISTS sp.ac_cost (id INT PRIMARY KEY) ENGINE=InnoDB",
            &[],
        )
        .unwrap();
    // The first borrow switches the session (one SET), later ones find it switched.
    {
        let mut c = pool.acquire().unwrap();
        c.set_autocommit(false);
        c.query("SELECT 1", &[]).unwrap();
    }
    let (before, after_select1) = {
        let mut c = pool.acquire().unwrap();
        c.set_autocommit(false);
        let before = counters(&mut c);
        c.query("SELECT 1", &[]).unwrap();
        assert_eq!(scalar(&mut c, "SELECT @@autocommit").as_deref(), Some("0"));
        (before, counters(&mut c))
    };
    assert_eq!(
        delta(after_select1, before),
        [0; 4],
        "no BEGIN, ROLLBACK, COMMIT or SET for a borrow in the mode the session has"
    );
    // A transactional read opens a transaction: one ROLLBACK at return, nothing else.
    {
        let mut c = pool.acquire().unwrap();
        c.set_autocommit(false);
        c.query("SELECT COUNT(*) FROM sp.ac_cost", &[]).unwrap();
    }
    let after_read = {
        let mut c = pool.acquire().unwrap();
        c.set_autocommit(false);
        counters(&mut c)
    };
    // The counters read above count themselves as neither of these.
    assert_eq!(delta(after_read, after_select1), [0, 1, 0, 0]);
    assert_eq!(pool.stats().resets_total, 1, "one rollback, no full reset");
}

#[test]
fn the_next_borrower_gets_the_default_mode_and_no_open_transaction() {
    let pool = single("ac_next");
    let mut admin = admin();
    admin
        .query(
            "CREATE TABLE IF NOT EXISTS sp.ac_next (id INT PRIMARY KEY) ENGINE=InnoDB",
            &[],
        )
        .unwrap();
    admin.query("DELETE FROM sp.ac_next", &[]).unwrap();
    let before = {
        let mut c = pool.acquire().unwrap();
        c.set_autocommit(false);
        c.query("INSERT INTO sp.ac_next VALUES (1)", &[]).unwrap();
        c.query("COMMIT", &[]).unwrap();
        // Not committed: the return rolls it back.
        c.query("INSERT INTO sp.ac_next VALUES (2)", &[]).unwrap();
        counters(&mut c)
    };
    let mut c = pool.acquire().unwrap();
    assert_eq!(
        delta(counters(&mut c), before),
        [0, 1, 0, 1],
        "one ROLLBACK at return, one SET before the next borrower's first statement"
    );
    assert_eq!(scalar(&mut c, "SELECT @@autocommit").as_deref(), Some("1"));
    assert_eq!(
        scalar(&mut c, "SELECT GROUP_CONCAT(id) FROM sp.ac_next").as_deref(),
        Some("1"),
        "the committed row stays, the open transaction was rolled back"
    );
    // In the default mode a statement commits on its own.
    c.query("INSERT INTO sp.ac_next VALUES (3)", &[]).unwrap();
    drop(c);
    assert_eq!(
        scalar(&mut admin, "SELECT COUNT(*) FROM sp.ac_next").as_deref(),
        Some("2")
    );
}

#[test]
fn a_mode_chosen_but_unused_and_a_borrowers_own_set_are_undone() {
    let pool = single("ac_own");
    {
        let mut c = pool.acquire().unwrap();
        c.set_autocommit(false);
    }
    let mut c = pool.acquire().unwrap();
    assert_eq!(scalar(&mut c, "SELECT @@autocommit").as_deref(), Some("1"));
    // The borrower's own SET is a session change: the return resets it.
    c.query("SET autocommit = 0", &[]).unwrap();
    drop(c);
    let mut c = pool.acquire().unwrap();
    assert_eq!(scalar(&mut c, "SELECT @@autocommit").as_deref(), Some("1"));
    drop(c);
    assert_eq!(pool.stats().resets_total, 1);
}

#[test]
fn init_sql_choosing_autocommit_off_is_the_default_the_pool_restores() {
    let pool = sharedpool::open(
        &dsn_with("max_size=1&pool_name=ac_init&init_sql=SET%20autocommit%3D0"),
        &[],
    )
    .expect("open");
    {
        let mut c = pool.acquire().unwrap();
        assert_eq!(scalar(&mut c, "SELECT @@autocommit").as_deref(), Some("0"));
        c.set_autocommit(true);
        assert_eq!(scalar(&mut c, "SELECT @@autocommit").as_deref(), Some("1"));
    }
    let mut c = pool.acquire().unwrap();
    assert_eq!(scalar(&mut c, "SELECT @@autocommit").as_deref(), Some("0"));
}
