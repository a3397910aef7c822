//! A full server is a capacity signal, not an outage: a pool that meets 1040 while it holds
//! live connections stops growing and serves its waiters with returned connections; a pool
//! with none waits for its acquire timeout and fails with the server's 1040; `server_headroom`
//! keeps slots free for others, also against a second process. Real MariaDB, with a user
//! without SUPER (SUPER gets one connection past `max_connections`) and `max_connections`
//! lowered for one scenario at a time, restored after it.

mod mysql_common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sharedpool::events::{self, Event};
use sharedpool::mysql::Connection;
use sharedpool::{ErrorKind, Options};

use mysql_common::{admin, dsn, scalar, status};

static SERVER: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERVER.lock().unwrap_or_else(|e| e.into_inner())
}

/// The user these tests connect as: no SUPER, so `max_connections` binds.
const USER: &str = "sp_cap";

/// The test DSN for [`USER`], with `query`.
fn cap_dsn(query: &str) -> String {
    let d = dsn();
    let rest = d.split_once('@').expect("DSN has user@host").1;
    let sep = if rest.contains('?') { '&' } else { '?' };
    format!("mysql://{USER}:cap-secret@{rest}{sep}connect_timeout_ms=3000&{query}")
}

/// Creates [`USER`] once.
fn ensure_user(a: &mut Connection) {
    for host in ["127.0.0.1", "localhost"] {
        for sql in [
            format!("CREATE USER IF NOT EXISTS '{USER}'@'{host}' IDENTIFIED BY 'cap-secret'"),
            format!("GRANT SELECT ON *.* TO '{USER}'@'{host}'"),
        ] {
            a.query(&sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

/// Lowers `max_connections` to what is connected now plus `extra`; restores it when dropped.
/// MariaDB's floor for it is 10: idle connections outside any pool fill the rest.
struct Limit {
    admin: Connection,
    before: String,
    max: u64,
    _fillers: Vec<Connection>,
}

impl Limit {
    fn new(extra: u64) -> Limit {
        let mut a = admin();
        ensure_user(&mut a);
        let before = scalar(&mut a, "SELECT @@GLOBAL.max_connections").unwrap();
        let now = status(&mut a, "Threads_connected");
        let max = (now + extra).max(10);
        let fillers = (0..max - now - extra).map(|_| admin()).collect();
        a.query(&format!("SET GLOBAL max_connections = {max}"), &[])
            .unwrap();
        let mut limit = Limit {
            admin: a,
            before,
            max,
            _fillers: fillers,
        };
        assert_eq!(limit.connected() + extra, max, "the server's room");
        limit
    }

    fn set(&mut self, max: u64) {
        self.admin
            .query(&format!("SET GLOBAL max_connections = {max}"), &[])
            .unwrap();
        self.max = max;
    }

    fn connected(&mut self) -> u64 {
        status(&mut self.admin, "Threads_connected")
    }
}

impl Drop for Limit {
    fn drop(&mut self) {
        let sql = format!("SET GLOBAL max_connections = {}", self.before);
        if let Err(e) = self.admin.query(&sql, &[]) {
            eprintln!("restoring max_connections: {e}");
        }
    }
}

/// Collects the events of pools whose label contains `needle`.
fn record(needle: &'static str) -> Arc<Mutex<Vec<Event>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    events::set_sink(Box::new(move |e: &Event| {
        if e.pool().contains(needle) {
            sink.lock().unwrap().push(e.clone());
        }
    }));
    seen
}

fn near_capacity(seen: &Mutex<Vec<Event>>) -> Vec<Event> {
    let seen = seen.lock().unwrap();
    seen.iter()
        .filter(|e| matches!(e, Event::ServerNearCapacity { .. }))
        .cloned()
        .collect()
}

/// Runs `threads` threads looping `SELECT SLEEP(0.02)` on `pool` for `run`; returns the
/// statements done and the errors seen.
fn load(pool: &sharedpool::MysqlPool, threads: usize, run: Duration) -> (u64, Vec<String>) {
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (pool, done, errors, stop) =
                (pool.clone(), done.clone(), errors.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match pool.query("SELECT SLEEP(0.02)", &[]) {
                        Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                        Err(e) => {
                            errors.lock().unwrap().push(e.to_string());
                            0
                        }
                    };
                }
            })
        })
        .collect();
    std::thread::sleep(run);
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let errors = errors.lock().unwrap().clone();
    (done.load(Ordering::Relaxed), errors)
}

#[test]
fn a_pool_with_live_connections_meets_a_full_server_and_no_waiter_fails() {
    let _s = serial();
    let seen = record("cap_live");
    let mut limit = Limit::new(3);
    let pool = sharedpool::open(
        &cap_dsn("pool_name=cap_live&max_size=8&server_headroom=0&acquire_timeout_ms=20000"),
        &[],
    )
    .unwrap();
    let (done, errors) = load(&pool, 8, Duration::from_secs(2));
    let st = pool.stats();
    assert!(errors.is_empty(), "statements failed: {errors:?}");
    assert!(done > 50, "only {done} statements");
    assert_eq!(
        st.total, 3,
        "the pool holds what the server had room for: {st:?}"
    );
    assert_eq!(st.capacity_cap, 3, "{st:?}");
    assert!(st.connect_errors_total >= 1, "{st:?}");
    assert!(limit.connected() <= limit.max);
    let events = near_capacity(&seen);
    assert_eq!(events.len(), 1, "one event for the episode: {events:?}");
    let Event::ServerNearCapacity { cap, message, .. } = &events[0] else {
        unreachable!()
    };
    // What the pool held when refused (a connect may still have been under way).
    assert!((1..=3).contains(cap), "{message}");
    assert!(message.contains("1040"), "the server's refusal: {message}");
    assert!(!message.contains("cap-secret"), "{message}");
    // Room again: growth resumes for the waiters.
    limit.set(limit.max + 5);
    let (_, errors) = load(&pool, 8, Duration::from_secs(3));
    assert!(errors.is_empty(), "{errors:?}");
    let st = pool.stats();
    assert!(
        st.total > 3,
        "the pool grows again when the server has room: {st:?}"
    );
    assert_eq!(st.capacity_cap, st.max_size, "no cap any more: {st:?}");
    assert_eq!(near_capacity(&seen).len(), 1, "still one event");
    events::clear_sink();
}

#[test]
fn a_pool_with_no_connection_at_a_full_server_fails_with_1040_at_its_timeout() {
    let _s = serial();
    let limit = Limit::new(1);
    // The one free slot taken by a connection outside any pool.
    let d = sharedpool::mysql::Dsn::parse(&cap_dsn("")).unwrap();
    let _holder = Connection::connect(&d, &Options::default()).expect("the last slot");
    let pool = sharedpool::open(
        &cap_dsn("pool_name=cap_none&max_size=4&acquire_timeout_ms=1500"),
        &[],
    )
    .unwrap();
    let t = Instant::now();
    let err = pool.query("SELECT 1", &[]).unwrap_err();
    let took = t.elapsed();
    let text = err.to_string();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{text}");
    assert_eq!(err.server_errno(), 1040, "{text}");
    assert!(text.contains("server at capacity"), "{text}");
    assert!(text.contains("Too many connections"), "{text}");
    assert!(!text.contains("cap-secret"), "{text}");
    assert!(
        took >= Duration::from_millis(1400),
        "failed before its timeout: {took:?}"
    );
    assert!(took < Duration::from_secs(4), "{took:?}");
    drop(limit);
}

/// The second process of `headroom_holds_against_a_second_process` (an ignored test run
/// by it, with `SP_CAP_CHILD` set).
#[test]
#[ignore]
fn headroom_child_process() {
    let Ok(ms) = std::env::var("SP_CAP_CHILD") else {
        return;
    };
    let pool = sharedpool::open(
        &cap_dsn("pool_name=cap_child&max_size=10&server_headroom=4&acquire_timeout_ms=20000"),
        &[],
    )
    .unwrap();
    let (done, errors) = load(&pool, 6, Duration::from_millis(ms.parse().unwrap()));
    assert!(errors.is_empty(), "{errors:?}");
    assert!(done > 0);
    eprintln!("child stats: {:?}", pool.stats());
    println!("child-total={}", pool.stats().total);
}

#[test]
fn headroom_holds_against_a_second_process() {
    let _s = serial();
    let mut limit = Limit::new(12);
    let headroom = 4;
    let pool = sharedpool::open(
        &cap_dsn(&format!(
            "pool_name=cap_first&max_size=20&server_headroom={headroom}&acquire_timeout_ms=20000"
        )),
        &[],
    )
    .unwrap();
    // The first process grows to the headroom and stops there.
    let first = {
        let pool = pool.clone();
        std::thread::spawn(move || load(&pool, 16, Duration::from_secs(5)))
    };
    std::thread::sleep(Duration::from_millis(1500));
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "headroom_child_process",
            "--ignored",
            "--nocapture",
        ])
        .env("SP_CAP_CHILD", "2500")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the second process");
    let mut peak = 0;
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(3000) {
        peak = peak.max(limit.connected());
        std::thread::sleep(Duration::from_millis(20));
    }
    let child = child.wait_with_output().expect("the second process ends");
    let (done, errors) = first.join().unwrap();
    let out = String::from_utf8_lossy(&child.stdout);
    assert!(
        child.status.success(),
        "the second process: {out}\n{}",
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert!(done > 0);
    let st = pool.stats();
    // The admin connection is one of Threads_connected; the limit leaves 12 for the pools.
    let allowed = limit.max - headroom;
    assert!(
        u64::from(st.total) < allowed,
        "the first process took the headroom: {st:?}, max {}",
        limit.max
    );
    let child_total: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("child-total="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no child total in {out}"));
    assert_eq!(
        child_total, 1,
        "the second process keeps its first connection, no more"
    );
    // Every pool opens its first connection (that is how it reads the server); past it, the
    // second process does not grow into the headroom.
    assert!(
        u64::from(st.total) + child_total <= allowed,
        "first {} + second {child_total} + admin past max_connections {} - headroom {headroom}: {}",
        st.total,
        limit.max,
        String::from_utf8_lossy(&child.stderr)
    );
    // Connects already under way when a reading showed no room give their slot back: a
    // moment above the headroom, never past the limit.
    assert!(
        peak <= limit.max,
        "the server saw {peak} connections, max_connections {}",
        limit.max
    );
}
