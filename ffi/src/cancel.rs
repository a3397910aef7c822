//! `sp_cancel` (cancel a wait or a statement from another thread), `sp_acquire_options` (how
//! one acquire waits) and `sp_query_options` (how one statement runs), read field by field up
//! to the caller's `size`.

use std::ffi::{c_char, c_void};
use std::mem::{offset_of, size_of};
use std::ptr::addr_of;
use std::time::{Duration, Instant};

use sharedpool::{CancelToken, Result};

use crate::boundary::{infallible, invalid};
use crate::primary::forward;

/// A cancellation token: triggering it ends every acquire waiting with it, now and later,
/// with `SP_ERR_CANCELLED`. Created by `sp_cancel_new`, freed by `sp_cancel_free`.
pub struct sp_cancel {
    pub(crate) token: CancelToken,
}

/// Polled about every 50 ms by a thread waiting for a connection, with the `interrupt_ctx` it
/// was given; returning true cancels the wait (`SP_ERR_CANCELLED`). Runs on the waiting thread.
pub type sp_interrupt_fn = Option<unsafe extern "C" fn(ctx: *mut c_void) -> bool>;

/// How one `sp_pool_acquire_ex` waits. The caller sets `size = sizeof(sp_acquire_options)`;
/// fields are only appended, and fields beyond `size` take their defaults.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sp_acquire_options {
    /// `sizeof(sp_acquire_options)` as the caller knows it.
    pub size: u32,
    /// The longest wait in milliseconds; negative: the pool's `acquire_timeout_ms`.
    pub timeout_ms: i64,
    /// Ends the wait when triggered (nullable; borrowed for the call).
    pub cancel: *const sp_cancel,
    /// Polled while waiting (nullable).
    pub interrupt: sp_interrupt_fn,
    /// Passed to `interrupt`.
    pub interrupt_ctx: *mut c_void,
    /// Names the borrower in leak warnings (nullable, UTF-8, borrowed for the call).
    pub label: *const c_char,
    /// (ABI 1.3 extension) How long the caller already waited for this acquire before the
    /// call, in milliseconds (for example queued for a worker thread of an event loop's
    /// hand-off); taken off the timeout, so the whole wait stays within it. 0: none.
    pub waited_ms: i64,
}

/// The fields of a caller's `sp_acquire_options`, defaults for those beyond its `size`.
pub(crate) struct AcquireFields {
    pub(crate) timeout_ms: i64,
    pub(crate) cancel: *const sp_cancel,
    pub(crate) interrupt: sp_interrupt_fn,
    pub(crate) interrupt_ctx: *mut c_void,
    pub(crate) label: *const c_char,
    pub(crate) waited_ms: i64,
}

impl Default for AcquireFields {
    fn default() -> Self {
        AcquireFields {
            timeout_ms: -1,
            cancel: std::ptr::null(),
            interrupt: None,
            interrupt_ctx: std::ptr::null_mut(),
            label: std::ptr::null(),
            waited_ms: 0,
        }
    }
}

/// Reads `o` (NULL: all defaults) up to its `size`.
///
/// # Safety
/// `o` is NULL or points to at least `o->size` readable bytes laid out as `sp_acquire_options`.
pub(crate) unsafe fn read(name: &str, o: *const sp_acquire_options) -> Result<AcquireFields> {
    let mut f = AcquireFields::default();
    if o.is_null() {
        return Ok(f);
    }
    // SAFETY: `o` is non-NULL and readable for its `size` (contract).
    let size = unsafe { read_size(name, o) }?;
    // SAFETY: each field read lies inside the caller's `size` readable bytes (contract).
    unsafe {
        read_field!(o, sp_acquire_options, f, size, timeout_ms);
        read_field!(o, sp_acquire_options, f, size, cancel);
        read_field!(o, sp_acquire_options, f, size, interrupt);
        read_field!(o, sp_acquire_options, f, size, interrupt_ctx);
        read_field!(o, sp_acquire_options, f, size, label);
        read_field!(o, sp_acquire_options, f, size, waited_ms);
    }
    Ok(f)
}

/// Reads field `$f` of the caller's `$o: *const $ty` into `$out.$f` when it lies within the
/// caller's `$size`. Every field type accepts any bit pattern (an Option of a function pointer:
/// NULL is None). Use inside `unsafe`: `$o` must be readable for `$size` bytes.
macro_rules! read_field {
    ($o:ident, $ty:ty, $out:ident, $size:ident, $f:ident) => {
        if offset_of!($ty, $f) + size_of_val(&$out.$f) <= $size {
            $out.$f = addr_of!((*$o).$f).read_unaligned();
        }
    };
}
use read_field;

/// The leading `size` of a size-versioned options struct, checked.
///
/// # Safety
/// `o` is non-NULL and readable for at least its leading `u32`.
unsafe fn read_size<T>(name: &str, o: *const T) -> Result<usize> {
    // SAFETY: the contract.
    let size = unsafe { o.cast::<u32>().read_unaligned() } as usize;
    if size < size_of::<u32>() {
        return Err(invalid(
            name,
            format_args!("options->size ({size}) is too small"),
        ));
    }
    Ok(size)
}

/// How one `sp_conn_query_ex` (or `sp_conn_query_stream_ex`, `sp_pool_query_stream_ex`) runs.
/// The caller sets `size = sizeof(sp_query_options)`; fields are only appended, and fields
/// beyond `size` take their defaults.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sp_query_options {
    /// `sizeof(sp_query_options)` as the caller knows it.
    pub size: u32,
    /// The statement's deadline in milliseconds from the call; 0 or negative: none (the pool's
    /// `statement_timeout_ms` still applies, whichever comes first).
    pub timeout_ms: i64,
    /// Ends the running statement when triggered (nullable; borrowed for the call; for the
    /// streaming calls, watched until the rows end or are freed).
    pub cancel: *const sp_cancel,
}

/// The fields of a caller's `sp_query_options`, defaults for those beyond its `size`.
pub(crate) struct QueryFields {
    pub(crate) timeout_ms: i64,
    pub(crate) cancel: *const sp_cancel,
}

/// Reads `o` (NULL: all defaults) up to its `size`.
///
/// # Safety
/// `o` is NULL or points to at least `o->size` readable bytes laid out as `sp_query_options`.
pub(crate) unsafe fn read_query(name: &str, o: *const sp_query_options) -> Result<QueryFields> {
    let mut f = QueryFields {
        timeout_ms: 0,
        cancel: std::ptr::null(),
    };
    if o.is_null() {
        return Ok(f);
    }
    // SAFETY: `o` is non-NULL and readable for its `size` (contract).
    let size = unsafe { read_size(name, o) }?;
    // SAFETY: as above.
    unsafe {
        read_field!(o, sp_query_options, f, size, timeout_ms);
        read_field!(o, sp_query_options, f, size, cancel);
    }
    Ok(f)
}

/// The deadline (from now) and token of a caller's `sp_query_options` (NULL: none).
///
/// # Safety
/// `o` is NULL or points to `o->size` readable bytes; its `cancel` is NULL or a live token,
/// which outlives `'a`.
pub(crate) unsafe fn query_options<'a>(
    name: &str,
    o: *const sp_query_options,
) -> Result<(Option<Instant>, Option<&'a CancelToken>)> {
    // SAFETY: the contract.
    let f = unsafe { read_query(name, o) }?;
    let deadline =
        (f.timeout_ms > 0).then(|| Instant::now() + Duration::from_millis(f.timeout_ms as u64));
    // SAFETY: the contract.
    let token = unsafe { f.cancel.as_ref() }.map(|t| &t.token);
    Ok((deadline, token))
}

/// A new, untriggered cancellation token (NULL only if out of memory). Thread-safe.
#[no_mangle]
pub extern "C" fn sp_cancel_new() -> *mut sp_cancel {
    forward!(sp_cancel_new());
    infallible(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(sp_cancel {
            token: CancelToken::new(),
        }))
    })
}

/// Triggers `c`: every acquire waiting with it, now or later, fails with `SP_ERR_CANCELLED`.
/// Thread-safe (meant to be called from another thread) and idempotent; NULL is ignored.
#[no_mangle]
pub extern "C" fn sp_cancel_trigger(c: *const sp_cancel) {
    forward!(sp_cancel_trigger(c));
    infallible((), || {
        // SAFETY: `c` is NULL or a live token (the caller's contract).
        if let Some(c) = unsafe { c.as_ref() } {
            c.token.cancel();
        }
    })
}

/// Frees a token. NULL is fine; must not be called twice, nor while an acquire or a trigger
/// on another thread uses it.
#[no_mangle]
pub extern "C" fn sp_cancel_free(c: *mut sp_cancel) {
    forward!(sp_cancel_free(c));
    infallible((), || {
        if !c.is_null() {
            // SAFETY: non-NULL `c` came from `Box::into_raw` in `sp_cancel_new`, freed once.
            drop(unsafe { Box::from_raw(c) });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_struct_gives_defaults_for_the_rest() {
        let o = sp_acquire_options {
            size: (offset_of!(sp_acquire_options, timeout_ms) + 8) as u32,
            timeout_ms: 250,
            cancel: 0x10 as *const sp_cancel,
            interrupt: None,
            interrupt_ctx: std::ptr::null_mut(),
            label: 0x20 as *const c_char,
            waited_ms: 99,
        };
        // SAFETY: `o` is a full struct, readable beyond its declared size.
        let f = unsafe { read("t", &o) }.unwrap();
        assert_eq!(f.timeout_ms, 250);
        assert!(f.cancel.is_null() && f.label.is_null());
        assert_eq!(f.waited_ms, 0);
        let full = sp_acquire_options {
            size: size_of::<sp_acquire_options>() as u32,
            ..o
        };
        // SAFETY: as above.
        assert_eq!(unsafe { read("t", &full) }.unwrap().waited_ms, 99);
        let tiny = sp_acquire_options { size: 2, ..o };
        // SAFETY: as above.
        assert!(unsafe { read("t", &tiny) }.is_err());
        // SAFETY: NULL means defaults.
        assert_eq!(
            unsafe { read("t", std::ptr::null()) }.unwrap().timeout_ms,
            -1
        );
    }
}
