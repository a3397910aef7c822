"""SQLAlchemy dialect ``mysql+sharedpool://`` (optional dependency: ``pip install sharedpool[sqlalchemy]``).

    engine = sqlalchemy.create_engine("mysql+sharedpool://app:secret@127.0.0.1:3306/app?max_size=8")

Registered through the ``sqlalchemy.dialects`` entry point. A subclass of SQLAlchemy's MySQL
dialect, the way its mysqldb and pymysql dialects are. The URL's user, password, host, port and
database make the sharedpool DSN; its query parameters are pool options (``max_size=8``,
``acquire_timeout=2.5``, ``tls=required``, …). sharedpool pools, so the engine uses
``NullPool`` unless told otherwise: each engine checkout borrows a connection from the shared
pool and returns it. The engine holds one reference to the shared pool, which keeps it open
while the engine lives. ``client_found_rows`` defaults to true (UPDATE counts the rows
matched, as every SQLAlchemy MySQL driver asks), which the ORM's row count checks rely on.
``stream_results=True`` (``yield_per``, pandas ``read_sql(chunksize=...)``) streams rows with
:class:`sharedpool.SSCursor`.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import Any, Callable

from sqlalchemy.dialects.mysql.base import MySQLDialect
from sqlalchemy.dialects.mysql.mysqldb import MySQLDialect_mysqldb
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import NullPool, Pool

import sharedpool

__all__ = ["MySQLDialect_sharedpool", "dialect"]


def dsn_of(url: URL) -> str:
    """The sharedpool DSN (``mysql://user:password@host:port/database``) of a SQLAlchemy URL."""
    user = urllib.parse.quote(url.username or "", safe="")
    password = url.password
    auth = user
    if password is not None:
        auth += ":" + urllib.parse.quote(str(password), safe="")
    host = url.host or "127.0.0.1"
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = f":{url.port}" if url.port is not None else ""
    database = urllib.parse.quote(url.database or "", safe="")
    return f"mysql://{auth}@{host}{port}/{database}"


class MySQLDialect_sharedpool(MySQLDialect_mysqldb):
    """``mysql+sharedpool://``: SQLAlchemy's MySQL dialect over :mod:`sharedpool`."""

    driver = "sharedpool"
    supports_statement_cache = True
    # stream_results=True / yield_per (and so pandas read_sql(chunksize=...)) stream with
    # sharedpool.SSCursor, as the mysqldb dialect does with MySQLdb's.
    supports_server_side_cursors = True  # type: ignore[assignment]
    _sscursor = sharedpool.SSCursor

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pool: sharedpool.Pool | None = None
        self._pool_lock = threading.Lock()

    @classmethod
    def import_dbapi(cls) -> Any:
        return sharedpool

    @classmethod
    def get_pool_class(cls, url: URL) -> type[Pool]:
        return NullPool

    def create_connect_args(self, url: URL, _translate_args: Any = None) -> Any:
        options: dict[str, Any] = {"client_found_rows": True}
        for key, value in url.query.items():
            if not isinstance(value, str):
                raise sharedpool.InterfaceError(f"the URL gives the option {key} more than once")
            options[key] = value
        return [dsn_of(url)], options

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        """Borrows a connection from the engine's shared pool (opened at the first call)."""
        with self._pool_lock:
            if self._pool is None or self._pool.closed:
                self._pool = sharedpool.open(*cargs, **cparams)
            pool = self._pool
        return pool.connection()

    def on_connect(self) -> Callable[[Any], None] | None:  # type: ignore[override]
        # MySQLdb's hook sends SET NAMES on every connection (a session change, so a reset on
        # every return): the pool already sets its charset.
        return MySQLDialect.on_connect(self)

    def _detect_charset(self, connection: Any) -> str:
        row = connection.exec_driver_sql("SELECT @@character_set_client").first()
        return str(row[0]) if row else "utf8mb4"

    def _found_rows_client_flag(self) -> int | None:
        return None

    def do_ping(self, dbapi_connection: Any) -> bool:  # type: ignore[override]
        cur = dbapi_connection.cursor()
        try:
            cur.execute("SELECT 1")
            cur.fetchall()
        finally:
            cur.close()
        return True

    def do_executemany(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        # MySQLdb's executemany returns the row count; PEP 249 leaves it undefined (ours
        # returns the cursor): the count is the cursor's rowcount.
        cursor.executemany(statement, parameters)
        if context is not None:
            context._rowcount = cursor.rowcount

    def detect_autocommit_setting(self, dbapi_conn: Any) -> bool:
        return bool(dbapi_conn.autocommit)

    def set_isolation_level(self, dbapi_connection: Any, level: Any) -> None:
        if level == "AUTOCOMMIT":
            dbapi_connection.autocommit = True
        else:
            dbapi_connection.autocommit = False
            MySQLDialect.set_isolation_level(self, dbapi_connection, level)

    def get_isolation_level(self, dbapi_connection: Any) -> Any:
        if dbapi_connection.autocommit:
            return "AUTOCOMMIT"
        return MySQLDialect.get_isolation_level(self, dbapi_connection)


dialect = MySQLDialect_sharedpool
