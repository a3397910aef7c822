//! Connect failures: waiters see the last connect error, acquirers fail fast while nothing
//! can come back, retries back off, and the pool recovers.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use common::fake::FakeManager;
use common::{config, eventually};
use sharedpool::events::Event;
use sharedpool::{Acquire, ErrorKind, Pool};

fn within(ms: u64) -> Acquire<'static> {
    Acquire {
        timeout: Some(Duration::from_millis(ms)),
        ..Default::default()
    }
}

#[test]
fn fail_n_times_then_recover() {
    common::events();
    let m = FakeManager::new();
    m.fake.fail_connects.store(3, SeqCst);
    let pool = Pool::new(m.clone(), config(2), "fail-n");
    let start = Instant::now();
    let mut errors = Vec::new();
    let conn = loop {
        match pool.acquire_with(&within(2000)) {
            Ok(c) => break c,
            Err(e) => errors.push(e),
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never recovered");
        std::thread::sleep(Duration::from_millis(5));
    };
    drop(conn);
    // Nothing could come back, so acquirers got the connect error instead of a timeout.
    assert!(!errors.is_empty());
    for e in &errors {
        assert_eq!(e.kind(), ErrorKind::Connect, "{e:?}");
        assert!(e.message().contains("fake connection refused"), "{e:?}");
    }
    let s = pool.stats();
    assert_eq!(s.connect_errors_total, 3);
    assert_eq!(s.created_total, 1);
    assert_eq!(s.timeouts_total, 0);
    assert_eq!(
        common::events_for("fail-n")
            .iter()
            .filter(|e| matches!(e, Event::ConnectFailed { .. }))
            .count(),
        3
    );
    // Recovered: plain acquires work again.
    assert!(pool.acquire_with(&within(500)).is_ok());
}

#[test]
fn waiters_see_the_last_connect_error_on_timeout_and_the_pool_recovers() {
    let m = FakeManager::new();
    let pool = Pool::new(m.clone(), config(2), "timeout-error");
    let held = pool.acquire().unwrap();
    m.fake.fail_connects.store(u32::MAX, SeqCst);
    // One connection is out and could come back: the waiter waits, then explains.
    let e = pool.acquire_with(&within(300)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(
        e.message()
            .starts_with("timed out after 300 ms waiting for a connection (max_size=2, open="),
        "{e:?}"
    );
    assert!(
        e.message()
            .contains("; last connect error: fake connection refused"),
        "{e:?}"
    );
    // Backoff: a handful of attempts in 300 ms, not a hammering loop.
    let attempts = m.fake.connect_errors.load(SeqCst);
    assert!((1..=8).contains(&attempts), "{attempts}");
    // The target comes back: a waiter is served by the retrying connector.
    m.fake.fail_connects.store(0, SeqCst);
    let c = pool.acquire_with(&within(8000)).unwrap();
    assert_ne!(c.id, held.id);
    assert!(pool.stats().connect_errors_total >= 1);
}

#[test]
fn auth_errors_fail_fast() {
    let m = FakeManager::new();
    let pool = Pool::new(m.clone(), config(2), "auth");
    let _held = pool.acquire().unwrap();
    m.fake.fail_auth.store(true, SeqCst);
    m.fake.fail_connects.store(u32::MAX, SeqCst);
    let t = Instant::now();
    let e = pool.acquire_with(&within(5000)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e:?}");
    assert!(e.message().contains("fake access denied"));
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "did not sit out its timeout"
    );
    // While in backoff, the next acquirer fails at once with the same kind.
    let e = pool.acquire_with(&within(5000)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
}

#[test]
fn failing_prefill_retries_in_the_background() {
    let m = FakeManager::new();
    m.fake.fail_connects.store(2, SeqCst);
    let mut cfg = config(4);
    cfg.min_idle = 2;
    let pool = Pool::new(m.clone(), cfg, "prefill-retry");
    assert!(eventually(Duration::from_secs(5), || pool.stats().idle == 2));
    assert_eq!(pool.stats().connect_errors_total, 2);
}
