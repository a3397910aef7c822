//! Gives the shared library its SONAME: only the ABI major, so one copy loads per process.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsharedpool.so.1");
    println!("cargo:rerun-if-changed=build.rs");
}
