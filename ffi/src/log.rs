//! `sp_set_log_callback`: routes pool events (timeouts, connect failures, leaks, warnings,
//! closes) to C.

use std::ffi::{c_char, c_int, c_void};

use sharedpool::events::{self, Event};

use crate::boundary::{infallible, text};
use crate::primary::forward;

/// Receives pool events: `level` is 1 error, 2 warning, 3 info, 4 debug; `message` (UTF-8,
/// NUL-terminated, never a password) is valid only during the call. Called from any thread,
/// including the library's background threads, possibly concurrently.
pub type sp_log_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, level: c_int, message: *const c_char)>;

/// A C callback with its context, callable from any thread (the caller promised that).
struct Sink {
    f: unsafe extern "C" fn(*mut c_void, c_int, *const c_char),
    ctx: *mut c_void,
}

// SAFETY: `sp_set_log_callback` documents that the callback and its context must be usable from
// any thread; the library only passes `ctx` back to the callback.
unsafe impl Send for Sink {}
// SAFETY: as above; concurrent calls are documented too.
unsafe impl Sync for Sink {}

impl Sink {
    fn deliver(&self, event: &Event) {
        let (level, message) = describe(event);
        let message = text(&message);
        // SAFETY: the callback accepts its own context and a NUL-terminated message that is
        // valid for the duration of the call.
        unsafe { (self.f)(self.ctx, level, message.as_ptr()) };
    }
}

/// The C level (1 error .. 4 debug) and the one-line text of an event (the same text the core
/// logs through the `log` crate).
fn describe(event: &Event) -> (c_int, String) {
    let level = match event.level() {
        log::Level::Error => 1,
        log::Level::Warn => 2,
        log::Level::Info => 3,
        log::Level::Debug | log::Level::Trace => 4,
    };
    (level, event.to_string())
}

/// Sends pool events to `f` with `ctx` (NULL `f`: stop sending), replacing any earlier callback.
/// `f` and `ctx` must stay usable, from any thread, until replaced; a call already under way
/// when it is replaced may still finish afterwards. Events are also logged through Rust's
/// `log` facade either way. Thread-safe.
#[no_mangle]
pub extern "C" fn sp_set_log_callback(f: sp_log_fn, ctx: *mut c_void) {
    forward!(sp_set_log_callback(f, ctx));
    infallible((), || match f {
        Some(f) => {
            let sink = Sink { f, ctx };
            events::set_sink(Box::new(move |e: &Event| sink.deliver(e)));
        }
        None => events::clear_sink(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_levels_and_name_their_pool() {
        let (level, text) = describe(&Event::LeakSuspected {
            pool: "app@db:3306/x".into(),
            borrower: "job 7".into(),
            held_ms: 1500,
        });
        assert_eq!(level, 2);
        assert!(
            text.contains("app@db:3306/x") && text.contains("job 7"),
            "{text}"
        );
        assert_eq!(describe(&Event::PoolClosed { pool: "p".into() }).0, 3);
    }
}
