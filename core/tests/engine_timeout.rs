//! Acquire timeouts explain the pool's state, and emit an event.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::config;
use common::fake::FakeManager;
use sharedpool::events::Event;
use sharedpool::{Acquire, ErrorKind, Pool};

#[test]
fn timeout_message_explains_the_state() {
    common::events();

    let pool = Pool::new(FakeManager::new(), config(2), "timeouts");
    let held: Vec<_> = (0..2).map(|_| pool.acquire().unwrap()).collect();
    let how = Acquire {
        timeout: Some(Duration::from_millis(100)),
        ..Default::default()
    };
    let e = pool.acquire_with(&how).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(
        e.message(),
        "timed out after 100 ms waiting for a connection \
         (max_size=2, open=2, active=2, idle=0, waiting=1)"
    );
    let s = pool.stats();
    assert_eq!((s.timeouts_total, s.waiting), (1, 0));
    assert!(common::events_for("timeouts").iter().any(|ev| matches!(ev,
        Event::AcquireTimeout { pool, message } if pool == "timeouts" && message == e.message())));
    drop(held);
    // The pool still works after a timeout.
    assert!(pool.acquire_with(&how).is_ok());
}

#[test]
fn timeout_counts_every_waiter() {
    let pool = Arc::new(Pool::new(FakeManager::new(), config(1), "waiters"));
    let _held = pool.acquire().unwrap();
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                pool.acquire_with(&Acquire {
                    timeout: Some(Duration::from_millis(1000)),
                    ..Default::default()
                })
                .unwrap_err()
            })
        })
        .collect();
    let errors: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    // The first to time out saw all three waiting.
    assert!(
        errors.iter().any(|e| e.message().contains("waiting=3)")),
        "{errors:?}"
    );
    assert!(errors.iter().all(|e| e.kind() == ErrorKind::Timeout));
}

#[test]
fn a_timed_out_waiter_does_not_waste_the_connect() {
    let m = FakeManager::with_connect_delay(Duration::from_millis(150));
    let pool = Pool::new(m.clone(), config(2), "slow-connect");
    let e = pool
        .acquire_with(&Acquire {
            timeout: Some(Duration::from_millis(20)),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(
        e.message().contains("open=1"),
        "the connect in flight counts: {e:?}"
    );
    assert!(common::eventually(Duration::from_secs(3), || pool
        .stats()
        .idle
        == 1));
    let c = pool.acquire().unwrap();
    assert_eq!(c.id, 1, "the connect made for the timed-out waiter is used");
    assert_eq!(m.fake.connects.load(std::sync::atomic::Ordering::SeqCst), 1);
}
