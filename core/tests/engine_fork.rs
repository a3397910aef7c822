//! After fork(), the child never uses the parent's connections: inherited ones are
//! forgotten (no byte on their sockets), and the child opens its own.

mod common;

use std::sync::atomic::Ordering::SeqCst;

use common::config;
use common::fake::FakeManager;
use sharedpool::{Pool, Pooled};

/// Runs in the child; returns 0 when every check holds, else the number of the failed check.
fn child(
    pool: &Pool<FakeManager>,
    m: &FakeManager,
    borrowed: Pooled<FakeManager>,
    old: [u64; 2],
) -> i32 {
    let f = &m.fake;
    let c = match pool.acquire() {
        Ok(c) => c,
        Err(_) => return 1,
    };
    if old.contains(&c.id) {
        return 2; // an inherited connection was handed out
    }
    if f.forgets.load(SeqCst) != 1 || f.closes.load(SeqCst) != 0 {
        return 3; // the inherited idle one must be forgotten, not closed
    }
    drop(borrowed);
    if f.forgets.load(SeqCst) != 2 || f.closes.load(SeqCst) != 0 {
        return 4; // a connection borrowed before the fork is forgotten on return
    }
    let s = pool.stats();
    if (s.total, s.active, s.idle) != (1, 1, 0) {
        return 5; // counts start over in the child
    }
    drop(c);
    if pool.stats().idle != 1 {
        return 6;
    }
    // Background threads were restarted in the child: maintenance closes the idle
    // connection after its idle_timeout.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while pool.stats().closed_idle_total == 0 {
        if std::time::Instant::now() > end {
            return 7;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    0
}

#[test]
fn the_child_forgets_inherited_connections() {
    let m = FakeManager::new();
    let mut cfg = config(4);
    cfg.idle_timeout = std::time::Duration::from_millis(300);
    let pool = Pool::new(m.clone(), cfg, "fork");
    let a = pool.acquire().unwrap();
    let b = pool.acquire().unwrap();
    let old = [a.id, b.id];
    drop(b); // one idle, one borrowed across the fork
             // SAFETY: fork() in a test process; the child only uses the pool and the fake manager,
             // then leaves with _exit (no destructors, no test-harness teardown).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| child(&pool, &m, a, old)))
                .unwrap_or(99);
        // SAFETY: ends the child at once, as a forked child of a threaded process must.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for the child we just forked; `status` is a valid out-pointer.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(libc::WIFEXITED(status), "child died: {status}");
    assert_eq!(libc::WEXITSTATUS(status), 0, "child check failed");
    // The parent is untouched: it never forgets, and its pool goes on (its idle
    // connection may meanwhile have been closed by its own idle_timeout).
    let f = &m.fake;
    assert_eq!(f.forgets.load(SeqCst), 0);
    assert_eq!(f.closes.load(SeqCst), pool.stats().closed_idle_total);
    let c = pool.acquire().unwrap();
    assert_ne!(c.id, old[0]);
    drop(a);
    let s = pool.stats();
    assert_eq!(s.active, 1);
    assert_eq!(s.total, s.active + s.idle);
}
