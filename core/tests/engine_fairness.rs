//! Waiters are served in arrival order; a newcomer does not barge past them.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::fake::FakeManager;
use common::{config, eventually};
use sharedpool::{Acquire, ErrorKind, Pool};

#[test]
fn waiters_are_served_first_come_first_served() {
    let pool = Arc::new(Pool::new(FakeManager::new(), config(1), "fair"));
    let held = pool.acquire().unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut threads = Vec::new();
    for i in 0..10usize {
        let (p, order) = (pool.clone(), order.clone());
        threads.push(std::thread::spawn(move || {
            let c = p.acquire().unwrap();
            order.lock().unwrap().push(i);
            std::thread::sleep(Duration::from_millis(2));
            drop(c);
        }));
        assert!(eventually(Duration::from_secs(2), || pool.stats().waiting
            == i as u32 + 1));
    }
    drop(held);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*order.lock().unwrap(), (0..10).collect::<Vec<_>>());
}

#[test]
fn a_returned_connection_goes_to_the_waiter_not_a_newcomer() {
    let pool = Arc::new(Pool::new(FakeManager::new(), config(1), "no-barging"));
    let held = pool.acquire().unwrap();
    let p = pool.clone();
    let waiter = std::thread::spawn(move || {
        let c = p.acquire().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        drop(c);
    });
    assert!(eventually(Duration::from_secs(2), || pool.stats().waiting == 1));
    drop(held);
    // The connection was handed over directly: a newcomer finds nothing idle.
    let e = pool
        .acquire_with(&Acquire {
            timeout: Some(Duration::from_millis(20)),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    waiter.join().unwrap();
    assert!(pool.acquire().is_ok());
}
