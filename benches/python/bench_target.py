"""The server every benchmark talks to: the throwaway MariaDB of ``tests/mariadb.sh run``, and a
plain MySQLdb connection to it (the floor, monitors, outside clients)."""

from __future__ import annotations

import os
import sys
import urllib.parse
from typing import Any


def target(bench: str) -> dict[str, Any]:
    """``SHAREDPOOL_TEST_DSN`` and its parts (exits with a message when it is not set)."""
    dsn = os.environ.get("SHAREDPOOL_TEST_DSN")
    if not dsn:
        sys.exit(
            f"{bench}: SHAREDPOOL_TEST_DSN is not set: run through tests/mariadb.sh run (make bench does)"
        )
    u = urllib.parse.urlsplit(dsn)
    return {
        "dsn": dsn,
        "host": u.hostname or "127.0.0.1",
        "port": u.port or 3306,
        "user": urllib.parse.unquote(u.username or ""),
        "password": urllib.parse.unquote(u.password or ""),
        "database": u.path.lstrip("/"),
        "socket": os.environ.get("SHAREDPOOL_TEST_SOCKET"),
    }


def mysqldb_connect(
    t: dict[str, Any], connect_timeout: float, read_timeout: float, root: bool = False
) -> Any:
    """A MySQLdb connection to ``t`` as its user, or as root over the server's socket, with
    connect, read and write timeouts (seconds; MySQLdb's defaults wait forever)."""
    import MySQLdb

    where: dict[str, Any] = (
        {"unix_socket": t["socket"], "user": "root"}
        if root and t["socket"]
        else {
            "host": t["host"],
            "port": t["port"],
            "user": t["user"],
            "password": t["password"],
            "database": t["database"],
        }
    )
    return MySQLdb.connect(
        **where,
        connect_timeout=max(1, int(connect_timeout)),
        read_timeout=int(read_timeout),
        write_timeout=int(read_timeout),
    )
