//! A hand-off to a waiter is accounted by its deliverer; when the waiter gives up (cancel or
//! timeout) just as a connection arrives, the counters must still add up exactly: one
//! acquire per connection a caller got, one cancel or timeout per error, nothing lost.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::Duration;

use common::config;
use common::fake::FakeManager;
use sharedpool::{Acquire, CancelToken, ErrorKind, Pool, PoolConfig};

#[test]
fn counters_stay_exact_when_give_ups_race_hand_offs() {
    let m = FakeManager::new();
    let cfg = PoolConfig {
        leak_detection: Duration::from_secs(60),
        ..config(2)
    };
    let pool = Arc::new(Pool::new(m.clone(), cfg, "handoff-race"));
    let (mut got, mut cancelled, mut timeouts, mut held) = (0u64, 0u64, 0u64, 0u64);
    for i in 0..200u32 {
        let a = pool.acquire().unwrap();
        let b = pool.acquire().unwrap();
        held += 2;
        let token = CancelToken::new();
        let (p, t) = (pool.clone(), token.clone());
        // Odd rounds race a return against a ~1 ms timeout, even ones against a cancel.
        let timeout = Duration::from_micros(if i % 2 == 1 { 1000 } else { 10_000_000 });
        let waiter = std::thread::spawn(move || {
            p.acquire_with(&Acquire {
                timeout: Some(timeout),
                cancel: Some(&t),
                label: Some("racer"),
                ..Default::default()
            })
            .map(|c| c.id)
        });
        while pool.stats().waiting == 0 && !waiter.is_finished() {
            std::thread::yield_now();
        }
        if i % 2 == 1 {
            std::thread::sleep(Duration::from_micros(900 + u64::from(i % 7) * 30));
            drop(a);
        } else {
            let t2 = token.clone();
            let canceller = std::thread::spawn(move || t2.cancel());
            drop(a);
            canceller.join().unwrap();
        }
        match waiter.join().unwrap() {
            Ok(_) => got += 1,
            Err(e) if e.kind() == ErrorKind::Cancelled => cancelled += 1,
            Err(e) if e.kind() == ErrorKind::Timeout => timeouts += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
        drop(b);
    }
    let s = pool.stats();
    assert_eq!(s.acquires_total, held + got, "{s:?}");
    assert_eq!(s.cancelled_total, cancelled, "{s:?}");
    assert_eq!(s.timeouts_total, timeouts, "{s:?}");
    assert_eq!(got + cancelled + timeouts, 200);
    assert_eq!(
        (s.active, s.waiting, s.idle, s.total),
        (0, 0, 2, 2),
        "{s:?}"
    );
    assert_eq!(s.leaks_total, 0);
    assert_eq!(m.fake.live.load(SeqCst), 2);
    assert!(s.wait_time_us_max >= s.wait_time_us_total / s.acquires_total.max(1));
    assert!(pool.acquire().is_ok());
}

#[test]
fn waiters_are_served_in_arrival_order_by_hand_off() {
    let pool = Arc::new(Pool::new(FakeManager::new(), config(1), "handoff-order"));
    let held = pool.acquire().unwrap();
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut threads = Vec::new();
    for n in 0..5u32 {
        let (p, o) = (pool.clone(), order.clone());
        threads.push(std::thread::spawn(move || {
            let c = p.acquire().unwrap();
            o.lock().unwrap().push(n);
            drop(c);
        }));
        let want = n + 1;
        assert!(common::eventually(Duration::from_secs(5), || {
            pool.stats().waiting == want
        }));
    }
    drop(held);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    let s = pool.stats();
    assert_eq!((s.acquires_total, s.waiting, s.active), (6, 0, 0), "{s:?}");
}
