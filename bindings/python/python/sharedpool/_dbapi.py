"""PEP 249 connection and cursor over a pooled ``RawConnection``."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Optional, Union

from . import _sharedpool
from ._sharedpool import InterfaceError, ProgrammingError, RawConnection, RawRows

Params = Optional[Union[Sequence[Any], Mapping[str, Any]]]
Row = tuple[Any, ...]
Description = tuple[str, int, None, None, None, None, bool]


class Connection:
    """A PEP 249 connection borrowed from a pool; ``close()`` returns it.

    Autocommit is off (PEP 249): the first statement opens a transaction that ``commit()`` or
    ``rollback()`` ends. As a context manager, an exception rolls back and any transaction left
    open at exit is rolled back when the connection returns to the pool; committing is the
    caller's job. A second ``close()`` raises ``InterfaceError`` (as the DB-API compliance suite
    expects).

    The exception classes are attributes too (PEP 249 optional extension): ``conn.Error`` …
    """

    Warning = _sharedpool.Warning
    Error = _sharedpool.Error
    InterfaceError = _sharedpool.InterfaceError
    DatabaseError = _sharedpool.DatabaseError
    DataError = _sharedpool.DataError
    OperationalError = _sharedpool.OperationalError
    IntegrityError = _sharedpool.IntegrityError
    InternalError = _sharedpool.InternalError
    ProgrammingError = _sharedpool.ProgrammingError
    NotSupportedError = _sharedpool.NotSupportedError

    def __init__(
        self, raw: RawConnection, *, autocommit: bool = False, pool: _sharedpool.Pool | None = None
    ) -> None:
        self._raw = raw
        self._autocommit = autocommit
        # A statement ran since the last commit or rollback (with autocommit off, the server
        # opened a transaction with it: no BEGIN round trip, see ``set_autocommit``).
        self._in_transaction = False
        if not autocommit:
            raw.set_autocommit(False)
        # The pool reference of ``sharedpool.connect()``: released after the connection returns.
        self._pool = pool

    @property
    def closed(self) -> bool:
        """True once closed (returned to the pool)."""
        return self._raw.closed

    @property
    def autocommit(self) -> bool:
        """When True each statement commits on its own."""
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        value = bool(value)
        if value and self._in_transaction:
            self.commit()
        if value != self._autocommit:
            self._raw.set_autocommit(value)
        self._autocommit = value

    def _query(self, sql: str, params: Params) -> tuple[Any, Any, int, int | None]:
        if not self._autocommit:
            self._in_transaction = True
        return self._raw.query(sql, params)

    def _stream(self, sql: str, params: Params) -> RawRows:
        if not self._autocommit:
            self._in_transaction = True
        return self._raw.query_stream(sql, params)

    def cursor(self, cursorclass: type[Cursor] | None = None) -> Cursor:
        """A new cursor on this connection: a ``Cursor`` (the whole result read at
        ``execute``), or of ``cursorclass``, e.g. ``sharedpool.SSCursor`` (MySQLdb's
        convention) for rows streamed as they are fetched."""
        if self._raw.closed:
            raise InterfaceError("the connection is closed")
        return (cursorclass or Cursor)(self)

    def execute(self, sql: str, params: Params = None) -> Cursor:
        """Shortcut: a new cursor that has executed ``sql``."""
        cur = self.cursor()
        cur.execute(sql, params)
        return cur

    def commit(self) -> None:
        """Commits the open transaction, if any."""
        if self._in_transaction:
            self._in_transaction = False
            self._raw.query("COMMIT")
        elif self._raw.closed:
            raise InterfaceError("the connection is closed")

    def rollback(self) -> None:
        """Rolls the open transaction back, if any."""
        if self._in_transaction:
            self._in_transaction = False
            self._raw.query("ROLLBACK")
        elif self._raw.closed:
            raise InterfaceError("the connection is closed")

    def close(self) -> None:
        """Returns the connection to its pool (an open transaction is rolled back there).
        Raises ``InterfaceError`` when already closed."""
        if self._raw.closed:
            raise InterfaceError("the connection is already closed")
        self._in_transaction = False
        self._raw.release()
        self._release_pool()

    def discard(self) -> None:
        """Closes the underlying connection instead of returning it to the pool. Idempotent."""
        self._in_transaction = False
        self._raw.discard()
        self._release_pool()

    def _release_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is not None and self._in_transaction and not self._raw.closed:
                try:
                    self.rollback()
                except _sharedpool.Error:
                    # The block's own error is the one to report: a connection that cannot
                    # roll back (broken by a kill or a lost connection) is discarded on close.
                    pass
        finally:
            if not self._raw.closed:
                self.close()


class BufferedResult:
    """A statement's whole result and the cursor state over it, shared by ``Cursor`` and
    ``sharedpool.aio.Cursor``: description, rowcount, lastrowid and the fetch position."""

    arraysize: int

    def __init__(self) -> None:
        self.arraysize = 1
        self._rows: list[Row] | None = None
        self._pos = 0
        self._description: list[Description] | None = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._closed = False

    @property
    def description(self) -> list[Description] | None:
        """(name, type_code, None, None, None, None, null_ok) per column; None when the last
        statement returned no rows. ``type_code`` is the MySQL field type number."""
        return self._description

    @property
    def rowcount(self) -> int:
        """Rows returned or affected by the last statement; -1 before any."""
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:
        """The AUTO_INCREMENT id the last statement generated, or None."""
        return self._lastrowid

    @property
    def rownumber(self) -> int | None:
        """Index of the next row in the result set, or None without one."""
        return None if self._rows is None else self._pos

    def _check(self) -> None:
        if self._closed:
            raise InterfaceError("the cursor is closed")

    def _store(self, result: tuple[Any, Any, int, int | None]) -> None:
        """Takes ``RawConnection.query``'s ``(rows, description, rowcount, lastrowid)``."""
        self._rows, self._description, self._rowcount, self._lastrowid = result
        self._pos = 0

    def _result(self) -> list[Row]:
        self._check()
        if self._rows is None:
            raise ProgrammingError("no result set: execute a statement that returns rows first")
        return self._rows

    def _next_row(self) -> Row | None:
        rows = self._result()
        if self._pos >= len(rows):
            return None
        self._pos += 1
        return rows[self._pos - 1]

    def _next_rows(self, size: int | None) -> list[Row]:
        rows = self._result()
        n = self.arraysize if size is None else size
        out = rows[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def _rest(self) -> list[Row]:
        rows = self._result()
        out = rows[self._pos :]
        self._pos = len(rows)
        return out


class Cursor(BufferedResult):
    """A PEP 249 cursor. Results are fetched whole when a statement runs."""

    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self.connection = connection

    @property
    def closed(self) -> bool:
        """True once the cursor or its connection is closed."""
        return self._closed or self.connection.closed

    def execute(self, sql: str, params: Params = None) -> Cursor:
        """Runs ``sql`` with ``%s`` placeholders (``%(name)s`` with a dict, ``%%`` for ``%``)."""
        self._check()
        self._store(self.connection._query(sql, params))
        return self

    def executemany(self, sql: str, seq_of_params: Sequence[Params]) -> Cursor:
        """Runs ``sql`` once per parameter set; ``rowcount`` is the total of affected rows."""
        self._check()
        total = 0
        for params in seq_of_params:
            self.execute(sql, params)
            total += max(self._rowcount, 0)
        self._rowcount = total
        return self

    def fetchone(self) -> Row | None:
        """The next row, or None."""
        return self._next_row()

    def fetchmany(self, size: int | None = None) -> list[Row]:
        """The next ``size`` rows (default ``arraysize``)."""
        return self._next_rows(size)

    def fetchall(self) -> list[Row]:
        """Every remaining row."""
        return self._rest()

    def __iter__(self) -> Iterator[Row]:
        return self

    def __next__(self) -> Row:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def nextset(self) -> bool | None:
        """PEP 249: moves to the next result set. A statement here yields one result set, so
        there is never a next one: returns None."""
        self._check()
        if self.connection.closed:
            raise InterfaceError("the connection is closed")
        return None

    def setinputsizes(self, sizes: Any) -> None:
        """PEP 249: does nothing."""

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        """PEP 249: does nothing."""

    def close(self) -> None:
        """Drops the results; the connection stays open."""
        self._closed = True
        self._rows = None

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SSCursor(Cursor):
    """A streaming cursor (MySQLdb's ``SSCursor``): rows are read from the server as they are
    fetched, in bounded memory, whatever the size of the result.

    While its rows are open the connection is busy: another statement on it (another cursor,
    ``commit()``) raises ``ProgrammingError`` until the rows are read to the end or the cursor
    is closed. Closing early (``close()``, a new ``execute``) reads a short remainder or else
    ends the connection, which the pool replaces. ``rowcount`` is -1 until the last row has
    been fetched (then the number of rows), and the affected rows for a statement without rows.
    """

    _batch = 256  # rows converted per call into the library when iterating

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._stream: RawRows | None = None
        self._buf: list[Row] = []
        self._bpos = 0
        self._fetched = 0

    @property
    def rownumber(self) -> int | None:
        """Index of the next row in the result set, or None without one."""
        if self._description is None:
            return None
        return self._fetched - (len(self._buf) - self._bpos)

    def execute(self, sql: str, params: Params = None) -> Cursor:
        """Runs ``sql`` and starts streaming its rows (an earlier result is closed first)."""
        self._check()
        self._end()
        stream = self.connection._stream(sql, params)
        self._description = stream.description
        self._fetched = 0
        if self._description is None:
            _, affected, insert_id = stream.counts()
            stream.close()
            self._rowcount, self._lastrowid = affected, insert_id or None
        else:
            self._stream, self._rowcount, self._lastrowid = stream, -1, None
        return self

    def _end(self) -> None:
        stream, self._stream = self._stream, None
        self._buf, self._bpos = [], 0
        if stream is not None:
            stream.close()

    def _read(self, n: int) -> list[Row]:
        """Up to ``n`` rows from the server (fewer at the end)."""
        self._check()
        if self._stream is None:
            if self._description is None:
                raise ProgrammingError("no result set: execute a statement that returns rows first")
            return []
        rows = self._stream.fetch(n)
        self._fetched += len(rows)
        if len(rows) < n:
            self._stream = None
            self._rowcount = self._fetched
        return rows

    def _take(self, n: int) -> list[Row]:
        self._check()
        out = self._buf[self._bpos : self._bpos + n]
        self._bpos += len(out)
        if len(out) < n:
            out += self._read(n - len(out))
        return out

    def fetchone(self) -> Row | None:
        """The next row, or None."""
        rows = self._take(1)
        return rows[0] if rows else None

    def fetchmany(self, size: int | None = None) -> list[Row]:
        """The next ``size`` rows (default ``arraysize``)."""
        return self._take(self.arraysize if size is None else size)

    def fetchall(self) -> list[Row]:
        """Every remaining row (held in memory: iterate or ``fetchmany`` to stay bounded)."""
        out = self._take(len(self._buf) - self._bpos)
        while True:
            rows = self._read(10000)
            out += rows
            if len(rows) < 10000:
                return out

    def __next__(self) -> Row:
        if self._bpos >= len(self._buf):
            self._buf, self._bpos = self._read(self._batch), 0
            if not self._buf:
                raise StopIteration
        row = self._buf[self._bpos]
        self._bpos += 1
        return row

    def close(self) -> None:
        """Ends the rows (see the class doc); the connection stays open."""
        self._end()
        super().close()


class _TypeSet(frozenset[int]):
    """A PEP 249 type object: equal to each MySQL field type number it covers."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int):
            return other in self
        return frozenset.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return frozenset.__hash__(self)


#: Text columns (CHAR, VARCHAR, TEXT, ENUM, SET, JSON).
STRING = _TypeSet({15, 247, 248, 253, 254, 245})
#: Binary columns (BLOB types, BIT, GEOMETRY).
BINARY = _TypeSet({249, 250, 251, 252, 16, 255})
#: Numeric columns.
NUMBER = _TypeSet({0, 1, 2, 3, 4, 5, 8, 9, 13, 246})
#: Date and time columns.
DATETIME = _TypeSet({7, 10, 11, 12, 14, 17, 18, 19})
#: Row ids (MySQL has none distinct from NUMBER).
ROWID = _TypeSet({3, 8})

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
Binary = bytes


def DateFromTicks(ticks: float) -> datetime.date:
    """PEP 249 constructor."""
    return datetime.date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> datetime.time:
    """PEP 249 constructor."""
    return datetime.time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> datetime.datetime:
    """PEP 249 constructor."""
    return datetime.datetime(*time.localtime(ticks)[:6])
