//! Cancelling a wait: a CancelToken from another thread, or an interrupt callback. A
//! cancelled waiter leaves the queue; a connection handed to it concurrently is not lost.

mod common;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake::FakeManager;
use common::{config, eventually};
use sharedpool::{Acquire, CancelToken, ErrorKind, Pool};

#[test]
fn cancel_token_ends_a_wait() {
    let pool = Arc::new(Pool::new(FakeManager::new(), config(1), "cancel"));
    let _held = pool.acquire().unwrap();
    let token = CancelToken::new();
    let (p, t) = (pool.clone(), token.clone());
    let waiter = std::thread::spawn(move || {
        let start = Instant::now();
        let e = p
            .acquire_with(&Acquire {
                timeout: Some(Duration::from_secs(10)),
                cancel: Some(&t),
                ..Default::default()
            })
            .unwrap_err();
        (e, start.elapsed())
    });
    assert!(eventually(Duration::from_secs(2), || pool.stats().waiting == 1));
    token.cancel();
    let (e, waited) = waiter.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert!(waited < Duration::from_secs(5));
    let s = pool.stats();
    assert_eq!((s.waiting, s.cancelled_total, s.timeouts_total), (0, 1, 0));
}

#[test]
fn an_already_cancelled_token_fails_at_once() {
    let pool = Pool::new(FakeManager::new(), config(1), "precancelled");
    let token = CancelToken::new();
    token.cancel();
    let e = pool
        .acquire_with(&Acquire {
            cancel: Some(&token),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
}

#[test]
fn interrupt_is_polled_while_waiting() {
    let pool = Pool::new(FakeManager::new(), config(1), "interrupt");
    let _held = pool.acquire().unwrap();
    let start = Instant::now();
    let flag = AtomicBool::new(false);
    let polls = std::sync::atomic::AtomicU32::new(0);
    let check = || {
        polls.fetch_add(1, SeqCst);
        if start.elapsed() > Duration::from_millis(150) {
            flag.store(true, SeqCst);
        }
        flag.load(SeqCst)
    };
    let e = pool
        .acquire_with(&Acquire {
            timeout: Some(Duration::from_secs(10)),
            interrupt: Some(&check),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(polls.load(SeqCst) >= 2);
    assert_eq!(pool.stats().waiting, 0);
}

#[test]
fn cancels_racing_hand_offs_lose_nothing() {
    let m = FakeManager::new();
    let pool = Arc::new(Pool::new(m.clone(), config(2), "cancel-race"));
    for _ in 0..200 {
        let a = pool.acquire().unwrap();
        let b = pool.acquire().unwrap();
        let token = CancelToken::new();
        let (p, t) = (pool.clone(), token.clone());
        let waiter = std::thread::spawn(move || {
            p.acquire_with(&Acquire {
                timeout: Some(Duration::from_secs(10)),
                cancel: Some(&t),
                ..Default::default()
            })
            .map(|c| c.id)
        });
        while pool.stats().waiting == 0 {
            std::thread::yield_now();
        }
        // Return and cancel at the same time.
        let t2 = token.clone();
        let canceller = std::thread::spawn(move || t2.cancel());
        drop(a);
        canceller.join().unwrap();
        let _ = waiter.join().unwrap();
        drop(b);
    }
    let s = pool.stats();
    assert_eq!((s.active, s.waiting), (0, 0));
    assert_eq!(s.idle, s.total);
    assert_eq!(s.total, 2, "{s:?}");
    assert_eq!(m.fake.live.load(SeqCst), 2);
    assert!(pool.acquire().is_ok());
}
