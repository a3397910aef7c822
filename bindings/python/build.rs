//! Finds or builds `libsharedpool.so` (the C ABI), ships a copy in the Python package as
//! `sharedpool/libsharedpool.so.1` (its SONAME) and links the extension to it with an
//! `$ORIGIN` rpath, so the extension loads the copy that sits next to it.
//!
//! `SHAREDPOOL_LIB_DIR=<dir>`: use `<dir>/libsharedpool.so` (e.g. `target/release` after
//! `make lib`). Otherwise a nested `cargo build --release -p sharedpool-ffi` runs on its own
//! target dir (`target/pyffi`): sharing the outer build's target dir would deadlock on its lock.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.join("../..");
    println!("cargo:rerun-if-env-changed=SHAREDPOOL_LIB_DIR");

    let lib = match env::var_os("SHAREDPOOL_LIB_DIR") {
        Some(dir) => PathBuf::from(dir).join("libsharedpool.so"),
        None => build_ffi(&workspace),
    };
    if !lib.is_file() {
        panic!("sharedpool-python: {} not found (build it with `make lib` or unset SHAREDPOOL_LIB_DIR)", lib.display());
    }
    println!("cargo:rerun-if-changed={}", lib.display());

    // The copy shipped in the package (picked up by maturin from python/sharedpool/).
    let package_copy = manifest_dir.join("python/sharedpool/libsharedpool.so.1");
    println!("cargo:rerun-if-changed={}", package_copy.display());
    replace_file(&lib, &package_copy);

    // Link against exactly that file: a private dir holding it under its link name.
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    replace_file(&lib, &out_dir.join("libsharedpool.so"));
    println!("cargo:rustc-link-search=native={}", out_dir.display());
    println!("cargo:rustc-link-lib=dylib=sharedpool");
    println!("cargo:rustc-link-arg-cdylib=-Wl,-rpath,$ORIGIN");
}

/// Runs `cargo build --release -p sharedpool-ffi` on `target/pyffi`; returns the built library.
fn build_ffi(workspace: &Path) -> PathBuf {
    for dir in [
        "core/src",
        "core/Cargo.toml",
        "ffi/src",
        "ffi/Cargo.toml",
        "ffi/build.rs",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(dir).display());
    }
    let target_dir = workspace.join("target/pyffi");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "-p",
        "sharedpool-ffi",
        "--manifest-path",
    ])
    .arg(workspace.join("Cargo.toml"))
    .arg("--target-dir")
    .arg(&target_dir);
    // The outer cargo's settings (target dir, flags, jobserver, package vars) must not leak in.
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        let keep = ["CARGO_HOME", "CARGO_NET_", "CARGO_HTTP_", "CARGO_REGISTR"]
            .iter()
            .any(|p| key.starts_with(p));
        // Under `cargo clippy` the outer build also sets a clippy-driver wrapper and its args.
        let outer = [
            "RUSTFLAGS",
            "RUSTDOCFLAGS",
            "RUSTC_WORKSPACE_WRAPPER",
            "CLIPPY_ARGS",
            "__CLIPPY_INTERNAL_ARGS",
        ];
        if (key.starts_with("CARGO_") && !keep) || outer.contains(&key.as_ref()) {
            cmd.env_remove(key.as_ref());
        }
    }
    let status = cmd
        .status()
        .expect("sharedpool-python: could not run cargo to build sharedpool-ffi");
    if !status.success() {
        panic!("sharedpool-python: `cargo build --release -p sharedpool-ffi` failed ({status})");
    }
    target_dir.join("release/libsharedpool.so")
}

/// Copies `from` to `to` through a temporary file and a rename, so a process that has the old
/// file mapped keeps a valid mapping.
fn replace_file(from: &Path, to: &Path) {
    let tmp = to.with_extension("tmp");
    fs::copy(from, &tmp)
        .unwrap_or_else(|e| panic!("copy {} -> {}: {e}", from.display(), tmp.display()));
    fs::rename(&tmp, to)
        .unwrap_or_else(|e| panic!("rename {} -> {}: {e}", tmp.display(), to.display()));
}
