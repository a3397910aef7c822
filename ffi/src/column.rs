//! `sp_column_kind`: how a column's cells convert, classified once in the library from the
//! type and flags `sp_result_column_type` / `sp_result_column_flags` (or the `sp_rows_`
//! forms) give, so that every binding converts alike.

use std::ffi::c_char;

use sharedpool::mysql::{type_name, ColumnKind};

use crate::boundary::infallible;
use crate::primary::forward;

/// Column flag `NOT_NULL_FLAG`: the column holds no NULL.
pub const SP_FLAG_NOT_NULL: u32 = 1;
/// Column flag `UNSIGNED_FLAG`: an unsigned number.
pub const SP_FLAG_UNSIGNED: u32 = 32;
/// Column flag `BINARY_FLAG`: on string columns, only for the binary character set (bytes,
/// not text); the library clears it for text with a binary collation.
pub const SP_FLAG_BINARY: u32 = 128;

/// How a column's cells (always the server's text form) convert. Values are stable; new kinds
/// are only appended, so treat an unknown value as `SP_KIND_TEXT`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sp_column_kind {
    /// Text in the connection's character set: CHAR, VARCHAR, TEXT, ENUM, SET, unknown types.
    SP_KIND_TEXT = 0,
    /// Bytes: BINARY, VARBINARY, BLOB, BIT, GEOMETRY, string types in the binary set.
    SP_KIND_BYTES = 1,
    /// A signed integer in decimal (TINYINT … BIGINT, YEAR).
    SP_KIND_INTEGER = 2,
    /// An unsigned integer in decimal (up to 18446744073709551615).
    SP_KIND_UNSIGNED = 3,
    /// FLOAT, DOUBLE.
    SP_KIND_FLOAT = 4,
    /// DECIMAL, exact: parse it with a decimal type, not a double.
    SP_KIND_DECIMAL = 5,
    /// DATE, `YYYY-MM-DD` (`0000-00-00` is the zero date).
    SP_KIND_DATE = 6,
    /// DATETIME, TIMESTAMP: `YYYY-MM-DD hh:mm:ss[.ffffff]`.
    SP_KIND_DATETIME = 7,
    /// TIME: `[-]hhh:mm:ss[.ffffff]` (a duration, may be negative or above 24 h).
    SP_KIND_TIME = 8,
    /// JSON text (MySQL; MariaDB reports JSON columns as text).
    SP_KIND_JSON = 9,
    /// The type of a NULL literal: every cell is NULL.
    SP_KIND_NULL = 10,
}

impl From<ColumnKind> for sp_column_kind {
    fn from(k: ColumnKind) -> sp_column_kind {
        use sp_column_kind::*;
        match k {
            ColumnKind::Text => SP_KIND_TEXT,
            ColumnKind::Bytes => SP_KIND_BYTES,
            ColumnKind::Integer => SP_KIND_INTEGER,
            ColumnKind::Unsigned => SP_KIND_UNSIGNED,
            ColumnKind::Float => SP_KIND_FLOAT,
            ColumnKind::Decimal => SP_KIND_DECIMAL,
            ColumnKind::Date => SP_KIND_DATE,
            ColumnKind::DateTime => SP_KIND_DATETIME,
            ColumnKind::Time => SP_KIND_TIME,
            ColumnKind::Json => SP_KIND_JSON,
            ColumnKind::Null => SP_KIND_NULL,
        }
    }
}

/// The kind of a column of MySQL field type `type_code` with `flags` (as the
/// `sp_*_column_type` and `sp_*_column_flags` calls give them). Thread-safe. ABI 1.3.
#[no_mangle]
pub extern "C" fn sp_column_kind_of(type_code: u32, flags: u32) -> sp_column_kind {
    forward!(sp_column_kind_of(type_code, flags));
    infallible(sp_column_kind::SP_KIND_TEXT, || {
        ColumnKind::of(type_code, flags).into()
    })
}

/// The database type name of such a column, as go-sql-driver names it ("INT",
/// "UNSIGNED BIGINT", "VARCHAR", "VARBINARY", "TEXT", "BLOB", …); "" for an unknown type.
/// A static string, never freed. Thread-safe. ABI 1.3.
#[no_mangle]
pub extern "C" fn sp_column_type_name(type_code: u32, flags: u32) -> *const c_char {
    forward!(sp_column_type_name(type_code, flags));
    infallible(c"".as_ptr(), || type_name(type_code, flags).as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn flags_are_the_libraries() {
        use sharedpool::mysql::flags;
        assert_eq!(SP_FLAG_NOT_NULL, flags::NOT_NULL);
        assert_eq!(SP_FLAG_UNSIGNED, flags::UNSIGNED);
        assert_eq!(SP_FLAG_BINARY, flags::BINARY);
    }

    #[test]
    fn kinds_and_names() {
        assert_eq!(
            sp_column_kind_of(8, SP_FLAG_UNSIGNED),
            sp_column_kind::SP_KIND_UNSIGNED
        );
        assert_eq!(
            sp_column_kind_of(252, SP_FLAG_BINARY),
            sp_column_kind::SP_KIND_BYTES
        );
        assert_eq!(sp_column_kind_of(252, 0), sp_column_kind::SP_KIND_TEXT);
        let name = |t, f| {
            // SAFETY: sp_column_type_name returns a static NUL-terminated string.
            unsafe { CStr::from_ptr(sp_column_type_name(t, f)) }
                .to_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(name(3, SP_FLAG_UNSIGNED), "UNSIGNED INT");
        assert_eq!(name(252, 0), "TEXT");
        assert_eq!(name(999, 0), "");
        assert_eq!(
            sp_column_type_name(252, 0),
            sp_column_type_name(252, 0),
            "interned"
        );
    }
}
