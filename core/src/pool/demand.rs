//! Demand measurement for self-sizing: the acquire rate λ and the hold time W as
//! exponentially weighted moving averages, L = λ·W, and the recommended size.

use std::time::Instant;

use crate::PoolConfig;

/// Time constant of the moving averages, in seconds: a step in load shows after about this long.
/// Short on purpose: shrinking is slowed by `idle_timeout` anyway, growing should be quick.
pub(crate) const DEMAND_WINDOW_SECS: f64 = 1.0;

/// Counter values at the last sample and the current estimates.
pub(crate) struct Demand {
    last: Instant,
    last_arrivals: u64,
    last_returns: u64,
    last_hold_us: u64,
    /// λ, acquires per second.
    pub rate: f64,
    /// W, seconds.
    pub hold: f64,
    /// ⌈λ·W·headroom⌉ clamped to [min_idle, max_size].
    pub recommended: u32,
}

impl Demand {
    pub fn new(now: Instant, config: &PoolConfig) -> Self {
        Demand {
            last: now,
            last_arrivals: 0,
            last_returns: 0,
            last_hold_us: 0,
            rate: 0.0,
            hold: 0.0,
            recommended: config.min_idle.min(config.max_size),
        }
    }

    /// L = λ·W.
    pub fn load(&self) -> f64 {
        self.rate * self.hold
    }

    /// Folds the counters' growth since the last sample into the averages.
    pub fn sample(
        &mut self,
        now: Instant,
        arrivals: u64,
        returns: u64,
        hold_us: u64,
        config: &PoolConfig,
    ) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        if dt < 0.001 {
            return;
        }
        let alpha = 1.0 - (-dt / DEMAND_WINDOW_SECS).exp();
        let rate_now = arrivals.saturating_sub(self.last_arrivals) as f64 / dt;
        self.rate += alpha * (rate_now - self.rate);
        let n = returns.saturating_sub(self.last_returns);
        if n > 0 {
            let hold_now = hold_us.saturating_sub(self.last_hold_us) as f64 / n as f64 / 1e6;
            self.hold = if self.hold == 0.0 {
                hold_now
            } else {
                self.hold + alpha * (hold_now - self.hold)
            };
        }
        self.last = now;
        self.last_arrivals = arrivals;
        self.last_returns = returns;
        self.last_hold_us = hold_us;
        self.recommended = recommended_size(self.load(), config);
    }
}

/// ⌈L × headroom⌉ clamped to [min_idle, max_size]; a hundredth of a connection is noise
/// (a decayed average never reaches zero exactly).
pub(crate) fn recommended_size(load: f64, config: &PoolConfig) -> u32 {
    let want = (load * config.headroom - 0.01).ceil().max(0.0);
    let want = if want > u32::MAX as f64 {
        u32::MAX
    } else {
        want as u32
    };
    want.clamp(config.min_idle.min(config.max_size), config.max_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn follows_a_steady_load_and_decays_without_one() {
        let config = PoolConfig {
            max_size: 20,
            headroom: 1.5,
            ..PoolConfig::default()
        };
        let t0 = Instant::now();
        let mut d = Demand::new(t0, &config);
        // 100 acquires/s held 40 ms each: L = 4, recommended = 6.
        let (mut arrivals, mut hold_us) = (0, 0);
        for i in 1..=100u32 {
            arrivals += 10;
            hold_us += 10 * 40_000;
            d.sample(
                t0 + Duration::from_millis(100 * i as u64),
                arrivals,
                arrivals,
                hold_us,
                &config,
            );
        }
        assert!((d.rate - 100.0).abs() < 1.0, "{}", d.rate);
        assert!((d.hold - 0.04).abs() < 1e-6, "{}", d.hold);
        assert_eq!(d.recommended, 6);
        // Silence: λ decays, so does the recommendation.
        for i in 101..=200u32 {
            d.sample(
                t0 + Duration::from_millis(100 * i as u64),
                arrivals,
                arrivals,
                hold_us,
                &config,
            );
        }
        assert!(d.rate < 0.1, "{}", d.rate);
        assert_eq!(d.recommended, 0);
    }

    #[test]
    fn recommendation_is_clamped() {
        let config = PoolConfig {
            max_size: 8,
            min_idle: 2,
            ..PoolConfig::default()
        };
        assert_eq!(recommended_size(0.0, &config), 2);
        assert_eq!(recommended_size(100.0, &config), 8);
        assert_eq!(recommended_size(2.0, &config), 3);
        assert_eq!(recommended_size(f64::INFINITY, &config), 8);
    }
}
