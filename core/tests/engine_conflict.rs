//! A second open with other sizing options is a config conflict, unless on_conflict=reuse.

mod common;

use common::fake::FakeManager;
use sharedpool::{ErrorKind, Options, PoolKey, Registry};

fn key(id: &str) -> PoolKey {
    PoolKey {
        id: id.into(),
        label: format!("app@db:3306/{id}"),
    }
}

#[test]
fn differing_options_name_each_field_and_both_values() {
    let reg = Registry::new();
    let first = Options::from_pairs([("max_size", "4"), ("idle_timeout_ms", "1000")]).unwrap();
    let _a = reg
        .open(&key("x"), &first, || Ok(FakeManager::new()))
        .unwrap();
    let second = Options::from_pairs([("max_size", "8"), ("idle_timeout_ms", "5")]).unwrap();
    let e = reg
        .open(&key("x"), &second, || Ok(FakeManager::new()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConfigConflict);
    let msg = e.message();
    assert!(msg.contains("max_size: 4 vs 8"), "{msg}");
    assert!(msg.contains("idle_timeout_ms: 1000 vs 5"), "{msg}");
    assert!(msg.contains("app@db:3306/x"), "{msg}");
    assert!(msg.contains("on_conflict=reuse"), "{msg}");
    assert_eq!(
        reg.snapshot()[0].1.refs,
        1,
        "a failed open takes no reference"
    );
}

#[test]
fn reuse_takes_the_live_pool_as_it_is() {
    let reg = Registry::new();
    let first = Options::from_pairs([("max_size", "4")]).unwrap();
    let a = reg
        .open(&key("x"), &first, || Ok(FakeManager::new()))
        .unwrap();
    let second = Options::from_pairs([("max_size", "8"), ("on_conflict", "reuse")]).unwrap();
    let b = reg
        .open(&key("x"), &second, || Ok(FakeManager::new()))
        .unwrap();
    assert_eq!(b.config().max_size, 4);
    assert_eq!(a.stats().refs, 2);
}

#[test]
fn same_options_do_not_conflict_and_pool_name_separates() {
    let reg = Registry::new();
    let o = Options::from_pairs([("max_size", "4")]).unwrap();
    let _a = reg.open(&key("x"), &o, || Ok(FakeManager::new())).unwrap();
    let _b = reg.open(&key("x"), &o, || Ok(FakeManager::new())).unwrap();
    // A different pool_name is a different key (callers put it in the id).
    let other = Options::from_pairs([("max_size", "8")]).unwrap();
    let c = reg
        .open(&key("x#reporting"), &other, || Ok(FakeManager::new()))
        .unwrap();
    assert_eq!(c.config().max_size, 8);
    assert_eq!(reg.len(), 2);
}

#[test]
fn a_second_open_conflicts_only_in_what_it_set() {
    // The README's Go snippet: Open(dsn, WithMaxSize(8)), then sql.OpenDB(Connector(dsn)).
    let reg = Registry::new();
    let first = Options::from_pairs([("max_size", "8"), ("min_idle", "2")]).unwrap();
    let a = reg
        .open(&key("x"), &first, || Ok(FakeManager::new()))
        .unwrap();
    let unset = Options::default();
    let b = reg
        .open(&key("x"), &unset, || Ok(FakeManager::new()))
        .expect("options left unset join the live pool's");
    assert_eq!(b.config().max_size, 8);
    let same = Options::from_pairs([("max_size", "8")]).unwrap();
    let _c = reg
        .open(&key("x"), &same, || Ok(FakeManager::new()))
        .unwrap();
    // Setting an option to its default is saying it.
    let default_said = Options::from_pairs([("min_idle", "0")]).unwrap();
    let e = reg
        .open(&key("x"), &default_said, || Ok(FakeManager::new()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConfigConflict);
    assert!(e.message().contains("min_idle: 2 vs 0"), "{}", e.message());
    assert!(!e.message().contains("max_size"), "{}", e.message());
    assert_eq!(a.stats().refs, 3);
}
