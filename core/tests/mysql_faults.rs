//! Faults a production server throws, under load: connections killed in a loop, the server
//! stopped (SIGSTOP: connects and reads get no answer, the accept queue fills) and resumed, the
//! server killed (-9) and restarted. Every call ends within `acquire_timeout + read_timeout` (plus
//! the client library's read retries and scheduling), the pool recovers once the server answers,
//! its counters stay consistent, and no connection is left on the server after the pool closes.
//!
//! One scenario at a time (they share the server): each test takes [`SERVER`]. Figures (errors
//! per kind, recovery time) go to stderr; `--nocapture` shows them.

mod mysql_common;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sharedpool::{ErrorKind, MysqlPool};

use mysql_common::{admin, dsn_with, signal, sp_connections, Resume};

static SERVER: Mutex<()> = Mutex::new(());

/// Timeouts of the pools here: every call must end well within `CALL_BOUND`.
const OPTS: &str = "max_size=4&acquire_timeout_ms=1500&connect_timeout_ms=1000\
                    &read_timeout_ms=1000&write_timeout_ms=1000&validation_idle_ms=0";
/// acquire 1.5 s + a read of 1 s that the client library may retry (3 tries) + a connect of 1 s,
/// and slack for a loaded 2-core machine.
const CALL_BOUND: Duration = Duration::from_secs(10);

/// Errors per kind, successful calls, the longest call.
type Outcome = (BTreeMap<String, u32>, u32, Duration);

/// Worker threads that loop on `SELECT` until stopped, recording each error's kind and the
/// longest call.
struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<Outcome>>,
}

impl Load {
    fn start(pool: &MysqlPool, threads: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..threads)
            .map(|_| {
                let (pool, stop) = (pool.clone(), stop.clone());
                std::thread::spawn(move || {
                    let (mut errors, mut ok, mut longest) = (BTreeMap::new(), 0, Duration::ZERO);
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        match pool.query("SELECT SLEEP(0.002)", &[]) {
                            Ok(_) => ok += 1,
                            Err(e) => {
                                assert!(
                                    matches!(
                                        e.kind(),
                                        ErrorKind::ConnectionLost
                                            | ErrorKind::Connect
                                            | ErrorKind::Timeout
                                            | ErrorKind::Server
                                    ),
                                    "unexpected error: {e}"
                                );
                                *errors.entry(format!("{:?}", e.kind())).or_insert(0) += 1;
                                std::thread::sleep(Duration::from_millis(5));
                            }
                        }
                        longest = longest.max(t.elapsed());
                    }
                    (errors, ok, longest)
                })
            })
            .collect();
        Load { stop, threads }
    }

    /// Stops the workers: (errors per kind, successful calls, longest call).
    fn finish(self) -> Outcome {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = (BTreeMap::new(), 0, Duration::ZERO);
        for t in self.threads {
            let (errors, ok, longest) = t.join().expect("a worker panicked");
            for (k, n) in errors {
                *all.0.entry(k).or_insert(0) += n;
            }
            all.1 += ok;
            all.2 = all.2.max(longest);
        }
        all
    }
}

/// Time until `pool` answers a query again (each try bounded by the pool's timeouts).
fn recovery(pool: &MysqlPool) -> Duration {
    let t = Instant::now();
    while pool.query("SELECT 1", &[]).is_err() {
        assert!(t.elapsed() < Duration::from_secs(60), "no recovery in 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    t.elapsed()
}

/// Counters agree with each other once nothing is borrowed; after the pool closes, the server
/// has no connection of it left.
fn check_consistent_then_close(pool: MysqlPool, before: u64) {
    for _ in 0..20 {
        pool.query("SELECT 1", &[]).expect("works after recovery");
    }
    let s = pool.stats();
    assert_eq!(s.active, 0, "{s:?}");
    assert!(s.total <= s.max_size, "{s:?}");
    assert_eq!(
        s.created_total - s.closed_total,
        u64::from(s.total - s.connecting),
        "created - closed = open: {s:?}"
    );
    drop(pool);
    let mut a = admin();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sp_connections(&mut a) > before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // At most as many as before (the kill loop may also have ended others' connections).
    let after = sp_connections(&mut a);
    assert!(
        after <= before,
        "connections left on the server: {after} > {before}"
    );
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    SERVER.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn kill_loop_under_load() {
    let _server = lock();
    let before = sp_connections(&mut admin());
    let pool = sharedpool::open(&dsn_with(&format!("{OPTS}&pool_name=fault_kill")), &[]).unwrap();
    let load = Load::start(&pool, 8);
    let mut a = admin();
    let me = a.connection_id();
    let t = Instant::now();
    let mut kills = 0;
    while t.elapsed() < Duration::from_secs(3) {
        let r = a.query("SHOW PROCESSLIST", &[]).unwrap();
        for row in 0..r.row_count() {
            let id: u64 = r.get_str(row, 0).unwrap().parse().unwrap();
            if r.get_str(row, 1) == Some("sp") && id != me {
                // Gone already is fine (another KILL or a recycle got there first).
                let _ = a.query(&format!("KILL {id}"), &[]);
                kills += 1;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    drop(a);
    let (errors, ok, longest) = load.finish();
    eprintln!("kill loop: {kills} kills, {ok} ok, errors {errors:?}, longest call {longest:?}");
    assert!(kills >= 10, "the loop killed connections: {kills}");
    assert!(ok > 0);
    assert!(longest < CALL_BOUND, "a call took {longest:?}");
    let r = recovery(&pool);
    eprintln!("kill loop: recovery {r:?}");
    check_consistent_then_close(pool, before);
}

#[test]
fn stopped_server_then_resumed() {
    let _server = lock();
    let before = sp_connections(&mut admin());
    let pool = sharedpool::open(&dsn_with(&format!("{OPTS}&pool_name=fault_stop")), &[]).unwrap();
    let warm: Vec<_> = (0..2).map(|_| pool.acquire().unwrap()).collect();
    drop(warm);
    let load = Load::start(&pool, 8);
    std::thread::sleep(Duration::from_millis(200));
    signal(libc::SIGSTOP);
    let resume = Resume;
    std::thread::sleep(Duration::from_secs(4));
    drop(resume);
    let resumed = Instant::now();
    std::thread::sleep(Duration::from_millis(500));
    let (errors, ok, longest) = load.finish();
    eprintln!("SIGSTOP 4 s: {ok} ok, errors {errors:?}, longest call {longest:?}");
    assert!(
        !errors.is_empty(),
        "calls failed while the server was stopped"
    );
    assert!(longest < CALL_BOUND, "a call took {longest:?}");
    let r = recovery(&pool);
    eprintln!("SIGSTOP: recovery {r:?} after the 500 ms following SIGCONT");
    assert!(resumed.elapsed() < Duration::from_secs(30));
    check_consistent_then_close(pool, before);
}

#[test]
fn killed_server_then_restarted() {
    let _server = lock();
    let restart = std::env::var("SHAREDPOOL_TEST_RESTART").expect("SHAREDPOOL_TEST_RESTART");
    let before = sp_connections(&mut admin());
    let pool = sharedpool::open(&dsn_with(&format!("{OPTS}&pool_name=fault_kill9")), &[]).unwrap();
    let load = Load::start(&pool, 8);
    std::thread::sleep(Duration::from_millis(300));
    signal(libc::SIGKILL);
    std::thread::sleep(Duration::from_secs(1));
    let status = Command::new("sh").arg("-c").arg(&restart).status().unwrap();
    assert!(status.success(), "restart failed");
    let restarted = Instant::now();
    let r = recovery(&pool);
    let (errors, ok, longest) = load.finish();
    eprintln!(
        "kill -9 + restart: {ok} ok, errors {errors:?}, longest call {longest:?}, \
         recovery {r:?} after the restart ({:?})",
        restarted.elapsed()
    );
    assert!(
        errors.values().sum::<u32>() > 0,
        "calls failed while the server was down"
    );
    assert!(longest < CALL_BOUND, "a call took {longest:?}");
    check_consistent_then_close(pool, before);
}

#[test]
fn accept_queue_overflow_on_a_stopped_server() {
    let _server = lock();
    let before = sp_connections(&mut admin());
    let port: u16 = std::env::var("SHAREDPOOL_TEST_PORT")
        .expect("SHAREDPOOL_TEST_PORT")
        .parse()
        .unwrap();
    signal(libc::SIGSTOP);
    let resume = Resume;
    // Fill the listen backlog: the kernel completes handshakes for a stopped server until its
    // accept queue is full, then drops SYNs (connects hang in retransmits).
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let fillers: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                (0..60)
                    .filter_map(|_| {
                        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).ok()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let held: Vec<_> = fillers
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let queued = held.len();
    // The first open's probe connect (for wait_timeout) fails within its timeout; the pool
    // opens anyway, as database/sql's does, and connects later.
    let t = Instant::now();
    let pool =
        sharedpool::open(&dsn_with(&format!("{OPTS}&pool_name=fault_backlog")), &[]).unwrap();
    let open_took = t.elapsed();
    assert!(open_took < CALL_BOUND, "open took {open_took:?}");
    let load = Load::start(&pool, 8);
    std::thread::sleep(Duration::from_secs(3));
    drop(resume);
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let (errors, ok, longest) = load.finish();
    eprintln!(
        "accept queue full ({} sockets queued): open {open_took:?}, {ok} ok, errors {errors:?}, \
         longest call {longest:?}",
        queued
    );
    assert!(longest < CALL_BOUND, "a call took {longest:?}");
    let r = recovery(&pool);
    eprintln!("accept queue: recovery {r:?}");
    check_consistent_then_close(pool, before);
}
