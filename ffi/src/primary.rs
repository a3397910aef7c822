//! One registry per process, however many copies of the library are loaded.
//!
//! The dynamic loader keeps one copy per SONAME only when a library is loaded by name. A copy
//! loaded by path (a Python wheel's bundled `libsharedpool.so.1` beside an installed one, a
//! `ctypes.CDLL("/opt/…/libsharedpool.so.1")`) is a second copy with its own registry, its own
//! handle table and its own pools for the same DSN. So on its first call each copy looks for
//! copies loaded before it (in the loader's order, the same answer for every copy): the first
//! one with the same ABI major and at least its ABI minor is the process's primary copy, and
//! every exported function of a later copy forwards to the primary's (the [`forward!`] line at
//! the top of each). The primary is kept loaded by the `dlopen` handle taken on it. A copy with
//! another ABI major, or an older minor, is not forwarded to: that process has two registries.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::version::{SP_ABI_VERSION_MAJOR, SP_ABI_VERSION_MINOR};

/// The `dlopen` handle of the primary copy, when it is another copy.
struct Primary(*mut c_void);

// SAFETY: a dlopen handle may be used from any thread.
unsafe impl Send for Primary {}
// SAFETY: as above; it is only read.
unsafe impl Sync for Primary {}

static PRIMARY: OnceLock<Option<Primary>> = OnceLock::new();

/// The cache value of a function that is not forwarded.
const OWN: usize = 1;

/// Forwards the enclosing exported function to the primary copy when this copy is not it:
/// `forward!(sp_pool_open(dsn, o, err));` as its first line.
macro_rules! forward {
    (@any $arg:ident) => { _ };
    ($name:ident($($arg:ident),* $(,)?)) => {
        static CACHE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        if let Some(f) = $crate::primary::forwarded(
            &CACHE,
            concat!(stringify!($name), "\0"),
            $name as unsafe extern "C" fn($(forward!(@any $arg)),*) -> _,
        ) {
            // SAFETY: `f` is the primary copy's function of the same name, and so of the same
            // signature (same ABI major, documented in the same header); the arguments are the
            // caller's, passed on unchanged.
            return unsafe { f($($arg),*) };
        }
    };
}
pub(crate) use forward;

/// The primary copy's function `name` (NUL-terminated), typed as `this` (the function itself),
/// or None when this copy is the primary. Cached in `cache` after the first call.
pub(crate) fn forwarded<F: Copy>(cache: &AtomicUsize, name: &str, this: F) -> Option<F> {
    const { assert!(std::mem::size_of::<F>() == std::mem::size_of::<usize>()) };
    let _ = this;
    let mut addr = cache.load(Ordering::Acquire);
    if addr == 0 {
        addr = match PRIMARY.get_or_init(find_primary) {
            // SAFETY: the handle is live (never closed) and `name` is NUL-terminated.
            Some(p) => (unsafe { libc::dlsym(p.0, name.as_ptr().cast()) }) as usize,
            None => OWN,
        };
        if addr == 0 {
            addr = OWN; // Not in the primary (cannot happen with an equal or newer minor).
        }
        cache.store(addr, Ordering::Release);
    }
    // SAFETY: `addr` is a function address from dlsym, and `F` is a function pointer type
    // (checked to be pointer-sized above).
    (addr != OWN).then(|| unsafe { std::mem::transmute_copy::<usize, F>(&addr) })
}

/// A loaded object: its path and the address ranges of its loaded segments.
struct Object {
    name: Vec<u8>,
    ranges: Vec<(usize, usize)>,
}

impl Object {
    fn contains(&self, addr: usize) -> bool {
        self.ranges.iter().any(|&(a, b)| (a..b).contains(&addr))
    }
}

unsafe extern "C" fn collect(
    info: *mut libc::dl_phdr_info,
    _size: libc::size_t,
    data: *mut c_void,
) -> c_int {
    // SAFETY: dl_iterate_phdr passes a valid info for the duration of the call, and `data` is
    // the Vec<Object> given to it below.
    unsafe {
        let info = &*info;
        let objects = &mut *(data as *mut Vec<Object>);
        let name = if info.dlpi_name.is_null() {
            Vec::new()
        } else {
            CStr::from_ptr(info.dlpi_name).to_bytes().to_vec()
        };
        let phdrs = std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum));
        let ranges = phdrs
            .iter()
            .filter(|h| h.p_type == libc::PT_LOAD)
            .map(|h| {
                let start = info.dlpi_addr as usize + h.p_vaddr as usize;
                (start, start + h.p_memsz as usize)
            })
            .collect();
        objects.push(Object { name, ranges });
    }
    0
}

/// Does a copy of ABI version `v` (`major << 16 | minor`) have every function of this one?
#[allow(clippy::absurd_extreme_comparisons)] // The minor is 0 today.
fn serves_abi(v: u32) -> bool {
    v >> 16 == SP_ABI_VERSION_MAJOR && v & 0xffff >= SP_ABI_VERSION_MINOR
}

/// The first copy loaded before this one that serves this copy's ABI, kept loaded.
fn find_primary() -> Option<Primary> {
    let mut objects: Vec<Object> = Vec::new();
    // SAFETY: `collect` matches dl_iterate_phdr's callback type and only touches `objects`.
    unsafe { libc::dl_iterate_phdr(Some(collect), (&mut objects as *mut Vec<Object>).cast()) };
    let me = find_primary as *const () as usize;
    for obj in objects.iter().take_while(|o| !o.contains(me)) {
        if obj.name.is_empty() {
            continue; // The program itself (or the vDSO): not loaded by path.
        }
        let mut path = obj.name.clone();
        path.push(0);
        // SAFETY: `path` is NUL-terminated; RTLD_NOLOAD never loads anything new, it only
        // returns (and counts) a handle on an object already loaded.
        let handle = unsafe {
            libc::dlopen(
                path.as_ptr().cast::<c_char>(),
                libc::RTLD_LAZY | libc::RTLD_NOLOAD,
            )
        };
        if handle.is_null() {
            continue;
        }
        // SAFETY: the handle is live; the name is NUL-terminated.
        let abi = unsafe { libc::dlsym(handle, c"sp_abi_version".as_ptr()) };
        // dlsym also searches the object's dependencies: the symbol must be this object's own.
        let serves = !abi.is_null() && obj.contains(abi as usize) && {
            // SAFETY: the symbol is sp_abi_version of a copy of this library: `u32 (void)`.
            let v = unsafe { std::mem::transmute::<*mut c_void, extern "C" fn() -> u32>(abi)() };
            serves_abi(v)
        };
        if serves {
            return Some(Primary(handle));
        }
        // SAFETY: the handle came from dlopen above and is not used again.
        unsafe { libc::dlclose(handle) };
    }
    None
}
