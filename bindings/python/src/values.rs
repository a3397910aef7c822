//! Result sets to Python values, by the column kind the library classifies from the type and
//! flags (`sp_column_kind_of`). Cells come in the server's text form; BINARY/VARBINARY/BLOB/BIT
//! are bytes and text, JSON included, is str. Zero or invalid dates and
//! datetimes (`0000-00-00`) become None, as in MySQLdb; text that is not UTF-8 comes back as bytes.

use std::ffi::c_char;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDate, PyDateTime, PyDelta, PyList, PyString, PyTuple};

use crate::errors::cstr;
use crate::ffi;
use crate::params::decimal_type;

/// An owned `sp_result`, freed on drop.
pub struct ResultSet(*mut ffi::sp_result);

// SAFETY: a result is plain data owned by whoever holds it; no thread affinity.
unsafe impl Send for ResultSet {}

impl ResultSet {
    /// Wraps a non-NULL result returned by the library.
    pub fn new(r: *mut ffi::sp_result) -> ResultSet {
        ResultSet(r)
    }

    fn ptr(&self) -> *const ffi::sp_result {
        self.0
    }

    /// Affected rows of a statement without a result set.
    pub fn affected_rows(&self) -> u64 {
        // SAFETY: self.0 is a live result.
        unsafe { ffi::sp_result_affected_rows(self.ptr()) }
    }

    /// LAST_INSERT_ID() of the statement (0: none).
    pub fn insert_id(&self) -> u64 {
        // SAFETY: self.0 is a live result.
        unsafe { ffi::sp_result_insert_id(self.ptr()) }
    }

    /// Number of columns (0: the statement returned no result set).
    pub fn column_count(&self) -> usize {
        // SAFETY: self.0 is a live result.
        unsafe { ffi::sp_result_column_count(self.ptr()) }
    }

    /// Number of rows.
    pub fn row_count(&self) -> usize {
        // SAFETY: self.0 is a live result.
        unsafe { ffi::sp_result_row_count(self.ptr()) }
    }

    fn column_type(&self, col: usize) -> (u32, u32) {
        // SAFETY: self.0 is a live result and col < column_count.
        unsafe {
            (
                ffi::sp_result_column_type(self.ptr(), col),
                ffi::sp_result_column_flags(self.ptr(), col),
            )
        }
    }

    fn cell(&self, row: usize, col: usize) -> Option<&[u8]> {
        let mut data: *const c_char = std::ptr::null();
        let mut len = 0usize;
        // SAFETY: self.0 is live, row/col in range; the data lives as long as the result.
        unsafe {
            if !ffi::sp_result_get(self.ptr(), row, col, &mut data, &mut len) {
                return None;
            }
            if len == 0 || data.is_null() {
                return Some(&[]);
            }
            Some(std::slice::from_raw_parts(data.cast(), len))
        }
    }

    /// Every row as a tuple of Python values.
    pub fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let ncols = self.column_count();
        let kinds: Vec<Kind> = (0..ncols).map(|c| Kind::of(self.column_type(c))).collect();
        let nrows = self.row_count();
        let mut rows = Vec::with_capacity(nrows);
        let mut cells = Vec::with_capacity(ncols);
        for r in 0..nrows {
            cells.clear();
            for (c, kind) in kinds.iter().enumerate() {
                cells.push(match self.cell(r, c) {
                    None => py.None().into_bound(py),
                    Some(data) => kind.convert(py, data)?,
                });
            }
            rows.push(PyTuple::new(py, cells.iter())?);
        }
        PyList::new(py, rows)
    }

    /// PEP 249 `description`: (name, type_code, None, None, None, None, null_ok) per column.
    pub fn description<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let cols = (0..self.column_count()).map(|c| {
            // SAFETY: self.0 is live and c < column_count; the name is NUL-terminated.
            let name = unsafe { cstr(ffi::sp_result_column_name(self.ptr(), c)) };
            let (ty, flags) = self.column_type(c);
            let null_ok = flags & NOT_NULL_FLAG == 0;
            (
                name,
                ty,
                py.None(),
                py.None(),
                py.None(),
                py.None(),
                null_ok,
            )
        });
        PyList::new(py, cols)
    }
}

impl Drop for ResultSet {
    fn drop(&mut self) {
        // SAFETY: self.0 was returned by the library and is freed once.
        unsafe { ffi::sp_result_free(self.0) }
    }
}

pub(crate) const NOT_NULL_FLAG: u32 = ffi::SP_FLAG_NOT_NULL;

/// How a column's cells convert (the library's `sp_column_kind`; JSON reads as text).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Int,
    UInt,
    Float,
    Decimal,
    Date,
    DateTime,
    Time,
    Bytes,
    Str,
    Null,
}

impl Kind {
    /// From the MySQL field type number and flags, classified by the library.
    pub(crate) fn of((ty, flags): (u32, u32)) -> Kind {
        // SAFETY: a pure function of its two integers.
        match unsafe { ffi::sp_column_kind_of(ty, flags) } {
            ffi::SP_KIND_INTEGER => Kind::Int,
            ffi::SP_KIND_UNSIGNED => Kind::UInt,
            ffi::SP_KIND_FLOAT => Kind::Float,
            ffi::SP_KIND_DECIMAL => Kind::Decimal,
            ffi::SP_KIND_DATE => Kind::Date,
            ffi::SP_KIND_DATETIME => Kind::DateTime,
            ffi::SP_KIND_TIME => Kind::Time,
            ffi::SP_KIND_BYTES => Kind::Bytes,
            ffi::SP_KIND_NULL => Kind::Null,
            // SP_KIND_TEXT, SP_KIND_JSON, and kinds a later library appends.
            _ => Kind::Str,
        }
    }

    /// The Python value of one cell in the server's text form.
    pub(crate) fn convert<'py>(self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        let text = || std::str::from_utf8(data).unwrap_or("");
        Ok(match self {
            Kind::Int => match text().parse::<i64>() {
                Ok(i) => i.into_pyobject(py)?.into_any(),
                Err(_) => py_int(py, data)?,
            },
            Kind::UInt => match text().parse::<u64>() {
                Ok(u) => u.into_pyobject(py)?.into_any(),
                Err(_) => py_int(py, data)?,
            },
            Kind::Float => match text().parse::<f64>() {
                Ok(f) => f.into_pyobject(py)?.into_any(),
                Err(_) => str_or_bytes(py, data),
            },
            Kind::Decimal => decimal_type(py)?.call1((PyString::new(py, text()),))?,
            Kind::Date => match parse_date(data) {
                Some((y, m, d)) => PyDate::new(py, y, m, d)
                    .map(Bound::into_any)
                    .unwrap_or_else(|_| py.None().into_bound(py)),
                None => py.None().into_bound(py),
            },
            Kind::DateTime => match parse_datetime(data) {
                Some(((y, mo, d), (h, mi, s, us))) => {
                    PyDateTime::new(py, y, mo, d, h, mi, s, us, None)
                        .map(Bound::into_any)
                        .unwrap_or_else(|_| py.None().into_bound(py))
                }
                None => py.None().into_bound(py),
            },
            Kind::Time => match parse_time(data) {
                Some((neg, secs, us)) => {
                    let (secs, us) = if neg {
                        (-secs, -(us as i64))
                    } else {
                        (secs, us as i64)
                    };
                    PyDelta::new(py, 0, secs as i32, us as i32, true)?.into_any()
                }
                None => str_or_bytes(py, data),
            },
            Kind::Bytes => PyBytes::new(py, data).into_any(),
            Kind::Str => str_or_bytes(py, data),
            Kind::Null => py.None().into_bound(py),
        })
    }
}

/// A str decoded from UTF-8, or bytes when the data is not UTF-8.
fn str_or_bytes<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyAny> {
    match std::str::from_utf8(data) {
        Ok(s) => PyString::new(py, s).into_any(),
        Err(_) => PyBytes::new(py, data).into_any(),
    }
}

/// Python's `int(text)`, for integers beyond 64 bits.
fn py_int<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    py.get_type::<pyo3::types::PyInt>()
        .call1((std::str::from_utf8(data).unwrap_or("0"),))
}

fn num<T: std::str::FromStr>(b: &[u8]) -> Option<T> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// `YYYY-MM-DD`; None for zero dates.
fn parse_date(b: &[u8]) -> Option<Ymd> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    if y == 0 || m == 0 || d == 0 {
        return None;
    }
    Some((y, m, d))
}

/// Fraction digits after a '.', as microseconds (fewer than 6 digits are padded).
fn parse_micros(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return Some(0);
    }
    if b[0] != b'.' || b.len() > 7 || b.len() < 2 {
        return None;
    }
    let digits: u32 = num(&b[1..])?;
    Some(digits * 10u32.pow(7 - b.len() as u32))
}

/// (year, month, day).
type Ymd = (i32, u8, u8);
/// (hour, minute, second, microsecond).
type Hmsu = (u8, u8, u8, u32);

/// `YYYY-MM-DD HH:MM:SS[.ffffff]`; None for zero dates.
fn parse_datetime(b: &[u8]) -> Option<(Ymd, Hmsu)> {
    let date = parse_date(b)?;
    if b.len() == 10 {
        return Some((date, (0, 0, 0, 0)));
    }
    if b.len() < 19 || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let time = (
        num(&b[11..13])?,
        num(&b[14..16])?,
        num(&b[17..19])?,
        parse_micros(&b[19..])?,
    );
    Some((date, time))
}

/// `[-]H+:MM:SS[.ffffff]` → (negative, seconds, microseconds).
fn parse_time(b: &[u8]) -> Option<(bool, i64, u32)> {
    let (neg, b) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let c1 = b.iter().position(|&c| c == b':')?;
    if b.len() < c1 + 6 || b[c1 + 3] != b':' {
        return None;
    }
    let h: i64 = num(&b[..c1])?;
    let m: i64 = num(&b[c1 + 1..c1 + 3])?;
    let s: i64 = num(&b[c1 + 4..c1 + 6])?;
    let us = parse_micros(&b[c1 + 6..])?;
    Some((neg, h * 3600 + m * 60 + s, us))
}
