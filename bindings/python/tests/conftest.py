"""Shared fixtures: a real MariaDB from SHAREDPOOL_TEST_DSN (tests/mariadb.sh run …)."""

from __future__ import annotations

import itertools
import os
import urllib.parse
from collections.abc import Iterator

import pytest

import sharedpool

_names = itertools.count()


@pytest.fixture(scope="session")
def dsn() -> str:
    value = os.environ.get("SHAREDPOOL_TEST_DSN")
    if not value:
        pytest.fail("SHAREDPOOL_TEST_DSN is not set: run the tests through `tests/mariadb.sh run …`")
    return value


def with_database(dsn: str, database: str) -> str:
    """The same DSN on another database."""
    parts = urllib.parse.urlsplit(dsn)
    return urllib.parse.urlunsplit(parts._replace(path="/" + database))


def unique_name(prefix: str = "pytest") -> str:
    """A pool_name no other test uses, so each test gets its own pool."""
    return f"{prefix}-{os.getpid()}-{next(_names)}"


@pytest.fixture
def open_pool(dsn: str) -> Iterator:
    """open_pool(**options): a private pool (its own pool_name), closed after the test."""
    pools: list[sharedpool.Pool] = []

    def make(**options: object) -> sharedpool.Pool:
        options.setdefault("pool_name", unique_name())
        pool = sharedpool.open(options.pop("dsn", dsn), **options)
        pools.append(pool)
        return pool

    yield make
    for p in pools:
        p.close()


@pytest.fixture
def pool(open_pool) -> sharedpool.Pool:
    return open_pool(max_size=4)


@pytest.fixture
def table(pool: sharedpool.Pool) -> Iterator[str]:
    """A fresh InnoDB table t_<n>(id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) UNIQUE, n INT)."""
    name = f"t_{os.getpid()}_{next(_names)}"
    pool.execute(f"DROP TABLE IF EXISTS {name}")
    pool.execute(
        f"CREATE TABLE {name} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) UNIQUE, n INT)"
        " ENGINE=InnoDB"
    )
    yield name
    pool.execute(f"DROP TABLE IF EXISTS {name}")
