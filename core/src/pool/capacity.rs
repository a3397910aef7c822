//! The server's capacity as one pool sees it: a cap on growth when the server refuses new
//! connections for capacity, or when growing would leave it fewer than `server_headroom`
//! free slots.
//!
//! A fleet of processes, each with a bounded pool, can still ask a server for more
//! connections than it has (20 processes x 10 > `max_connections` = 151). A refusal for
//! capacity (MySQL's 1040 "Too many connections", 1203 per-user limit, 1226 resource limit)
//! is then not an outage: while the pool holds live connections it stops growing for a
//! back-off period (its cap is what it has, in stats), its waiters stay queued for returned
//! connections until their own deadline, and no statement fails for it. A pool with no live
//! connection waits too, retrying with back-off, and its acquirers time out with the server's
//! error and "server at capacity" (fail-fast is for a server that is down or a wrong password).
//!
//! Headroom: the server's free slots are read over a connection the pool holds (the manager's
//! `free_slots`, one round trip), at most once per [`READ_EVERY`]: on the connector thread
//! right after a connect that took the pool above `min_idle`, and while the cap holds waiters
//! back, on a returned connection. The cap is `open at the reading + free - server_headroom`,
//! never below `min_idle`: the pool never opens the connection that would leave fewer than
//! `server_headroom` slots to operators, migrations and other services. Another process can
//! take slots between two readings; its connects then meet the refusal above, so the
//! headroom is a best effort and the refusal rule the backstop.
//!
//! An episode (the cap holds back growth the pool wants, or a refusal) emits one "server near
//! capacity" event when it begins; it ends once the cap has held nothing back for
//! [`EPISODE_QUIET`], so a pool at the edge of the server's room does not repeat it.

use std::time::{Duration, Instant};

use super::conn::random_unit;
use crate::{Error, PoolConfig};

/// Longest age of a free-slot reading before growth asks for a new one.
pub(crate) const READ_EVERY: Duration = Duration::from_secs(1);

/// The back-off after a capacity refusal: 100 ms doubling on each refusal in a row up to
/// 1 s, the upper half random. Shorter than a failing connect's (a refusal costs the server
/// nothing and is not counted in `max_connect_errors`): the pool notices room within ~1 s.
const REFUSAL_BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(1));

/// An episode ends after this long without the cap holding growth back.
pub(crate) const EPISODE_QUIET: Duration = Duration::from_secs(10);

/// What the pool knows about the server's room.
#[derive(Default)]
pub(crate) struct Capacity {
    /// The last reading of free slots: how many, when, and the pool's `open` then.
    reading: Option<(u32, Instant, u32)>,
    /// After a capacity refusal: no growth above the cap until then.
    refused_until: Option<Instant>,
    refused_cap: u32,
    /// Capacity refusals in a row (for the back-off).
    refusals: u32,
    /// The last capacity refusal, until growth succeeds (for the timeout message).
    pub refusal: Option<Error>,
    /// An episode is under way (its event was sent): when the cap last held growth back.
    episode: Option<Instant>,
}

impl Capacity {
    /// The cap on `open + connecting` at `now`, when it is below `max_size`.
    pub fn cap(&self, now: Instant, config: &PoolConfig) -> Option<u32> {
        let refused = self
            .refused_until
            .filter(|&t| now < t)
            .map(|_| self.refused_cap);
        let cap = match (refused, self.headroom_cap(config)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        cap.filter(|&c| c < config.max_size)
    }

    /// The cap the last reading sets: `open then + free - server_headroom`, at least
    /// `min_idle`.
    pub fn headroom_cap(&self, config: &PoolConfig) -> Option<u32> {
        let (free, _, open) = self.reading.filter(|_| config.server_headroom > 0)?;
        Some(
            (open + free)
                .saturating_sub(config.server_headroom)
                .max(config.min_idle),
        )
    }

    /// When the refusal cap lifts (for a retry then).
    pub fn refused_until(&self) -> Option<Instant> {
        self.refused_until
    }

    /// Accounts a capacity refusal while `live` connections are open. Returns whether an
    /// episode begins (send its event).
    pub fn refused(&mut self, now: Instant, live: u32, error: Error) -> bool {
        self.refusals = self.refusals.saturating_add(1);
        let (base, cap) = REFUSAL_BACKOFF;
        let full = base
            .saturating_mul(1 << (self.refusals - 1).min(8))
            .min(cap);
        let wait = full / 2 + (full / 2).mul_f64(random_unit());
        self.refused_until = now.checked_add(wait);
        self.refused_cap = live;
        self.refusal = Some(error);
        // The server is fuller than the last reading said.
        self.reading = None;
        self.holding_back(true, now)
    }

    /// A connect succeeded: refusals are over.
    pub fn connected(&mut self) {
        self.refusals = 0;
        self.refusal = None;
    }

    /// Is a new reading due at `now` (headroom on, none for [`READ_EVERY`])?
    pub fn reading_due(&self, now: Instant, config: &PoolConfig) -> bool {
        config.server_headroom > 0
            && self.reading.map_or(true, |(_, at, _)| {
                now.saturating_duration_since(at) >= READ_EVERY
            })
    }

    /// Records a reading of `free` slots taken at `now` while the pool had `open` connections.
    pub fn read(&mut self, now: Instant, free: u32, open: u32) {
        self.reading = Some((free, now, open));
    }

    /// Notes whether the cap holds back growth the pool wants at `now`; returns whether an
    /// episode begins (send its event).
    pub fn holding_back(&mut self, held: bool, now: Instant) -> bool {
        match (held, self.episode) {
            (true, ongoing) => {
                self.episode = Some(now);
                ongoing.is_none()
            }
            (false, Some(last)) if now.saturating_duration_since(last) >= EPISODE_QUIET => {
                self.episode = None;
                false
            }
            (false, _) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(max_size: u32, min_idle: u32, headroom: u32) -> PoolConfig {
        PoolConfig {
            max_size,
            min_idle,
            server_headroom: headroom,
            ..PoolConfig::default()
        }
    }

    fn refusal() -> Error {
        Error::server(
            crate::ErrorKind::Connect,
            1040,
            "08004",
            "Too many connections",
        )
    }

    #[test]
    fn a_reading_caps_growth_at_the_headroom_but_never_below_min_idle() {
        let now = Instant::now();
        let mut c = Capacity::default();
        let cfg = config(20, 2, 3);
        assert_eq!(c.cap(now, &cfg), None, "no reading: no cap");
        c.read(now, 5, 4);
        assert_eq!(c.cap(now, &cfg), Some(6), "4 open + 5 free - 3");
        c.read(now, 1, 0);
        assert_eq!(c.cap(now, &cfg), Some(2), "floor: min_idle");
        c.read(now, 100, 4);
        assert_eq!(c.cap(now, &cfg), None, "above max_size: no cap");
        assert_eq!(c.cap(now, &config(20, 0, 0)), None, "headroom 0: off");
        assert!(!c.reading_due(now, &cfg));
        assert!(c.reading_due(now + READ_EVERY, &cfg));
        assert!(!c.reading_due(now + READ_EVERY, &config(20, 0, 0)));
    }

    #[test]
    fn a_refusal_caps_at_the_live_connections_for_a_growing_back_off() {
        let now = Instant::now();
        let mut c = Capacity::default();
        let cfg = config(10, 0, 0);
        assert!(
            c.refused(now, 4, refusal()),
            "the first refusal begins an episode"
        );
        assert_eq!(c.cap(now, &cfg), Some(4));
        let first = c.refused_until().unwrap() - now;
        assert!(c.cap(now + Duration::from_secs(6), &cfg).is_none(), "lifts");
        assert!(
            !c.refused(now, 4, refusal()),
            "same episode: no second event"
        );
        let second = c.refused_until().unwrap() - now;
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        for _ in 0..10 {
            c.refused(now, 4, refusal());
        }
        let many = c.refused_until().unwrap() - now;
        assert!(many >= Duration::from_millis(500) && many <= Duration::from_secs(1));
        assert!(second >= first, "{second:?} < {first:?}");
        c.connected();
        assert!(c.refusal.is_none());
        assert!(!c.holding_back(false, now + EPISODE_QUIET / 2));
        assert!(
            !c.holding_back(true, now + EPISODE_QUIET / 2),
            "still the same episode"
        );
        let later = now + EPISODE_QUIET / 2 + EPISODE_QUIET;
        assert!(
            !c.holding_back(false, later),
            "quiet long enough: the episode ends"
        );
        assert!(c.holding_back(true, later), "and a new one begins");
        assert!(!c.holding_back(true, later));
    }
}
