//! One pooled connection with its bookkeeping: age, lifetime deadline (with jitter), uses.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Most of `max_lifetime` taken off as jitter, so connections do not all expire together.
pub(crate) const LIFETIME_JITTER: f64 = 0.025;

/// A raw connection plus what the pool knows about it.
pub(crate) struct Conn<C> {
    pub raw: C,
    /// When it must be recycled (`max_lifetime` minus jitter), `None` = never.
    pub expires: Option<Instant>,
    /// Borrows so far.
    pub uses: u64,
    /// The fork generation it was opened in.
    pub generation: u64,
    /// The thread that gave it back last ([`thread_token`]; 0: none yet).
    pub returned_by: u64,
}

impl<C> Conn<C> {
    pub fn new(raw: C, now: Instant, max_lifetime: Duration, generation: u64) -> Self {
        Conn {
            raw,
            expires: lifetime_deadline(now, max_lifetime),
            uses: 0,
            generation,
            returned_by: 0,
        }
    }

    /// Is it past its lifetime?
    pub fn expired(&self, now: Instant) -> bool {
        self.expires.is_some_and(|e| now >= e)
    }
}

/// A number naming the calling thread (never 0), cheaper than `thread::current().id()`.
pub(crate) fn thread_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static TOKEN: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    TOKEN.with(|t| *t)
}

/// `now + max_lifetime - jitter` with jitter uniform in `[0, 2.5 %]` of `max_lifetime`.
pub(crate) fn lifetime_deadline(now: Instant, max_lifetime: Duration) -> Option<Instant> {
    if max_lifetime.is_zero() {
        return None;
    }
    let jitter = max_lifetime.mul_f64(LIFETIME_JITTER * random_unit());
    now.checked_add(max_lifetime - jitter)
}

/// A random number in `[0, 1)`; good enough for jitter, not for secrets.
pub(crate) fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_jitter_is_spread_within_two_and_a_half_percent() {
        let now = Instant::now();
        let life = Duration::from_secs(1000);
        let offsets: Vec<Duration> = (0..1000)
            .map(|_| lifetime_deadline(now, life).unwrap() - now)
            .collect();
        let min = *offsets.iter().min().unwrap();
        let max = *offsets.iter().max().unwrap();
        assert!(max <= life, "{max:?}");
        assert!(min >= life.mul_f64(1.0 - LIFETIME_JITTER), "{min:?}");
        // Spread over most of the 25 s window, not bunched together.
        assert!(max - min > Duration::from_secs(20), "{min:?}..{max:?}");
        assert!(lifetime_deadline(now, Duration::ZERO).is_none());
    }

    #[test]
    fn random_unit_is_in_range_and_varies() {
        let xs: Vec<f64> = (0..100).map(|_| random_unit()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(xs.windows(2).any(|w| w[0] != w[1]));
    }
}
