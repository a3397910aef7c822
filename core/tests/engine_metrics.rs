//! Metrics from a registry: one series per pool, labelled with the redacted label.

mod common;

use common::fake::FakeManager;
use sharedpool::{metrics, Options, PoolKey, Registry};

#[test]
fn registry_snapshot_renders_one_series_per_pool() {
    let reg = Registry::new();
    let key = |id: &str, label: &str| PoolKey {
        id: id.into(),
        label: label.into(),
    };
    let opts = Options::default();
    let a = reg
        .open(
            &key("a", "app@db1:3306/x"),
            &opts,
            || Ok(FakeManager::new()),
        )
        .unwrap();
    let _a2 = reg
        .open(
            &key("a", "app@db1:3306/x"),
            &opts,
            || Ok(FakeManager::new()),
        )
        .unwrap();
    let b = reg
        .open(
            &key("b", "ops@db2:3306/y"),
            &opts,
            || Ok(FakeManager::new()),
        )
        .unwrap();
    drop(a.acquire().unwrap());
    let _held = b.acquire().unwrap();
    let text = metrics::render(&reg.snapshot());
    assert!(
        text.contains("sharedpool_refs{pool=\"app@db1:3306/x\"} 2\n"),
        "{text}"
    );
    assert!(text.contains("sharedpool_refs{pool=\"ops@db2:3306/y\"} 1\n"));
    assert!(text.contains("sharedpool_connections_idle{pool=\"app@db1:3306/x\"} 1\n"));
    assert!(text.contains("sharedpool_connections_active{pool=\"ops@db2:3306/y\"} 1\n"));
    assert!(text.contains("sharedpool_acquires_total{pool=\"app@db1:3306/x\"} 1\n"));
    assert_eq!(text.matches("# TYPE sharedpool_refs gauge\n").count(), 1);
}
