//! Prometheus text exposition of pool stats.

use std::fmt::Write;

use crate::Stats;

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
pub fn render(pools: &[(String, Stats)]) -> String {
    let mut out = String::new();
    let labels: Vec<String> = pools.iter().map(|(l, _)| escape(l)).collect();
    for m in METRICS {
        let _ = writeln!(out, "# HELP {} {}", m.name, m.help);
        let _ = writeln!(out, "# TYPE {} {}", m.name, m.kind.name());
        for (label, (_, stats)) in labels.iter().zip(pools) {
            let _ = writeln!(
                out,
                "{}{{pool=\"{label}\"}} {}",
                m.name,
                number((m.value)(stats))
            );
        }
    }
    let name = "sharedpool_closed_by_reason_total";
    let _ = writeln!(out, "# HELP {name} Connections closed, by reason.");
    let _ = writeln!(out, "# TYPE {name} counter");
    for (label, (_, stats)) in labels.iter().zip(pools) {
        for (reason, v) in closed_by_reason(stats) {
            let _ = writeln!(out, "{name}{{pool=\"{label}\",reason=\"{reason}\"}} {v}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_help_and_type_per_metric_one_series_per_pool() {
        let a = Stats {
            max_size: 4,
            total: 3,
            acquires_total: 7,
            ..Stats::default()
        };
        let pools = vec![("a@h:3306/db".to_string(), a.clone()), ("b".to_string(), a)];
        let text = render(&pools);
        assert_eq!(
            text.matches("# TYPE sharedpool_acquires_total counter")
                .count(),
            1
        );
        assert_eq!(text.matches("# HELP sharedpool_max_size ").count(), 1);
        assert!(text.contains("sharedpool_acquires_total{pool=\"a@h:3306/db\"} 7\n"));
        assert!(text.contains("sharedpool_connections{pool=\"b\"} 3\n"));
        assert!(text.contains("sharedpool_closed_by_reason_total{pool=\"b\",reason=\"idle\"} 0\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            value.parse::<f64>().unwrap_or_else(|_| panic!("{line}"));
        }
    }

    #[test]
    fn label_values_are_escaped() {
        let text = render(&[("we\"ird\\la\nbel".to_string(), Stats::default())]);
        assert!(
            text.contains("sharedpool_refs{pool=\"we\\\"ird\\\\la\\nbel\"} 0\n"),
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
