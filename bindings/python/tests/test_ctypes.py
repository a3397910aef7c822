"""The package ships one libsharedpool.so.1; C code loading it sees the module's pools."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys

import sharedpool

from conftest import unique_name


class SpStats(ctypes.Structure):
    _fields_ = [
        *[(n, ctypes.c_uint32) for n in ("size", "refs", "max_size", "total", "idle", "active", "waiting")],
        *[
            (n, ctypes.c_uint64)
            for n in (
                "acquires_total",
                "timeouts_total",
                "created_total",
                "closed_total",
                "resets_total",
                "connect_errors_total",
            )
        ],
    ]


def library_path() -> str:
    return os.path.join(os.path.dirname(sharedpool.__file__), "libsharedpool.so.1")


def loaded_copies() -> set[str]:
    with open("/proc/self/maps") as f:
        return {line.split()[-1] for line in f if "libsharedpool" in line}


def test_one_copy_of_the_library_is_loaded() -> None:
    assert os.path.isfile(library_path())
    assert loaded_copies() == {os.path.realpath(library_path())}


def load(path: str) -> ctypes.CDLL:
    lib = ctypes.CDLL(path)
    lib.sp_pool_open.restype = ctypes.c_void_p
    lib.sp_pool_open.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.sp_options_new.restype = ctypes.c_void_p
    lib.sp_options_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]
    lib.sp_options_free.argtypes = [ctypes.c_void_p]
    lib.sp_pool_stats.argtypes = [ctypes.c_void_p, ctypes.POINTER(SpStats)]
    lib.sp_pool_release.argtypes = [ctypes.c_void_p]
    return lib


def test_ctypes_sees_the_module_pools(dsn) -> None:
    lib = load(library_path())
    name = unique_name("ctypes")
    with sharedpool.open(dsn, pool_name=name, max_size=3) as pool:
        pool.query("SELECT 1")
        opts = lib.sp_options_new()
        assert lib.sp_options_set(opts, b"pool_name", name.encode(), None) == 0
        assert lib.sp_options_set(opts, b"max_size", b"3", None) == 0
        c_pool = lib.sp_pool_open(dsn.encode(), opts, None)
        lib.sp_options_free(opts)
        assert c_pool, "sp_pool_open failed"
        try:
            stats = SpStats(size=ctypes.sizeof(SpStats))
            assert lib.sp_pool_stats(c_pool, ctypes.byref(stats)) == 0
            assert stats.refs == 2
            assert pool.stats()["refs"] == 2
            assert stats.acquires_total == pool.stats()["acquires_total"] >= 1
        finally:
            lib.sp_pool_release(c_pool)
        assert pool.stats()["refs"] == 1
    assert loaded_copies() == {os.path.realpath(library_path())}


SECOND_COPY = """
import ctypes, os, sys
sys.path.insert(0, os.path.dirname(sys.argv[4]))
import sharedpool
from test_ctypes import SpStats, load, loaded_copies
dsn, name, copy = sys.argv[1:4]
lib = load(copy)
assert copy in loaded_copies(), "a second copy is mapped"
with sharedpool.open(dsn, pool_name=name) as pool:
    c_pool = lib.sp_pool_open(f"{dsn}?pool_name={name}".encode(), None, None)
    assert c_pool, "sp_pool_open failed"
    assert pool.stats()["refs"] == 2, "one pool for both copies"
    stats = SpStats(size=ctypes.sizeof(SpStats))
    assert lib.sp_pool_stats(c_pool, ctypes.byref(stats)) == 0 and stats.refs == 2
    lib.sp_pool_release(c_pool)
    assert pool.stats()["refs"] == 1
print("ok")
"""


def test_a_second_copy_at_another_path_shares_the_registry(dsn, tmp_path) -> None:
    # As when an installed libsharedpool.so.1 is loaded by path beside the wheel's copy; in a
    # child process, so this one keeps a single copy.
    copy = tmp_path / "libsharedpool.so.1"
    shutil.copyfile(library_path(), copy)
    p = subprocess.run(
        [sys.executable, "-c", SECOND_COPY, dsn, unique_name("copy"), str(copy), __file__],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr
