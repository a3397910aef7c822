//! The library pins nothing needlessly (docs/fleets.md, "A proxy tier"): a clean borrow and
//! return send the server nothing (no `SET`, no `ROLLBACK`, no `COM_RESET_CONNECTION`), a
//! borrower that changed its session is reset on return and one that left a transaction open
//! gets a `ROLLBACK`.
//!
//! What the server got is read two ways, over a separate admin connection: the general query
//! log (table), filtered on the pooled connection's thread id, and the global counters
//! `Com_set_option`, `Com_rollback` and `Com_admin_commands` (the last counts `COM_PING` and
//! `COM_RESET_CONNECTION`, which the general log leaves out). The tests of this file run one at
//! a time (the counters and the log are global) on pools of one connection, with the idle
//! validation ping pushed out of the way.

mod mysql_common;

use std::sync::{Mutex, MutexGuard};

use sharedpool::mysql::{Connection, Param};
use sharedpool::MysqlPool;

use mysql_common::{admin, dsn_with, scalar, status};

/// One test at a time: they read global counters and the global general log.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A one-connection pool that never pings within a test (a ping is no session state, but it
/// would move `Com_admin_commands`, which also counts resets).
fn single(name: &str) -> MysqlPool {
    sharedpool::open(
        &dsn_with(&format!(
            "max_size=1&min_idle=0&validation_idle_ms=600000&pool_name={name}"
        )),
        &[],
    )
    .expect("open")
}

/// The general log on (to a table) for the life of the guard; the previous settings after.
struct GeneralLog {
    admin: Connection,
    was_on: String,
    output: String,
}

impl GeneralLog {
    fn on() -> Self {
        let mut admin = admin();
        let was_on = scalar(&mut admin, "SELECT @@GLOBAL.general_log").unwrap();
        let output = scalar(&mut admin, "SELECT @@GLOBAL.log_output").unwrap();
        admin.query("SET GLOBAL log_output = 'TABLE'", &[]).unwrap();
        admin.query("SET GLOBAL general_log = 1", &[]).unwrap();
        GeneralLog {
            admin,
            was_on,
            output,
        }
    }

    /// Everything the server logged for connection `thread`, in order, as "Command: argument".
    fn of(&mut self, thread: u64) -> Vec<String> {
        let id = thread.to_string();
        let r = self
            .admin
            .query(
                "SELECT command_type, CONVERT(argument USING utf8mb4) FROM mysql.general_log \
                 WHERE thread_id = ?",
                &[Param::Text(id.as_bytes())],
            )
            .expect("read the general log");
        (0..r.row_count())
            .map(|row| {
                format!(
                    "{}: {}",
                    r.get_str(row, 0).unwrap_or(""),
                    r.get_str(row, 1).unwrap_or("")
                )
            })
            .collect()
    }

    /// What the server logged for `thread` after the first `seen` entries.
    fn since(&mut self, thread: u64, seen: usize) -> Vec<String> {
        self.of(thread).split_off(seen)
    }

    /// The global counters a reset, a rollback or a `SET` would move.
    fn counters(&mut self) -> Counters {
        Counters {
            set_option: status(&mut self.admin, "Com_set_option"),
            rollback: status(&mut self.admin, "Com_rollback"),
            admin_commands: status(&mut self.admin, "Com_admin_commands"),
        }
    }
}

impl Drop for GeneralLog {
    fn drop(&mut self) {
        let _ = self
            .admin
            .query(&format!("SET GLOBAL general_log = {}", self.was_on), &[]);
        let _ = self
            .admin
            .query(&format!("SET GLOBAL log_output = '{}'", self.output), &[]);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counters {
    set_option: u64,
    rollback: u64,
    /// `COM_PING`, `COM_RESET_CONNECTION`, `COM_CHANGE_USER` and the like.
    admin_commands: u64,
}

impl Counters {
    fn since(self, before: Counters) -> Counters {
        Counters {
            set_option: self.set_option - before.set_option,
            rollback: self.rollback - before.rollback,
            admin_commands: self.admin_commands - before.admin_commands,
        }
    }
}

const NOTHING: Counters = Counters {
    set_option: 0,
    rollback: 0,
    admin_commands: 0,
};

/// Opens the pool's one connection (its session setup and the headroom reading happen here)
/// and returns its server thread id, checked against `CONNECTION_ID()`.
fn warm(pool: &MysqlPool) -> u64 {
    let mut c = pool.acquire().expect("acquire");
    let id = c.connection_id();
    assert_eq!(
        scalar(&mut c, "SELECT CONNECTION_ID()"),
        Some(id.to_string())
    );
    id
}

#[test]
fn a_clean_borrow_and_return_send_nothing() {
    let _serial = serial();
    let mut log = GeneralLog::on();
    let pool = single("np_clean");
    let id = warm(&pool);
    let seen = log.of(id).len();
    let resets = pool.stats().resets_total;
    let before = log.counters();
    for _ in 0..5 {
        // Borrowed and returned with nothing run.
        let c = pool.acquire().expect("acquire");
        assert_eq!(
            c.connection_id(),
            id,
            "a pool of one lends the same connection"
        );
    }
    for _ in 0..5 {
        let mut c = pool.acquire().expect("acquire");
        assert_eq!(c.connection_id(), id);
        c.query("SELECT 1", &[]).expect("SELECT 1");
    }
    let after = log.counters();
    assert_eq!(
        log.since(id, seen),
        vec!["Query: SELECT 1"; 5],
        "the server got only the borrowers' own statements on that connection"
    );
    assert_eq!(
        after.since(before),
        NOTHING,
        "no SET, ROLLBACK, ping or reset for clean borrows"
    );
    assert_eq!(pool.stats().resets_total, resets, "no reset counted");
}

#[test]
fn a_changed_session_is_reset_on_return() {
    let _serial = serial();
    let mut log = GeneralLog::on();
    let pool = single("np_session");
    let id = warm(&pool);
    let default = scalar(&mut log.admin, "SELECT @@GLOBAL.lock_wait_timeout").unwrap();
    assert_ne!(
        default, "7",
        "the server's default must differ from the borrower's value"
    );
    let resets = pool.stats().resets_total;
    let before = log.counters();
    {
        let mut c = pool.acquire().expect("acquire");
        c.query("SET SESSION lock_wait_timeout = 7", &[]).unwrap();
        c.query("SET @np_marker = 42", &[]).unwrap();
        assert_eq!(
            scalar(&mut c, "SELECT @@SESSION.lock_wait_timeout").as_deref(),
            Some("7")
        );
    }
    let mut c = pool.acquire().expect("acquire");
    assert_eq!(c.connection_id(), id, "the same server session, reset");
    assert_eq!(
        scalar(&mut c, "SELECT @@SESSION.lock_wait_timeout"),
        Some(default),
        "the next borrower sees the default, not the last borrower's SET"
    );
    assert_eq!(
        scalar(&mut c, "SELECT @np_marker"),
        None,
        "user variables are gone"
    );
    drop(c);
    let moved = log.counters().since(before);
    assert!(
        moved.admin_commands >= 1,
        "a COM_RESET_CONNECTION reached the server: {moved:?}"
    );
    assert_eq!(pool.stats().resets_total, resets + 1, "one reset");
}

#[test]
fn an_open_transaction_is_rolled_back_on_return() {
    let _serial = serial();
    let mut log = GeneralLog::on();
    log.admin
        .query(
            "CREATE TABLE IF NOT EXISTS sp.np_txn (id INT PRIMARY KEY) ENGINE=InnoDB",
            &[],
        )
        .unwrap();
    log.admin.query("DELETE FROM sp.np_txn", &[]).unwrap();
    let pool = single("np_txn");
    let id = warm(&pool);
    let seen = log.of(id).len();
    let before = log.counters();
    {
        let mut c = pool.acquire().expect("acquire");
        c.query("BEGIN", &[]).unwrap();
        c.query("INSERT INTO sp.np_txn VALUES (1)", &[]).unwrap();
        // Its own session sees the row: the check below would see it too, were it not rolled back.
        assert_eq!(
            scalar(&mut c, "SELECT COUNT(*) FROM sp.np_txn").as_deref(),
            Some("1")
        );
    }
    let mut c = pool.acquire().expect("acquire");
    assert_eq!(c.connection_id(), id, "the same server session");
    assert_eq!(
        scalar(&mut c, "SELECT @@in_transaction").as_deref(),
        Some("0"),
        "no transaction is open for the next borrower"
    );
    assert_eq!(
        scalar(&mut c, "SELECT COUNT(*) FROM sp.np_txn").as_deref(),
        Some("0"),
        "the row inserted in the open transaction is gone"
    );
    drop(c);
    assert_eq!(
        scalar(&mut log.admin, "SELECT COUNT(*) FROM sp.np_txn").as_deref(),
        Some("0")
    );
    let logged = log.since(id, seen);
    let insert = logged
        .iter()
        .position(|e| e == "Query: INSERT INTO sp.np_txn VALUES (1)")
        .expect("the INSERT is logged");
    assert!(
        logged[insert..].iter().any(|e| e == "Query: ROLLBACK"),
        "a ROLLBACK after the INSERT: {logged:?}"
    );
    assert_eq!(
        log.counters().since(before).rollback,
        1,
        "exactly one ROLLBACK"
    );
}
