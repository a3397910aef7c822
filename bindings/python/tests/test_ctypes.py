"""The package ships one libsharedpool.so.1; C code loading it sees the module's pools."""

from __future__ import annotations

import ctypes
import os

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


def test_ctypes_sees_the_module_pools(dsn) -> None:
    lib = ctypes.CDLL(library_path())
    lib.sp_pool_open.restype = ctypes.c_void_p
    lib.sp_pool_open.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.sp_options_new.restype = ctypes.c_void_p
    lib.sp_options_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]
    lib.sp_options_free.argtypes = [ctypes.c_void_p]
    lib.sp_pool_stats.argtypes = [ctypes.c_void_p, ctypes.POINTER(SpStats)]
    lib.sp_pool_release.argtypes = [ctypes.c_void_p]

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
