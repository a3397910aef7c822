"""The module surface: globals, exceptions, open/options, Pool methods, stats, metrics."""

from __future__ import annotations

import pathlib
import re
import time

import pytest

import sharedpool
from sharedpool import _options, _sharedpool

from conftest import unique_name


def test_pep249_globals_and_all() -> None:
    assert sharedpool.apilevel == "2.0"
    assert sharedpool.threadsafety == 2
    assert sharedpool.paramstyle == "format"
    for name in sharedpool.__all__:
        assert hasattr(sharedpool, name), name
    assert sharedpool.abi_version()[0] == 1
    assert sharedpool.library_version()


def test_version_and_star_import_keep_builtin_open() -> None:
    assert sharedpool.__version__ == sharedpool.library_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", sharedpool.__version__)
    assert "open" not in sharedpool.__all__ and "connect" in sharedpool.__all__
    scope: dict[str, object] = {}
    exec("from sharedpool import *", scope)
    assert "open" not in scope and scope["connect"] is sharedpool.connect
    assert callable(sharedpool.open)


def test_options_in_seconds(open_pool, dsn) -> None:
    pool = open_pool(max_size=1, acquire_timeout=0.2)
    with pool.connection():
        start = time.monotonic()
        with pytest.raises(sharedpool.PoolTimeout, match="200 ms"):
            pool.connection()
        assert 0.15 <= time.monotonic() - start < 5
    # The same value in milliseconds joins the pool; another conflicts.
    name = unique_name()
    with sharedpool.open(dsn, pool_name=name, acquire_timeout=2.5) as a:
        with sharedpool.open(dsn, pool_name=name, acquire_timeout_ms=2500) as b:
            assert b.stats()["refs"] == 2
        with pytest.raises(sharedpool.ConfigConflict, match="acquire_timeout"):
            sharedpool.open(dsn, pool_name=name, acquire_timeout_ms=3000)
        assert a.query("SELECT 1") == [(1,)]


def test_every_ms_option_in_seconds(open_pool) -> None:
    seconds = {name[: -len("_ms")]: 1.5 for name in _options.MS_OPTIONS}
    pool = open_pool(**seconds)
    assert pool.query("SELECT 1") == [(1,)]
    # Every millisecond option of the README's table is covered.
    readme = pathlib.Path(__file__).resolve().parents[3] / "README.md"
    documented = set(re.findall(r"^\| `(\w+_ms)` \|", readme.read_text(), re.M))
    assert documented and documented <= set(_options.MS_OPTIONS)


def test_bad_seconds_options(dsn) -> None:
    for bad in (-1, float("nan"), float("inf"), "2", True, None):
        with pytest.raises(sharedpool.InterfaceError, match="acquire_timeout"):
            sharedpool.open(dsn, pool_name=unique_name(), acquire_timeout=bad)
    with pytest.raises(sharedpool.InterfaceError, match="not both"):
        sharedpool.open(dsn, acquire_timeout=1, acquire_timeout_ms=1000)
    with pytest.raises(sharedpool.InterfaceError, match="connect_timeout"):
        sharedpool.connect(dsn, connect_timeout=-0.5)


def test_exception_tree() -> None:
    s = sharedpool
    assert issubclass(s.Error, Exception) and issubclass(s.Warning, Exception)
    for cls in (s.InterfaceError, s.DatabaseError):
        assert issubclass(cls, s.Error)
    for cls in (
        s.DataError,
        s.OperationalError,
        s.IntegrityError,
        s.InternalError,
        s.ProgrammingError,
        s.NotSupportedError,
    ):
        assert issubclass(cls, s.DatabaseError)
    assert issubclass(s.PoolTimeout, s.OperationalError)
    assert issubclass(s.ConfigConflict, s.InterfaceError)
    for cls in (s.Error, s.Warning, s.PoolTimeout, s.ConfigConflict, s.IntegrityError):
        assert cls.__module__ == "sharedpool"
    assert s.Error.errno is None and s.Error.sqlstate is None


def test_query_and_execute(pool, table) -> None:
    assert pool.query("SELECT 1") == [(1,)]
    assert pool.query("SELECT %s, %s", (2, "x")) == [(2, "x")]
    assert pool.query("SELECT %(a)s, %(b)s, %(a)s", {"a": 1, "b": None}) == [(1, None, 1)]
    assert pool.query("SELECT '100%%', %s", ["p"]) == [("100%", "p")]
    # A literal ? (quoted, or in a comment) is not a placeholder.
    assert pool.query("SELECT '?', %s -- ?", (3,)) == [("?", 3)]
    # Without parameters the SQL is sent as is: % needs no escaping.
    assert pool.query("SELECT '5%'") == [("5%",)]
    assert pool.execute(f"INSERT INTO {table} (name, n) VALUES (%s, %s), (%s, %s)", ("a", 1, "b", 2)) == 2
    assert pool.execute(f"UPDATE {table} SET n = n + 1 WHERE n >= %s", (1,)) == 2
    assert pool.query(f"SELECT name, n FROM {table} ORDER BY id") == [("a", 2), ("b", 3)]
    assert pool.query(f"SELECT * FROM {table} WHERE n > 100") == []


def test_bad_parameters(pool) -> None:
    with pytest.raises(sharedpool.ProgrammingError, match="not enough"):
        pool.query("SELECT %s, %s", (1,))
    with pytest.raises(sharedpool.ProgrammingError, match="not all"):
        pool.query("SELECT %s", (1, 2))
    with pytest.raises(sharedpool.ProgrammingError, match="unsupported parameter type"):
        pool.query("SELECT %s", (object(),))
    with pytest.raises(sharedpool.ProgrammingError, match="missing"):
        pool.query("SELECT %(a)s", {"b": 1})
    with pytest.raises(sharedpool.ProgrammingError, match="format sequence"):
        pool.query("SELECT %d", (1,))
    with pytest.raises(sharedpool.ProgrammingError, match="sequence"):
        pool.query("SELECT %s", "x")
    with pytest.raises(sharedpool.DataError):
        pool.query("SELECT %s", (2**64,))
    with pytest.raises(sharedpool.DataError):
        pool.query("SELECT %s", (float("nan"),))
    with pytest.raises(sharedpool.ProgrammingError, match="NUL"):
        pool.query("SELECT 1\0")


def test_bad_dsn_and_options(dsn) -> None:
    with pytest.raises(sharedpool.InterfaceError):
        sharedpool.open("not a dsn")
    with pytest.raises(sharedpool.InterfaceError, match="no_such_option"):
        sharedpool.open(dsn, pool_name=unique_name(), no_such_option=1)
    with pytest.raises(sharedpool.InterfaceError, match="max_size"):
        sharedpool.open(dsn, pool_name=unique_name(), max_size="many")
    with pytest.raises(sharedpool.InterfaceError, match="expected str"):
        sharedpool.open(dsn, pool_name=unique_name(), max_size=[1])


def test_wrong_password_is_operational_error(dsn) -> None:
    bad = dsn.replace("sp-secret", "wrong-password")
    with pytest.raises(sharedpool.OperationalError) as info:
        with sharedpool.open(bad, pool_name=unique_name(), acquire_timeout_ms=3000) as p:
            p.query("SELECT 1")
    assert "wrong-password" not in str(info.value)


def test_options_of_every_python_type_and_stats(open_pool) -> None:
    pool = open_pool(max_size=3, min_idle=0, acquire_timeout_ms=2500, headroom=1.25, adaptive=False)
    pool.query("SELECT 1")
    stats = pool.stats()
    assert set(stats) == set(header_stats_fields())
    assert stats["max_size"] == 3
    assert stats["refs"] == 1
    assert stats["active"] == 0
    assert 1 <= stats["total"] <= 3
    assert stats["acquires_total"] >= 1
    assert repr(pool).startswith("<sharedpool.Pool max_size=3 total=")


def test_shared_registry_and_config_conflict(dsn) -> None:
    name = unique_name()
    a = sharedpool.open(dsn, pool_name=name, max_size=2)
    try:
        b = sharedpool.open(dsn, pool_name=name, max_size=2)
        assert a.stats()["refs"] == 2 and b.stats()["refs"] == 2
        b.close()
        assert a.stats()["refs"] == 1
        with pytest.raises(sharedpool.ConfigConflict, match="max_size"):
            sharedpool.open(dsn, pool_name=name, max_size=5)
        with sharedpool.open(dsn, pool_name=name, max_size=5, on_conflict="reuse") as c:
            assert c.stats()["max_size"] == 2
            assert c.stats()["refs"] == 2
        assert a.stats()["refs"] == 1
    finally:
        a.close()


def test_close_is_idempotent_and_context_manager(dsn) -> None:
    with sharedpool.open(dsn, pool_name=unique_name()) as pool:
        assert isinstance(pool, sharedpool.Pool)
        assert not pool.closed
        assert pool.query("SELECT 1") == [(1,)]
    assert pool.closed
    assert repr(pool) == "<sharedpool.Pool closed>"
    pool.close()
    with pytest.raises(sharedpool.InterfaceError, match="closed"):
        pool.query("SELECT 1")
    with pytest.raises(sharedpool.InterfaceError, match="closed"):
        pool.connection()
    with pytest.raises(sharedpool.InterfaceError, match="closed"):
        pool.stats()


def test_metrics_text(pool) -> None:
    pool.query("SELECT 1")
    text = sharedpool.metrics_text()
    assert isinstance(text, str)
    assert "sharedpool" in text
    assert "sp-secret" not in text


def test_native_module_is_private_and_typed() -> None:
    assert _sharedpool.__name__ == "sharedpool._sharedpool"
    assert issubclass(sharedpool.Pool, _sharedpool.Pool)


def header_stats_fields() -> list[str]:
    """The fields of ``sp_stats`` in include/sharedpool.h, less ``size``."""
    header = pathlib.Path(__file__).resolve().parents[3] / "include" / "sharedpool.h"
    body = re.search(r"typedef struct sp_stats \{(.*?)\} sp_stats;", header.read_text(), re.S)
    assert body, "sp_stats in the header"
    fields = re.findall(r"^\s*(?:uint32_t|uint64_t|int32_t|int64_t|double)\s+(\w+);", body[1], re.M)
    return [f for f in fields if f != "size"]


def test_stats_has_every_header_field(pool) -> None:
    fields = header_stats_fields()
    assert len(fields) >= 21
    stats = pool.stats()
    assert sorted(stats) == sorted(fields), "Pool.stats() has every sp_stats field"
    assert list(sharedpool.Stats.__annotations__) == fields, "the Stats TypedDict too"
    pool.query("SELECT 1")
    stats = pool.stats()
    assert stats["acquires_total"] >= 1 and stats["hold_time_us_total"] > 0
    assert stats["recommended_size"] <= stats["max_size"]
    assert all(isinstance(stats[k], float) for k in ("arrival_rate", "hold_time_avg", "demand"))


def test_register_tls_names_a_tls_config(dsn) -> None:
    for bad in ("", "true", "has space"):
        with pytest.raises(sharedpool.ProgrammingError):
            sharedpool.register_tls(bad)
    with pytest.raises(sharedpool.ProgrammingError, match=r"/no/such/ca\.pem"):
        sharedpool.register_tls("py-ca", ca="/no/such/ca.pem")
    sharedpool.register_tls("py-ca", ca=__file__)
    with pytest.raises(sharedpool.InterfaceError):
        sharedpool.open(dsn, tls="never-registered")
    # A registered name parses; the test server speaks no TLS, so verify-identity cannot connect.
    with sharedpool.open(dsn, tls="py-ca", pool_name=unique_name(), acquire_timeout_ms=3000) as pool:
        with pytest.raises(sharedpool.OperationalError):
            pool.query("SELECT 1")
