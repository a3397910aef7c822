//! Pool events (acquire timeout, connect failure, leak suspected, warning, pool closed): always logged
//! through the `log` crate (target `sharedpool`), and passed to one pluggable sink the
//! bindings can route into their own logging.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, LazyLock};

use crate::fork_locks::{self, Leaf};

/// Something worth telling an operator about. Never carries a password.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// An acquire gave up; `message` is the full timeout explanation.
    AcquireTimeout {
        /// The pool's redacted label.
        pool: String,
        /// The error message the caller got.
        message: String,
    },
    /// A connect failed.
    ConnectFailed {
        /// The pool's redacted label.
        pool: String,
        /// The connect error.
        message: String,
    },
    /// A connection was held longer than `leak_detection_ms`.
    LeakSuspected {
        /// The pool's redacted label.
        pool: String,
        /// The borrower's label given at acquire, or `"(unlabelled)"`.
        borrower: String,
        /// How long it had been held, in milliseconds.
        held_ms: u64,
    },
    /// A setting was adjusted or could not be checked (the `wait_timeout` clamp, timeouts
    /// rounded to whole seconds).
    Warning {
        /// The pool's redacted label.
        pool: String,
        /// What was changed or not checked, and why.
        message: String,
    },
    /// The pool closed.
    PoolClosed {
        /// The pool's redacted label.
        pool: String,
    },
    /// The server refused a connection for capacity, or growing would leave it fewer than
    /// `server_headroom` free slots: the pool stopped growing. Once per episode.
    ServerNearCapacity {
        /// The pool's redacted label.
        pool: String,
        /// The pool's cap on open connections (below `max_size`).
        cap: u32,
        /// The cap, the headroom and the server's refusal when there was one.
        message: String,
    },
}

impl Event {
    /// The log level it is reported at: warnings for trouble, info for a closed pool.
    pub fn level(&self) -> log::Level {
        match self {
            Event::PoolClosed { .. } => log::Level::Info,
            _ => log::Level::Warn,
        }
    }

    /// The pool it is about.
    pub fn pool(&self) -> &str {
        match self {
            Event::AcquireTimeout { pool, .. }
            | Event::ConnectFailed { pool, .. }
            | Event::LeakSuspected { pool, .. }
            | Event::Warning { pool, .. }
            | Event::PoolClosed { pool }
            | Event::ServerNearCapacity { pool, .. } => pool,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::AcquireTimeout { pool, message } => write!(f, "pool {pool}: {message}"),
            Event::ConnectFailed { pool, message } => {
                write!(f, "pool {pool}: connect failed: {message}")
            }
            Event::LeakSuspected {
                pool,
                borrower,
                held_ms,
            } => write!(
                f,
                "pool {pool}: connection held by {borrower} for {held_ms} ms, possible leak"
            ),
            Event::Warning { pool, message } => write!(f, "pool {pool}: {message}"),
            Event::PoolClosed { pool } => write!(f, "pool {pool}: closed"),
            Event::ServerNearCapacity { pool, message, .. } => {
                write!(f, "pool {pool}: server near capacity: {message}")
            }
        }
    }
}

type Sink = Arc<dyn Fn(&Event) + Send + Sync>;

/// The sink. Held only to clone or replace it (never while it runs), and across a fork, so a
/// child can install its own.
static SINK: LazyLock<Arc<Leaf<Option<Sink>>>> = LazyLock::new(|| fork_locks::leaf(None));

/// Installs the sink every event goes to (besides the `log` crate); replaces any earlier one.
pub fn set_sink(sink: Box<dyn Fn(&Event) + Send + Sync>) {
    let earlier = SINK.lock().replace(Arc::from(sink));
    drop(earlier); // outside the lock: dropping a binding's sink may run its code
}

/// Removes the sink; events then only go to the `log` crate.
pub fn clear_sink() {
    let earlier = SINK.lock().take();
    drop(earlier);
}

/// Logs `event` and hands it to the sink. A panicking sink is contained (and logged).
pub fn emit(event: Event) {
    log::log!(target: "sharedpool", event.level(), "{event}");
    let sink = SINK.lock().clone();
    if let Some(sink) = sink {
        if catch_unwind(AssertUnwindSafe(|| sink(&event))).is_err() {
            log::error!(target: "sharedpool", "the event sink panicked on: {event}");
        }
    }
}
