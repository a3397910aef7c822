//! A snapshot of one pool's state and counters.

/// What a pool reports about itself; the first fields are the C ABI's `sp_stats`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Counted references (open handles) to the pool.
    pub refs: u32,
    /// The configured bound.
    pub max_size: u32,
    /// Connections open or being opened.
    pub total: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
    /// Connections borrowed right now.
    pub active: u32,
    /// Callers waiting for a connection.
    pub waiting: u32,
    /// Successful acquires since the pool was created.
    pub acquires_total: u64,
    /// Acquires that gave up after their timeout.
    pub timeouts_total: u64,
    /// Connections opened.
    pub created_total: u64,
    /// Connections closed, for any reason.
    pub closed_total: u64,
    /// Session resets done on return (dirty borrowers).
    pub resets_total: u64,
    /// Failed connects.
    pub connect_errors_total: u64,
    /// Connections being opened right now (counted in `total`).
    pub connecting: u32,
    /// Closed because idle past `idle_timeout`.
    pub closed_idle_total: u64,
    /// Closed because older than `max_lifetime`.
    pub closed_lifetime_total: u64,
    /// Closed because used `max_uses` times.
    pub closed_max_uses_total: u64,
    /// Closed because broken (fatal error, failed ping, failed reset) or discarded by the borrower.
    pub closed_broken_total: u64,
    /// Closed because the pool closed.
    pub closed_pool_total: u64,
    /// Acquires cancelled by the caller.
    pub cancelled_total: u64,
    /// Leak warnings raised.
    pub leaks_total: u64,
    /// Total time acquirers waited, in microseconds.
    pub wait_time_us_total: u64,
    /// Longest single wait, in microseconds.
    pub wait_time_us_max: u64,
    /// Total time connections were held by borrowers, in microseconds.
    pub hold_time_us_total: u64,
    /// Measured acquire rate λ, per second (moving average).
    pub arrival_rate: f64,
    /// Measured hold time W, in seconds (moving average).
    pub hold_time_avg: f64,
    /// L = λ·W: the connections demand keeps busy on average.
    pub demand: f64,
    /// ⌈L × headroom⌉ clamped to [min_idle, max_size].
    pub recommended_size: u32,
    /// The bound on connections now: `max_size`, or less while the server is full or
    /// growing would leave it fewer than `server_headroom` free slots.
    pub capacity_cap: u32,
}
