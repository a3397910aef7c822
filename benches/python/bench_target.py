"""The server every benchmark talks to: the throwaway MariaDB of ``tests/mariadb.sh run``."""

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
