//! Backoff after failed connects: exponential with jitter, so a failing target is not hammered.

use std::time::Duration;

use super::conn::random_unit;

/// First delay after one failure.
pub(crate) const BACKOFF_BASE: Duration = Duration::from_millis(50);
/// Longest delay between retries.
pub(crate) const BACKOFF_CAP: Duration = Duration::from_secs(5);

/// The delay before the next connect after `failures` consecutive failures (≥ 1):
/// `min(cap, base·2^(failures-1))`, of which the upper half is random ("equal jitter").
pub(crate) fn backoff(failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(16);
    let full = BACKOFF_BASE.saturating_mul(1 << exp).min(BACKOFF_CAP);
    full / 2 + (full / 2).mul_f64(random_unit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_caps() {
        for _ in 0..100 {
            let one = backoff(1);
            assert!(one >= BACKOFF_BASE / 2 && one <= BACKOFF_BASE, "{one:?}");
            let three = backoff(3);
            assert!(three >= BACKOFF_BASE * 2 && three <= BACKOFF_BASE * 4);
            let many = backoff(100);
            assert!(many >= BACKOFF_CAP / 2 && many <= BACKOFF_CAP);
        }
    }
}
