//! No dead connection is handed out: the wait_timeout probe is an ordinary member, an unknown
//! wait_timeout is probed again, and a connection the server closed is caught before
//! hand-out without a round trip (issue 16).

mod mysql_common;

use std::time::Duration;

use parking_lot::Mutex;
use sharedpool::events::Event;
use sharedpool::mysql::{Connection, Dsn};

use mysql_common::{admin, dsn_with, scalar, sp_connections};

/// The tests here count the server's connections and change globals: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Sets the global wait_timeout and puts the old value back on drop.
struct GlobalWaitTimeout {
    admin: Connection,
    old: String,
}

impl GlobalWaitTimeout {
    fn set(secs: u32) -> Self {
        let mut admin = admin();
        let old = scalar(&mut admin, "SELECT @@GLOBAL.wait_timeout").unwrap();
        admin
            .query(&format!("SET GLOBAL wait_timeout = {secs}"), &[])
            .unwrap();
        GlobalWaitTimeout { admin, old }
    }
}

impl Drop for GlobalWaitTimeout {
    fn drop(&mut self) {
        let sql = format!("SET GLOBAL wait_timeout = {}", self.old);
        self.admin.query(&sql, &[]).unwrap();
    }
}

#[test]
fn the_probe_connection_is_counted_and_the_first_borrow_after_wait_timeout_works() {
    let _serial = SERIAL.lock();
    // Connected before the change: keeps the default wait_timeout.
    let mut watcher = admin();
    let _global = GlobalWaitTimeout::set(3);
    let pool = sharedpool::open(&dsn_with("pool_name=deadconn_probe"), &[]).unwrap();
    // The probe joined the pool as an ordinary member: counted, and seen by the server.
    assert_eq!((pool.stats().total, pool.stats().idle), (1, 1));
    assert_eq!(sp_connections(&mut watcher), 2, "the guard's and the probe");
    assert_eq!(pool.config().idle_timeout, Duration::from_millis(2700));
    std::thread::sleep(Duration::from_secs(4));
    // The server closed it after 3 s: the borrow does not get it.
    let mut c = pool.acquire().unwrap();
    assert_eq!(scalar(&mut c, "SELECT 1").as_deref(), Some("1"));
    assert_eq!(pool.stats().total, 1);
    assert_eq!(
        sp_connections(&mut watcher),
        2,
        "the guard's and the pool's"
    );
}

#[test]
fn a_connection_idle_past_its_wait_timeout_is_not_handed_out() {
    let _serial = SERIAL.lock();
    // The session's own wait_timeout (2 s) is below what the pool options allow, and the
    // ping threshold is far away: only the connection's own clamp can catch it.
    let pool = sharedpool::open(
        &dsn_with("pool_name=deadconn_own_wait&max_size=1&validation_idle_ms=600000"),
        &[("init_sql", "SET SESSION wait_timeout = 2")],
    )
    .unwrap();
    let first = scalar(&mut pool.acquire().unwrap(), "SELECT CONNECTION_ID()");
    std::thread::sleep(Duration::from_millis(2500));
    let mut c = pool.acquire().unwrap();
    assert_eq!(scalar(&mut c, "SELECT 1").as_deref(), Some("1"));
    assert_ne!(scalar(&mut c, "SELECT CONNECTION_ID()"), first);
    let (d, o) = Dsn::parse_with_options(
        &mysql_common::dsn(),
        &[("init_sql", "SET SESSION wait_timeout = 1")],
    )
    .unwrap();
    let mut conn = Connection::connect(&d, &o).unwrap();
    assert!(conn.is_alive());
    std::thread::sleep(Duration::from_millis(950));
    assert!(!conn.is_alive(), "idle past 90 % of its wait_timeout");
}

#[test]
fn a_killed_idle_connection_is_caught_before_hand_out() {
    let _serial = SERIAL.lock();
    let mut admin = admin();
    let pool = sharedpool::open(&dsn_with("pool_name=deadconn_kill&max_size=2"), &[]).unwrap();
    let id = scalar(&mut pool.acquire().unwrap(), "SELECT CONNECTION_ID()").unwrap();
    admin.query(&format!("KILL {id}"), &[]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let before = pool.stats().closed_broken_total;
    let mut c = pool.acquire().unwrap();
    assert_eq!(scalar(&mut c, "SELECT 1").as_deref(), Some("1"));
    assert_ne!(scalar(&mut c, "SELECT CONNECTION_ID()"), Some(id));
    assert_eq!(pool.stats().closed_broken_total, before + 1);
    drop(c);
    // The convenience path as well.
    let id = scalar(&mut pool.acquire().unwrap(), "SELECT CONNECTION_ID()").unwrap();
    admin.query(&format!("KILL {id}"), &[]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let r = pool.query("SELECT 2", &[]).unwrap();
    assert_eq!(r.get_str(0, 0), Some("2"));
}

#[test]
fn an_unknown_wait_timeout_is_probed_again_on_a_later_open() {
    let _serial = SERIAL.lock();
    let mut admin = admin();
    admin
        .query("DROP TABLE IF EXISTS sp.deadconn_flag", &[])
        .unwrap();
    // The probe fails (not on auth) while the table is missing: nothing is clamped.
    let url = dsn_with("pool_name=deadconn_reprobe&idle_timeout_ms=0");
    let init = [("init_sql", "DO (SELECT 1 FROM sp.deadconn_flag LIMIT 1)")];
    let a = sharedpool::open(&url, &init).unwrap();
    assert_eq!(a.config().idle_timeout, Duration::ZERO);
    admin
        .query("CREATE TABLE sp.deadconn_flag (a INT)", &[])
        .unwrap();
    // The probe now works; the live unclamped pool is joined, not a conflict.
    let b = sharedpool::open(&url, &init).unwrap();
    assert_eq!(b.stats().refs, 2);
    assert_eq!(b.config().idle_timeout, Duration::ZERO);
    drop((a, b));
    // A fresh pool gets the clamp learnt by the later probe.
    let c = sharedpool::open(&url, &init).unwrap();
    assert_eq!(c.config().idle_timeout, Duration::from_secs(25920));
    assert_eq!(c.stats().refs, 1);
    admin.query("DROP TABLE sp.deadconn_flag", &[]).unwrap();
}

#[test]
fn the_clamp_and_rounded_timeouts_are_reported_through_the_event_sink() {
    let _serial = SERIAL.lock();
    let seen: &'static std::sync::Mutex<Vec<Event>> = Box::leak(Box::default());
    sharedpool::events::set_sink(Box::new(move |e| seen.lock().unwrap().push(e.clone())));
    let url = dsn_with("pool_name=deadconn_events&idle_timeout_ms=0&read_timeout_ms=100");
    let init = [("init_sql", "SET SESSION wait_timeout = 60")];
    let pool = sharedpool::open(&url, &init).unwrap();
    let again = sharedpool::open(&url, &init).unwrap();
    sharedpool::events::clear_sink();
    let warnings: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::Warning { .. }) && e.pool() == pool.key().label)
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        warnings.len(),
        2,
        "once each, not again on the second open: {warnings:?}"
    );
    assert!(
        warnings[0].contains("read_timeout_ms 100 -> 1000"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("wait_timeout is 60 s") && warnings[1].contains("idle_timeout_ms"),
        "{warnings:?}"
    );
    assert!(warnings.iter().all(|w| !w.contains("sp-secret")));
    assert_eq!(again.stats().refs, 2);
}
