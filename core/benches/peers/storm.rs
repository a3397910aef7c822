//! Connection storm: a cold pool (`max_size=50`) hit by 50, 200 and 500 simultaneous requests
//! while the server allows 60 connections, against naive clients that each open their own
//! connection per request. Each request runs `SELECT SLEEP(0.05)`: it holds its connection
//! 50 ms, so a storm's demand really exceeds the server's limit.
//!
//! Every request is bounded: 5 s connect/read/write timeouts for both clients (and a 20 s
//! acquire timeout for the pool). A request that fails after its timeout, or has not finished
//! when the storm's 30 s budget is up, counts as hung (`hung` in each row; the report says
//! "naive: N requests hung"); the unfinished ones are left behind, so a storm never blocks.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{guarded, histogram, ns_since, summary, Args};
use crate::raw::{delta, RawConn, Server, Target};

const MODES: [&str; 2] = ["sharedpool", "naive"];
const SERVER_MAX_CONNECTIONS: u32 = 60;
const POOL_MAX_SIZE: &str = "50";
const REQUEST_SQL: &str = "SELECT SLEEP(0.05)";
/// Connect, read and write timeout of one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
const POOL_TIMEOUT_MS: &str = "5000";
const POOL_ACQUIRE_TIMEOUT_MS: &str = "20000";
/// How long a storm may take; requests unfinished by then are hung.
const STORM_BUDGET: Duration = Duration::from_secs(30);

/// Sets the server's `max_connections` and puts the old value back on drop.
struct MaxConnections<'a> {
    server: &'a mut Server,
    old: String,
}

impl<'a> MaxConnections<'a> {
    fn set(server: &'a mut Server, n: u32) -> Self {
        let old = server
            .scalar("SELECT @@GLOBAL.max_connections")
            .expect("max_connections");
        server.query(&format!("SET GLOBAL max_connections = {n}"));
        MaxConnections { server, old }
    }
}

impl Drop for MaxConnections<'_> {
    fn drop(&mut self) {
        let sql = format!("SET GLOBAL max_connections = {}", self.old);
        self.server.query(&sql);
    }
}

fn storm(mode: &str, t: &Target, requests: usize, rep: usize) -> Result<Value, String> {
    // A fresh key each time: the pool is cold.
    let pool = if mode == "sharedpool" {
        let name = format!("bench-storm-{requests}-{rep}");
        let opts = [
            ("max_size", POOL_MAX_SIZE),
            ("pool_name", name.as_str()),
            ("connect_timeout_ms", POOL_TIMEOUT_MS),
            ("read_timeout_ms", POOL_TIMEOUT_MS),
            ("write_timeout_ms", POOL_TIMEOUT_MS),
            ("acquire_timeout_ms", POOL_ACQUIRE_TIMEOUT_MS),
        ];
        Some(guarded(|| sharedpool::open(&t.dsn, &opts))?.map_err(|e| e.to_string())?)
    } else {
        None
    };
    // The requests wait on this gate (held for writing) until all are spawned; threads, not
    // scoped, so that a hung one can be left behind.
    let gate = Arc::new(RwLock::new(()));
    let open_gate = gate.write().unwrap();
    let (tx, rx) = mpsc::channel();
    let target = Arc::new(t.clone());
    let mut spawned = 0;
    let mut spawn_error = None;
    for _ in 0..requests {
        let (gate, tx, pool, t) = (gate.clone(), tx.clone(), pool.clone(), target.clone());
        let r = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                drop(gate.read());
                let t0 = Instant::now();
                let r: Result<(), (u32, String)> = match pool {
                    Some(p) => guarded(|| {
                        let mut c = p.acquire().map_err(|e| (0, e.to_string()))?;
                        c.query(REQUEST_SQL, &[])
                            .map(drop)
                            .map_err(|e| (0, e.to_string()))
                    })
                    .unwrap_or_else(|e| Err((0, format!("panic: {e}")))),
                    None => RawConn::connect_within(&t, REQUEST_TIMEOUT)
                        .and_then(|mut c| c.query(REQUEST_SQL).map(drop))
                        .map_err(|e| (e.errno, e.message)),
                };
                let _ = tx.send((t0, ns_since(t0), r));
            });
        match r {
            Ok(_) => spawned += 1,
            Err(e) => {
                spawn_error = Some(format!("spawn a request: {e}"));
                break;
            }
        }
    }
    drop(tx);
    drop(open_gate);
    let deadline = Instant::now() + STORM_BUDGET;
    let mut results = Vec::with_capacity(spawned);
    while results.len() < spawned {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(r) => results.push(r),
            Err(_) => break,
        }
    }
    let unfinished = spawned - results.len();
    drop(pool);
    // The storm starts when its first request leaves the barrier.
    let start = results
        .iter()
        .map(|r| r.0)
        .min()
        .unwrap_or_else(Instant::now);
    let mut h = histogram();
    let mut first_result_ns = u64::MAX;
    let mut makespan_ns = 0u64;
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut hung = unfinished as u64;
    if unfinished > 0 {
        errors.insert(
            format!("unfinished after {} s", STORM_BUDGET.as_secs()),
            unfinished as u64,
        );
    }
    if let Some(e) = spawn_error {
        errors.insert(e, (requests - spawned) as u64);
    }
    for (t0, ns, r) in &results {
        let since_start = (*t0 + Duration::from_nanos(*ns))
            .saturating_duration_since(start)
            .as_nanos() as u64;
        match r {
            Ok(()) => {
                let _ = h.record((*ns).max(1));
                first_result_ns = first_result_ns.min(since_start);
                makespan_ns = makespan_ns.max(since_start);
            }
            Err((errno, msg)) => {
                // A failure only after the timeout: the timeout ended a request that hung.
                if Duration::from_nanos(*ns) >= REQUEST_TIMEOUT {
                    hung += 1;
                }
                let key = if *errno != 0 {
                    format!("{errno}: {msg}")
                } else {
                    msg.clone()
                };
                *errors.entry(key).or_default() += 1;
            }
        }
    }
    Ok(json!({
        "mode": mode,
        "requests": requests,
        "ok": h.len(),
        "errors": errors.values().sum::<u64>(),
        "errors_by_kind": errors,
        "hung": hung,
        "first_result_ms": if h.is_empty() { Value::Null } else { json!(first_result_ns as f64 / 1e6) },
        "all_done_ms": makespan_ns as f64 / 1e6,
        "latency": summary(&h),
    }))
}

pub fn run(args: &Args) -> Value {
    let t = Target::from_env();
    let sizes: &[usize] = if args.quick {
        &[50, 500]
    } else {
        &[50, 200, 500]
    };
    let mut server = Server::connect(&t);
    let mut rows = Vec::new();
    let mut broken: Vec<(String, String)> = Vec::new();
    {
        let limit = MaxConnections::set(&mut server, SERVER_MAX_CONNECTIONS);
        let server = &mut *limit.server;
        for rep in 0..args.reps {
            for &requests in sizes {
                for k in 0..MODES.len() {
                    let mode = MODES[(k + rep) % MODES.len()];
                    if broken.iter().any(|(m, _)| m == mode) {
                        continue;
                    }
                    // Let the previous storm's connections close before counting.
                    std::thread::sleep(Duration::from_millis(300));
                    server.query("FLUSH STATUS");
                    let before = server.status();
                    match storm(mode, &t, requests, rep) {
                        Ok(mut row) => {
                            if row["hung"] != json!(0) {
                                eprintln!("peers storm: {mode}: {} requests hung", row["hung"]);
                            }
                            let after = server.status();
                            row["rep"] = json!(rep);
                            row["server"] = json!({
                                "max_used_connections": after.get("Max_used_connections").copied().unwrap_or(0) - 1,
                                "connections": delta(&before, &after, "Connections"),
                                "aborted_connects": delta(&before, &after, "Aborted_connects"),
                                "threads_created": delta(&before, &after, "Threads_created"),
                            });
                            if row["ok"] == json!(0) && mode == "sharedpool" {
                                let e = row["errors_by_kind"].to_string();
                                eprintln!("peers storm: {mode} failed, skipped from now on: {e}");
                                broken.push((mode.to_string(), e));
                            }
                            rows.push(row);
                        }
                        Err(e) => {
                            eprintln!("peers storm: {mode} failed, skipped from now on: {e}");
                            broken.push((mode.to_string(), e));
                        }
                    }
                }
            }
            eprintln!("peers storm: repetition {} of {} done", rep + 1, args.reps);
        }
    }
    json!({
        "bench": "storm",
        "what": format!("cold pool max_size={POOL_MAX_SIZE} vs a connection per request; server max_connections={SERVER_MAX_CONNECTIONS}; each request runs `{REQUEST_SQL}`"),
        "server_max_connections": SERVER_MAX_CONNECTIONS,
        "pool_max_size": POOL_MAX_SIZE,
        "note": "max_used_connections excludes the benchmark's own status connection; latency is per request from the storm's start; hung = failed only after its timeout, or unfinished when the storm's budget was up",
        "request_timeout_s": REQUEST_TIMEOUT.as_secs(),
        "pool_acquire_timeout_ms": POOL_ACQUIRE_TIMEOUT_MS,
        "storm_budget_s": STORM_BUDGET.as_secs(),
        "rows": rows,
        "failed": broken.iter().map(|(m, e)| json!({"mode": m, "error": e})).collect::<Vec<_>>(),
    })
}
