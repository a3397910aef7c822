//! The registry shares one pool per key and counts references; the last release closes it.

mod common;

use std::sync::atomic::Ordering::SeqCst;

use common::fake::FakeManager;
use sharedpool::{ErrorKind, Options, PoolKey, Registry};

fn key(id: &str) -> PoolKey {
    PoolKey {
        id: id.into(),
        label: format!("label-{id}"),
    }
}

#[test]
fn same_key_shares_one_pool_and_counts_refs() {
    let reg = Registry::new();
    let m = FakeManager::new();
    let opts = Options::default();
    let a = reg.open(&key("k"), &opts, || Ok(m.clone())).unwrap();
    let b = reg
        .open(&key("k"), &opts, || -> sharedpool::Result<FakeManager> {
            panic!("the second open must not make a manager")
        })
        .unwrap();
    assert_eq!(a.stats().refs, 2);
    let id = a.acquire().unwrap().id;
    assert_eq!(b.acquire().unwrap().id, id, "one pool, one idle connection");
    assert_eq!(a.name(), "label-k");
    let snap = reg.snapshot();
    assert_eq!(snap.len(), 1);
    assert_eq!((snap[0].0.label.as_str(), snap[0].1.refs), ("label-k", 2));

    drop(a);
    assert_eq!(b.stats().refs, 1);
    assert!(!b.is_closed());
    let pool = (*b).clone();
    drop(b);
    assert!(pool.is_closed(), "the last release closes the pool");
    assert_eq!(
        m.fake.live.load(SeqCst),
        0,
        "idle connections closed at once"
    );
    assert!(reg.is_empty());
    assert_eq!(pool.acquire().unwrap_err().kind(), ErrorKind::PoolClosed);
}

#[test]
fn different_keys_get_different_pools() {
    let reg = Registry::new();
    let opts = Options::default();
    let a = reg
        .open(&key("a"), &opts, || Ok(FakeManager::new()))
        .unwrap();
    let b = reg
        .open(&key("b"), &opts, || Ok(FakeManager::new()))
        .unwrap();
    assert_eq!((a.stats().refs, b.stats().refs), (1, 1));
    let labels: Vec<_> = reg.snapshot().into_iter().map(|(k, _)| k.label).collect();
    assert_eq!(labels, vec!["label-a", "label-b"]);
}

#[test]
fn a_reopened_key_after_close_gets_a_fresh_pool() {
    let reg = Registry::new();
    let opts = Options::default();
    let a = reg
        .open(&key("k"), &opts, || Ok(FakeManager::new()))
        .unwrap();
    let old = (*a).clone();
    drop(a);
    assert!(old.is_closed());
    let b = reg
        .open(&key("k"), &opts, || Ok(FakeManager::new()))
        .unwrap();
    assert!(!b.is_closed());
    assert_eq!(b.stats().refs, 1);
}

#[test]
fn a_failed_make_manager_leaves_nothing_behind() {
    let reg: Registry<FakeManager> = Registry::new();
    let opts = Options::default();
    let e = reg
        .open(&key("k"), &opts, || {
            Err(sharedpool::Error::new(ErrorKind::InvalidDsn, "bad"))
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidDsn);
    assert!(reg.is_empty());
    assert!(reg
        .open(&key("k"), &opts, || Ok(FakeManager::new()))
        .is_ok());
}

#[test]
fn cloned_refs_count_too() {
    let reg = Registry::new();
    let a = reg
        .open(&key("k"), &Options::default(), || Ok(FakeManager::new()))
        .unwrap();
    let b = a.clone();
    assert_eq!(a.stats().refs, 2);
    drop(a);
    assert!(!b.is_closed());
    assert_eq!(b.refs(), 1);
}

#[test]
fn a_pool_closed_through_a_reference_is_never_handed_out_again() {
    let reg = Registry::new();
    let opts = Options::default();
    let a = reg
        .open(&key("k"), &opts, || Ok(FakeManager::new()))
        .unwrap();
    a.close();
    let b = reg
        .open(&key("k"), &opts, || Ok(FakeManager::new()))
        .unwrap();
    assert!(!b.is_closed(), "a fresh pool");
    assert!(b.acquire().is_ok());
    drop(a); // releasing the old reference leaves the new pool alone
    assert!(!b.is_closed());
    assert_eq!(b.stats().refs, 1);
}

#[test]
fn a_connection_returned_after_the_last_release_is_closed_safely() {
    let reg = Registry::new();
    let m = FakeManager::new();
    let r = reg
        .open(&key("k"), &Options::default(), || Ok(m.clone()))
        .unwrap();
    let conn = r.acquire().unwrap();
    let pool = (*r).clone();
    drop(r);
    assert!(pool.is_closed());
    assert_eq!(m.fake.live.load(SeqCst), 1, "borrowed: still open");
    drop(pool);
    drop(conn);
    assert_eq!(m.fake.live.load(SeqCst), 0);
    assert_eq!(m.fake.closes.load(SeqCst), 1);
}
