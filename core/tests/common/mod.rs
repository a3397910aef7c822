//! Helpers shared by the engine tests.
#![allow(dead_code)]

pub mod fake;

use std::time::{Duration, Instant};

/// Polls `cond` every 5 ms until it holds or `limit` passes; returns whether it held.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A `PoolConfig` with short timeouts for tests.
pub fn config(max_size: u32) -> sharedpool::PoolConfig {
    sharedpool::PoolConfig {
        max_size,
        acquire_timeout: Duration::from_secs(5),
        validation_idle: Duration::from_secs(60),
        ..Default::default()
    }
}

/// Every event emitted in this test process, collected by one sink installed on first use
/// (the sink is process-wide, so tests in one binary share it; filter by pool label).
pub fn events() -> &'static std::sync::Mutex<Vec<sharedpool::events::Event>> {
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<&'static Mutex<Vec<sharedpool::events::Event>>> = OnceLock::new();
    SEEN.get_or_init(|| {
        let seen: &'static Mutex<Vec<_>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        sharedpool::events::set_sink(Box::new(move |e| seen.lock().unwrap().push(e.clone())));
        seen
    })
}

/// The events collected so far for pool `label`.
pub fn events_for(label: &str) -> Vec<sharedpool::events::Event> {
    events()
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.pool() == label)
        .cloned()
        .collect()
}
