//! `make demo`: 100 autoscaler components poll a metric query, first each with its own
//! connection, then all through sharedpool (the same DSN opened 100 times, max_size=4).
//! Prints what the server saw and what the pool measured, side by side.
//!
//! Run it through `tests/mariadb.sh run cargo run -p sharedpool --example autoscaler_demo`
//! (or with SHAREDPOOL_TEST_DSN pointing at a server where the user may create a table).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use sharedpool::mysql::{Connection, Dsn, Param};
use sharedpool::Options;

const COMPONENTS: usize = 100;
const PHASE: Duration = Duration::from_secs(5);
const POLL_EVERY: Duration = Duration::from_millis(20);
const METRIC: &str = "SELECT COUNT(*) FROM demo_jobs WHERE state = ?";

struct Phase {
    name: &'static str,
    statements: u64,
    elapsed: Duration,
    connections_opened: u64,
    peak_threads_connected: u64,
    max_used_connections: u64,
}

fn status(c: &mut Connection, name: &str) -> u64 {
    let r = c
        .query("SHOW GLOBAL STATUS LIKE ?", &[Param::Text(name.as_bytes())])
        .expect("SHOW STATUS");
    r.get_str(0, 1).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Runs `component` on 100 threads for PHASE while sampling the server's connection count.
fn run_phase<F>(name: &'static str, admin: &mut Connection, component: F) -> Phase
where
    F: Fn(usize, &AtomicBool, &AtomicU64) + Send + Sync + 'static,
{
    admin.query("FLUSH STATUS", &[]).expect("FLUSH STATUS");
    let opened_before = status(admin, "Connections");
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let component = Arc::new(component);
    let start = Arc::new(Barrier::new(COMPONENTS + 1));
    let threads: Vec<_> = (0..COMPONENTS)
        .map(|i| {
            let (stop, count, component, start) = (
                stop.clone(),
                count.clone(),
                component.clone(),
                start.clone(),
            );
            std::thread::spawn(move || {
                start.wait();
                component(i, &stop, &count);
            })
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    let mut peak = 0;
    while t0.elapsed() < PHASE {
        peak = peak.max(status(admin, "Threads_connected").saturating_sub(1));
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("component thread");
    }
    let elapsed = t0.elapsed();
    Phase {
        name,
        statements: count.load(Ordering::Relaxed),
        elapsed,
        connections_opened: status(admin, "Connections") - opened_before,
        peak_threads_connected: peak,
        max_used_connections: status(admin, "Max_used_connections").saturating_sub(1),
    }
}

fn poll_loop(stop: &AtomicBool, count: &AtomicU64, mut poll: impl FnMut() -> i64) {
    while !stop.load(Ordering::Relaxed) {
        let queued = poll();
        assert!(queued >= 0);
        count.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(POLL_EVERY);
    }
}

fn main() {
    let url = std::env::var("SHAREDPOOL_TEST_DSN").unwrap_or_else(|_| {
        eprintln!(
            "SHAREDPOOL_TEST_DSN is not set; run `make demo` (it starts a throwaway MariaDB)"
        );
        std::process::exit(2);
    });
    let dsn = Dsn::parse(&url).expect("DSN");
    let mut admin = Connection::connect(&dsn, &Options::default()).expect("connect");
    admin
        .query(
            "CREATE TABLE IF NOT EXISTS demo_jobs (id INT AUTO_INCREMENT PRIMARY KEY, \
             state VARCHAR(16) NOT NULL, KEY (state))",
            &[],
        )
        .expect("create table");
    admin.query("DELETE FROM demo_jobs", &[]).unwrap();
    let rows: Vec<String> = (0..1000)
        .map(|i| format!("('{}')", ["queued", "running", "done"][i % 3]))
        .collect();
    admin
        .query(
            &format!("INSERT INTO demo_jobs (state) VALUES {}", rows.join(",")),
            &[],
        )
        .unwrap();
    println!(
        "{COMPONENTS} autoscaler components poll `{METRIC}` every {} ms for {} s, twice.\n",
        POLL_EVERY.as_millis(),
        PHASE.as_secs()
    );

    let own = {
        let dsn = dsn.clone();
        run_phase("own connection each", &mut admin, move |_, stop, count| {
            let mut c = Connection::connect(&dsn, &Options::default()).expect("connect");
            poll_loop(stop, count, || {
                let r = c.query(METRIC, &[Param::Text(b"queued")]).expect("poll");
                r.get_str(0, 0).unwrap().parse().unwrap()
            });
        })
    };

    let shared_url = {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}max_size=4&pool_name=autoscalers")
    };
    let last_stats = Arc::new(parking_lot::Mutex::new(None));
    let shared = {
        let (shared_url, last_stats) = (shared_url.clone(), last_stats.clone());
        run_phase(
            "sharedpool, max_size=4",
            &mut admin,
            move |i, stop, count| {
                let pool = sharedpool::open(&shared_url, &[]).expect("open");
                poll_loop(stop, count, || {
                    let r = pool.query(METRIC, &[Param::Text(b"queued")]).expect("poll");
                    r.get_str(0, 0).unwrap().parse().unwrap()
                });
                if i == 0 {
                    *last_stats.lock() = Some(pool.stats());
                }
            },
        )
    };

    println!("{:<34}{:>22}{:>26}", "", own.name, shared.name);
    let row = |label: &str, a: String, b: String| println!("{label:<34}{a:>22}{b:>26}");
    row(
        "server: connections opened",
        own.connections_opened.to_string(),
        shared.connections_opened.to_string(),
    );
    row(
        "server: peak Threads_connected",
        own.peak_threads_connected.to_string(),
        shared.peak_threads_connected.to_string(),
    );
    row(
        "server: Max_used_connections",
        own.max_used_connections.to_string(),
        shared.max_used_connections.to_string(),
    );
    let rate = |p: &Phase| format!("{:.0}", p.statements as f64 / p.elapsed.as_secs_f64());
    row("statements per second", rate(&own), rate(&shared));
    row(
        "statements total",
        own.statements.to_string(),
        shared.statements.to_string(),
    );
    if let Some(s) = last_stats.lock().take() {
        println!("\npool stats (sharedpool phase, seen by one of the {COMPONENTS} components):");
        println!(
            "  refs={} max_size={} total={} idle={} active={} waiting={}",
            s.refs, s.max_size, s.total, s.idle, s.active, s.waiting
        );
        println!(
            "  acquires={} created={} closed={} resets={} timeouts={} connect_errors={}",
            s.acquires_total,
            s.created_total,
            s.closed_total,
            s.resets_total,
            s.timeouts_total,
            s.connect_errors_total
        );
        let avg_wait_us = s.wait_time_us_total as f64 / s.acquires_total.max(1) as f64;
        println!(
            "  avg wait {:.0} us, max wait {} us; measured demand L = λ·W = {:.2} \
             (λ={:.0}/s, W={:.2} ms) -> recommended size {}",
            avg_wait_us,
            s.wait_time_us_max,
            s.demand,
            s.arrival_rate,
            s.hold_time_avg * 1000.0,
            s.recommended_size
        );
    }
    admin.query("DROP TABLE demo_jobs", &[]).ok();
}
