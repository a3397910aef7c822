"""Threads: one shared pool under load, the GIL released while waiting, Ctrl-C, no deadlock."""

from __future__ import annotations

import _thread
import random
import threading
import time

import pytest

import sharedpool

from conftest import unique_name, with_database

JOIN_TIMEOUT = 120.0  # a thread still alive after this is a deadlock: the test fails


def run_threads(n: int, target, *args) -> list[BaseException]:
    """Runs target(i, *args) in n threads; returns their exceptions; fails on a hang."""
    errors: list[BaseException] = []

    def wrap(i: int) -> None:
        try:
            target(i, *args)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    alive = [t for t in threads if t.is_alive()]
    assert not alive, f"{len(alive)} threads still running after {JOIN_TIMEOUT} s: deadlock?"
    return errors


def test_64_threads_share_one_bounded_pool(dsn) -> None:
    max_size = 4
    # The hammered pool works on database sp_other; the monitor counts its server threads.
    hammered_dsn = with_database(dsn, "sp_other")
    name = unique_name("hammer")
    monitor = sharedpool.open(dsn, pool_name=unique_name("monitor"), max_size=1)
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        # SHOW PROCESSLIST, not information_schema.PROCESSLIST: the latter materializes an
        # on-disk temporary table per query, and MariaDB 10.11 crashed under this load in it.
        while not done.is_set():
            rows = monitor.query("SHOW PROCESSLIST")
            seen.append(sum(1 for r in rows if r[1] == "sp" and r[3] == "sp_other"))
            time.sleep(0.002)

    def hammer(i: int) -> None:
        pool = sharedpool.open(hammered_dsn, pool_name=name, max_size=max_size, acquire_timeout_ms=60000)
        try:
            for j in range(15):
                if j % 3 == 0:
                    with pool.connection() as conn:
                        assert conn.execute("SELECT %s + 1", (i,)).fetchone() == (i + 1,)
                        conn.commit()
                else:
                    assert pool.query("SELECT %s, SLEEP(0.001)", (j,)) == [(j, 0)]
                assert pool.stats()["total"] <= max_size
        finally:
            pool.close()

    watcher = threading.Thread(target=watch, daemon=True)
    keeper = sharedpool.open(hammered_dsn, pool_name=name, max_size=max_size, acquire_timeout_ms=60000)
    try:
        watcher.start()
        errors = run_threads(64, hammer)
        done.set()
        watcher.join(JOIN_TIMEOUT)
        assert not errors, errors[:3]
        stats = keeper.stats()
        assert stats["refs"] == 1
        assert stats["acquires_total"] >= 64 * 15
        assert stats["total"] <= max_size
        assert seen and max(seen) <= max_size, max(seen)
        assert max(seen) >= 1
    finally:
        done.set()
        keeper.close()
        monitor.close()


def test_gil_is_released_while_waiting(open_pool) -> None:
    pool = open_pool(max_size=1)
    other = open_pool(max_size=1)
    held = pool.connection()
    got = threading.Event()
    result: list[object] = []

    def waiter() -> None:
        try:
            with pool.connection(timeout=60) as conn:
                result.append(conn.execute("SELECT 'waited'").fetchone())
        except BaseException as e:
            result.append(e)
        got.set()

    t = threading.Thread(target=waiter, daemon=True)
    t.start()
    # While the waiter blocks in acquire, this thread runs Python code and other queries.
    while pool.stats()["waiting"] == 0 and t.is_alive():
        pass
    for _ in range(20):
        assert other.query("SELECT 1") == [(1,)]
    assert sum(range(100_000)) == 4999950000
    assert not got.is_set(), "the waiter got a connection that is still held"
    assert pool.stats()["waiting"] == 1
    held.close()
    t.join(JOIN_TIMEOUT)
    assert not t.is_alive()
    assert result == [("waited",)]


def test_ctrl_c_interrupts_a_wait(open_pool) -> None:
    pool = open_pool(max_size=1)
    with pool.connection():
        timer = threading.Timer(0.2, _thread.interrupt_main)
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                pool.connection(timeout=60)
        finally:
            timer.cancel()
        assert pool.stats()["waiting"] == 0
    assert pool.query("SELECT 1") == [(1,)]


def test_threaded_stress_has_no_deadlock(dsn) -> None:
    name = unique_name("stress")
    base = sharedpool.open(dsn, pool_name=name, max_size=3, acquire_timeout_ms=30000)

    def work(i: int) -> None:
        rng = random.Random(i)
        for _ in range(40):
            op = rng.randrange(6)
            if op == 0:
                assert base.query("SELECT %s", (i,)) == [(i,)]
            elif op == 1:
                with base.connection() as conn:
                    conn.execute("SELECT 1")
                    conn.rollback()
            elif op == 2:
                with sharedpool.open(dsn, pool_name=name, max_size=3, acquire_timeout_ms=30000) as p:
                    p.query("SELECT 2")
            elif op == 3:
                base.stats()
                sharedpool.metrics_text()
            elif op == 4:
                try:
                    with base.connection(timeout=0.001):
                        pass
                except sharedpool.PoolTimeout:
                    pass
            else:
                conn = base.connection()
                if rng.random() < 0.5:
                    conn.discard()
                else:
                    del conn  # released by the garbage collector

    try:
        errors = run_threads(16, work)
        assert not errors, errors[:3]
        assert base.stats()["active"] == 0
        assert base.stats()["refs"] == 1
    finally:
        base.close()


def test_closing_a_pool_while_other_threads_use_it(dsn) -> None:
    name = unique_name("closing")
    shared = sharedpool.open(dsn, pool_name=name, max_size=2)
    started = threading.Barrier(9)

    def user(i: int) -> None:
        started.wait()
        for _ in range(20):
            try:
                shared.query("SELECT 1")
            except sharedpool.InterfaceError:
                return  # closed under us: a clean error, never a crash

    def closer(i: int) -> None:
        started.wait()
        shared.close()

    t = threading.Thread(target=closer, args=(0,), daemon=True)
    t.start()
    errors = run_threads(8, user)
    t.join(JOIN_TIMEOUT)
    assert not t.is_alive()
    assert not errors, errors[:3]
    assert shared.closed


def test_gil_is_released_during_a_query(open_pool) -> None:
    pool = open_pool(max_size=2)
    other = open_pool(max_size=1)
    lock = f"sp-gil-{unique_name()}"
    with pool.connection(autocommit=True) as holder:
        assert holder.execute("SELECT GET_LOCK(%s, 0)", (lock,)).fetchone() == (1,)
        # The sleeper's query blocks in the server until the holder releases the lock.
        sleeper = threading.Thread(target=pool.query, args=("SELECT GET_LOCK(%s, 60)", (lock,)), daemon=True)
        sleeper.start()
        while pool.stats()["active"] < 2 and sleeper.is_alive():
            pass
        # If the blocked query held the GIL, none of this could run.
        for _ in range(10):
            assert other.query("SELECT 1") == [(1,)]
        assert sleeper.is_alive()
        holder.execute("SELECT RELEASE_LOCK(%s)", (lock,))
    sleeper.join(JOIN_TIMEOUT)
    assert not sleeper.is_alive()


def test_a_connection_shared_by_threads_serializes_calls(open_pool) -> None:
    pool = open_pool(max_size=1)
    with pool.connection(autocommit=True) as conn:

        def use(i: int) -> None:
            for j in range(30):
                assert conn.execute("SELECT %s, %s", (i, j)).fetchone() == (i, j)

        errors = run_threads(8, use)
        assert not errors, errors[:3]


def test_a_cancel_token_stops_a_statement_and_a_wait_from_another_thread(open_pool) -> None:
    pool = open_pool(max_size=1, acquire_timeout=30)
    token = sharedpool.Cancel()
    threading.Timer(0.3, token.trigger).start()
    t0 = time.monotonic()
    with pytest.raises(sharedpool.OperationalError):
        pool.query("SELECT SLEEP(30)", cancel=token)
    assert time.monotonic() - t0 < 5  # not the 30 s of the statement
    # A triggered token ends a wait at once; the pool goes on with a new token.
    conn = pool.acquire()
    try:
        t0 = time.monotonic()
        with pytest.raises(sharedpool.OperationalError):
            pool.acquire(cancel=token)
        assert time.monotonic() - t0 < 5  # not the 30 s acquire_timeout
    finally:
        conn.release()
    assert pool.query("SELECT 5", cancel=sharedpool.Cancel()) == [(5,)]
