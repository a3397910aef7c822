//! 64 threads racing to open one key create exactly one pool and one manager.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};

use common::fake::FakeManager;
use sharedpool::{Options, PoolKey, Registry};

#[test]
fn racing_opens_create_exactly_one_pool() {
    for _round in 0..5 {
        let reg = Arc::new(Registry::new());
        let made = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(Barrier::new(64));
        let key = PoolKey {
            id: "race".into(),
            label: "race".into(),
        };
        let threads: Vec<_> = (0..64)
            .map(|_| {
                let (reg, made, barrier, key) =
                    (reg.clone(), made.clone(), barrier.clone(), key.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let r = reg
                        .open(&key, &Options::default(), || {
                            made.fetch_add(1, SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(5));
                            Ok(FakeManager::new())
                        })
                        .unwrap();
                    let c = r.acquire().unwrap();
                    drop(c);
                    r
                })
            })
            .collect();
        let refs: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(made.load(SeqCst), 1, "one make_manager call");
        assert_eq!(reg.len(), 1);
        assert_eq!(refs[0].stats().refs, 64);
        let pool = (*refs[0]).clone();
        assert!(refs
            .iter()
            .all(|r| std::ptr::eq(r.manager(), pool.manager())));
        drop(refs);
        assert!(pool.is_closed());
        assert!(reg.is_empty());
    }
}
