"""sharedpool from asyncio: the same shared pool, without blocking the event loop::

    import sharedpool.aio

    async def main() -> None:
        async with await sharedpool.aio.open("mysql://app:secret@127.0.0.1/app", max_size=8) as pool:
            rows = await pool.query("SELECT id, name FROM users WHERE id = %s", (42,))
            async with pool.connection() as conn:
                cur = await conn.execute("UPDATE users SET seen = NOW() WHERE id = %s", (42,))
                await conn.commit()

Each call runs on a worker thread and the event loop awaits it (a bounded thread hand-off: the
library's statements block a thread). There are two sets of workers per pool, each at most the
pool's ``max_size`` threads: one checks connections out (``query``, ``execute``,
``connection()``), the other runs statements on connections already held, so a statement on a
held connection never queues behind tasks waiting for that same connection.

Cancelling the awaiting task (``asyncio.timeout``, ``wait_for``, a client that went away) ends
the call: a call still queued for a worker never runs, a wait for a connection ends at once, and
a running statement is stopped on the server (``KILL QUERY``; that connection is then closed at
release instead of being reused). Time spent queued for a worker counts against the pool's
``acquire_timeout``, so the whole wait for a connection stays within it.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

from . import _dbapi
from . import open as _open_sync
from ._dbapi import Description, Params, Row
from ._sharedpool import Cancel, InterfaceError
from ._stats import Stats

__all__ = ["Connection", "Cursor", "Pool", "open"]

T = TypeVar("T")


class _Workers:
    """At most ``limit`` daemon threads running calls for event-loop tasks, started on demand.

    Lighter than ``run_in_executor`` (one asyncio future per call, no ``concurrent.futures``
    chaining), and daemon threads: a statement still running at interpreter exit does not hold
    the exit up (the library parks such a thread, see the native ``shutdown`` module). A call
    whose future was cancelled while it was queued never runs.
    """

    def __init__(self, limit: int, name: str) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._limit = limit
        self._name = name
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._stopped = False

    def submit(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        # Each call takes an idle thread (which will get it or an earlier one from the queue),
        # or starts one, or queues for the next thread to finish.
        with self._lock:
            if self._stopped:
                raise InterfaceError("the pool is closed")
            start = False
            if self._idle > 0:
                self._idle -= 1
            elif self._threads < self._limit:
                self._threads += 1
                start = True
        self._jobs.put((loop, fut, fn))
        if start:
            name = f"{self._name}-{self._threads}"
            threading.Thread(target=self._work, name=name, daemon=True).start()
        return fut

    def stop(self) -> None:
        """Ends every thread once the calls queued before this one ran; later calls raise."""
        with self._lock:
            self._stopped = True
            n = self._threads
        for _ in range(n):
            self._jobs.put(None)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            loop, fut, fn = job
            if fut.cancelled():
                with self._lock:
                    self._idle += 1
                continue
            outcome: tuple[Any, BaseException | None]
            try:
                outcome = (fn(), None)
            except BaseException as e:  # handed to the awaiting task
                outcome = (None, e)
            try:
                loop.call_soon_threadsafe(_resolve, fut, outcome)
            except RuntimeError:
                pass  # the loop is closed: nobody awaits the outcome any more
            del job, loop, fut, fn, outcome  # a connection in them goes back now, not later
            with self._lock:
                self._idle += 1


def _resolve(fut: asyncio.Future[Any], outcome: tuple[Any, BaseException | None]) -> None:
    if not fut.cancelled():
        if outcome[1] is None:
            fut.set_result(outcome[0])
        else:
            fut.set_exception(outcome[1])


async def _await_thread(workers: _Workers, fn: Callable[[], T], token: Cancel | None) -> T:
    """Runs ``fn`` on a worker and awaits it; a cancelled await triggers ``token``."""
    fut = workers.submit(fn)
    try:
        return await fut
    except asyncio.CancelledError:
        if token is not None:
            token.trigger()
        raise


async def _finish(workers: _Workers, fn: Callable[[], None]) -> None:
    """Runs a clean-up ``fn`` (a release, a rollback) to its end even if the task is cancelled
    meanwhile: the thread goes on, and the cancellation is raised after it."""
    await asyncio.shield(workers.submit(fn))


class Pool:
    """A counted reference to the process-wide pool of one target, for asyncio; see :func:`open`.

    Shares its pool with every ``sharedpool.open`` of the same target in the process (sync
    Python, C, Go). ``aclose()`` releases this reference; also an async context manager.
    """

    def __init__(self, pool: Any) -> None:
        """Takes over ``pool``, a ``sharedpool.Pool`` reference (closed by :meth:`aclose`)."""
        self._pool = pool
        workers = max(1, pool.stats()["max_size"])
        self._acquirers = _Workers(workers, "sharedpool-aio-acquire")
        self._runners = _Workers(workers, "sharedpool-aio-conn")

    @property
    def sync(self) -> Any:
        """The underlying ``sharedpool.Pool`` (for ``stats()``, or sync code sharing it)."""
        return self._pool

    async def _checkout_call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args, cancel=…, waited=…)`` on an acquiring worker."""
        if self._pool.closed:
            raise InterfaceError("the pool is closed")
        token = Cancel()
        queued = time.monotonic()

        def job() -> T:
            return fn(*args, cancel=token, waited=time.monotonic() - queued)

        return await _await_thread(self._acquirers, job, token)

    async def query(self, sql: str, params: Params = None) -> list[Row]:
        """Runs one statement on a pooled connection; its rows as a list of tuples."""
        return await self._checkout_call(self._pool.query, sql, params)

    async def execute(self, sql: str, params: Params = None) -> int:
        """Runs one statement on a pooled connection; the number of affected rows."""
        return await self._checkout_call(self._pool.execute, sql, params)

    def connection(
        self, timeout: float | None = None, *, autocommit: bool = False, label: str | None = None
    ) -> _ConnectionContext:
        """``async with pool.connection() as conn``: a connection checked out for the block
        (waiting at most ``timeout`` seconds, None: the pool's ``acquire_timeout``) and returned
        at its end, in the background (a worker thread returns it; the task goes on at once);
        a transaction left open is rolled back. ``await pool.connection()`` gives the
        connection itself, to ``await conn.close()``."""
        return _ConnectionContext(self, timeout, autocommit, label)

    def stats(self) -> Stats:
        """The pool's figures, as ``sharedpool.Pool.stats()`` (no I/O)."""
        stats: Stats = self._pool.stats()
        return stats

    @property
    def closed(self) -> bool:
        return bool(self._pool.closed)

    async def aclose(self) -> None:
        """Releases this reference (the pool closes with its last one) and the workers once
        their calls end. Idempotent."""
        if self._pool.closed:
            return
        await _finish(self._acquirers, self._pool.close)
        self._acquirers.stop()
        self._runners.stop()

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
        raw = await pool._checkout_call(pool._pool.acquire, timeout, label)
        return Connection(pool, _dbapi.Connection(raw, autocommit=autocommit))

    def __await__(self) -> Any:
        return self._open().__await__()

    async def __aenter__(self) -> Connection:
        self._conn = await self._open()
        return self._conn

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn._exit(exc_type is not None)


class Connection:
    """A connection checked out of the pool for asyncio, with PEP 249's transaction rules:
    autocommit is off unless asked for, the first statement opens a transaction (no ``BEGIN``
    round trip), ``commit()`` / ``rollback()`` end it, and one left open is rolled back when the
    connection returns to the pool. Use from one task at a time."""

    def __init__(self, pool: Pool, conn: _dbapi.Connection) -> None:
        self._pool = pool
        self._conn = conn

    @property
    def closed(self) -> bool:
        return self._conn.closed

    @property
    def autocommit(self) -> bool:
        return self._conn.autocommit

    async def _run(self, fn: Callable[[], T], token: Cancel | None = None) -> T:
        return await _await_thread(self._pool._runners, fn, token)

    def cursor(self) -> Cursor:
        """A new cursor (results are read whole when a statement runs)."""
        if self._conn.closed:
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
        return cur._cur._rows or []

    async def set_autocommit(self, on: bool) -> None:
        """Turns autocommit on (committing an open transaction) or off."""
        await self._run(functools.partial(setattr, self._conn, "autocommit", on))

    async def commit(self) -> None:
        """Commits the open transaction, if any."""
        await _finish(self._pool._runners, self._conn.commit)

    async def rollback(self) -> None:
        """Rolls the open transaction back, if any."""
        await _finish(self._pool._runners, self._conn.rollback)

    async def close(self) -> None:
        """Returns the connection to the pool (an open transaction is rolled back there)."""
        await _finish(self._pool._runners, self._conn.close)

    def _exit(self, failed: bool) -> None:
        """The end of ``async with``: on a worker and without waiting for it (the task goes on at
        once), rolls back after an exception and returns the connection to the pool."""
        exc_type = Exception if failed else None
        self._pool._runners.submit(functools.partial(self._conn.__exit__, exc_type, None, None))


class Cursor:
    """An async PEP 249 cursor: ``await cur.execute(...)``, then ``await cur.fetchone()``
    (rows are already read, the fetches only hand them out)."""

    def __init__(self, conn: Connection) -> None:
        self.connection = conn
        self._cur = _dbapi.Cursor(conn._conn)

    @property
    def description(self) -> list[Description] | None:
        return self._cur.description

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cur.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cur.arraysize

    @arraysize.setter
    def arraysize(self, n: int) -> None:
        self._cur.arraysize = n

    async def execute(self, sql: str, params: Params = None) -> Cursor:
        """Runs ``sql`` (``%s`` placeholders); cancelling the task stops it on the server."""
        token = Cancel()
        await self.connection._run(functools.partial(self._cur._execute, sql, params, token), token)
        return self

    async def executemany(self, sql: str, seq_of_params: Sequence[Params]) -> Cursor:
        """Runs ``sql`` once per parameter set; ``rowcount`` is the total of affected rows."""
        total = 0
        for params in seq_of_params:
            await self.execute(sql, params)
            total += max(self._cur.rowcount, 0)
        self._cur._rowcount = total
        return self

    async def fetchone(self) -> Row | None:
        return self._cur.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        return self._cur.fetchmany(size)

    async def fetchall(self) -> list[Row]:
        return self._cur.fetchall()

    def __aiter__(self) -> Cursor:
        return self

    async def __anext__(self) -> Row:
        row = self._cur.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def close(self) -> None:
        self._cur.close()

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cur.close()
