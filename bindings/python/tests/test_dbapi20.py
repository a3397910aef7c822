"""The DB-API 2.0 compliance suite (PyPI ``dbapi-compliance``) against the real MariaDB."""

from __future__ import annotations

import os
import unittest
from typing import Any, ClassVar

import dbapi20

import sharedpool

DSN = os.environ.get("SHAREDPOOL_TEST_DSN", "")


class TestDBAPI20(dbapi20.DatabaseAPI20Test, unittest.TestCase):
    driver = sharedpool
    connect_args = (DSN,)
    connect_kw_args: ClassVar[dict[str, Any]] = {
        "pool_name": f"dbapi20-{os.getpid()}",
        "max_size": 4,
        "acquire_timeout": 10,
    }
    table_prefix = f"dbapi20_{os.getpid()}_"
    ddl1 = f"create table {table_prefix}booze (name varchar(20))"
    ddl2 = f"create table {table_prefix}barflys (name varchar(20), drink varchar(30))"
    xddl1 = f"drop table {table_prefix}booze"
    xddl2 = f"drop table {table_prefix}barflys"

    def setUp(self) -> None:
        if not DSN:
            self.fail("SHAREDPOOL_TEST_DSN is not set: run the tests through `tests/mariadb.sh run …`")

    # The suite leaves these two to the driver.
    def test_nextset(self) -> None:
        """A statement yields one result set: nextset() says there is no other (None)."""
        con = self._connect()
        try:
            cur = con.cursor()
            cur.execute("SELECT 1 UNION ALL SELECT 2")
            self.assertIsNone(cur.nextset())
            self.assertEqual(cur.fetchall(), [(1,), (2,)])
            cur.close()
            self.assertRaises(sharedpool.InterfaceError, cur.nextset)
        finally:
            con.close()

    def test_setoutputsize(self) -> None:
        """setoutputsize is a no-op: a long value still comes back whole."""
        con = self._connect()
        try:
            cur = con.cursor()
            cur.setoutputsize(10, 0)
            cur.execute("SELECT REPEAT('x', 1000)")
            self.assertEqual(cur.fetchone(), ("x" * 1000,))
        finally:
            con.close()
