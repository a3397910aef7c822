//! Acquire and release basics, counters, discard, Send + Sync.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use common::fake::FakeManager;
use common::{config, eventually};
use sharedpool::{ErrorKind, Pool, PoolRef, Pooled, Registry};

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Pool<FakeManager>>();
    check::<Pooled<FakeManager>>();
    check::<PoolRef<FakeManager>>();
    check::<Registry<FakeManager>>();
}

#[test]
fn acquire_release_reuses_the_connection() {
    let m = FakeManager::new();
    let pool = Pool::new(m.clone(), config(4), "basic");
    let id = {
        let c = pool.acquire().unwrap();
        let s = pool.stats();
        assert_eq!((s.total, s.active, s.idle), (1, 1, 0));
        c.id
    };
    let s = pool.stats();
    assert_eq!((s.total, s.active, s.idle), (1, 0, 1));
    let again = pool.acquire().unwrap();
    assert_eq!(again.id, id, "the idle connection is reused");
    assert_eq!(m.fake.connects.load(SeqCst), 1);
    drop(again);
    let s = pool.stats();
    assert_eq!(s.acquires_total, 2);
    assert_eq!(s.created_total, 1);
    assert_eq!(s.max_size, 4);
    assert_eq!(s.refs, 0);
}

#[test]
fn most_recently_returned_is_reused_first() {
    let pool = Pool::new(FakeManager::new(), config(4), "lifo");
    let a = pool.acquire().unwrap();
    let b = pool.acquire().unwrap();
    let (ida, idb) = (a.id, b.id);
    drop(a);
    drop(b);
    assert_eq!(pool.acquire().unwrap().id, idb);
    let _ = ida;
}

#[test]
fn discard_closes_instead_of_returning() {
    let m = FakeManager::new();
    let pool = Pool::new(m.clone(), config(2), "discard");
    let c = pool.acquire().unwrap();
    let id = c.id;
    c.discard();
    let s = pool.stats();
    assert_eq!((s.total, s.idle, s.closed_broken_total), (0, 0, 1));
    assert_eq!(*m.fake.closed_ids.lock(), vec![id]);
    assert_ne!(pool.acquire().unwrap().id, id);
}

#[test]
fn broken_connections_are_closed_on_return() {
    let m = FakeManager::new();
    let pool = Pool::new(m.clone(), config(2), "broken");
    let mut c = pool.acquire().unwrap();
    c.broken = true;
    drop(c);
    let s = pool.stats();
    assert_eq!((s.total, s.closed_total, s.closed_broken_total), (0, 1, 1));
    assert_eq!(m.fake.live.load(SeqCst), 0);
}

#[test]
fn dirty_connections_are_reset_and_counted() {
    let m = FakeManager::new();
    let pool = Pool::new(m.clone(), config(2), "reset");
    let mut c = pool.acquire().unwrap();
    c.dirty = true;
    drop(c);
    drop(pool.acquire().unwrap()); // clean: reset called, nothing to do
    let s = pool.stats();
    assert_eq!(s.resets_total, 1);
    assert_eq!(s.idle, 1);
    // A failing reset closes the connection as broken.
    m.fake.fail_reset.store(true, SeqCst);
    drop(pool.acquire().unwrap());
    let s = pool.stats();
    assert_eq!((s.total, s.closed_broken_total), (0, 1));
}

#[test]
fn a_pooled_outliving_its_pool_is_closed_on_return() {
    let m = FakeManager::new();
    let pool = Pool::new(m.clone(), config(2), "outlive");
    let c = pool.acquire().unwrap();
    drop(pool);
    assert_eq!(m.fake.live.load(SeqCst), 1);
    drop(c);
    assert!(eventually(Duration::from_secs(2), || m
        .fake
        .live
        .load(SeqCst)
        == 0));
}

#[test]
fn zero_timeout_fails_at_once_when_full() {
    let pool = Pool::new(FakeManager::new(), config(1), "zero");
    let _c = pool.acquire().unwrap();
    let e = pool
        .acquire_with(&sharedpool::Acquire {
            timeout: Some(Duration::ZERO),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
}

#[test]
fn an_adopted_connection_is_an_ordinary_member_within_max_size() {
    use sharedpool::ManageConnection;
    let m = FakeManager::new();
    let pool = Pool::new(m.clone(), config(2), "adopt");
    let first = m.connect().unwrap();
    let id = first.id;
    assert!(pool.adopt(first).is_ok());
    let s = pool.stats();
    assert_eq!((s.total, s.idle, s.created_total), (1, 1, 1));
    let a = pool.acquire().unwrap();
    assert_eq!(a.id, id, "handed out like any idle connection");
    assert!(pool.adopt(m.connect().unwrap()).is_ok());
    let b = pool.acquire().unwrap();
    let extra = m.connect().unwrap();
    let extra_id = extra.id;
    let back = pool.adopt(extra).map(|()| 0).unwrap_err();
    assert_eq!(back.id, extra_id, "a full pool gives it back");
    assert_eq!(pool.stats().total, 2);
    drop((a, b));
    pool.close();
    assert!(pool.adopt(back).is_err(), "a closed pool takes nothing");
}
