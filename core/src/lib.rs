//! sharedpool: one shared, bounded, self-sizing MySQL connection pool per target, per process.
//!
//! Components that open the same target share one [`Pool`] through a process-wide
//! [`Registry`]; each `open` is a counted reference ([`PoolRef`]). The pool engine is generic
//! over a [`ManageConnection`] and knows nothing of MySQL; [`mysql::MysqlManager`] is the
//! MySQL implementation, and [`open`] the entry point the C ABI and the bindings use.

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod cancel;
mod error;
pub mod events;
mod fork;
mod fork_locks;
mod manager;
pub mod metrics;
pub mod mysql;
mod options;
mod pool;
mod registry;
mod scheduler;
mod stats;

pub use cancel::CancelToken;
pub use error::{Error, ErrorKind, Result};
pub use fork::generation as fork_generation;
pub use manager::ManageConnection;
pub use mysql::{metrics_text, open, MysqlPool, MysqlPooled};
pub use options::{
    OnConflict, Options, PoolConfig, SessionOptions, TlsMode, OPTION_NAMES, SESSION_VARIABLES,
};
pub use pool::{Acquire, Pool, Pooled};
pub use registry::{PoolKey, PoolRef, Registry};
pub use stats::Stats;
