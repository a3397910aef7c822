//! Background threads do not grow with the number of pools: one scheduler thread runs every
//! pool's maintenance, and connector threads exist only while connects are wanted.

mod common;

use std::time::Duration;

use common::fake::FakeManager;
use common::{config, eventually};
use sharedpool::Pool;

/// Threads of this process whose name starts with `sharedpool` (Linux: /proc/self/task).
fn sharedpool_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("sharedpool"))
        .count()
}

#[test]
fn a_hundred_pools_are_served_by_one_background_thread() {
    let pools: Vec<Pool<FakeManager>> = (0..100)
        .map(|i| {
            let mut cfg = config(2);
            cfg.idle_timeout = Duration::from_millis(50);
            Pool::new(FakeManager::new(), cfg, format!("threads-{i}"))
        })
        .collect();
    for p in &pools {
        drop(p.acquire().expect("a connection"));
    }
    // Every pool's maintenance ran: the idle connection of each timed out and was closed.
    assert!(
        eventually(Duration::from_secs(10), || pools
            .iter()
            .all(|p| p.stats().closed_idle_total == 1)),
        "maintenance did not reach every pool"
    );
    // Connector threads finished; what is left is the scheduler.
    assert!(
        eventually(Duration::from_secs(5), || sharedpool_threads() == 1),
        "{} sharedpool threads for 100 pools",
        sharedpool_threads()
    );
}
