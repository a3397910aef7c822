//! Leak detection: a connection held past leak_detection_ms raises one warning per borrow,
//! naming the borrower's label.

mod common;

use std::time::Duration;

use common::fake::FakeManager;
use common::{config, eventually};
use sharedpool::events::Event;
use sharedpool::{Acquire, Pool};

#[test]
fn one_warning_per_borrow_naming_the_label() {
    common::events();
    let mut cfg = config(2);
    cfg.leak_detection = Duration::from_millis(50);
    let pool = Pool::new(FakeManager::new(), cfg, "leaky");
    let c = pool
        .acquire_with(&Acquire {
            label: Some("job-42"),
            ..Default::default()
        })
        .unwrap();
    let quick = pool.acquire().unwrap();
    drop(quick); // returned in time: no warning
    assert!(eventually(Duration::from_secs(2), || pool
        .stats()
        .leaks_total
        == 1));
    std::thread::sleep(Duration::from_millis(200));
    let leaks: Vec<_> = common::events_for("leaky")
        .into_iter()
        .filter_map(|e| match e {
            Event::LeakSuspected {
                borrower, held_ms, ..
            } => Some((borrower, held_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(leaks.len(), 1, "once per borrow: {leaks:?}");
    assert_eq!(leaks[0].0, "job-42");
    assert!(leaks[0].1 >= 50);
    drop(c);
    // A new long borrow warns again, unlabelled.
    let _c = pool.acquire().unwrap();
    assert!(eventually(Duration::from_secs(2), || pool
        .stats()
        .leaks_total
        == 2));
    assert!(common::events_for("leaky").iter().any(|e| matches!(e,
        Event::LeakSuspected { borrower, .. } if borrower == "(unlabelled)")));
}
