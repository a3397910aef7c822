//! `linger_ms`: a pool whose last reference went stays warm that long for a new open.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use common::eventually;
use common::fake::FakeManager;
use sharedpool::{Options, PoolKey, Registry};

fn key() -> PoolKey {
    PoolKey {
        id: "k".into(),
        label: "k".into(),
    }
}

fn opts(linger_ms: &str) -> Options {
    Options::from_pairs([("linger_ms", linger_ms)]).unwrap()
}

#[test]
fn default_linger_closes_at_once() {
    let reg = Registry::new();
    let m = FakeManager::new();
    let a = reg
        .open(&key(), &Options::default(), || Ok(m.clone()))
        .unwrap();
    drop(a.acquire().unwrap());
    let pool = (*a).clone();
    drop(a);
    assert!(pool.is_closed());
    assert_eq!(m.fake.live.load(SeqCst), 0);
}

#[test]
fn a_new_open_during_linger_revives_the_warm_pool() {
    let reg = Registry::new();
    let m = FakeManager::new();
    let o = opts("300");
    let a = reg.open(&key(), &o, || Ok(m.clone())).unwrap();
    let id = a.acquire().unwrap().id;
    let pool = (*a).clone();
    drop(a);
    std::thread::sleep(Duration::from_millis(50));
    assert!(!pool.is_closed(), "lingering");
    assert_eq!(reg.snapshot()[0].1.refs, 0);
    let b = reg
        .open(&key(), &o, || -> sharedpool::Result<FakeManager> {
            panic!("must reuse the lingering pool")
        })
        .unwrap();
    assert_eq!(b.acquire().unwrap().id, id, "still warm");
    // The earlier linger timer must not close the revived pool.
    std::thread::sleep(Duration::from_millis(400));
    assert!(!b.is_closed());
    assert_eq!(m.fake.connects.load(SeqCst), 1);
    drop(b);
    assert!(eventually(Duration::from_secs(2), || pool.is_closed()));
    // The pool is marked closed before its idle connections are closed (outside the lock).
    assert!(eventually(Duration::from_secs(2), || m
        .fake
        .live
        .load(SeqCst)
        == 0));
    assert!(reg.is_empty());
}

#[test]
fn lingering_pool_closes_after_linger() {
    let reg = Registry::new();
    let m = FakeManager::new();
    let a = reg.open(&key(), &opts("100"), || Ok(m.clone())).unwrap();
    drop(a.acquire().unwrap());
    let pool = (*a).clone();
    drop(a);
    assert!(!pool.is_closed());
    assert!(eventually(Duration::from_secs(2), || pool.is_closed()));
    assert!(eventually(Duration::from_secs(2), || m
        .fake
        .live
        .load(SeqCst)
        == 0));
}

#[test]
fn a_lingering_pool_is_replaced_by_an_open_with_other_settings() {
    let reg = Registry::new();
    let m = FakeManager::new();
    let a = reg.open(&key(), &opts("5000"), || Ok(m.clone())).unwrap();
    drop(a.acquire().unwrap());
    let old = (*a).clone();
    drop(a);
    assert!(!old.is_closed(), "lingering");
    let other = Options::from_pairs([("linger_ms", "5000"), ("max_size", "3")]).unwrap();
    let b = reg.open(&key(), &other, || Ok(FakeManager::new())).unwrap();
    assert!(old.is_closed(), "nobody held it: replaced, not a conflict");
    assert_eq!(b.config().max_size, 3);
    assert_eq!(m.fake.live.load(SeqCst), 0);
}
