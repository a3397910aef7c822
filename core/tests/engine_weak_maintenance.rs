//! Background work holds only weak references: it never keeps a pool alive.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::Duration;

use common::fake::FakeManager;
use common::{config, eventually};
use sharedpool::Pool;

#[test]
fn dropping_the_last_handle_frees_the_pool() {
    let m = FakeManager::new();
    let mut cfg = config(4);
    cfg.min_idle = 2;
    cfg.idle_timeout = Duration::from_millis(20);
    cfg.leak_detection = Duration::from_millis(20);
    let pool = Pool::new(m.clone(), cfg, "weak");
    assert!(eventually(Duration::from_secs(2), || pool.stats().idle == 2));
    drop(pool);
    // Only the test's clone of the fake is left once the pool (and its manager) are gone.
    assert!(
        eventually(Duration::from_secs(3), || Arc::strong_count(&m.fake) == 1),
        "the pool was kept alive"
    );
    assert_eq!(
        m.fake.live.load(SeqCst),
        0,
        "idle connections closed on drop"
    );
}

#[test]
fn a_retrying_connector_does_not_keep_the_pool_alive() {
    let m = FakeManager::new();
    m.fake.fail_connects.store(u32::MAX, SeqCst);
    let mut cfg = config(4);
    cfg.min_idle = 2;
    let pool = Pool::new(m.clone(), cfg, "weak-retry");
    assert!(eventually(Duration::from_secs(2), || pool
        .stats()
        .connect_errors_total
        >= 2));
    drop(pool);
    assert!(eventually(Duration::from_secs(3), || Arc::strong_count(
        &m.fake
    ) == 1));
}
