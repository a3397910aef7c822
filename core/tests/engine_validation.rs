//! A connection idle longer than validation_idle is pinged before hand-out; a failed one is
//! closed and another tried within the same deadline.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use common::config;
use common::fake::FakeManager;
use sharedpool::Pool;

#[test]
fn recently_used_connections_are_not_pinged() {
    let m = FakeManager::new();
    let mut cfg = config(2);
    cfg.validation_idle = Duration::from_secs(60);
    let pool = Pool::new(m.clone(), cfg, "fresh");
    drop(pool.acquire().unwrap());
    drop(pool.acquire().unwrap());
    assert_eq!(m.fake.validates.load(SeqCst), 0);
    assert_eq!(m.fake.alive_checks.load(SeqCst), 1, "only the cheap check");
}

#[test]
fn recently_used_connections_found_dead_are_replaced_without_a_ping() {
    let m = FakeManager::new();
    let pool = Pool::new(m.clone(), config(3), "dead-fresh");
    let a = pool.acquire().unwrap();
    let b = pool.acquire().unwrap();
    let old = [a.id, b.id];
    drop(a);
    drop(b);
    // The server closed both idle sockets: both fail the cheap check, a new one is opened.
    m.fake.fail_alive.store(true, SeqCst);
    let c = pool.acquire().unwrap();
    assert!(!old.contains(&c.id), "a fresh connection");
    assert_eq!(m.fake.alive_checks.load(SeqCst), 2);
    assert_eq!(m.fake.validates.load(SeqCst), 0);
    let s = pool.stats();
    assert_eq!(s.closed_broken_total, 2);
    assert_eq!((s.total, s.active, s.idle), (1, 1, 0));
    m.fake.fail_alive.store(false, SeqCst);
    drop(c);
    let d = pool.acquire().unwrap();
    assert_eq!(m.fake.alive_checks.load(SeqCst), 3);
    assert_eq!(m.fake.connects.load(SeqCst), 3, "the live one is reused");
    drop(d);
}

#[test]
fn long_idle_connections_are_pinged_and_broken_ones_replaced() {
    let m = FakeManager::new();
    let mut cfg = config(3);
    cfg.validation_idle = Duration::from_millis(50);
    let pool = Pool::new(m.clone(), cfg, "validate");
    let a = pool.acquire().unwrap();
    let b = pool.acquire().unwrap();
    let old = [a.id, b.id];
    drop(a);
    drop(b);
    std::thread::sleep(Duration::from_millis(80));
    // A healthy ping: handed out.
    let c = pool.acquire().unwrap();
    assert_eq!(m.fake.validates.load(SeqCst), 1);
    assert!(old.contains(&c.id));
    drop(c);
    std::thread::sleep(Duration::from_millis(80));
    // Both idle ones fail their ping: closed, and a new one is opened for this acquire.
    m.fake.fail_validate.store(true, SeqCst);
    let c = pool.acquire().unwrap();
    assert!(!old.contains(&c.id), "a fresh connection");
    assert_eq!(m.fake.validates.load(SeqCst), 3);
    let s = pool.stats();
    assert_eq!(s.closed_broken_total, 2);
    assert_eq!((s.total, s.active, s.idle), (1, 1, 0));
    assert_eq!(m.fake.live.load(SeqCst), 1);
}
