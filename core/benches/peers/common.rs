//! What every comparison shares: arguments, the closed-loop driver, latency summaries, JSON.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{json, Value};

/// Command-line arguments.
pub struct Args {
    pub command: String,
    pub out: Option<PathBuf>,
    pub quick: bool,
    pub reps: usize,
}

impl Args {
    pub fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
        let command = it.next().ok_or("missing command")?;
        let mut args = Args {
            command,
            out: None,
            quick: false,
            reps: 5,
        };
        let mut reps = None;
        while let Some(a) = it.next() {
            match a.as_str() {
                "--quick" => args.quick = true,
                "--out" => args.out = Some(it.next().ok_or("--out needs a path")?.into()),
                "--reps" => {
                    let v = it.next().ok_or("--reps needs a number")?;
                    reps = Some(
                        v.parse::<usize>()
                            .map_err(|_| format!("--reps: not a number: {v}"))?,
                    );
                }
                "--bench" => {} // passed by `cargo bench`
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        args.reps = reps.unwrap_or(if args.quick { 2 } else { 5 }).max(1);
        Ok(args)
    }
}

/// A latency histogram in nanoseconds.
pub fn histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant figures is valid")
}

/// p50/p99/p99.9/max in microseconds.
pub fn summary(h: &Histogram<u64>) -> Value {
    let us = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    json!({
        "count": h.len(),
        "p50_us": us(0.5),
        "p99_us": us(0.99),
        "p999_us": us(0.999),
        "max_us": h.max() as f64 / 1000.0,
    })
}

/// The outcome of one closed-loop measurement.
pub struct Sample {
    pub ops: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub secs: f64,
    pub hist: Histogram<u64>,
}

impl Sample {
    pub fn to_json(&self) -> Value {
        json!({
            "ops": self.ops,
            "errors": self.errors,
            "first_error": self.first_error,
            "secs": self.secs,
            "ops_per_s": self.ops as f64 / self.secs,
            "latency": summary(&self.hist),
        })
    }
}

const WARM: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// Runs `threads` closed loops: each thread builds its state with `setup`, then calls `op`
/// until told to stop. Only operations started during the measured window (after `warmup`,
/// for `dur`) are counted; `op` returns the latency it wants recorded, in ns, or an error.
pub fn closed_loop<S, Setup, Op>(
    threads: usize,
    warmup: Duration,
    dur: Duration,
    setup: Setup,
    op: Op,
) -> Sample
where
    Setup: Fn(usize) -> S + Sync,
    Op: Fn(&mut S) -> Result<u64, String> + Sync,
{
    let phase = AtomicU8::new(WARM);
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (phase, barrier, setup, op) = (&phase, &barrier, &setup, &op);
                std::thread::Builder::new()
                    .stack_size(256 * 1024)
                    .spawn_scoped(s, move || {
                        // A failed setup must still reach the barrier, or everyone waits forever.
                        let state = guarded(|| setup(i));
                        let mut h = histogram();
                        let (mut ops, mut errors, mut first_error) = (0u64, 0u64, None);
                        barrier.wait();
                        let mut state = match state {
                            Ok(s) => s,
                            Err(e) => return (0, 1, Some(format!("setup: {e}")), h),
                        };
                        loop {
                            let p = phase.load(Ordering::Relaxed);
                            if p == STOP {
                                break;
                            }
                            let r = op(&mut state);
                            if p == MEASURE {
                                match r {
                                    Ok(ns) => {
                                        ops += 1;
                                        let _ = h.record(ns.max(1));
                                    }
                                    Err(e) => {
                                        errors += 1;
                                        first_error.get_or_insert(e);
                                    }
                                }
                            }
                        }
                        (ops, errors, first_error, h)
                    })
                    .expect("spawn a benchmark thread")
            })
            .collect();
        barrier.wait();
        std::thread::sleep(warmup);
        phase.store(MEASURE, Ordering::Relaxed);
        let t0 = Instant::now();
        std::thread::sleep(dur);
        phase.store(STOP, Ordering::Relaxed);
        let secs = t0.elapsed().as_secs_f64();
        let mut sample = Sample {
            ops: 0,
            errors: 0,
            first_error: None,
            secs,
            hist: histogram(),
        };
        for h in handles {
            let (ops, errors, first_error, hist) = h.join().expect("a benchmark thread panicked");
            sample.ops += ops;
            sample.errors += errors;
            if sample.first_error.is_none() {
                sample.first_error = first_error;
            }
            sample.hist.add(&hist).expect("histograms of one shape");
        }
        sample
    })
}

/// Runs `f`, turning a panic (for instance a `todo!()` of a part not built yet) into an error.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|e| {
        e.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| e.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panicked".into())
    })
}

/// Nanoseconds since `t`, saturating.
pub fn ns_since(t: Instant) -> u64 {
    t.elapsed().as_nanos().min(u64::MAX as u128) as u64
}

/// Writes the report: to `--out` when given, else to stdout.
pub fn write_json(args: &Args, mut report: Value) {
    report["quick"] = json!(args.quick);
    report["reps"] = json!(args.reps);
    report["unix_time"] = json!(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0));
    let text = serde_json::to_string_pretty(&report).expect("JSON values serialize");
    match &args.out {
        Some(p) => {
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir).expect("create the output folder");
            }
            std::fs::write(p, text + "\n").expect("write the report");
            eprintln!("peers: wrote {}", p.display());
        }
        None => println!("{text}"),
    }
}
