//! No connect, ping, reset or close runs under the pool lock (cf. r2d2's
//! `test_issue_2_unlocked_during_is_valid`): the fake manager calls back into the pool
//! from inside each of them, and blocks in one while other threads use the pool.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::config;
use common::fake::{FakeManager, Op};
use sharedpool::Pool;

/// Runs `f` on a thread; fails the test if it does not finish in time (a deadlock).
fn finishes<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("deadlock: the pool lock was held during manager I/O")
}

#[test]
fn manager_calls_can_use_the_pool() {
    let m = FakeManager::new();
    let mut cfg = config(2);
    cfg.validation_idle = Duration::ZERO; // validate every hand-out
    let pool = Pool::new(m.clone(), cfg, "reentrant");
    let slot: Arc<Mutex<Option<Pool<FakeManager>>>> = Arc::new(Mutex::new(Some(pool.clone())));
    let seen: Arc<Mutex<Vec<Op>>> = Arc::default();
    let (s2, seen2) = (slot.clone(), seen.clone());
    m.fake.set_hook(move |op| {
        let pool = s2.lock().unwrap().clone();
        if let Some(pool) = pool {
            let _ = pool.stats(); // takes the pool lock
            seen2.lock().unwrap().push(op);
        }
    });
    let p = pool.clone();
    finishes(move || {
        let c = p.acquire().unwrap(); // connect
        drop(c); // reset
        let c = p.acquire().unwrap(); // validate
        c.discard(); // close
    });
    // The cheap check on a recently used connection, in a pool that does not ping.
    let fresh = Pool::new(m.clone(), config(2), "reentrant-fresh");
    *slot.lock().unwrap() = Some(fresh.clone());
    finishes(move || {
        drop(fresh.acquire().unwrap());
        drop(fresh.acquire().unwrap()); // is_alive
    });
    let seen = seen.lock().unwrap().clone();
    for op in [Op::Connect, Op::IsAlive, Op::Validate, Op::Reset, Op::Close] {
        assert!(seen.contains(&op), "{op:?} not exercised: {seen:?}");
    }
    // Break the cycle pool -> manager -> hook -> pool; dropped outside the slot's lock, as
    // closing the last reference runs the hook.
    let last = slot.lock().unwrap().take();
    drop(last);
}

#[test]
fn a_blocked_manager_call_does_not_block_others() {
    let m = FakeManager::new();
    let pool = Arc::new(Pool::new(m.clone(), config(3), "blocked"));
    let other = pool.acquire().unwrap();
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let gate = Arc::new(Mutex::new((Some(entered_tx), Some(release_rx))));
    let g = gate.clone();
    m.fake.set_hook(move |op| {
        if op == Op::Reset {
            let mut g = g.lock().unwrap();
            if let (Some(tx), Some(rx)) = (g.0.take(), g.1.take()) {
                drop(g);
                tx.send(()).unwrap();
                rx.recv().unwrap();
            }
        }
    });
    // A return blocks inside reset...
    let p = pool.clone();
    let blocked = std::thread::spawn(move || drop(p.acquire().unwrap()));
    entered_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    // ...while other threads acquire, release and read stats.
    let p = pool.clone();
    finishes(move || {
        let s = p.stats();
        assert_eq!(s.active, 2);
        let c = p.acquire().unwrap(); // a connect, outside the lock
        drop(c); // reset of another connection: the hook passes it through
        drop(other);
    });
    release_tx.send(()).unwrap();
    blocked.join().unwrap();
    assert_eq!(pool.stats().active, 0);
    assert!(m.fake.connects.load(SeqCst) >= 2);
}
