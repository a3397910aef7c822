"""sharedpool.aio against the real MariaDB: the loop never blocks, cancelling a task ends its wait
or its statement, queue time counts against acquire_timeout, held connections never queue behind
waiters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import sharedpool
import sharedpool.aio

from conftest import unique_name


def run(dsn: str, body: Callable[[sharedpool.aio.Pool], Awaitable[Any]], **options: Any) -> Any:
    """Runs ``body(pool)`` on a fresh event loop with a private pool, bounded by 60 s."""

    async def main() -> Any:
        options.setdefault("pool_name", unique_name("aio"))
        options.setdefault("acquire_timeout", 10)
        async with await sharedpool.aio.open(dsn, **options) as pool:
            return await asyncio.wait_for(body(pool), 60)

    return asyncio.run(main())


async def running(pool: sharedpool.aio.Pool, sql_prefix: str) -> int:
    """How many statements starting with ``sql_prefix`` the server is running."""
    rows = await pool.query(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE %s",
        (sql_prefix + "%",),
    )
    return int(rows[0][0])


def test_query_runs_while_the_loop_keeps_ticking(dsn) -> None:
    async def body(pool: sharedpool.aio.Pool) -> tuple[list, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        t = asyncio.create_task(ticker())
        rows = await pool.query("SELECT SLEEP(0.5), %s", (7,))
        t.cancel()
        return rows, ticks

    rows, ticks = run(dsn, body, max_size=2)
    assert rows == [(0, 7)]
    # 0.5 s at 10 ms a tick: a blocked loop would tick once or not at all.
    assert ticks >= 20, ticks


def test_cancelling_the_task_stops_the_statement_on_the_server(dsn) -> None:
    async def body(pool: sharedpool.aio.Pool) -> tuple[float, int]:
        t0 = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(pool.query("SELECT SLEEP(30) /* aio-cancel */"), 0.3)
        elapsed = time.monotonic() - t0
        left = 1
        for _ in range(50):
            left = await running(pool, "SELECT SLEEP(30) /* aio-cancel")
            if left == 0:
                break
            await asyncio.sleep(0.05)
        return elapsed, left

    elapsed, left = run(dsn, body, max_size=2)
    assert elapsed < 5, elapsed
    assert left == 0, "the cancelled statement still runs on the server"


def test_cancelling_the_task_ends_its_wait_for_a_connection(dsn) -> None:
    async def body(pool: sharedpool.aio.Pool) -> tuple[float, dict]:
        async with pool.connection() as held:
            await held.execute("SELECT 1")
            t0 = time.monotonic()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(pool.query("SELECT 1"), 0.3)
            elapsed = time.monotonic() - t0
            for _ in range(50):
                if pool.stats()["waiting"] == 0:
                    break
                await asyncio.sleep(0.02)
            stats = pool.stats()
        return elapsed, stats

    elapsed, stats = run(dsn, body, max_size=1)
    assert elapsed < 2, elapsed  # not the 10 s acquire_timeout
    assert stats["waiting"] == 0
    assert stats["cancelled_total"] >= 1


def test_time_queued_for_a_worker_counts_against_acquire_timeout(dsn) -> None:
    async def body(pool: sharedpool.aio.Pool) -> tuple[float, list]:
        async with pool.connection() as held:
            await held.execute("SELECT 1")
            t0 = time.monotonic()
            # One acquiring worker (max_size=1): the second and third calls queue for it.
            results = await asyncio.gather(
                *(pool.query("SELECT 1") for _ in range(3)), return_exceptions=True
            )
            return time.monotonic() - t0, results

    elapsed, results = run(dsn, body, max_size=1, acquire_timeout=1)
    assert all(isinstance(r, sharedpool.PoolTimeout) for r in results), results
    # Each call's whole wait (queue + pool) is bounded by the 1 s timeout: not 3 x 1 s.
    assert elapsed < 2.5, elapsed


def test_held_connections_never_queue_behind_waiters(dsn) -> None:
    async def body(pool: sharedpool.aio.Pool) -> tuple[float, list]:
        started = asyncio.Event()

        async def holder() -> int:
            async with pool.connection() as conn:
                await conn.execute("SELECT 1")
                await started.wait()
                await asyncio.sleep(0.2)  # the waiters now occupy every acquiring worker
                rows = await conn.query("SELECT 2")
                await conn.commit()
                return int(rows[0][0])

        async def waiter() -> int:
            started.set()
            return int((await pool.query("SELECT 3"))[0][0])

        t0 = time.monotonic()
        holders = [asyncio.create_task(holder()) for _ in range(2)]
        await asyncio.sleep(0.1)
        out = await asyncio.gather(*holders, *(waiter() for _ in range(4)))
        return time.monotonic() - t0, out

    elapsed, out = run(dsn, body, max_size=2, acquire_timeout=5)
    assert out == [2, 2, 3, 3, 3, 3]
    assert elapsed < 3, elapsed  # a hand-off deadlock would last the 5 s timeout


def test_transaction_commits_or_rolls_back(dsn, table) -> None:
    async def body(pool: sharedpool.aio.Pool) -> tuple[int, int, int]:
        with pytest.raises(RuntimeError):
            async with pool.connection() as conn:
                await conn.execute(f"INSERT INTO {table} (name, n) VALUES (%s, %s)", ("a", 1))
                raise RuntimeError("boom")
        after_error = (await pool.query(f"SELECT COUNT(*) FROM {table}"))[0][0]
        async with pool.connection() as conn:
            await conn.execute(f"INSERT INTO {table} (name, n) VALUES (%s, %s)", ("b", 2))
        after_no_commit = (await pool.query(f"SELECT COUNT(*) FROM {table}"))[0][0]
        async with pool.connection() as conn:
            await conn.execute(f"INSERT INTO {table} (name, n) VALUES (%s, %s)", ("c", 3))
            await conn.commit()
        after_commit = (await pool.query(f"SELECT COUNT(*) FROM {table}"))[0][0]
        return after_error, after_no_commit, after_commit

    assert run(dsn, body, max_size=2) == (0, 0, 1)


def test_cursor_reads_like_pep_249(dsn, table) -> None:
    async def body(pool: sharedpool.aio.Pool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        conn = await pool.connection(autocommit=True)
        try:
            async with conn.cursor() as cur:
                await cur.executemany(f"INSERT INTO {table} (name, n) VALUES (%s, %s)", [("x", 1), ("y", 2)])
                out["inserted"] = cur.rowcount
                await cur.execute(f"SELECT name, n FROM {table} ORDER BY n")
                out["columns"] = [d[0] for d in cur.description or []]
                out["first"] = await cur.fetchone()
                out["rest"] = [row async for row in cur]
            out["affected"] = await pool.execute(f"UPDATE {table} SET n = n + 10")
        finally:
            await conn.close()
        out["closed"] = conn.closed
        return out

    out = run(dsn, body, max_size=2)
    assert out == {
        "inserted": 2,
        "columns": ["name", "n"],
        "first": ("x", 1),
        "rest": [("y", 2)],
        "affected": 2,
        "closed": True,
    }


def test_a_cancelled_statement_on_a_held_connection_ends_it(dsn) -> None:
    async def body(pool: sharedpool.aio.Pool) -> tuple[type, list]:
        async with pool.connection() as conn:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(conn.execute("SELECT SLEEP(30)"), 0.3)
            with pytest.raises(sharedpool.Error) as info:
                await conn.execute("SELECT 1")
        # The pool replaced the connection the kill ended.
        return type(info.value), await pool.query("SELECT 4")

    kind, rows = run(dsn, body, max_size=1)
    assert issubclass(kind, sharedpool.OperationalError)
    assert rows == [(4,)]


def test_errors_are_the_pep_249_classes(dsn) -> None:
    async def body(pool: sharedpool.aio.Pool) -> sharedpool.Error:
        with pytest.raises(sharedpool.ProgrammingError) as info:
            await pool.query("SELECT * FROM no_such_table_aio")
        return info.value

    err = run(dsn, body, max_size=1)
    assert err.args[0] == 1146


def test_a_closed_pool_raises_interface_error(dsn) -> None:
    async def main() -> None:
        pool = await sharedpool.aio.open(dsn, pool_name=unique_name("aio"), max_size=1)
        assert await pool.query("SELECT 1") == [(1,)]
        await pool.aclose()
        await pool.aclose()  # idempotent
        assert pool.closed
        with pytest.raises(sharedpool.InterfaceError):
            await pool.query("SELECT 1")

    asyncio.run(main())


def test_every_task_gets_its_own_outcome(dsn) -> None:
    async def body(pool: sharedpool.aio.Pool) -> tuple[list, list, dict]:
        async def by_pool(i: int) -> Any:
            return (await pool.query("SELECT %s, REPEAT('x', %s)", (i, i % 7)))[0]

        async def by_connection(i: int) -> Any:
            async with pool.connection() as conn:
                cur = await conn.execute("SELECT %s", (i,))
                return (await cur.fetchone())[0]

        a = await asyncio.gather(*(by_pool(i) for i in range(300)))
        b = await asyncio.gather(*(by_connection(i) for i in range(300)))
        # Connections go back in the background: soon, not at once.
        for _ in range(100):
            if pool.stats()["active"] == 0:
                break
            await asyncio.sleep(0.01)
        return a, b, pool.stats()

    a, b, stats = run(dsn, body, max_size=4)
    assert a == [(i, "x" * (i % 7)) for i in range(300)]
    assert b == list(range(300))
    assert stats["active"] == 0
    assert stats["total"] <= 4


def test_aclose_waits_for_calls_in_flight(dsn) -> None:
    async def main() -> tuple[list, bool]:
        pool = await sharedpool.aio.open(dsn, pool_name=unique_name("aio"), max_size=2)
        calls = [asyncio.create_task(pool.query("SELECT SLEEP(0.3), %s", (i,))) for i in range(2)]
        await asyncio.sleep(0.05)
        await pool.aclose()
        return [c.result() for c in calls], all(c.done() for c in calls)

    rows, done = asyncio.run(main())
    assert done
    assert rows == [[(0, 0)], [(0, 1)]]


def test_a_connection_held_across_aclose_still_goes_back(dsn) -> None:
    async def main() -> tuple[list, bool]:
        pool = await sharedpool.aio.open(dsn, pool_name=unique_name("aio"), max_size=1)
        sync = pool.sync
        async with pool.connection() as conn:
            rows = await conn.query("SELECT 6")
            await pool.aclose()
        return rows, conn.closed and sync.closed

    rows, closed = asyncio.run(main())
    assert rows == [(6,)]
    assert closed


def test_set_autocommit_commits_each_statement(dsn, table) -> None:
    async def body(pool: sharedpool.aio.Pool) -> tuple[bool, int, int]:
        async with pool.connection() as conn:
            await conn.execute(f"INSERT INTO {table} (name, n) VALUES (%s, %s)", ("a", 1))
            await conn.set_autocommit(True)  # commits the open transaction first
            on = conn.autocommit
            await conn.execute(f"INSERT INTO {table} (name, n) VALUES (%s, %s)", ("b", 2))
            await conn.set_autocommit(False)
            await conn.execute(f"INSERT INTO {table} (name, n) VALUES (%s, %s)", ("c", 3))
        # a and b are committed; c was rolled back at the return.
        count = (await pool.query(f"SELECT COUNT(*) FROM {table}"))[0][0]
        mode = (await pool.query("SELECT @@autocommit"))[0][0]
        return on, count, mode

    on, count, mode = run(dsn, body, max_size=1)
    assert on
    assert count == 2
    assert mode == 1  # the next borrower gets the default mode back
