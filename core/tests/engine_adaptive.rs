//! Self-sizing: under a stepped load the warm count follows demand up and back down, and
//! never passes max_size.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake::FakeManager;
use common::{config, eventually};
use sharedpool::Pool;

const MAX: u32 = 12;

/// Runs `threads` borrowers (hold 20 ms, pause 10 ms) for `dur`; returns the largest total seen.
fn load(pool: &Arc<Pool<FakeManager>>, threads: usize, dur: Duration) -> u32 {
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (pool, stop) = (pool.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(SeqCst) {
                    let c = pool.acquire().unwrap();
                    std::thread::sleep(Duration::from_millis(20));
                    drop(c);
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        })
        .collect();
    let max_total = AtomicU32::new(0);
    let end = Instant::now() + dur;
    while Instant::now() < end {
        max_total.fetch_max(pool.stats().total, SeqCst);
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    max_total.load(SeqCst)
}

#[test]
fn warm_count_follows_a_stepped_load() {
    let m = FakeManager::new();
    let mut cfg = config(MAX);
    cfg.adaptive = true;
    cfg.idle_timeout = Duration::from_millis(100);
    let pool = Arc::new(Pool::new(m.clone(), cfg, "adaptive"));
    assert_eq!(pool.stats().recommended_size, 0);

    // Step up: 6 borrowers, L = λ·W ≈ 200/s × 20 ms = 4, recommended ≈ 6.
    let peak = load(&pool, 6, Duration::from_millis(1500));
    let s = pool.stats();
    assert!(s.arrival_rate > 50.0, "{s:?}");
    assert!(s.hold_time_avg > 0.010 && s.hold_time_avg < 0.2, "{s:?}");
    assert!(s.demand > 1.0, "{s:?}");
    assert!(
        s.recommended_size >= 3 && s.recommended_size <= MAX,
        "{s:?}"
    );
    assert!(peak <= MAX);
    // Load stopped: the recommended size stays warm for now (not dropped after idle_timeout).
    std::thread::sleep(Duration::from_millis(250));
    let warm = pool.stats();
    assert!(warm.total >= 3, "kept warm ahead of demand: {warm:?}");
    assert_eq!(warm.active, 0);

    // Step down: λ decays, the surplus goes after idle_timeout.
    assert!(
        eventually(Duration::from_secs(8), || pool.stats().total <= 1),
        "{:?}",
        pool.stats()
    );
    assert!(pool.stats().recommended_size <= 1);

    // Step up again, a bigger load: still never above max_size.
    let peak = load(&pool, 16, Duration::from_millis(800));
    assert!(peak <= MAX, "{peak}");
    assert!(pool.stats().recommended_size >= 3);
    assert!(m.fake.max_live.load(SeqCst) <= MAX as usize);
}

#[test]
fn a_burst_s_connections_go_back_soon_after_it_even_with_a_long_idle_timeout() {
    let m = FakeManager::new();
    let mut cfg = config(MAX);
    cfg.adaptive = true;
    cfg.idle_timeout = Duration::from_secs(600);
    let pool = Arc::new(Pool::new(m.clone(), cfg, "adaptive-burst"));
    // A burst: 8 borrowers at once for a moment.
    let held: Vec<_> = (0..8).map(|_| pool.acquire().unwrap()).collect();
    drop(held);
    assert_eq!(pool.stats().total, 8);
    // Then a trickle: one short borrow every 200 ms (L ≈ 0), for longer than the surplus idle.
    let t0 = Instant::now();
    let mut low = u32::MAX;
    while t0.elapsed() < Duration::from_secs(9) {
        drop(pool.acquire().unwrap());
        low = low.min(pool.stats().total);
        std::thread::sleep(Duration::from_millis(200));
    }
    let s = pool.stats();
    assert!(s.recommended_size <= 1, "{s:?}");
    // The surplus closed after about 5 s idle (not the 10 min idle_timeout); the trickle's
    // connection stays.
    assert!(low <= 2 && s.total <= 2, "low {low}, {s:?}");
    assert!(s.total >= 1, "the connection in use stays: {s:?}");
    assert!(s.closed_total >= 6, "{s:?}");
}
