//! 100 components opening one DSN share one bounded pool: the server sees at most max_size.

mod mysql_common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};

use mysql_common::{admin, dsn_with, sp_connections, status};

#[test]
fn hundred_refs_hundred_threads_at_most_four_server_connections() {
    let mut mon = admin();
    let before = status(&mut mon, "Connections");
    let dsn = dsn_with("max_size=4&pool_name=sharing");
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let watcher = {
        let (stop, peak) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let n = sp_connections(&mut mon);
                peak.fetch_max(n, Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            mon
        })
    };
    let barrier = Arc::new(Barrier::new(100));
    let threads: Vec<_> = (0..100)
        .map(|i| {
            let (dsn, barrier) = (dsn.clone(), barrier.clone());
            std::thread::spawn(move || {
                let pool = sharedpool::open(&dsn, &[]).expect("open");
                barrier.wait();
                for j in 0..20 {
                    let r = pool
                        .query(
                            "SELECT ? + ?",
                            &[
                                sharedpool::mysql::Param::Int(i),
                                sharedpool::mysql::Param::Int(j),
                            ],
                        )
                        .expect("query");
                    assert_eq!(r.get_str(0, 0).unwrap(), (i + j).to_string());
                }
                barrier.wait();
                pool
            })
        })
        .collect();
    let pools: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    stop.store(true, Ordering::Relaxed);
    let mut mon = watcher.join().unwrap();
    let stats = pools[0].stats();
    assert_eq!(stats.refs, 100, "{stats:?}");
    assert_eq!(stats.acquires_total, 2000, "{stats:?}");
    assert!(stats.created_total <= 4, "{stats:?}");
    let peak = peak.load(Ordering::Relaxed);
    assert!(
        (1..=4).contains(&peak),
        "the server saw {peak} connections for user sp"
    );
    let opened = status(&mut mon, "Connections") - before;
    assert!(
        opened <= 4,
        "the server accepted {opened} connections, expected <= 4"
    );
    // `total` counts connects still in flight (the server does not show them as user sp yet,
    // and with TLS they take a while): compare once they are done.
    let mut stats = stats;
    for _ in 0..100 {
        if stats.connecting == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        stats = pools[0].stats();
    }
    assert_eq!(stats.connecting, 0, "{stats:?}");
    assert_eq!(sp_connections(&mut mon), stats.total as u64, "{stats:?}");
    drop(pools);
    let mut left = u64::MAX;
    for _ in 0..100 {
        left = sp_connections(&mut mon);
        if left == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(left, 0, "the last release closes the pool's connections");
}
