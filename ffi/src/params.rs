//! `sp_param`: bound statement parameters, converted to `sharedpool::mysql::Param`.

use std::ffi::c_char;
use std::ptr::addr_of;

use sharedpool::mysql::Param;
use sharedpool::Result;

use crate::boundary::invalid;

/// The type of one bound parameter.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sp_param_kind {
    /// SQL NULL (no field is read).
    SP_PARAM_NULL = 0,
    /// A signed integer in `i`.
    SP_PARAM_INT = 1,
    /// An unsigned integer in `u`.
    SP_PARAM_UINT = 2,
    /// A double in `d` (NaN and infinities are rejected).
    SP_PARAM_DOUBLE = 3,
    /// UTF-8 text: `len` bytes at `data` (may contain NUL; `data` may be NULL when `len` is 0).
    SP_PARAM_TEXT = 4,
    /// Binary data: `len` bytes at `data` (`data` may be NULL when `len` is 0).
    SP_PARAM_BLOB = 5,
}

/// One bound value for a `?` placeholder; only the field(s) of its kind are read.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sp_param {
    /// Which field holds the value.
    pub kind: sp_param_kind,
    /// The value of `SP_PARAM_INT`.
    pub i: i64,
    /// The value of `SP_PARAM_UINT`.
    pub u: u64,
    /// The value of `SP_PARAM_DOUBLE`.
    pub d: f64,
    /// The bytes of `SP_PARAM_TEXT` / `SP_PARAM_BLOB` (borrowed for the call only).
    pub data: *const c_char,
    /// The length in bytes of `data`.
    pub len: usize,
}

/// Converts `n` C parameters at `params` (NULL allowed when `n` is 0).
///
/// Fields are read through raw pointers, never as a whole `sp_param`, so an out-of-range
/// `kind` from C is reported instead of being undefined behaviour.
///
/// # Safety
/// When `n > 0`, `params` points to `n` readable `sp_param`s whose `data` fields point to
/// `len` readable bytes each, alive during `'a`.
pub(crate) unsafe fn convert<'a>(
    name: &str,
    params: *const sp_param,
    n: usize,
) -> Result<Vec<Param<'a>>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if params.is_null() {
        return Err(invalid(name, format_args!("params is NULL but n is {n}")));
    }
    if n > isize::MAX as usize / std::mem::size_of::<sp_param>() {
        return Err(invalid(name, format_args!("n ({n}) is too large")));
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: `i < n` and `params` points to `n` elements (contract above).
        let p = unsafe { params.add(i) };
        // SAFETY: `p` is a readable `sp_param`; the kind is read as its underlying C int so an
        // invalid value is not a Rust enum with a bad discriminant.
        let kind = unsafe { addr_of!((*p).kind).cast::<u32>().read() };
        let param = match kind {
            0 => Param::Null,
            // SAFETY: `p` is readable; plain integer/float fields have no invalid values.
            1 => Param::Int(unsafe { addr_of!((*p).i).read() }),
            // SAFETY: as above.
            2 => Param::UInt(unsafe { addr_of!((*p).u).read() }),
            // SAFETY: as above.
            3 => Param::Double(unsafe { addr_of!((*p).d).read() }),
            4 | 5 => {
                // SAFETY: `p` is readable; pointer and size fields have no invalid values.
                let (data, len) =
                    unsafe { (addr_of!((*p).data).read(), addr_of!((*p).len).read()) };
                // SAFETY: `data` points to `len` readable bytes alive during `'a` (contract).
                let bytes = unsafe { bytes(name, i, data, len) }?;
                if kind == 4 {
                    if std::str::from_utf8(bytes).is_err() {
                        return Err(invalid(
                            name,
                            format_args!("params[{i}] is TEXT but not valid UTF-8"),
                        ));
                    }
                    Param::Text(bytes)
                } else {
                    Param::Blob(bytes)
                }
            }
            other => {
                return Err(invalid(
                    name,
                    format_args!("params[{i}].kind {other} is not an sp_param_kind"),
                ));
            }
        };
        out.push(param);
    }
    Ok(out)
}

/// # Safety
/// `data` points to `len` readable bytes alive during `'a` (or is anything when `len` is 0).
unsafe fn bytes<'a>(name: &str, i: usize, data: *const c_char, len: usize) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(invalid(
            name,
            format_args!("params[{i}].data is NULL but len is {len}"),
        ));
    }
    if len > isize::MAX as usize {
        return Err(invalid(
            name,
            format_args!("params[{i}].len ({len}) is too large"),
        ));
    }
    // SAFETY: not NULL, `len` readable bytes alive during `'a` (contract).
    Ok(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(kind: u32) -> sp_param {
        let mut p = sp_param {
            kind: sp_param_kind::SP_PARAM_NULL,
            i: -5,
            u: 7,
            d: 1.5,
            data: c"héllo".as_ptr(),
            len: 6,
        };
        // SAFETY: writing a raw C int over the enum field, as C could.
        unsafe { std::ptr::addr_of_mut!(p.kind).cast::<u32>().write(kind) };
        p
    }

    #[test]
    fn converts_every_kind() {
        let ps: Vec<sp_param> = (0..6).map(param).collect();
        // SAFETY: `ps` holds 6 initialised params whose data points to 6 bytes.
        let got = unsafe { convert("t", ps.as_ptr(), ps.len()) }.unwrap();
        assert_eq!(
            got,
            vec![
                Param::Null,
                Param::Int(-5),
                Param::UInt(7),
                Param::Double(1.5),
                Param::Text("héllo".as_bytes()),
                Param::Blob("héllo".as_bytes()),
            ]
        );
    }

    #[test]
    fn rejects_bad_kinds_data_and_utf8() {
        let bad = [param(6)];
        // SAFETY: one initialised param.
        let e = unsafe { convert("t", bad.as_ptr(), 1) }.unwrap_err();
        assert!(e.message().contains("kind 6"), "{e}");
        let mut nul = param(4);
        nul.data = std::ptr::null();
        // SAFETY: one initialised param, data NULL is checked.
        assert!(unsafe { convert("t", &nul, 1) }.is_err());
        nul.len = 0;
        // SAFETY: as above; NULL data with len 0 is an empty text.
        assert_eq!(
            unsafe { convert("t", &nul, 1) }.unwrap(),
            vec![Param::Text(b"")]
        );
        let mut latin1 = param(4);
        latin1.data = c"\xe9".as_ptr();
        latin1.len = 1;
        // SAFETY: one param, data points to one byte.
        assert!(unsafe { convert("t", &latin1, 1) }.is_err());
        // SAFETY: NULL with n > 0 is checked.
        assert!(unsafe { convert("t", std::ptr::null(), 2) }.is_err());
        // SAFETY: NULL with n == 0 is no parameters.
        assert!(unsafe { convert("t", std::ptr::null(), 0) }
            .unwrap()
            .is_empty());
    }
}
