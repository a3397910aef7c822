//! Events reach the pluggable sink; the sink is replaceable and a panicking one harms nothing.

use std::sync::{Arc, Mutex};

use sharedpool::events::{self, Event};

#[test]
fn sink_is_replaceable_and_panics_are_contained() {
    let ev = Event::PoolClosed { pool: "p".into() };
    events::set_sink(Box::new(|_| panic!("a bad sink")));
    events::emit(ev.clone()); // must not unwind into the caller
    events::emit(ev.clone()); // and the sink state is not poisoned

    let seen: Arc<Mutex<Vec<Event>>> = Arc::default();
    let s = seen.clone();
    events::set_sink(Box::new(move |e| s.lock().unwrap().push(e.clone())));
    let leak = Event::LeakSuspected {
        pool: "p".into(),
        borrower: "job".into(),
        held_ms: 12,
    };
    events::emit(leak.clone());
    assert_eq!(*seen.lock().unwrap(), vec![leak.clone()]);
    assert_eq!(leak.level(), log::Level::Warn);
    assert_eq!(ev.level(), log::Level::Info);
    assert_eq!(
        leak.to_string(),
        "pool p: connection held by job for 12 ms, possible leak"
    );

    events::clear_sink();
    events::emit(ev);
    assert_eq!(seen.lock().unwrap().len(), 1);
}
