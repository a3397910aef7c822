//! Prometheus text exposition of pool stats.

use std::fmt::Write;

use sha2::{Digest, Sha256};

use crate::{PoolKey, Stats};

/// Whether a metric only goes up or goes both ways.
#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        }
    }
}

/// One metric: name, type, help, and how to read it from `Stats`.
struct Metric {
    name: &'static str,
    kind: Kind,
    help: &'static str,
    value: fn(&Stats) -> f64,
}

macro_rules! m {
    ($name:literal, $kind:ident, $help:literal, |$s:ident| $v:expr) => {
        Metric {
            name: $name,
            kind: Kind::$kind,
            help: $help,
            value: |$s: &Stats| $v as f64,
        }
    };
}

const METRICS: &[Metric] = &[
    m!(
        "sharedpool_refs",
        Gauge,
        "Counted references (open handles) to the pool.",
        |s| s.refs
    ),
    m!(
        "sharedpool_max_size",
        Gauge,
        "The configured maximum number of connections.",
        |s| s.max_size
    ),
    m!(
        "sharedpool_connections",
        Gauge,
        "Connections open or being opened.",
        |s| s.total
    ),
    m!(
        "sharedpool_connections_idle",
        Gauge,
        "Open connections waiting in the pool.",
        |s| s.idle
    ),
    m!(
        "sharedpool_connections_active",
        Gauge,
        "Connections borrowed right now.",
        |s| s.active
    ),
    m!(
        "sharedpool_connections_connecting",
        Gauge,
        "Connections being opened right now.",
        |s| s.connecting
    ),
    m!(
        "sharedpool_waiting",
        Gauge,
        "Callers waiting for a connection.",
        |s| s.waiting
    ),
    m!(
        "sharedpool_acquires_total",
        Counter,
        "Successful acquires.",
        |s| s.acquires_total
    ),
    m!(
        "sharedpool_timeouts_total",
        Counter,
        "Acquires that gave up after their timeout.",
        |s| s.timeouts_total
    ),
    m!(
        "sharedpool_cancelled_total",
        Counter,
        "Acquires cancelled by the caller.",
        |s| s.cancelled_total
    ),
    m!(
        "sharedpool_created_total",
        Counter,
        "Connections opened.",
        |s| s.created_total
    ),
    m!(
        "sharedpool_closed_total",
        Counter,
        "Connections closed, for any reason.",
        |s| s.closed_total
    ),
    m!(
        "sharedpool_resets_total",
        Counter,
        "Session resets done on return.",
        |s| s.resets_total
    ),
    m!(
        "sharedpool_connect_errors_total",
        Counter,
        "Failed connects.",
        |s| s.connect_errors_total
    ),
    m!(
        "sharedpool_leaks_total",
        Counter,
        "Connections held longer than leak_detection_ms.",
        |s| s.leaks_total
    ),
    m!(
        "sharedpool_wait_seconds_total",
        Counter,
        "Total time acquirers waited.",
        |s| s.wait_time_us_total as f64 / 1e6
    ),
    m!(
        "sharedpool_wait_seconds_max",
        Gauge,
        "Longest single wait for a connection.",
        |s| s.wait_time_us_max as f64 / 1e6
    ),
    m!(
        "sharedpool_hold_seconds_total",
        Counter,
        "Total time connections were held by borrowers.",
        |s| s.hold_time_us_total as f64 / 1e6
    ),
    m!(
        "sharedpool_arrival_rate",
        Gauge,
        "Measured acquire rate (lambda), per second, moving average.",
        |s| s.arrival_rate
    ),
    m!(
        "sharedpool_hold_time_seconds",
        Gauge,
        "Measured hold time (W), moving average.",
        |s| s.hold_time_avg
    ),
    m!(
        "sharedpool_demand",
        Gauge,
        "Connections demand keeps busy on average, L = lambda * W.",
        |s| s.demand
    ),
    m!(
        "sharedpool_recommended_size",
        Gauge,
        "ceil(L * headroom) clamped to [min_idle, max_size].",
        |s| s.recommended_size
    ),
    m!(
        "sharedpool_capacity_cap",
        Gauge,
        "The bound on connections now: max_size, or less while the server is full or at server_headroom.",
        |s| s.capacity_cap
    ),
];

/// Closed connections by reason: `(reason label, value)`.
fn closed_by_reason(s: &Stats) -> [(&'static str, u64); 5] {
    [
        ("idle", s.closed_idle_total),
        ("lifetime", s.closed_lifetime_total),
        ("max_uses", s.closed_max_uses_total),
        ("broken", s.closed_broken_total),
        ("pool_closed", s.closed_pool_total),
    ]
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value in the exposition format.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// Renders `pools` (label, stats) in the Prometheus text format, one series per pool with a
/// `pool` label. Labels are the registry's redacted ones, never a password.
/// The series labels of a pool: `pool` is the readable target (`user@host:port/db`, plus
/// `#pool_name`), `key` the first 8 hex digits of a SHA-256 of the whole pool key, so pools that
/// differ only in session options (charset, TLS, `init_sql`, password) get series of their own.
/// The key holds the password only as a hash, and `key` is a hash of it: nothing leaks.
fn labels(key: &PoolKey) -> String {
    let digest = Sha256::digest(key.id.as_bytes());
    let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("pool=\"{}\",key=\"{short}\"", escape(&key.label))
}

/// The Prometheus text for `pools` (their keys and stats).
pub fn render(pools: &[(PoolKey, Stats)]) -> String {
    let mut out = String::new();
    let labels: Vec<String> = pools.iter().map(|(k, _)| labels(k)).collect();
    for m in METRICS {
        let _ = writeln!(out, "# HELP {} {}", m.name, m.help);
        let _ = writeln!(out, "# TYPE {} {}", m.name, m.kind.name());
        for (labels, (_, stats)) in labels.iter().zip(pools) {
            let _ = writeln!(out, "{}{{{labels}}} {}", m.name, number((m.value)(stats)));
        }
    }
    let name = "sharedpool_closed_by_reason_total";
    let _ = writeln!(out, "# HELP {name} Connections closed, by reason.");
    let _ = writeln!(out, "# TYPE {name} counter");
    for (labels, (_, stats)) in labels.iter().zip(pools) {
        for (reason, v) in closed_by_reason(stats) {
            let _ = writeln!(out, "{name}{{{labels},reason=\"{reason}\"}} {v}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, label: &str) -> PoolKey {
        PoolKey {
            id: id.into(),
            label: label.into(),
        }
    }

    /// The value of `name`'s series for the pool labelled `pool` (the `key` label skipped).
    fn value(text: &str, name: &str, pool: &str) -> Option<f64> {
        let prefix = format!("{name}{{pool=\"{pool}\",key=\"");
        text.lines()
            .find(|l| l.starts_with(&prefix))
            .and_then(|l| l.rsplit_once(' '))
            .and_then(|(_, v)| v.parse().ok())
    }

    #[test]
    fn one_help_and_type_per_metric_one_series_per_pool() {
        let a = Stats {
            max_size: 4,
            total: 3,
            acquires_total: 7,
            ..Stats::default()
        };
        let pools = vec![(key("a", "a@h:3306/db"), a.clone()), (key("b", "b"), a)];
        let text = render(&pools);
        assert_eq!(
            text.matches("# TYPE sharedpool_acquires_total counter")
                .count(),
            1
        );
        assert_eq!(text.matches("# HELP sharedpool_max_size ").count(), 1);
        assert_eq!(
            value(&text, "sharedpool_acquires_total", "a@h:3306/db"),
            Some(7.0)
        );
        assert_eq!(value(&text, "sharedpool_connections", "b"), Some(3.0));
        assert!(text.lines().any(|l| l
            .starts_with("sharedpool_closed_by_reason_total{pool=\"b\",key=\"")
            && l.ends_with(",reason=\"idle\"} 0")));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            value.parse::<f64>().unwrap_or_else(|_| panic!("{line}"));
        }
    }

    #[test]
    fn pools_with_one_label_get_series_of_their_own() {
        // Same target, other charset (or TLS, init_sql, password): other keys, one label.
        let id_a = "mysql|user=\"app\"|charset=\"utf8mb4\"|password_sha256=00ff";
        let id_b = "mysql|user=\"app\"|charset=\"latin1\"|password_sha256=00ff";
        let text = render(&[
            (key(id_a, "app@db:3306/x"), Stats::default()),
            (key(id_b, "app@db:3306/x"), Stats::default()),
        ]);
        let series: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("sharedpool_refs{"))
            .collect();
        assert_eq!(series.len(), 2, "{text}");
        assert_ne!(series[0], series[1], "duplicate series");
        for s in series {
            let k = s.split("key=\"").nth(1).unwrap().split('"').next().unwrap();
            assert!(
                k.len() == 8 && k.chars().all(|c| c.is_ascii_hexdigit()),
                "{s}"
            );
            assert!(!s.contains("charset") && !s.contains("00ff"), "{s}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        let text = render(&[(key("k", "we\"ird\\la\nbel"), Stats::default())]);
        assert!(
            text.contains("sharedpool_refs{pool=\"we\\\"ird\\\\la\\nbel\",key=\""),
            "{text}"
        );
    }

    #[test]
    fn empty_input_still_describes_metrics() {
        let text = render(&[]);
        assert!(text.contains("# TYPE sharedpool_refs gauge"));
        assert!(!text.lines().any(|l| !l.starts_with('#')));
    }

    #[test]
    fn special_floats() {
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(3.0), "3");
    }
}
