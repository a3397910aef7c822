//! Two-mode hand-off: a running thread may take an idle connection while others wait, but a
//! waiter that has waited a millisecond switches the pool to hand-off mode, where returned
//! connections go to the oldest waiters first. Waiters are served in arrival order among
//! themselves, and no waiter is starved.

mod common;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use common::fake::FakeManager;
use common::{config, eventually};
use sharedpool::{Acquire, CancelToken, ErrorKind, Pool, PoolConfig};

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
fn a_waiter_that_waited_a_millisecond_gets_the_connection_before_a_newcomer() {
    let pool = Arc::new(Pool::new(FakeManager::new(), config(1), "no-barging"));
    let held = pool.acquire().unwrap();
    let p = pool.clone();
    let waiter = std::thread::spawn(move || {
        let c = p.acquire().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        drop(c);
    });
    assert!(eventually(Duration::from_secs(2), || pool.stats().waiting == 1));
    std::thread::sleep(Duration::from_millis(5));
    drop(held);
    // Hand-off mode: the connection was handed over directly, a newcomer finds nothing idle.
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

/// The tests below load both cores of a small machine: they take turns, so one's threads
/// do not stretch another's waits.
static HEAVY: Mutex<()> = Mutex::new(());

const HOGS: usize = 2;

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` on a thread; fails the test if it does not finish within `limit` (a hang).
fn finishes<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("hang: the threads did not all finish")
}

#[test]
fn every_one_of_256_threads_on_8_connections_completes() {
    const THREADS: usize = 256;
    const BORROWS: u64 = 100;
    let _turn = heavy();
    let cfg = PoolConfig {
        min_idle: 8,
        acquire_timeout: Duration::from_secs(30),
        ..config(8)
    };
    let pool = Arc::new(Pool::new(FakeManager::new(), cfg, "fair-256"));
    let p = pool.clone();
    let longest = finishes(Duration::from_secs(120), move || {
        let start = Arc::new(std::sync::Barrier::new(THREADS));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let (p, start) = (p.clone(), start.clone());
                std::thread::spawn(move || {
                    let mut longest = Duration::ZERO;
                    start.wait();
                    for _ in 0..BORROWS {
                        let t = Instant::now();
                        let c = p.acquire().unwrap();
                        longest = longest.max(t.elapsed());
                        std::thread::yield_now(); // hold it across a scheduling point
                        drop(c);
                    }
                    longest
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .max()
            .unwrap()
    });
    let s = pool.stats();
    eprintln!(
        "256 threads x {BORROWS} borrows on 8 connections: longest wait {longest:?} \
         (pool: max {} us, mean {} us)",
        s.wait_time_us_max,
        s.wait_time_us_total / s.acquires_total.max(1)
    );
    assert_eq!(s.acquires_total, THREADS as u64 * BORROWS, "{s:?}");
    assert_eq!((s.timeouts_total, s.cancelled_total), (0, 0), "{s:?}");
    assert_eq!(
        (s.active, s.waiting, s.idle, s.total),
        (0, 0, 8, 8),
        "{s:?}"
    );
    assert!(s.wait_time_us_total > 0, "nobody waited: {s:?}");
    // The pool's own wait measure lies within the borrowers' (it starts later, ends sooner).
    assert!(
        s.wait_time_us_max <= longest.as_micros() as u64,
        "{s:?} {longest:?}"
    );
}

#[test]
fn a_waiter_is_not_starved_by_threads_that_keep_the_connection_busy() {
    // One connection, and hogs that hold it 100 us and re-borrow it the moment they return
    // it: with barging alone a woken waiter loses most races to them, and its wait is luck
    // (5-64 ms measured with hand-off mode disabled); hand-off mode bounds it (1-2 ms
    // measured). The bound asserted is loose, for loaded machines; the mechanism itself is
    // asserted exactly by the newcomer test above and the unit tests of `State`.
    let _turn = heavy();
    let pool = Arc::new(Pool::new(FakeManager::new(), config(1), "starve"));
    let stop = Arc::new(AtomicBool::new(false));
    let hogs: Vec<_> = (0..HOGS)
        .map(|_| {
            let (p, stop) = (pool.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(SeqCst) {
                    let c = p.acquire().unwrap();
                    let until = Instant::now() + Duration::from_micros(100);
                    while Instant::now() < until {
                        std::hint::spin_loop();
                    }
                    drop(c);
                    n += 1;
                }
                n
            })
        })
        .collect();
    assert!(eventually(Duration::from_secs(2), || pool
        .stats()
        .acquires_total
        > 100));
    let mut longest = Duration::ZERO;
    let mut starved = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let r = pool.acquire_with(&Acquire {
            timeout: Some(Duration::from_millis(500)),
            ..Default::default()
        });
        longest = longest.max(t.elapsed());
        match r {
            Ok(c) => drop(c),
            Err(e) if e.kind() == ErrorKind::Timeout => starved += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    stop.store(true, SeqCst);
    let borrows: u64 = hogs.into_iter().map(|h| h.join().unwrap()).sum();
    eprintln!(
        "starvation: beside {HOGS} hogs, longest wait of 20: {longest:?}, timeouts {starved}"
    );
    assert_eq!(
        starved, 0,
        "the waiter was starved (longest wait {longest:?})"
    );
    assert!(longest < Duration::from_millis(200), "{longest:?}");
    let s = pool.stats();
    assert_eq!(s.acquires_total, borrows + 20, "{s:?}");
    assert_eq!((s.active, s.waiting, s.timeouts_total), (0, 0, 0), "{s:?}");
}

#[test]
fn counters_stay_exact_with_timeouts_and_cancels_among_64_threads() {
    let _turn = heavy();
    let cfg = PoolConfig {
        min_idle: 4,
        leak_detection: Duration::from_secs(60),
        ..config(4)
    };
    let m = FakeManager::new();
    let pool = Arc::new(Pool::new(m.clone(), cfg, "fair-counters"));
    let p = pool.clone();
    let (got, timeouts, cancelled) = finishes(Duration::from_secs(120), move || {
        let threads: Vec<_> = (0..64u64)
            .map(|i| {
                let p = p.clone();
                std::thread::spawn(move || {
                    let (mut got, mut timeouts, mut cancelled) = (0u64, 0u64, 0u64);
                    for j in 0..100u64 {
                        let token = CancelToken::new();
                        if (i + j) % 7 == 0 {
                            token.cancel();
                        }
                        let r = p.acquire_with(&Acquire {
                            timeout: Some(Duration::from_micros(50 + (i * 31 + j * 17) % 2000)),
                            cancel: Some(&token),
                            label: Some("fair"),
                            ..Default::default()
                        });
                        match r {
                            Ok(c) => {
                                got += 1;
                                if j % 5 == 0 {
                                    std::thread::sleep(Duration::from_micros(100));
                                }
                                drop(c);
                            }
                            Err(e) if e.kind() == ErrorKind::Timeout => timeouts += 1,
                            Err(e) if e.kind() == ErrorKind::Cancelled => cancelled += 1,
                            Err(e) => panic!("unexpected error: {e}"),
                        }
                    }
                    (got, timeouts, cancelled)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
    });
    let s = pool.stats();
    assert_eq!(got + timeouts + cancelled, 6400);
    assert_eq!(s.acquires_total, got, "{s:?}");
    assert_eq!(s.timeouts_total, timeouts, "{s:?}");
    assert_eq!(s.cancelled_total, cancelled, "{s:?}");
    assert_eq!(
        (s.active, s.waiting, s.idle, s.total),
        (0, 0, 4, 4),
        "{s:?}"
    );
    assert_eq!(s.leaks_total, 0);
    assert_eq!(m.fake.live.load(SeqCst), 4);
}
