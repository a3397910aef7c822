//! Prometheus text exposition of pool stats. STUB: the engine issue fills it in.

use crate::Stats;

/// Renders `pools` (label, stats) in the Prometheus text format, one series per pool with a
/// `pool` label. Labels are the registry's redacted ones, never a password.
pub fn render(_pools: &[(String, Stats)]) -> String {
    todo!()
}
