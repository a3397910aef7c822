//! A full server (a fake one: `Fake::server_limit`) caps the pool instead of failing its
//! waiters; a pool with nothing live times out with the server's 1040; `server_headroom`
//! keeps slots free against a second pool of the same server.

mod common;

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake::FakeManager;
use common::{config, events_for, eventually};
use sharedpool::events::Event;
use sharedpool::{Acquire, ErrorKind, Pool, PoolConfig};

/// `threads` threads borrowing and holding 2 ms for `run`; returns borrows done and errors.
fn load(pool: &Pool<FakeManager>, threads: usize, run: Duration) -> (u64, Vec<String>) {
    let done = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + run;
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (pool, done) = (pool.clone(), done.clone());
            std::thread::spawn(move || {
                let mut errors = Vec::new();
                while Instant::now() < end {
                    match pool.acquire() {
                        Ok(c) => {
                            std::thread::sleep(Duration::from_millis(2));
                            drop(c);
                            done.fetch_add(1, SeqCst);
                        }
                        Err(e) => errors.push(e.to_string()),
                    }
                }
                errors
            })
        })
        .collect();
    let errors = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    (done.load(SeqCst), errors)
}

fn capped(max_size: u32, headroom: u32) -> PoolConfig {
    PoolConfig {
        server_headroom: headroom,
        ..config(max_size)
    }
}

#[test]
fn a_full_server_caps_the_pool_and_no_waiter_fails() {
    common::events();
    let m = FakeManager::new();
    *m.fake.server_limit.lock() = Some(3);
    let pool = Pool::new(m.clone(), capped(8, 0), "cap-live");
    let (done, errors) = load(&pool, 8, Duration::from_millis(800));
    assert!(errors.is_empty(), "{errors:?}");
    assert!(done > 100, "{done}");
    let st = pool.stats();
    assert_eq!(st.total, 3, "{st:?}");
    assert!(m.fake.connect_errors.load(SeqCst) >= 1);
    assert!(m.fake.max_live.load(SeqCst) <= 3);
    let near: Vec<_> = events_for("cap-live")
        .into_iter()
        .filter(|e| matches!(e, Event::ServerNearCapacity { .. }))
        .collect();
    assert_eq!(near.len(), 1, "one event per episode: {near:?}");
    assert!(
        !events_for("cap-live")
            .iter()
            .any(|e| matches!(e, Event::ConnectFailed { .. })),
        "refusals are not reported as connect failures"
    );
    // Room again: the pool grows within about a second.
    *m.fake.server_limit.lock() = Some(6);
    let (_, errors) = load(&pool, 8, Duration::from_millis(1500));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(pool.stats().total, 6, "{:?}", pool.stats());
}

#[test]
fn a_pool_with_nothing_live_at_a_full_server_waits_its_timeout_and_gets_1040() {
    let m = FakeManager::new();
    *m.fake.server_limit.lock() = Some(0);
    let pool = Pool::new(m.clone(), capped(4, 3), "cap-none");
    let t = Instant::now();
    let e = pool
        .acquire_with(&Acquire {
            timeout: Some(Duration::from_millis(400)),
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "no fail-fast: {:?}",
        t.elapsed()
    );
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.server_errno(), 1040, "{e}");
    assert!(e.message().contains("server at capacity"), "{e}");
    assert!(m.fake.connect_errors.load(SeqCst) >= 2, "it retried");
    // The server frees a slot: the next acquire gets a connection.
    *m.fake.server_limit.lock() = Some(1);
    assert!(pool.acquire().is_ok());
}

#[test]
fn headroom_keeps_slots_free_against_a_second_pool() {
    let m = FakeManager::new();
    *m.fake.server_limit.lock() = Some(12);
    let first = Pool::new(m.clone(), capped(20, 4), "cap-first");
    let second = Pool::new(m.clone(), capped(20, 4), "cap-second");
    let a = {
        let first = first.clone();
        std::thread::spawn(move || load(&first, 16, Duration::from_millis(1500)))
    };
    assert!(eventually(Duration::from_secs(2), || first.stats().total == 8));
    let (_, errors) = load(&second, 8, Duration::from_millis(800));
    let (_, first_errors) = a.join().unwrap();
    assert!(
        errors.is_empty() && first_errors.is_empty(),
        "{errors:?} {first_errors:?}"
    );
    let (f, s) = (first.stats(), second.stats());
    assert_eq!(f.total, 8, "12 - headroom 4: {f:?}");
    // 7 once the second pool's connection shows in a reading: the pool stops growing, it
    // does not close what it has.
    assert!((7..=8).contains(&f.capacity_cap), "{f:?}");
    // A pool always keeps its first connection (how it reads the server); past it, none.
    assert_eq!(s.total, 1, "{s:?}");
    assert!(m.fake.live.load(SeqCst) <= 9);
}
