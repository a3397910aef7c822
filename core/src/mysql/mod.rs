//! The MySQL layer over the system client library (MariaDB Connector/C or libmysqlclient):
//! DSN parsing, connections with safe defaults, client-side parameter binding, compact
//! results, and the [`MysqlManager`] the pool engine drives.

mod conn;
mod dsn;
mod error_map;
mod ffi;
mod manager;
mod params;
mod result;

pub use conn::Connection;
pub use dsn::{Address, Dsn};
pub use manager::MysqlManager;
pub use params::Param;
pub use result::{Column, QueryResult};
