//! Closing: acquires fail at once, waiters are woken, idle closes now, borrowed on return.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake::FakeManager;
use common::{config, eventually};
use sharedpool::events::Event;
use sharedpool::{ErrorKind, Pool};

#[test]
fn waiters_are_woken_with_pool_closed() {
    let m = FakeManager::new();
    let pool = Arc::new(Pool::new(m.clone(), config(1), "wake"));
    let held = pool.acquire().unwrap();
    let p = pool.clone();
    let waiter = std::thread::spawn(move || {
        let t = Instant::now();
        let e = p.acquire().unwrap_err();
        (e, t.elapsed())
    });
    assert!(eventually(Duration::from_secs(2), || pool.stats().waiting == 1));
    pool.close();
    let (e, waited) = waiter.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::PoolClosed);
    assert!(waited < Duration::from_secs(4), "woken, not timed out");
    // New acquires fail at once.
    assert_eq!(pool.acquire().unwrap_err().kind(), ErrorKind::PoolClosed);
    // The borrowed connection closes when it comes back.
    assert_eq!(m.fake.live.load(SeqCst), 1);
    drop(held);
    assert_eq!(m.fake.live.load(SeqCst), 0);
    let s = pool.stats();
    assert_eq!((s.total, s.idle, s.active), (0, 0, 0));
    assert_eq!(s.closed_pool_total, 1);
}

#[test]
fn idle_connections_close_at_once_and_an_event_is_emitted() {
    common::events();
    let m = FakeManager::new();
    let pool = Pool::new(m.clone(), config(3), "idle-close");
    let conns: Vec<_> = (0..3).map(|_| pool.acquire().unwrap()).collect();
    drop(conns);
    assert_eq!(pool.stats().idle, 3);
    pool.close();
    assert!(pool.is_closed());
    assert_eq!(m.fake.closes.load(SeqCst), 3);
    assert_eq!(m.fake.live.load(SeqCst), 0);
    assert_eq!(pool.stats().closed_pool_total, 3);
    assert!(common::events_for("idle-close").iter().any(|e| *e
        == Event::PoolClosed {
            pool: "idle-close".into()
        }));
    pool.close(); // idempotent
}
