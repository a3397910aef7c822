//! The MySQL layer over the system client library (MariaDB Connector/C or libmysqlclient).
//! STUB: the MySQL layer issue fills it in; the names below are the agreed API.

use crate::{ManageConnection, Result};

/// One bound parameter value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Param<'a> {
    /// SQL NULL.
    Null,
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A double (NaN and infinities are rejected).
    Double(f64),
    /// UTF-8 text (may contain NUL bytes).
    Text(&'a [u8]),
    /// Binary data.
    Blob(&'a [u8]),
}

/// A result column.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The column name (or alias).
    pub name: String,
    /// The MySQL field type number (`MYSQL_TYPE_*`).
    pub type_code: u32,
    /// The MySQL field flags (`UNSIGNED_FLAG`, `BINARY_FLAG`, …).
    pub flags: u32,
}

/// A fully read result: columns, rows of text cells (None = SQL NULL), counts.
#[derive(Clone, Debug, Default)]
pub struct QueryResult {}

impl QueryResult {
    /// The columns (empty for statements without a result set).
    pub fn columns(&self) -> &[Column] {
        todo!()
    }
    /// Number of rows.
    pub fn row_count(&self) -> usize {
        todo!()
    }
    /// The cell at (`row`, `col`) in the server's text form; `None` for SQL NULL or out of range.
    pub fn get(&self, _row: usize, _col: usize) -> Option<&[u8]> {
        todo!()
    }
    /// Rows changed by the statement.
    pub fn affected_rows(&self) -> u64 {
        todo!()
    }
    /// The AUTO_INCREMENT id of the last insert.
    pub fn insert_id(&self) -> u64 {
        todo!()
    }
}

/// One MySQL connection.
pub struct Connection {}

impl Connection {
    /// Runs `sql` with `?` placeholders bound to `params` and reads the whole result.
    pub fn query(&mut self, _sql: &str, _params: &[Param<'_>]) -> Result<QueryResult> {
        todo!()
    }
}

/// Opens and recycles MySQL connections for the pool engine.
pub struct MysqlManager {}

impl ManageConnection for MysqlManager {
    type Connection = Connection;
    fn connect(&self) -> Result<Connection> {
        todo!()
    }
    fn validate(&self, _conn: &mut Connection) -> Result<()> {
        todo!()
    }
    fn reset(&self, _conn: &mut Connection) -> Result<bool> {
        todo!()
    }
    fn is_broken(&self, _conn: &mut Connection) -> bool {
        todo!()
    }
}
