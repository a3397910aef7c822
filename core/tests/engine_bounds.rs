//! Bounds under load: 64 threads x 10k acquires never exceed max_size, and nothing is lost.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use common::config;
use common::fake::FakeManager;
use sharedpool::Pool;

const THREADS: usize = 64;
const ACQUIRES: usize = 10_000;
const MAX: u32 = 8;

#[test]
fn never_over_max_size_and_nothing_lost() {
    let m = FakeManager::new();
    let mut cfg = config(MAX);
    cfg.max_connecting = 3;
    cfg.acquire_timeout = Duration::from_secs(60);
    let pool = Arc::new(Pool::new(m.clone(), cfg, "bounds"));
    let borrowed = Arc::new(AtomicUsize::new(0));
    let max_borrowed = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (pool, borrowed, max_borrowed) =
                (pool.clone(), borrowed.clone(), max_borrowed.clone());
            std::thread::spawn(move || {
                for i in 0..ACQUIRES {
                    let mut c = pool.acquire().expect("acquire under load");
                    let now = borrowed.fetch_add(1, SeqCst) + 1;
                    max_borrowed.fetch_max(now, SeqCst);
                    // A small per-op cost, and the occasional broken or discarded one.
                    std::hint::black_box(c.id);
                    borrowed.fetch_sub(1, SeqCst);
                    match (t * ACQUIRES + i) % 997 {
                        0 => c.discard(),
                        1 => {
                            c.broken = true;
                            drop(c);
                        }
                        2 => {
                            c.dirty = true;
                            drop(c);
                        }
                        _ => drop(c),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let f = &m.fake;
    assert!(
        f.max_live.load(SeqCst) <= MAX as usize,
        "{}",
        f.max_live.load(SeqCst)
    );
    assert!(max_borrowed.load(SeqCst) <= MAX as usize);
    assert!(f.max_connecting.load(SeqCst) <= 3);
    let s = pool.stats();
    assert_eq!(s.acquires_total, (THREADS * ACQUIRES) as u64);
    assert_eq!(s.active, 0);
    assert_eq!(s.waiting, 0);
    assert_eq!(s.active + s.idle, s.total, "{s:?}");
    assert_eq!(
        s.total as usize,
        f.live.load(SeqCst),
        "the pool's count matches reality"
    );
    assert!(s.total <= MAX);
    assert_eq!(s.created_total - s.closed_total, s.total as u64);
    assert!(s.closed_broken_total > 0);
}
