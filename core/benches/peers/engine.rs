//! Engine overhead without I/O: acquire + release with identical no-op managers.
//!
//! Every pool is driven the same way: N OS threads in closed loops. The async pools (deadpool,
//! bb8) run their loop inside `Runtime::block_on` on each of those threads, with a shared
//! multi-thread tokio runtime for their background tasks, so all four see the same threads.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{closed_loop, guarded, ns_since, Args, Sample};

const LIBS: [&str; 4] = ["sharedpool", "r2d2", "deadpool", "bb8"];
const SIZES: [u32; 2] = [8, 32];
const THREADS: [usize; 5] = [1, 2, 8, 32, 256];

/// The no-op connection: a number, so nothing is optimised away.
static NEXT: AtomicU64 = AtomicU64::new(0);
fn new_conn() -> u64 {
    NEXT.fetch_add(1, Ordering::Relaxed)
}

struct SpNoop;
impl sharedpool::ManageConnection for SpNoop {
    type Connection = u64;
    fn connect(&self) -> sharedpool::Result<u64> {
        Ok(new_conn())
    }
    fn validate(&self, _: &mut u64) -> sharedpool::Result<()> {
        Ok(())
    }
    fn reset(&self, _: &mut u64) -> sharedpool::Result<bool> {
        Ok(false)
    }
    fn is_broken(&self, _: &mut u64) -> bool {
        false
    }
}

struct R2Noop;
impl r2d2::ManageConnection for R2Noop {
    type Connection = u64;
    type Error = io::Error;
    fn connect(&self) -> io::Result<u64> {
        Ok(new_conn())
    }
    fn is_valid(&self, _: &mut u64) -> io::Result<()> {
        Ok(())
    }
    fn has_broken(&self, _: &mut u64) -> bool {
        false
    }
}

struct DpNoop;
impl deadpool::managed::Manager for DpNoop {
    type Type = u64;
    type Error = io::Error;
    async fn create(&self) -> io::Result<u64> {
        Ok(new_conn())
    }
    async fn recycle(
        &self,
        _: &mut u64,
        _: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<io::Error> {
        Ok(())
    }
}

struct BbNoop;
impl bb8::ManageConnection for BbNoop {
    type Connection = u64;
    type Error = io::Error;
    async fn connect(&self) -> io::Result<u64> {
        Ok(new_conn())
    }
    async fn is_valid(&self, _: &mut u64) -> io::Result<()> {
        Ok(())
    }
    fn has_broken(&self, _: &mut u64) -> bool {
        false
    }
}

/// One measurement of `lib` with a pool of `size` and `threads` borrowers. The recorded
/// latency is the acquire wait; release happens on drop, inside the measured loop.
fn measure(
    lib: &str,
    size: u32,
    threads: usize,
    warm: Duration,
    dur: Duration,
    rt: &tokio::runtime::Runtime,
) -> Sample {
    let timeout = Duration::from_secs(60);
    match lib {
        "sharedpool" => {
            let config = sharedpool::PoolConfig {
                max_size: size,
                min_idle: size,
                acquire_timeout: timeout,
                ..Default::default()
            };
            let pool = sharedpool::Pool::new(SpNoop, config, "bench-noop");
            let s = closed_loop(
                threads,
                warm,
                dur,
                |_| (),
                |_| {
                    let t = Instant::now();
                    let c = pool.acquire().map_err(|e| e.to_string())?;
                    let ns = ns_since(t);
                    drop(c);
                    Ok(ns)
                },
            );
            pool.close();
            s
        }
        "r2d2" => {
            let pool = r2d2::Pool::builder()
                .max_size(size)
                .connection_timeout(timeout)
                .build(R2Noop)
                .expect("r2d2 pool");
            closed_loop(
                threads,
                warm,
                dur,
                |_| (),
                |_| {
                    let t = Instant::now();
                    let c = pool.get().map_err(|e| e.to_string())?;
                    let ns = ns_since(t);
                    drop(c);
                    Ok(ns)
                },
            )
        }
        "deadpool" => {
            let pool = deadpool::managed::Pool::<DpNoop>::builder(DpNoop)
                .max_size(size as usize)
                .build()
                .expect("deadpool pool");
            async_loop(threads, warm, dur, rt, || async {
                let t = Instant::now();
                let c = pool.get().await.map_err(|e| e.to_string())?;
                let ns = ns_since(t);
                drop(c);
                Ok(ns)
            })
        }
        "bb8" => {
            let pool = rt
                .block_on(
                    bb8::Pool::builder()
                        .max_size(size)
                        .connection_timeout(timeout)
                        .build(BbNoop),
                )
                .expect("bb8 pool");
            async_loop(threads, warm, dur, rt, || async {
                let t = Instant::now();
                let c = pool.get().await.map_err(|e| e.to_string())?;
                let ns = ns_since(t);
                drop(c);
                Ok(ns)
            })
        }
        other => unreachable!("unknown lib {other}"),
    }
}

/// `closed_loop` for an async pool: each OS thread drives one operation at a time with
/// `block_on`, the same shape as the blocking pools.
fn async_loop<F, Fut>(
    threads: usize,
    warm: Duration,
    dur: Duration,
    rt: &tokio::runtime::Runtime,
    op: F,
) -> Sample
where
    F: Fn() -> Fut + Sync,
    Fut: std::future::Future<Output = Result<u64, String>>,
{
    closed_loop(threads, warm, dur, |_| (), |_| rt.block_on(op()))
}

pub fn run(args: &Args) -> Value {
    let (warm, dur) = if args.quick {
        (Duration::from_millis(10), Duration::from_millis(40))
    } else {
        (Duration::from_millis(30), Duration::from_millis(300))
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut rows = Vec::new();
    let mut broken: Vec<(String, String)> = Vec::new();
    for rep in 0..args.reps {
        for &size in &SIZES {
            for &threads in &THREADS {
                // Rotate the order each repetition so no library always runs first.
                for k in 0..LIBS.len() {
                    let lib = LIBS[(k + rep) % LIBS.len()];
                    if broken.iter().any(|(l, _)| l == lib) {
                        continue;
                    }
                    match guarded(|| measure(lib, size, threads, warm, dur, &rt)) {
                        Ok(s) => {
                            let mut row = s.to_json();
                            row["lib"] = json!(lib);
                            row["pool_size"] = json!(size);
                            row["threads"] = json!(threads);
                            row["rep"] = json!(rep);
                            rows.push(row);
                        }
                        Err(e) => {
                            eprintln!("peers engine: {lib} failed, skipped from now on: {e}");
                            broken.push((lib.to_string(), e));
                        }
                    }
                }
            }
        }
        eprintln!("peers engine: repetition {} of {} done", rep + 1, args.reps);
    }
    json!({
        "bench": "engine",
        "what": "acquire+release, no-op managers, N OS threads in closed loops (deadpool and bb8: each thread runs its loop in block_on, with a shared 2-worker tokio runtime); latency = acquire wait; every pool with its default settings besides max_size",
        "measure_ms": dur.as_millis() as u64,
        "rows": rows,
        "failed": broken.iter().map(|(l, e)| json!({"lib": l, "error": e})).collect::<Vec<_>>(),
    })
}
