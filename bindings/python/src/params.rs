//! Statement parameters: `%s` / `%(name)s` placeholders become `?`, `%%` becomes `%`, and each
//! Python value becomes an `sp_param` (strings and bytes are passed without a copy).

use std::ffi::{c_char, CString};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDate, PyDateAccess, PyDateTime, PyDelta, PyDeltaAccess, PyDict,
    PyFloat, PyInt, PyList, PyString, PyTime, PyTimeAccess, PyTuple, PyType,
};

use crate::errors::{data_error, programming_error};
use crate::ffi;

/// A statement ready to cross into C: the SQL and its parameters, with the Python objects and
/// buffers their pointers refer to kept alive for as long as this value lives.
pub struct Prepared<'py> {
    sql: CString,
    params: Vec<ffi::sp_param>,
    _keep: Vec<Bound<'py, PyAny>>,
    _owned: Vec<Vec<u8>>,
}

/// The raw view of a [`Prepared`] that a GIL-free section uses.
#[derive(Clone, Copy)]
pub struct Call {
    pub sql: *const c_char,
    pub params: *const ffi::sp_param,
    pub n: usize,
}

// SAFETY: a Call only points into a Prepared (immutable strings and buffers kept alive by it),
// which outlives every GIL-free section the Call is used in.
unsafe impl Send for Call {}
// SAFETY: as above; the pointed-to data is never written.
unsafe impl Sync for Call {}

impl Prepared<'_> {
    /// The pointers to hand to `sp_conn_query`.
    pub fn call(&self) -> Call {
        Call {
            sql: self.sql.as_ptr(),
            params: self.params.as_ptr(),
            n: self.params.len(),
        }
    }

    /// The same statement, holding its Python objects without a GIL lifetime, to be run on a
    /// thread that never takes the GIL (and dropped where the GIL is held).
    pub fn unbind(self) -> Statement {
        Statement {
            sql: self.sql,
            params: self.params,
            _keep: self._keep.into_iter().map(Bound::unbind).collect(),
            _owned: self._owned,
        }
    }
}

/// A [`Prepared`] statement detached from the GIL's lifetime (see [`Prepared::unbind`]).
pub struct Statement {
    sql: CString,
    params: Vec<ffi::sp_param>,
    _keep: Vec<Py<PyAny>>,
    _owned: Vec<Vec<u8>>,
}

// SAFETY: the pointers in `params` point into `sql`, `_owned` and the immutable buffers of the
// objects in `_keep`, all owned by this value; it is read by one thread at a time.
unsafe impl Send for Statement {}

impl Statement {
    /// The pointers to hand to `sp_conn_query`, valid while `self` lives.
    pub fn call(&self) -> Call {
        Call {
            sql: self.sql.as_ptr(),
            params: self.params.as_ptr(),
            n: self.params.len(),
        }
    }
}

/// Prepares `sql` with `params` (None: the SQL is sent as is, `%` untouched).
pub fn prepare<'py>(
    py: Python<'py>,
    sql: &str,
    params: Option<&Bound<'py, PyAny>>,
) -> PyResult<Prepared<'py>> {
    let Some(params) = params.filter(|p| !p.is_none()) else {
        return Ok(Prepared {
            sql: to_cstring(sql.as_bytes().to_vec())?,
            params: Vec::new(),
            _keep: Vec::new(),
            _owned: Vec::new(),
        });
    };
    let mut binder = Binder {
        keep: Vec::new(),
        owned: Vec::new(),
        params: Vec::new(),
    };
    let sql = if let Ok(dict) = params.cast::<PyDict>() {
        rewrite(sql, |name| match name {
            None => Err(programming_error(
                "%s placeholder used with a dict of parameters; use %(name)s",
            )),
            Some(name) => match dict.get_item(name)? {
                Some(v) => binder.bind(py, &v),
                None => Err(programming_error(format!(
                    "parameter {name:?} is missing from the dict"
                ))),
            },
        })?
    } else {
        if params.is_instance_of::<PyString>() || params.is_instance_of::<PyBytes>() {
            return Err(programming_error(
                "parameters must be a sequence (tuple, list) or a dict, not a string",
            ));
        }
        let values: Vec<Bound<'py, PyAny>> = if let Ok(t) = params.cast::<PyTuple>() {
            t.iter().collect()
        } else if let Ok(l) = params.cast::<PyList>() {
            l.iter().collect()
        } else {
            match params.try_iter() {
                Ok(it) => it.collect::<PyResult<_>>()?,
                Err(_) => {
                    return Err(programming_error(
                        "parameters must be a sequence (tuple, list) or a dict",
                    ))
                }
            }
        };
        let mut next = 0;
        let sql = rewrite(sql, |name| {
            if name.is_some() {
                return Err(programming_error(
                    "%(name)s placeholder used with a sequence of parameters; pass a dict",
                ));
            }
            let v = values.get(next).ok_or_else(|| {
                programming_error(format!(
                    "not enough parameters for the SQL statement ({} given)",
                    values.len()
                ))
            })?;
            next += 1;
            binder.bind(py, v)
        })?;
        if next != values.len() {
            return Err(programming_error(format!(
                "not all parameters were used: {} given, {next} placeholders",
                values.len()
            )));
        }
        sql
    };
    Ok(Prepared {
        sql: to_cstring(sql)?,
        params: binder.params,
        _keep: binder.keep,
        _owned: binder.owned,
    })
}

fn to_cstring(sql: Vec<u8>) -> PyResult<CString> {
    CString::new(sql).map_err(|_| programming_error("SQL contains a NUL character"))
}

/// Rewrites placeholders: `%s` → `?` (`on_param(None)`), `%(name)s` → `?` (`on_param(Some(name))`),
/// `%%` → `%`; any other `%` sequence is an error.
fn rewrite(sql: &str, mut on_param: impl FnMut(Option<&str>) -> PyResult<()>) -> PyResult<Vec<u8>> {
    let b = sql.as_bytes();
    let mut out = Vec::with_capacity(b.len() + 1);
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b's') => {
                on_param(None)?;
                out.push(b'?');
                i += 2;
            }
            Some(b'%') => {
                out.push(b'%');
                i += 2;
            }
            Some(b'(') => {
                let close = b[i + 2..].iter().position(|&c| c == b')').map(|p| p + i + 2);
                match close {
                    Some(j) if b.get(j + 1) == Some(&b's') => {
                        on_param(Some(&sql[i + 2..j]))?;
                        out.push(b'?');
                        i = j + 2;
                    }
                    _ => return Err(programming_error(format!("bad %(name)s placeholder at offset {i}"))),
                }
            }
            _ => {
                return Err(programming_error(format!(
                    "unsupported format sequence at offset {i}: use %s, %(name)s, or %% for a literal %"
                )))
            }
        }
    }
    Ok(out)
}

struct Binder<'py> {
    keep: Vec<Bound<'py, PyAny>>,
    owned: Vec<Vec<u8>>,
    params: Vec<ffi::sp_param>,
}

const EMPTY: ffi::sp_param = ffi::sp_param {
    kind: ffi::SP_PARAM_NULL,
    i: 0,
    u: 0,
    d: 0.0,
    data: std::ptr::null(),
    len: 0,
};

impl<'py> Binder<'py> {
    fn text(&mut self, s: String) {
        self.owned.push(s.into_bytes());
        let v = self.owned.last().expect("just pushed");
        self.params.push(ffi::sp_param {
            kind: ffi::SP_PARAM_TEXT,
            data: v.as_ptr().cast(),
            len: v.len(),
            ..EMPTY
        });
    }

    fn bind(&mut self, py: Python<'py>, v: &Bound<'py, PyAny>) -> PyResult<()> {
        if v.is_none() {
            self.params.push(EMPTY);
        } else if let Ok(s) = v.cast::<PyString>() {
            let text = s.to_str()?;
            self.params.push(ffi::sp_param {
                kind: ffi::SP_PARAM_TEXT,
                data: text.as_ptr().cast(),
                len: text.len(),
                ..EMPTY
            });
            // The UTF-8 buffer is cached in (and owned by) the str object, which `keep` keeps alive.
            self.keep.push(v.clone());
        } else if let Ok(b) = v.cast::<PyBool>() {
            self.params.push(ffi::sp_param {
                kind: ffi::SP_PARAM_INT,
                i: b.is_true() as i64,
                ..EMPTY
            });
        } else if v.is_instance_of::<PyInt>() {
            if let Ok(i) = v.extract::<i64>() {
                self.params.push(ffi::sp_param {
                    kind: ffi::SP_PARAM_INT,
                    i,
                    ..EMPTY
                });
            } else if let Ok(u) = v.extract::<u64>() {
                self.params.push(ffi::sp_param {
                    kind: ffi::SP_PARAM_UINT,
                    u,
                    ..EMPTY
                });
            } else {
                return Err(data_error("integer parameter out of the 64-bit range"));
            }
        } else if let Ok(f) = v.cast::<PyFloat>() {
            let d = f.value();
            if !d.is_finite() {
                return Err(data_error(format!("float parameter {d} is not finite")));
            }
            self.params.push(ffi::sp_param {
                kind: ffi::SP_PARAM_DOUBLE,
                d,
                ..EMPTY
            });
        } else if let Ok(b) = v.cast::<PyBytes>() {
            let data = b.as_bytes();
            self.params.push(ffi::sp_param {
                kind: ffi::SP_PARAM_BLOB,
                data: data.as_ptr().cast(),
                len: data.len(),
                ..EMPTY
            });
            // bytes are immutable and owned by the object `keep` keeps alive.
            self.keep.push(v.clone());
        } else if let Ok(b) = v.cast::<PyByteArray>() {
            self.owned.push(b.to_vec());
            let data = self.owned.last().expect("just pushed");
            self.params.push(ffi::sp_param {
                kind: ffi::SP_PARAM_BLOB,
                data: data.as_ptr().cast(),
                len: data.len(),
                ..EMPTY
            });
        } else if let Ok(dt) = v.cast::<PyDateTime>() {
            let mut s = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                dt.get_year(),
                dt.get_month(),
                dt.get_day(),
                dt.get_hour(),
                dt.get_minute(),
                dt.get_second()
            );
            push_micros(&mut s, dt.get_microsecond());
            self.text(s);
        } else if let Ok(d) = v.cast::<PyDate>() {
            self.text(format!(
                "{:04}-{:02}-{:02}",
                d.get_year(),
                d.get_month(),
                d.get_day()
            ));
        } else if let Ok(t) = v.cast::<PyTime>() {
            let mut s = format!(
                "{:02}:{:02}:{:02}",
                t.get_hour(),
                t.get_minute(),
                t.get_second()
            );
            push_micros(&mut s, t.get_microsecond());
            self.text(s);
        } else if let Ok(td) = v.cast::<PyDelta>() {
            let total = td.get_days() as i64 * 86_400_000_000
                + td.get_seconds() as i64 * 1_000_000
                + td.get_microseconds() as i64;
            let sign = if total < 0 { "-" } else { "" };
            let a = total.unsigned_abs();
            let secs = a / 1_000_000;
            let mut s = format!(
                "{sign}{:02}:{:02}:{:02}",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            );
            push_micros(&mut s, (a % 1_000_000) as u32);
            self.text(s);
        } else if v.is_instance(decimal_type(py)?)? {
            let s = v.str()?.to_str()?.to_owned();
            if s.contains(['N', 'n', 'I', 'i']) {
                return Err(data_error(format!("Decimal parameter {s} is not finite")));
            }
            self.text(s);
        } else {
            let ty = v.get_type().name()?;
            return Err(programming_error(format!(
                "unsupported parameter type: {ty}"
            )));
        }
        Ok(())
    }
}

fn push_micros(s: &mut String, micros: u32) {
    if micros != 0 {
        s.push_str(&format!(".{micros:06}"));
    }
}

/// `decimal.Decimal`, imported once.
pub fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DECIMAL.import(py, "decimal", "Decimal")
}
