//! The PEP 249 exception tree and the mapping from `sp_error` to it.
//!
//! sp_code → class: INVALID_DSN, INVALID_OPTION, POOL_CLOSED → `InterfaceError` (misuse of the
//! interface, not a database error); INVALID_ARGUMENT → `ProgrammingError`; CONFIG_CONFLICT →
//! `ConfigConflict`; CONNECT, AUTH, CONNECTION_LOST, CANCELLED → `OperationalError`; TIMEOUT →
//! `PoolTimeout`; INTERNAL → `InternalError`; SERVER → by SQLSTATE class and errno
//! ([`server_error_class`]), with `args == (errno, message)` and `errno` and `sqlstate` set on
//! the exception.

use std::ffi::CStr;

use pyo3::exceptions::{PyException, PyWarning};
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::{create_exception, intern};

use crate::ffi;

create_exception!(
    sharedpool,
    Warning,
    PyWarning,
    "PEP 249: important warnings."
);
create_exception!(
    sharedpool,
    Error,
    PyException,
    "PEP 249: base class of every sharedpool error."
);
create_exception!(
    sharedpool,
    InterfaceError,
    Error,
    "Misuse of the interface: bad DSN or option, closed pool or connection."
);
create_exception!(
    sharedpool,
    DatabaseError,
    Error,
    "PEP 249: errors related to the database."
);
create_exception!(
    sharedpool,
    DataError,
    DatabaseError,
    "Bad data: value out of range, invalid value (SQLSTATE 22)."
);
create_exception!(
    sharedpool,
    OperationalError,
    DatabaseError,
    "Connecting, authentication, lost connection, lock wait, deadlock."
);
create_exception!(
    sharedpool,
    IntegrityError,
    DatabaseError,
    "Constraint violations: duplicate key, foreign key (SQLSTATE 23)."
);
create_exception!(
    sharedpool,
    InternalError,
    DatabaseError,
    "An internal error of the library or the server."
);
create_exception!(
    sharedpool,
    ProgrammingError,
    DatabaseError,
    "Bad SQL, unknown table, wrong number of parameters (SQLSTATE 42)."
);
create_exception!(
    sharedpool,
    NotSupportedError,
    DatabaseError,
    "A feature the server or the library does not support."
);
create_exception!(
    sharedpool,
    PoolTimeout,
    OperationalError,
    "No connection became free within the acquire timeout."
);
create_exception!(
    sharedpool,
    ConfigConflict,
    InterfaceError,
    "The pool is open with different sizing options (see on_conflict)."
);

/// Registers the exception classes in the module; `errno` and `sqlstate` default to None.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let error = py.get_type::<Error>();
    error.setattr("errno", py.None())?;
    error.setattr("sqlstate", py.None())?;
    m.add("Warning", py.get_type::<Warning>())?;
    m.add("Error", error)?;
    m.add("InterfaceError", py.get_type::<InterfaceError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("OperationalError", py.get_type::<OperationalError>())?;
    m.add("IntegrityError", py.get_type::<IntegrityError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add("ProgrammingError", py.get_type::<ProgrammingError>())?;
    m.add("NotSupportedError", py.get_type::<NotSupportedError>())?;
    m.add("PoolTimeout", py.get_type::<PoolTimeout>())?;
    m.add("ConfigConflict", py.get_type::<ConfigConflict>())?;
    Ok(())
}

/// An error taken out of an `sp_error` (which is freed), so it can cross a GIL-free section.
#[derive(Debug)]
pub struct SpError {
    pub code: ffi::sp_code,
    pub message: String,
    pub errno: u32,
    pub sqlstate: String,
}

impl SpError {
    /// Takes ownership of `e` (freed here). `e` may be NULL (an error without details).
    pub fn take(code: ffi::sp_code, e: *mut ffi::sp_error) -> SpError {
        if e.is_null() {
            return SpError {
                code,
                message: format!("sharedpool error code {code}"),
                errno: 0,
                sqlstate: String::new(),
            };
        }
        // SAFETY: `e` is a live error returned by the library; its strings live until sp_error_free.
        unsafe {
            let code = ffi::sp_error_code(e);
            let message = cstr(ffi::sp_error_message(e));
            let errno = ffi::sp_error_server_errno(e);
            let sqlstate = cstr(ffi::sp_error_sqlstate(e));
            ffi::sp_error_free(e);
            SpError {
                code,
                message,
                errno,
                sqlstate,
            }
        }
    }

    /// An error raised before reaching the library (bad input found by the binding).
    pub fn local(code: ffi::sp_code, message: impl Into<String>) -> SpError {
        SpError {
            code,
            message: message.into(),
            errno: 0,
            sqlstate: String::new(),
        }
    }

    /// The Python exception for this error.
    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        let class = match self.code {
            ffi::SP_ERR_INVALID_DSN | ffi::SP_ERR_INVALID_OPTION | ffi::SP_ERR_POOL_CLOSED => {
                py.get_type::<InterfaceError>()
            }
            ffi::SP_ERR_INVALID_ARGUMENT => py.get_type::<ProgrammingError>(),
            ffi::SP_ERR_CONFIG_CONFLICT => py.get_type::<ConfigConflict>(),
            ffi::SP_ERR_TIMEOUT => py.get_type::<PoolTimeout>(),
            ffi::SP_ERR_CONNECT
            | ffi::SP_ERR_AUTH
            | ffi::SP_ERR_CONNECTION_LOST
            | ffi::SP_ERR_CANCELLED => py.get_type::<OperationalError>(),
            ffi::SP_ERR_SERVER => server_error_class(py, self.errno, &self.sqlstate),
            _ => py.get_type::<InternalError>(),
        };
        let is_server = self.errno != 0;
        // Server errors carry `args == (errno, message)` as MySQLdb and PyMySQL do (SQLAlchemy
        // reads `args[0]`); `str()` adds the SQLSTATE (see `Error.__str__` in __init__.py).
        let err = if is_server {
            PyErr::from_type(class, (self.errno, self.message))
        } else {
            PyErr::from_type(class, self.message)
        };
        if is_server {
            let value = err.value(py);
            // Setting attributes on a fresh exception instance cannot fail in practice.
            let _ = value.setattr(intern!(py, "errno"), self.errno);
            let _ = value.setattr(intern!(py, "sqlstate"), self.sqlstate);
        }
        err
    }
}

/// The PEP 249 class of a server error: by errno for well-known ones, else by SQLSTATE class.
fn server_error_class<'py>(py: Python<'py>, errno: u32, sqlstate: &str) -> Bound<'py, PyType> {
    match errno {
        // duplicate key, FK violations, NOT NULL column, no default value
        1022 | 1048 | 1062 | 1169 | 1216 | 1217 | 1364 | 1451 | 1452 | 1557 | 1586 | 4025 => {
            return py.get_type::<IntegrityError>()
        }
        // syntax, unknown table/column/database, wrong parameter count
        1049 | 1054 | 1064 | 1146 | 1149 | 1210 => return py.get_type::<ProgrammingError>(),
        // data too long, out of range, incorrect value, division by zero
        1264 | 1265 | 1292 | 1366 | 1367 | 1406 | 1365 => return py.get_type::<DataError>(),
        // not supported
        1235 | 1289 => return py.get_type::<NotSupportedError>(),
        // lock wait timeout, deadlock, query interrupted, server shutdown, gone away
        1205 | 1213 | 1317 | 1053 | 2006 | 2013 => return py.get_type::<OperationalError>(),
        _ => {}
    }
    match sqlstate.get(..2).unwrap_or("") {
        "23" => py.get_type::<IntegrityError>(),
        "42" | "3D" | "3F" | "07" => py.get_type::<ProgrammingError>(),
        "22" => py.get_type::<DataError>(),
        "0A" => py.get_type::<NotSupportedError>(),
        "XA" | "XX" => py.get_type::<InternalError>(),
        _ => py.get_type::<OperationalError>(),
    }
}

/// A NUL-terminated string from the library, or "" for NULL.
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string.
pub unsafe fn cstr(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// Raises `InterfaceError` with `message`.
pub fn interface_error(message: impl Into<String>) -> PyErr {
    InterfaceError::new_err(message.into())
}

/// Raises `ProgrammingError` with `message`.
pub fn programming_error(message: impl Into<String>) -> PyErr {
    ProgrammingError::new_err(message.into())
}

/// Raises `DataError` with `message`.
pub fn data_error(message: impl Into<String>) -> PyErr {
    DataError::new_err(message.into())
}
