//! Engine overhead with a no-op manager: uncontended acquire+release, and 8 threads
//! contending for 4 connections. `cargo bench -p sharedpool --bench engine`.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use sharedpool::{ManageConnection, Pool, PoolConfig, Result};

/// Connections that cost nothing.
struct Noop;

impl ManageConnection for Noop {
    type Connection = u64;
    fn connect(&self) -> Result<u64> {
        Ok(0)
    }
    fn validate(&self, _: &mut u64) -> Result<()> {
        Ok(())
    }
    fn reset(&self, _: &mut u64) -> Result<bool> {
        Ok(false)
    }
    fn is_broken(&self, _: &mut u64) -> bool {
        false
    }
}

fn pool(max_size: u32) -> Pool<Noop> {
    let config = PoolConfig {
        max_size,
        min_idle: max_size,
        ..PoolConfig::default()
    };
    let pool = Pool::new(Noop, config, "bench");
    let warm: Vec<_> = (0..max_size).map(|_| pool.acquire().unwrap()).collect();
    drop(warm);
    pool
}

fn uncontended(c: &mut Criterion) {
    let pool = pool(4);
    c.bench_function("acquire_release_uncontended", |b| {
        b.iter(|| {
            let mut conn = pool.acquire().unwrap();
            *conn += 1;
        })
    });
}

fn contended(c: &mut Criterion) {
    const THREADS: u64 = 8;
    let pool = pool(4);
    // Reported per acquire+release, at the aggregate rate of all 8 threads.
    c.bench_function("acquire_release_8_threads_4_connections", |b| {
        b.iter_custom(|iters| {
            let per_thread = iters.div_ceil(THREADS);
            let barrier = Arc::new(Barrier::new(THREADS as usize + 1));
            let threads: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (pool, barrier) = (pool.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        for _ in 0..per_thread {
                            let mut conn = pool.acquire().unwrap();
                            *conn += 1;
                        }
                    })
                })
                .collect();
            barrier.wait();
            let start = Instant::now();
            for t in threads {
                t.join().unwrap();
            }
            start
                .elapsed()
                .mul_f64(iters as f64 / (per_thread * THREADS) as f64)
        })
    });
}

fn short() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = short();
    targets = uncontended, contended
}
criterion_main!(benches);
