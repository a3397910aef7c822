//! Versions: the library's (crate) version and the ABI version, as macros and functions.

use std::ffi::c_char;

use crate::primary::forward;

/// The ABI major: changes only with an incompatible change (and the SONAME with it).
pub const SP_ABI_VERSION_MAJOR: u32 = 1;
/// The ABI minor: grows when functions or fields are added.
pub const SP_ABI_VERSION_MINOR: u32 = 3;

/// The ABI version of the loaded library: `(major << 16) | minor`. A program built against
/// header ABI major M runs with any library of the same major and a minor at least its own.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn sp_abi_version() -> u32 {
    forward!(sp_abi_version());
    (SP_ABI_VERSION_MAJOR << 16) | SP_ABI_VERSION_MINOR
}

/// The library version, e.g. "0.1.0" (static string, never freed). Thread-safe.
#[no_mangle]
pub extern "C" fn sp_version() -> *const c_char {
    forward!(sp_version());
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(sp_abi_version(), (1 << 16) | 3);
        // SAFETY: sp_version returns a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(sp_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
