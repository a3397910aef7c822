//! The MySQL layer over the system client library (MariaDB Connector/C or libmysqlclient):
//! DSN parsing, connections with safe defaults, client-side parameter binding, compact
//! results, and the [`MysqlManager`] the pool engine drives.
//!
//! # How a returned connection is known to be clean
//!
//! At connect, session tracking is turned on (`session_track_state_change`,
//! `session_track_schema`, `session_track_transaction_info='CHARACTERISTICS'`). After every
//! response the connection records:
//! - OK packets: the tracker data (state changed, schema changed, transaction state and
//!   pending `SET TRANSACTION` characteristics, `LOCK TABLES`);
//! - result sets: MariaDB Connector/C keeps stale tracker data after a result set, so the
//!   server status flags of the final EOF packet are used instead
//!   (`SERVER_SESSION_STATE_CHANGED`, `SERVER_STATUS_IN_TRANS`), read with
//!   `mariadb_get_infov`; with libmysqlclient the tracker data is used;
//! - a statement text containing `:=` or `GET_LOCK` (changes MariaDB reports neither way);
//! - any server error (an ERR packet carries no session data).
//!
//! On return: nothing recorded → no round trip; only an open transaction → `ROLLBACK`;
//! otherwise `mysql_reset_connection`, the DSN's database (MariaDB keeps the current one),
//! `SET NAMES`, tracking and `init_sql` again.

mod conn;
mod deadline;
mod dsn;
mod error_map;
mod ffi;
mod global;
mod go_params;
mod kind;
mod manager;
mod params;
mod result;
pub mod stream;
pub(crate) mod tls_names;

pub use conn::{rounded_timeouts, Connection};
pub use dsn::{Address, Dsn};
pub use global::{metrics_text, open, MysqlPool, MysqlPooled};
pub use kind::{flags, type_name, ColumnKind};
pub use manager::MysqlManager;
pub use params::Param;
pub use result::{Column, QueryResult};
pub use stream::{CloseOutcome, Row, Rows, StreamStats};
pub use tls_names::register_tls;
