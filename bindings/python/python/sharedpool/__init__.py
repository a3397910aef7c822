"""sharedpool: one shared, bounded MySQL/MariaDB connection pool per target and process.

Every ``open()`` of the same target (in Python, C or Go code of this process) shares one pool
through ``libsharedpool.so``::

    import sharedpool

    with sharedpool.open("mysql://app:secret@127.0.0.1:3306/app", max_size=8) as pool:
        pool.query("SELECT id, name FROM users WHERE id = %s", (42,))
        with pool.connection() as conn:          # a PEP 249 connection
            cur = conn.cursor()
            cur.execute("UPDATE users SET seen = NOW() WHERE id = %s", (42,))
            conn.commit()

``sharedpool.connect(dsn, **options)`` is the PEP 249 entry point: a connection borrowed from
the shared pool of ``dsn``, returned by ``close()``.

Options are the library's names (``max_size=8``); every millisecond option is also accepted in
seconds under its name without ``_ms`` (``acquire_timeout=2.5`` for ``acquire_timeout_ms=2500``,
``leak_detection=0.5``, ``connect_timeout=3``), as every timeout of the Python API is in seconds.

A ``sharedpool.Cancel()`` token passed as ``cancel=`` to ``query``, ``execute`` or ``acquire``
lets another thread end that call: ``token.trigger()`` ends a wait for a connection at once and
stops a running statement on the server (``OperationalError``). ``sharedpool.aio`` is the asyncio
API (``await pool.query(...)``), where cancelling the task does the same.

Pool events (acquire timeouts, connect failures, suspected leaks, closed pools) are records of
``logging.getLogger("sharedpool")`` with the extra fields ``pool`` and ``event`` (see ``_log``).

Errors follow PEP 249. Server errors have ``args == (errno, message)`` (as MySQLdb and PyMySQL),
``errno`` and ``sqlstate`` attributes, and ``str()`` like ``(1146 42S02) Table … doesn't exist``.
A bad DSN or option, or use of a closed pool or connection, raises ``InterfaceError``; a wrong
placeholder count or an unsupported parameter type raises ``ProgrammingError``. Zero dates
(``0000-00-00``) come back as None; BINARY/VARBINARY/BLOB/BIT columns come back as bytes, text
(also with a binary collation, and JSON) as str.
"""

from __future__ import annotations

from typing import Any

from . import _log, _options
from ._dbapi import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Connection,
    Cursor,
    Date,
    DateFromTicks,
    SSCursor,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)
from ._sharedpool import (
    Cancel,
    ConfigConflict,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PoolTimeout,
    ProgrammingError,
    Warning,
    abi_version,
    library_version,
    metrics_text,
    register_tls,
)
from ._sharedpool import Pool as _NativePool
from ._sharedpool import set_log_handler as _set_log_handler
from ._stats import Stats

__all__ = [
    "BINARY",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "Cancel",
    "ConfigConflict",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "Pool",
    "PoolTimeout",
    "ProgrammingError",
    "SSCursor",
    "Stats",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "abi_version",
    "apilevel",
    "connect",
    "library_version",
    "metrics_text",
    "paramstyle",
    "register_tls",
    "threadsafety",
]

#: The version of the loaded libsharedpool (this package is built with it).
__version__: str = library_version()

#: PEP 249 API level.
apilevel = "2.0"
#: PEP 249: threads may share the module and connections (a connection serializes its calls;
#: cursors are not shared). A ``Pool`` is meant to be shared by every thread.
threadsafety = 2
#: PEP 249: ``%s`` placeholders (``%(name)s`` with a dict; ``%%`` for a literal ``%``).
paramstyle = "format"


class Pool(_NativePool):
    """A counted reference to the process-wide pool of one target; see :func:`open`.

    ``query``/``execute`` check a connection out for one statement. ``close()`` releases this
    reference (idempotent); the pool closes with its last reference. Also a context manager.
    """

    def __new__(cls, dsn: str, /, **options: Any) -> Pool:
        return super().__new__(cls, dsn, **_options.normalize(options))

    def connection(
        self, timeout: float | None = None, *, autocommit: bool = False, label: str | None = None
    ) -> Connection:
        """Checks a connection out, waiting at most ``timeout`` seconds (None: the pool's
        ``acquire_timeout``); raises ``PoolTimeout`` when none became free. ``label`` names
        the borrower in leak warnings (``leak_detection_ms``)."""
        return Connection(self.acquire(timeout, label), autocommit=autocommit)

    def __repr__(self) -> str:
        if self.closed:
            return "<sharedpool.Pool closed>"
        s = self.stats()
        return (
            f"<sharedpool.Pool max_size={s['max_size']} total={s['total']} active={s['active']} "
            f"idle={s['idle']} waiting={s['waiting']} refs={s['refs']}>"
        )


def open(dsn: str, **options: Any) -> Pool:
    """Opens (or joins) the shared pool of ``dsn``.

    ``options`` are the library's option names (``max_size=8``, ``acquire_timeout_ms=500``,
    ``on_conflict="reuse"``, …); values may be str, int, float or bool. Millisecond options are
    also taken in seconds under their name without ``_ms`` (``acquire_timeout=0.5``). An
    unknown option or a bad value raises ``InterfaceError``; sizing options that differ from
    the live pool's raise ``ConfigConflict`` unless ``on_conflict="reuse"``.
    """
    return Pool(dsn, **options)


def connect(dsn: str, timeout: float | None = None, **options: Any) -> Connection:
    """PEP 249: a connection borrowed from the shared pool of ``dsn`` (opened or joined with
    ``options`` as in :func:`open`), waiting at most ``timeout`` seconds for one (None: the
    pool's ``acquire_timeout``). ``close()`` returns it and releases the pool reference it
    holds; the pool stays open while any other reference (another ``connect()`` or ``open()``)
    or ``linger`` keeps it, so give ``linger=…`` (seconds) or hold a pool from :func:`open` to
    keep connections warm between ``connect()`` calls."""
    pool = open(dsn, **options)
    try:
        raw = pool.acquire(timeout)
    except BaseException:
        pool.close()
        raise
    return Connection(raw, pool=pool)


def _error_str(self: Error) -> str:
    """``(errno sqlstate) message`` for server errors, else the message."""
    if self.errno is not None and len(self.args) == 2:
        return f"({self.args[0]} {self.sqlstate}) {self.args[1]}"
    return Exception.__str__(self)


Error.__str__ = _error_str  # type: ignore[method-assign,assignment]
_set_log_handler(_log.emit)
