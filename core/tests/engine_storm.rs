//! Storm protection: 200 waiters on a cold pool with a slow connect never see more than
//! max_connecting connects at once, and all are served.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::config;
use common::fake::FakeManager;
use sharedpool::Pool;

#[test]
fn cold_pool_storm_is_throttled() {
    let m = FakeManager::with_connect_delay(Duration::from_millis(20));
    let mut cfg = config(16);
    cfg.max_connecting = 3;
    cfg.acquire_timeout = Duration::from_secs(30);
    let pool = Arc::new(Pool::new(m.clone(), cfg, "storm"));
    let barrier = Arc::new(Barrier::new(200));
    let threads: Vec<_> = (0..200)
        .map(|_| {
            let (pool, barrier) = (pool.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let c = pool.acquire().expect("served");
                std::thread::sleep(Duration::from_millis(1));
                drop(c);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let f = &m.fake;
    assert!(
        f.max_connecting.load(SeqCst) <= 3,
        "{}",
        f.max_connecting.load(SeqCst)
    );
    assert!(
        f.max_connecting.load(SeqCst) >= 2,
        "connects did run in parallel"
    );
    assert!(f.max_live.load(SeqCst) <= 16);
    let s = pool.stats();
    assert_eq!(s.acquires_total, 200);
    assert_eq!(s.timeouts_total, 0);
    assert!(s.total <= 16);
}
