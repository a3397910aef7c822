//! Pool events (acquire timeout, connect failure, leak suspected, pool closed): always logged
//! through the `log` crate, and passed to one pluggable sink the bindings can route into
//! their own logging. STUB: the engine issue fills it in.

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
    /// The pool closed.
    PoolClosed {
        /// The pool's redacted label.
        pool: String,
    },
}

/// Installs the sink every event goes to (besides the `log` crate); replaces any earlier one.
pub fn set_sink(_sink: Box<dyn Fn(&Event) + Send + Sync>) {
    todo!()
}

/// Logs `event` and hands it to the sink.
pub fn emit(_event: Event) {
    todo!()
}
