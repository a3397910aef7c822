"""sharedpool from asyncio: the same shared pool, without blocking the event loop::

    import sharedpool.aio

    async def main() -> None:
        async with await sharedpool.aio.open("mysql://app:secret@127.0.0.1/app", max_size=8) as pool:
            rows = await pool.query("SELECT id, name FROM users WHERE id = %s", (42,))
            async with pool.connection() as conn:
                cur = await conn.execute("UPDATE users SET seen = NOW() WHERE id = %s", (42,))
                await conn.commit()

The library's calls block a thread, so each one runs on a native worker thread that never takes
the GIL, and the event loop awaits it (a bounded hand-off: the workers wake the loop through a
file descriptor it watches, one wake-up for every call finished by then). There are two sets of
workers per pool, each at most the pool's ``max_size`` threads: one checks connections out
(``query``, ``execute``, ``connection()``), the other runs statements on connections already
held, so a statement on a held connection never queues behind tasks waiting for that same
connection. A pool is bound to one event loop at a time.

Cancelling the awaiting task (``asyncio.timeout``, ``wait_for``, a client that went away) ends
the call: a call still queued for a worker never runs, a wait for a connection ends at once, and
a running statement is stopped on the server (``KILL QUERY``; that connection is then closed at
release instead of being reused). Time spent queued for a worker counts against the pool's
``acquire_timeout``, so the whole wait for a connection stays within it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from typing import Any

from . import open as _open_sync
from ._dbapi import BufferedResult, Params, Row
from ._sharedpool import Cancel, Handoff, InterfaceError, RawConnection
from ._stats import Stats

__all__ = ["Connection", "Cursor", "Pool", "open"]


class Pool:
    """A counted reference to the process-wide pool of one target, for asyncio; see :func:`open`.

    Shares its pool with every ``sharedpool.open`` of the same target in the process (sync
    Python, C, Go). ``aclose()`` releases this reference; also an async context manager.
    """

    def __init__(self, pool: Any) -> None:
        """Takes over ``pool``, a ``sharedpool.Pool`` reference (closed by :meth:`aclose`)."""
        self._pool = pool
        self._handoff = Handoff(max(1, pool.stats()["max_size"]))
        self._futures: dict[int, asyncio.Future[Any]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False

    @property
    def sync(self) -> Any:
        """The underlying ``sharedpool.Pool`` (for ``stats()``, or sync code sharing it)."""
        return self._pool

    def _drain(self) -> None:
        for call, value, exc in self._handoff.drain():
            fut = self._futures.pop(call, None)
            if fut is None or fut.done():
                continue
            if exc is None:
                fut.set_result(value)
            else:
                fut.set_exception(exc)

    def _submit(self, submit: Callable[[], int]) -> asyncio.Future[Any]:
        """Queues a call (``submit`` returns its id) and the future its outcome completes."""
        if self._closing:
            raise InterfaceError("the pool is closed")
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._loop is not None and not self._loop.is_closed():
                raise RuntimeError("this sharedpool.aio.Pool is in use by another event loop")
            self._loop = loop
            loop.add_reader(self._handoff.fileno(), self._drain)
        fut = loop.create_future()
        self._futures[submit()] = fut
        return fut

    async def _call(self, submit: Callable[[Cancel | None], int], cancellable: bool = True) -> Any:
        """Awaits a call; ``submit(token)`` queues it with a cancellation token (None unless
        ``cancellable``) that a cancelled await triggers, ending its wait or statement."""
        token = Cancel() if cancellable else None
        fut = self._submit(lambda: submit(token))
        try:
            return await fut
        except asyncio.CancelledError:
            if token is not None:
                token.trigger()
            raise

    async def query(self, sql: str, params: Params = None) -> list[Row]:
        """Runs one statement on a pooled connection; its rows as a list of tuples."""
        return await self._call(lambda t: self._handoff.pool_query(self._pool, sql, params, True, t))

    async def execute(self, sql: str, params: Params = None) -> int:
        """Runs one statement on a pooled connection; the number of affected rows."""
        return await self._call(lambda t: self._handoff.pool_query(self._pool, sql, params, False, t))

    def connection(
        self, timeout: float | None = None, *, autocommit: bool = False, label: str | None = None
    ) -> _ConnectionContext:
        """``async with pool.connection() as conn``: a connection checked out for the block
        (waiting at most ``timeout`` seconds, None: the pool's ``acquire_timeout``) and returned
        at its end, in the background (a worker returns it; the task goes on at once), where a
        transaction left open is rolled back. ``await pool.connection()`` gives the connection
        itself, to ``await conn.close()``."""
        return _ConnectionContext(self, timeout, autocommit, label)

    def stats(self) -> Stats:
        """The pool's figures, as ``sharedpool.Pool.stats()`` (no I/O)."""
        stats: Stats = self._pool.stats()
        return stats

    @property
    def closed(self) -> bool:
        return self._closing

    async def aclose(self) -> None:
        """Waits for the calls in flight, then releases this reference (the pool closes with its
        last one). Idempotent."""
        if self._closing:
            return
        self._closing = True
        self._handoff.close()
        pending = [f for f in self._futures.values() if not f.done()]
        if pending:
            await asyncio.wait(pending)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._handoff.fileno())
        loop = asyncio.get_running_loop()
        await asyncio.shield(loop.run_in_executor(None, self._pool.close))

    async def __aenter__(self) -> Pool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def open(dsn: str, **options: Any) -> Pool:
    """Opens (or joins) the shared pool of ``dsn`` with ``options`` as ``sharedpool.open``
    (which may connect, so it runs on a worker thread)."""
    loop = asyncio.get_running_loop()
    pool = await loop.run_in_executor(None, functools.partial(_open_sync, dsn, **options))
    return Pool(pool)


class _ConnectionContext:
    """What ``Pool.connection()`` returns: an async context manager, or an awaitable."""

    def __init__(self, pool: Pool, timeout: float | None, autocommit: bool, label: str | None):
        self._args = (pool, timeout, autocommit, label)
        self._conn: Connection | None = None

    async def _open(self) -> Connection:
        pool, timeout, autocommit, label = self._args
        raw = await pool._call(lambda t: pool._handoff.acquire(pool._pool, timeout, label, t))
        return Connection(pool, raw, autocommit)

    def __await__(self) -> Any:
        return self._open().__await__()

    async def __aenter__(self) -> Connection:
        self._conn = await self._open()
        return self._conn

    async def __aexit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            conn._release()


class Connection:
    """A connection checked out of the pool for asyncio, with PEP 249's transaction rules:
    autocommit is off unless asked for, the first statement opens a transaction (no ``BEGIN``
    round trip), ``commit()`` / ``rollback()`` end it, and one left open is rolled back when the
    connection returns to the pool. Use from one task at a time."""

    def __init__(self, pool: Pool, raw: RawConnection, autocommit: bool) -> None:
        self._pool = pool
        self._raw = raw
        self._autocommit = autocommit
        self._in_transaction = False
        # Kept here, not asked of ``raw``: a worker may hold ``raw`` for a statement (one a
        # cancelled task left running until its kill lands), and the loop must not wait for it.
        self._closed = False
        if not autocommit:
            raw.set_autocommit(False)  # no I/O: applied with the next statement

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def autocommit(self) -> bool:
        return self._autocommit

    async def _query(
        self, sql: str, params: Params, cancellable: bool = True
    ) -> tuple[Any, Any, int, int | None]:
        if self._closed:
            raise InterfaceError("the connection is closed")
        handoff, raw = self._pool._handoff, self._raw
        return await self._pool._call(lambda t: handoff.conn_query(raw, sql, params, t), cancellable)

    def cursor(self) -> Cursor:
        """A new cursor (results are read whole when a statement runs)."""
        if self._closed:
            raise InterfaceError("the connection is closed")
        return Cursor(self)

    async def execute(self, sql: str, params: Params = None) -> Cursor:
        """A new cursor that has executed ``sql``."""
        cur = self.cursor()
        await cur.execute(sql, params)
        return cur

    async def query(self, sql: str, params: Params = None) -> list[Row]:
        """Runs ``sql``; its rows (empty for a statement without a result set)."""
        cur = await self.execute(sql, params)
        return cur._rows or []

    async def set_autocommit(self, on: bool) -> None:
        """Turns autocommit on (committing an open transaction first) or off."""
        on = bool(on)
        if on and self._in_transaction:
            await self.commit()
        if on != self._autocommit:
            handoff, raw = self._pool._handoff, self._raw
            await self._pool._call(lambda _: handoff.set_autocommit(raw, on), cancellable=False)
        self._autocommit = on

    async def commit(self) -> None:
        """Commits the open transaction, if any."""
        await self._end_transaction("COMMIT")

    async def rollback(self) -> None:
        """Rolls the open transaction back, if any."""
        await self._end_transaction("ROLLBACK")

    async def _end_transaction(self, sql: str) -> None:
        if self._in_transaction:
            self._in_transaction = False
            await self._query(sql, None, cancellable=False)
        elif self._closed:
            raise InterfaceError("the connection is closed")

    async def close(self) -> None:
        """Returns the connection to the pool (an open transaction is rolled back there)."""
        if self._closed:
            return
        released = self._release()
        if released is not None:
            await asyncio.shield(released)

    def _release(self) -> asyncio.Future[Any] | None:
        """Returns the connection on a worker (the future of that, not awaited at the end of
        ``async with``); after ``aclose()`` (no workers left), here."""
        self._closed, self._in_transaction = True, False
        handoff, raw = self._pool._handoff, self._raw
        try:
            return self._pool._submit(lambda: handoff.release(raw))
        except InterfaceError:
            raw.release()
            return None


class Cursor(BufferedResult):
    """An async PEP 249 cursor: ``await cur.execute(...)``, then ``await cur.fetchone()``
    (rows are already read, the fetches only hand them out)."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.connection = conn

    async def execute(self, sql: str, params: Params = None) -> Cursor:
        """Runs ``sql`` (``%s`` placeholders); cancelling the task stops it on the server."""
        self._check()
        conn = self.connection
        if not conn._autocommit:
            conn._in_transaction = True
        self._store(await conn._query(sql, params))
        return self

    async def executemany(self, sql: str, seq_of_params: Sequence[Params]) -> Cursor:
        """Runs ``sql`` once per parameter set; ``rowcount`` is the total of affected rows."""
        total = 0
        for params in seq_of_params:
            await self.execute(sql, params)
            total += max(self._rowcount, 0)
        self._rowcount = total
        return self

    async def fetchone(self) -> Row | None:
        return self._next_row()

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        return self._next_rows(size)

    async def fetchall(self) -> list[Row]:
        return self._rest()

    def __aiter__(self) -> Cursor:
        return self

    async def __anext__(self) -> Row:
        row = self._next_row()
        if row is None:
            raise StopAsyncIteration
        return row

    async def close(self) -> None:
        self._closed = True
        self._rows = None

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
