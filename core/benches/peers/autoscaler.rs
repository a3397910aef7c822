//! The autoscaler story: 100 components in one process poll a metric query every 50 ms,
//! once with a connection each (what they do today), once each opening the same DSN through
//! sharedpool (one shared pool). Measured: server connections, the server memory those
//! connections use, statements per second and poll latency; each mode also with a CPU hog
//! (`HOG_THREADS` busy-looping threads in the process, one per core here), where a woken
//! waiter not yet scheduled shows up in the poll tail.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{guarded, histogram, summary, Args};
use crate::raw::{delta, RawConn, Server, Target};

const COMPONENTS: usize = 100;
const PERIOD: Duration = Duration::from_millis(50);
const METRIC_SQL: &str = "SELECT COUNT(*) FROM bench_jobs WHERE state = 'pending'";
const MODES: [&str; 2] = ["connection_each", "sharedpool"];
const SHARED_MAX_SIZE: &str = "8";
/// Busy-looping threads beside the components in the "CPU hog" runs.
const HOG_THREADS: usize = 2;

/// A poller's connection: its own, or a reference to the shared pool.
enum Client {
    Own(RawConn),
    Shared(sharedpool::MysqlPool),
}

impl Client {
    fn poll(&mut self) -> Result<(), String> {
        match self {
            Client::Own(c) => c.query(METRIC_SQL).map(drop).map_err(|e| e.to_string()),
            Client::Shared(p) => {
                let mut c = p.acquire().map_err(|e| e.to_string())?;
                c.query(METRIC_SQL, &[])
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        }
    }
}

fn setup_table(server: &mut Server) {
    server.query("CREATE TABLE IF NOT EXISTS bench_jobs (id INT AUTO_INCREMENT PRIMARY KEY, state VARCHAR(16) NOT NULL, KEY (state))");
    if server.scalar("SELECT COUNT(*) FROM bench_jobs").as_deref() == Some("0") {
        let values: Vec<String> = (0..1000)
            .map(|i| format!("('{}')", if i % 7 == 0 { "pending" } else { "done" }))
            .collect();
        server.query(&format!(
            "INSERT INTO bench_jobs (state) VALUES {}",
            values.join(",")
        ));
    }
}

struct Samples {
    threads_connected: Vec<i64>,
    conn_memory: Vec<i64>,
    memory_used: Vec<i64>,
}

fn median(v: &mut [i64]) -> i64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

fn measure(
    mode: &str,
    hog: bool,
    t: &Target,
    server: &mut Server,
    secs: Duration,
) -> Result<Value, String> {
    server.query("FLUSH STATUS");
    let before = server.status();
    let memory_before = before.get("Memory_used").copied().unwrap_or(0);
    let sent_before = server.sent;
    let running = AtomicBool::new(true);
    let ready = Barrier::new(COMPONENTS + 1);
    let hist = Mutex::new(histogram());
    let errors = Mutex::new((0u64, None::<String>));
    let mut samples = Samples {
        threads_connected: vec![],
        conn_memory: vec![],
        memory_used: vec![],
    };
    let polls = std::thread::scope(|s| {
        if hog {
            for _ in 0..HOG_THREADS {
                let running = &running;
                s.spawn(move || {
                    let mut x = 0u64;
                    while running.load(Ordering::Relaxed) {
                        x = std::hint::black_box(
                            x.wrapping_mul(6364136223846793005).wrapping_add(1),
                        );
                    }
                });
            }
        }
        let handles: Vec<_> = (0..COMPONENTS)
            .map(|i| {
                let (running, ready, hist, errors) = (&running, &ready, &hist, &errors);
                std::thread::Builder::new()
                    .stack_size(256 * 1024)
                    .spawn_scoped(s, move || {
                        let client = guarded(|| {
                            if mode == "sharedpool" {
                                let opts = [
                                    ("max_size", SHARED_MAX_SIZE),
                                    ("pool_name", "bench-autoscaler"),
                                ];
                                Client::Shared(
                                    sharedpool::open(&t.dsn, &opts).expect("sharedpool::open"),
                                )
                            } else {
                                Client::Own(RawConn::connect(t).expect("connect"))
                            }
                        });
                        // A failed setup must still reach the barrier, or everyone waits forever.
                        ready.wait();
                        let mut client = match client {
                            Ok(c) => c,
                            Err(e) => {
                                let mut g = errors.lock().unwrap();
                                g.0 += 1;
                                g.1.get_or_insert(format!("setup: {e}"));
                                return 0;
                            }
                        };
                        // Components are not synchronised: spread their phases over the period.
                        let mut next = Instant::now() + PERIOD * i as u32 / COMPONENTS as u32;
                        let mut local = histogram();
                        let mut n = 0u64;
                        while running.load(Ordering::Relaxed) {
                            let now = Instant::now();
                            if next > now {
                                std::thread::sleep(next - now);
                            }
                            let t0 = Instant::now();
                            match client.poll() {
                                Ok(()) => {
                                    let _ = local.record(t0.elapsed().as_nanos() as u64);
                                    n += 1;
                                }
                                Err(e) => {
                                    let mut g = errors.lock().unwrap();
                                    g.0 += 1;
                                    g.1.get_or_insert(e);
                                }
                            }
                            next += PERIOD;
                        }
                        hist.lock().unwrap().add(&local).unwrap();
                        n
                    })
                    .expect("spawn a component")
            })
            .collect();
        ready.wait();
        let t0 = Instant::now();
        while t0.elapsed() < secs {
            // Not too often: information_schema.PROCESSLIST is heavy for the server.
            std::thread::sleep(Duration::from_millis(1000));
            let st = server.status();
            samples
                .threads_connected
                .push(st.get("Threads_connected").copied().unwrap_or(0) - 1);
            samples
                .memory_used
                .push(st.get("Memory_used").copied().unwrap_or(0));
            let mem = server
                .scalar("SELECT COALESCE(SUM(MEMORY_USED), 0) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND <> 'Daemon'")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            samples.conn_memory.push(mem);
        }
        running.store(false, Ordering::Relaxed);
        let elapsed = t0.elapsed().as_secs_f64();
        let polls: u64 = handles
            .into_iter()
            .map(|h| h.join().expect("a component panicked"))
            .sum();
        (polls, elapsed)
    });
    let after = server.status();
    let own = (server.sent - sent_before) as i64;
    let (polls, elapsed) = polls;
    let (errs, first_error) = errors.into_inner().unwrap();
    if polls == 0 {
        return Err(first_error.unwrap_or_else(|| "no poll completed".into()));
    }
    Ok(json!({
        "mode": mode,
        "cpu_hog": hog,
        "polls": polls,
        "polls_per_s": polls as f64 / elapsed,
        "statements_per_s": (delta(&before, &after, "Questions") - own) as f64 / elapsed,
        "errors": errs,
        "first_error": first_error,
        "poll_latency": summary(&hist.into_inner().unwrap()),
        "server": {
            "max_used_connections": after.get("Max_used_connections").copied().unwrap_or(0) - 1,
            "threads_connected_median": median(&mut samples.threads_connected),
            "connections": delta(&before, &after, "Connections"),
            "connection_memory_bytes_median": median(&mut samples.conn_memory),
            "memory_used_bytes_median": median(&mut samples.memory_used),
            "memory_used_growth_bytes": median(&mut samples.memory_used) - memory_before,
        },
    }))
}

pub fn run(args: &Args) -> Value {
    let t = Target::from_env();
    let secs = if args.quick {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(10)
    };
    let mut server = Server::connect(&t);
    setup_table(&mut server);
    let mut rows = Vec::new();
    let mut broken: Vec<(String, String)> = Vec::new();
    for rep in 0..args.reps {
        for k in 0..2 * MODES.len() {
            let (mode, hog) = (MODES[(k + rep) % MODES.len()], k >= MODES.len());
            if broken.iter().any(|(m, _)| m == mode) {
                continue;
            }
            std::thread::sleep(Duration::from_millis(300));
            match guarded(|| measure(mode, hog, &t, &mut server, secs)).and_then(|r| r) {
                Ok(mut row) => {
                    row["rep"] = json!(rep);
                    rows.push(row);
                }
                Err(e) => {
                    eprintln!("peers autoscaler: {mode} failed, skipped from now on: {e}");
                    broken.push((mode.to_string(), e));
                }
            }
        }
        eprintln!(
            "peers autoscaler: repetition {} of {} done",
            rep + 1,
            args.reps
        );
    }
    json!({
        "bench": "autoscaler",
        "what": format!("{COMPONENTS} components polling `{METRIC_SQL}` every {} ms for {} s", PERIOD.as_millis(), secs.as_secs()),
        "components": COMPONENTS,
        "hog_threads": HOG_THREADS,
        "shared_max_size": SHARED_MAX_SIZE,
        "note": "connection counts exclude the benchmark's own status connection; connection memory = SUM(MEMORY_USED) of information_schema.PROCESSLIST, sampled every second; memory_used_growth = the server's Memory_used status during the run minus before the components connected",
        "rows": rows,
        "failed": broken.iter().map(|(m, e)| json!({"mode": m, "error": e})).collect::<Vec<_>>(),
    })
}
