//! `sp_stats`: a pool's state and counters, versioned by its leading `size` field.

use std::mem::{offset_of, size_of};
use std::ptr::addr_of_mut;

use sharedpool::Stats;

/// A pool's state and counters. The caller sets `size = sizeof(sp_stats)` before calling
/// `sp_pool_stats`; fields are only ever appended, so an older caller gets the fields it knows.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct sp_stats {
    /// Set by the caller to `sizeof(sp_stats)`; on return, the number of bytes filled.
    pub size: u32,
    /// Open handles (counted references) to the pool, all languages together.
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
    /// Session resets done when a dirty connection came back.
    pub resets_total: u64,
    /// Failed connects.
    pub connect_errors_total: u64,
    /// (ABI 1.0 extension) Connections being opened right now (counted in `total`).
    pub connecting: u32,
    /// (ABI 1.0 extension) The size measured demand asks for: ceil(L x headroom) within the bounds.
    pub recommended_size: u32,
    /// (ABI 1.0 extension) Acquires cancelled by the caller.
    pub cancelled_total: u64,
    /// (ABI 1.0 extension) Leak warnings raised.
    pub leaks_total: u64,
    /// (ABI 1.0 extension) Total time acquirers waited, in microseconds.
    pub wait_time_us_total: u64,
    /// (ABI 1.0 extension) Longest single wait, in microseconds.
    pub wait_time_us_max: u64,
    /// (ABI 1.0 extension) Total time connections were held by borrowers, in microseconds.
    pub hold_time_us_total: u64,
    /// (ABI 1.0 extension) Measured acquire rate (lambda), per second.
    pub arrival_rate: f64,
    /// (ABI 1.0 extension) Measured hold time (W), in seconds.
    pub hold_time_avg: f64,
    /// (ABI 1.0 extension) L = lambda x W: connections demand keeps busy on average.
    pub demand: f64,
    /// (ABI 1.2 extension) The bound on connections now: `max_size`, or less while the server
    /// is full (it refused a connection for capacity) or growing would leave it fewer than
    /// `server_headroom` free slots.
    pub capacity_cap: u32,
}

impl From<&Stats> for sp_stats {
    fn from(s: &Stats) -> sp_stats {
        sp_stats {
            size: size_of::<sp_stats>() as u32,
            refs: s.refs,
            max_size: s.max_size,
            total: s.total,
            idle: s.idle,
            active: s.active,
            waiting: s.waiting,
            acquires_total: s.acquires_total,
            timeouts_total: s.timeouts_total,
            created_total: s.created_total,
            closed_total: s.closed_total,
            resets_total: s.resets_total,
            connect_errors_total: s.connect_errors_total,
            connecting: s.connecting,
            recommended_size: s.recommended_size,
            cancelled_total: s.cancelled_total,
            leaks_total: s.leaks_total,
            wait_time_us_total: s.wait_time_us_total,
            wait_time_us_max: s.wait_time_us_max,
            hold_time_us_total: s.hold_time_us_total,
            arrival_rate: s.arrival_rate,
            hold_time_avg: s.hold_time_avg,
            demand: s.demand,
            capacity_cap: s.capacity_cap,
        }
    }
}

/// Writes the fields of `src` that fit entirely in the caller's `size` bytes at `out`, and sets
/// `out->size` to the bytes filled. Returns false (writing nothing) when `size` cannot even
/// hold the `size` field.
///
/// # Safety
/// `out` points to at least `size` writable bytes, where `size` is `out->size` as the caller set.
pub(crate) unsafe fn write(src: &sp_stats, out: *mut sp_stats, size: u32) -> bool {
    let size = size as usize;
    if size < size_of::<u32>() {
        return false;
    }
    let mut filled = size_of::<u32>();
    macro_rules! fields {
        ($($f:ident),* $(,)?) => {$(
            let end = offset_of!(sp_stats, $f) + std::mem::size_of_val(&src.$f);
            if end <= size {
                // SAFETY: the field lies inside the caller's `size` writable bytes; written
                // through a raw pointer, never as a reference to the whole (maybe shorter) struct.
                unsafe { addr_of_mut!((*out).$f).write_unaligned(src.$f) };
                filled = end;
            }
        )*};
    }
    fields!(
        refs,
        max_size,
        total,
        idle,
        active,
        waiting,
        acquires_total,
        timeouts_total,
        created_total,
        closed_total,
        resets_total,
        connect_errors_total,
        connecting,
        recommended_size,
        cancelled_total,
        leaks_total,
        wait_time_us_total,
        wait_time_us_max,
        hold_time_us_total,
        arrival_rate,
        hold_time_avg,
        demand,
        capacity_cap,
    );
    if size >= size_of::<sp_stats>() {
        // Every field fits: the caller's whole struct, trailing padding included.
        filled = size_of::<sp_stats>();
    }
    // SAFETY: `size` >= 4, so the leading `size` field is writable.
    unsafe { addr_of_mut!((*out).size).write_unaligned(filled as u32) };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> sp_stats {
        sp_stats::from(&Stats {
            refs: 2,
            max_size: 4,
            waiting: 9,
            acquires_total: 11,
            connect_errors_total: 13,
            connecting: 1,
            demand: 0.5,
            ..Stats::default()
        })
    }

    #[test]
    fn the_design_prefix_has_its_c_layout() {
        assert_eq!(offset_of!(sp_stats, waiting), 24);
        assert_eq!(offset_of!(sp_stats, acquires_total), 32);
        assert_eq!(offset_of!(sp_stats, connect_errors_total), 72);
        assert_eq!(offset_of!(sp_stats, connecting), 80);
    }

    #[test]
    fn an_older_smaller_struct_gets_only_its_fields() {
        let src = sample();
        // A caller that knows only up to `waiting` (28 bytes), with sentinel bytes after it.
        let mut buf = [0xAAu8; size_of::<sp_stats>()];
        let out = buf.as_mut_ptr().cast::<sp_stats>();
        // SAFETY: `buf` has room for a whole sp_stats; writes stay within 28 bytes.
        assert!(unsafe { write(&src, out, 28) });
        assert!(
            buf[28..].iter().all(|&b| b == 0xAA),
            "wrote past the caller's size"
        );
        // SAFETY: `buf` holds a full sp_stats worth of bytes; read unaligned.
        let got = unsafe { out.read_unaligned() };
        assert_eq!(
            (got.size, got.refs, got.max_size, got.waiting),
            (28, 2, 4, 9)
        );
    }

    #[test]
    fn a_partial_field_is_not_written_and_tiny_sizes_fail() {
        let src = sample();
        let mut buf = [0u8; size_of::<sp_stats>()];
        let out = buf.as_mut_ptr().cast::<sp_stats>();
        // 36 bytes: acquires_total (32..40) does not fit.
        // SAFETY: `buf` is large enough.
        assert!(unsafe { write(&src, out, 36) });
        assert_eq!(buf[32..40], [0; 8]);
        // SAFETY: as above.
        assert_eq!(unsafe { out.read_unaligned() }.size, 28);
        // SAFETY: size 3 writes nothing.
        assert!(!unsafe { write(&src, out, 3) });
        // SAFETY: full size.
        assert!(unsafe { write(&src, out, size_of::<sp_stats>() as u32) });
        // SAFETY: written above.
        assert_eq!(unsafe { out.read_unaligned() }, src);
    }
}
