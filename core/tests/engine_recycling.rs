//! Recycling: idle_timeout (only above min_idle), max_lifetime, max_uses.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use common::fake::FakeManager;
use common::{config, eventually};
use sharedpool::Pool;

#[test]
fn idle_timeout_closes_only_above_min_idle() {
    let m = FakeManager::new();
    let mut cfg = config(4);
    cfg.min_idle = 1;
    cfg.idle_timeout = Duration::from_millis(60);
    let pool = Pool::new(m.clone(), cfg, "idle");
    let conns: Vec<_> = (0..3).map(|_| pool.acquire().unwrap()).collect();
    drop(conns);
    assert!(eventually(Duration::from_secs(3), || pool.stats().total == 1));
    // And it stays at min_idle.
    std::thread::sleep(Duration::from_millis(200));
    let s = pool.stats();
    assert_eq!((s.total, s.idle), (1, 1));
    // (min_idle also kept one spare while three were borrowed.)
    assert_eq!(s.closed_idle_total, s.created_total - 1);
    assert!(s.closed_idle_total >= 2);
    assert_eq!(m.fake.live.load(SeqCst), 1);
}

#[test]
fn min_idle_is_prefilled_in_the_background() {
    let m = FakeManager::new();
    let mut cfg = config(4);
    cfg.min_idle = 3;
    let pool = Pool::new(m.clone(), cfg, "prefill");
    assert!(eventually(Duration::from_secs(3), || pool.stats().idle == 3));
    assert_eq!(m.fake.connects.load(SeqCst), 3);
}

#[test]
fn connections_past_max_lifetime_are_replaced() {
    let m = FakeManager::new();
    let mut cfg = config(2);
    cfg.max_lifetime = Duration::from_millis(100);
    let pool = Pool::new(m.clone(), cfg, "lifetime");
    // Held past its lifetime: closed on return.
    let c = pool.acquire().unwrap();
    let first = c.id;
    std::thread::sleep(Duration::from_millis(120));
    drop(c);
    let s = pool.stats();
    assert_eq!((s.total, s.closed_lifetime_total), (0, 1));
    // Idle past its lifetime: closed by maintenance, never handed out.
    let c = pool.acquire().unwrap();
    let second = c.id;
    assert_ne!(first, second);
    drop(c);
    assert!(eventually(Duration::from_secs(2), || {
        pool.stats().closed_lifetime_total == 2
    }));
    assert_ne!(pool.acquire().unwrap().id, second);
    assert_eq!(*m.fake.closed_ids.lock(), vec![first, second]);
}

#[test]
fn max_uses_recycles_after_that_many_borrows() {
    let m = FakeManager::new();
    let mut cfg = config(2);
    cfg.max_uses = 3;
    let pool = Pool::new(m.clone(), cfg, "uses");
    let ids: Vec<u64> = (0..7).map(|_| pool.acquire().unwrap().id).collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert_ne!(ids[2], ids[3]);
    assert_eq!(ids[3], ids[5]);
    assert_ne!(ids[5], ids[6]);
    let s = pool.stats();
    assert_eq!(s.closed_max_uses_total, 2);
    assert_eq!(s.total, 1);
}
