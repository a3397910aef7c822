//! Metrics from a registry: one series per pool, labelled with the redacted label.

mod common;

use common::fake::FakeManager;
use sharedpool::{metrics, Options, PoolKey, Registry};

/// The value of `name`'s series for the pool labelled `pool`.
fn value(text: &str, name: &str, pool: &str) -> Option<f64> {
    let prefix = format!("{name}{{pool=\"{pool}\",key=\"");
    text.lines()
        .find(|l| l.starts_with(&prefix))
        .and_then(|l| l.rsplit_once(' '))
        .and_then(|(_, v)| v.parse().ok())
}

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
        value(&text, "sharedpool_refs", "app@db1:3306/x") == Some(2.0),
        "{text}"
    );
    assert!(value(&text, "sharedpool_refs", "ops@db2:3306/y") == Some(1.0));
    assert!(value(&text, "sharedpool_connections_idle", "app@db1:3306/x") == Some(1.0));
    assert!(value(&text, "sharedpool_connections_active", "ops@db2:3306/y") == Some(1.0));
    assert!(value(&text, "sharedpool_acquires_total", "app@db1:3306/x") == Some(1.0));
    assert_eq!(text.matches("# TYPE sharedpool_refs gauge\n").count(), 1);
}
