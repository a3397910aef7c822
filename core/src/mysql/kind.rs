//! What a column's cells are, from its MySQL field type number and flags: the one table the
//! bindings read (through the C ABI's `sp_column_kind_of` and `sp_column_type_name`), so that
//! Python and Go convert a column alike.

use std::ffi::CStr;

use super::Column;

/// MySQL field type numbers (`MYSQL_TYPE_*`, the protocol's).
mod types {
    pub const DECIMAL: u32 = 0;
    pub const TINY: u32 = 1;
    pub const SHORT: u32 = 2;
    pub const LONG: u32 = 3;
    pub const FLOAT: u32 = 4;
    pub const DOUBLE: u32 = 5;
    pub const NULL: u32 = 6;
    pub const TIMESTAMP: u32 = 7;
    pub const LONGLONG: u32 = 8;
    pub const INT24: u32 = 9;
    pub const DATE: u32 = 10;
    pub const TIME: u32 = 11;
    pub const DATETIME: u32 = 12;
    pub const YEAR: u32 = 13;
    pub const NEWDATE: u32 = 14;
    pub const VARCHAR: u32 = 15;
    pub const BIT: u32 = 16;
    pub const TIMESTAMP2: u32 = 17;
    pub const DATETIME2: u32 = 18;
    pub const TIME2: u32 = 19;
    pub const JSON: u32 = 245;
    pub const NEWDECIMAL: u32 = 246;
    pub const ENUM: u32 = 247;
    pub const SET: u32 = 248;
    pub const TINY_BLOB: u32 = 249;
    pub const MEDIUM_BLOB: u32 = 250;
    pub const LONG_BLOB: u32 = 251;
    pub const BLOB: u32 = 252;
    pub const VAR_STRING: u32 = 253;
    pub const STRING: u32 = 254;
    pub const GEOMETRY: u32 = 255;
}

/// Column flags (`*_FLAG`). The MySQL layer keeps `BINARY` on string columns only for the
/// binary character set, so it tells bytes from text.
pub mod flags {
    /// The column holds no NULL.
    pub const NOT_NULL: u32 = 1;
    /// An unsigned number.
    pub const UNSIGNED: u32 = 32;
    /// Bytes, not text.
    pub const BINARY: u32 = 128;
}

/// How a column's cells (the server's text form) convert. New kinds are only appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text in the connection's character set: CHAR, VARCHAR, TEXT, ENUM, SET, and any type
    /// this table does not know.
    Text,
    /// Bytes: BINARY, VARBINARY, BLOB, BIT, GEOMETRY, and string types in the binary set.
    Bytes,
    /// A signed integer (TINYINT … BIGINT, YEAR).
    Integer,
    /// An unsigned integer.
    Unsigned,
    /// FLOAT, DOUBLE.
    Float,
    /// DECIMAL: exact, kept as its text by callers that have no decimal type.
    Decimal,
    /// DATE (`YYYY-MM-DD`; `0000-00-00` is the zero date).
    Date,
    /// DATETIME, TIMESTAMP (`YYYY-MM-DD hh:mm:ss[.ffffff]`).
    DateTime,
    /// TIME, which may be negative or above 24 hours (`[-]hhh:mm:ss[.ffffff]`).
    Time,
    /// JSON (MySQL's type; MariaDB reports JSON columns as text).
    Json,
    /// The type of a `NULL` literal: every cell is NULL.
    Null,
}

impl ColumnKind {
    /// The kind of a column of MySQL type `type_code` with `flags`.
    pub fn of(type_code: u32, flags: u32) -> ColumnKind {
        use types::*;
        match type_code {
            TINY | SHORT | LONG | LONGLONG | INT24 | YEAR if flags & flags::UNSIGNED != 0 => {
                ColumnKind::Unsigned
            }
            TINY | SHORT | LONG | LONGLONG | INT24 | YEAR => ColumnKind::Integer,
            FLOAT | DOUBLE => ColumnKind::Float,
            DECIMAL | NEWDECIMAL => ColumnKind::Decimal,
            NULL => ColumnKind::Null,
            TIMESTAMP | DATETIME | TIMESTAMP2 | DATETIME2 => ColumnKind::DateTime,
            DATE | NEWDATE => ColumnKind::Date,
            TIME | TIME2 => ColumnKind::Time,
            BIT | GEOMETRY => ColumnKind::Bytes,
            JSON => ColumnKind::Json,
            VARCHAR | ENUM..=STRING if flags & flags::BINARY != 0 => ColumnKind::Bytes,
            _ => ColumnKind::Text,
        }
    }
}

/// The database type name of a column, as go-sql-driver names it (database/sql's
/// `ColumnTypeDatabaseTypeName`): `UNSIGNED ` before unsigned integers, TEXT or BLOB,
/// VARCHAR or VARBINARY, CHAR or BINARY by the binary flag; empty for an unknown type.
/// NUL-terminated, so the C ABI hands it out as it is.
pub fn type_name(type_code: u32, flags: u32) -> &'static CStr {
    use types::*;
    let unsigned = flags & flags::UNSIGNED != 0;
    let binary = flags & flags::BINARY != 0;
    match type_code {
        DECIMAL | NEWDECIMAL => c"DECIMAL",
        TINY if unsigned => c"UNSIGNED TINYINT",
        TINY => c"TINYINT",
        SHORT if unsigned => c"UNSIGNED SMALLINT",
        SHORT => c"SMALLINT",
        LONG if unsigned => c"UNSIGNED INT",
        LONG => c"INT",
        INT24 if unsigned => c"UNSIGNED MEDIUMINT",
        INT24 => c"MEDIUMINT",
        LONGLONG if unsigned => c"UNSIGNED BIGINT",
        LONGLONG => c"BIGINT",
        FLOAT => c"FLOAT",
        DOUBLE => c"DOUBLE",
        NULL => c"NULL",
        TIMESTAMP | TIMESTAMP2 => c"TIMESTAMP",
        DATE | NEWDATE => c"DATE",
        TIME | TIME2 => c"TIME",
        DATETIME | DATETIME2 => c"DATETIME",
        YEAR => c"YEAR",
        VARCHAR | VAR_STRING if binary => c"VARBINARY",
        VARCHAR | VAR_STRING => c"VARCHAR",
        BIT => c"BIT",
        JSON => c"JSON",
        ENUM => c"ENUM",
        SET => c"SET",
        TINY_BLOB if binary => c"TINYBLOB",
        TINY_BLOB => c"TINYTEXT",
        MEDIUM_BLOB if binary => c"MEDIUMBLOB",
        MEDIUM_BLOB => c"MEDIUMTEXT",
        LONG_BLOB if binary => c"LONGBLOB",
        LONG_BLOB => c"LONGTEXT",
        BLOB if binary => c"BLOB",
        BLOB => c"TEXT",
        STRING if binary => c"BINARY",
        STRING => c"CHAR",
        GEOMETRY => c"GEOMETRY",
        _ => c"",
    }
}

/// Is `type_code` a string type, whose binary flag may only mean a binary collation?
pub(crate) fn is_string(type_code: u32) -> bool {
    use types::*;
    matches!(type_code, VARCHAR | JSON | ENUM..=STRING)
}

impl Column {
    /// How this column's cells convert.
    pub fn kind(&self) -> ColumnKind {
        ColumnKind::of(self.type_code, self.flags)
    }

    /// Its database type name (see [`type_name`]).
    pub fn type_name(&self) -> &'static str {
        type_name(self.type_code, self.flags)
            .to_str()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_type_and_flags() {
        assert_eq!(ColumnKind::of(types::LONGLONG, 0), ColumnKind::Integer);
        assert_eq!(
            ColumnKind::of(types::LONGLONG, flags::UNSIGNED),
            ColumnKind::Unsigned
        );
        assert_eq!(ColumnKind::of(types::YEAR, 0), ColumnKind::Integer);
        assert_eq!(ColumnKind::of(types::NEWDECIMAL, 0), ColumnKind::Decimal);
        assert_eq!(ColumnKind::of(types::BLOB, 0), ColumnKind::Text);
        assert_eq!(
            ColumnKind::of(types::BLOB, flags::BINARY),
            ColumnKind::Bytes
        );
        assert_eq!(ColumnKind::of(types::ENUM, 0), ColumnKind::Text);
        assert_eq!(ColumnKind::of(types::BIT, 0), ColumnKind::Bytes);
        assert_eq!(ColumnKind::of(types::DATETIME2, 0), ColumnKind::DateTime);
        assert_eq!(ColumnKind::of(types::JSON, 0), ColumnKind::Json);
        assert_eq!(ColumnKind::of(200, flags::BINARY), ColumnKind::Text);
    }

    #[test]
    fn names_follow_go_sql_driver() {
        assert_eq!(type_name(types::LONG, flags::UNSIGNED), c"UNSIGNED INT");
        assert_eq!(type_name(types::BLOB, 0), c"TEXT");
        assert_eq!(type_name(types::MEDIUM_BLOB, flags::BINARY), c"MEDIUMBLOB");
        assert_eq!(type_name(types::VAR_STRING, flags::BINARY), c"VARBINARY");
        assert_eq!(type_name(types::STRING, 0), c"CHAR");
        assert_eq!(type_name(types::YEAR, flags::UNSIGNED), c"YEAR");
        assert_eq!(type_name(300, 0), c"");
    }
}
