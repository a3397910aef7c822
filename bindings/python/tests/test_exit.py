"""A process that ends while threads are inside the library exits with its own exit code.

CPython up to 3.13 ends a daemon thread that re-takes the GIL during finalization with
``pthread_exit``; a forced unwind through Rust frames aborted the process ("FATAL: exception not
rethrown", exit code -6). Each case runs a fresh interpreter many times: a rare abort must show.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import sharedpool

from conftest import unique_name

RUNS = 30
RUN_TIMEOUT_S = 30.0

PRELUDE = """
import os, signal, sys, threading, time
import sharedpool
pool = sharedpool.open(sys.argv[1], max_size=4, pool_name=sys.argv[2])
started = threading.Barrier(9, timeout=20)
def daemon(work):
    def loop():
        started.wait()
        while True:
            work()
    threading.Thread(target=loop, daemon=True).start()
"""

# name -> (script body, expected exit code)
CASES: dict[str, tuple[str, int]] = {
    "pool.query": (
        """
        for _ in range(8):
            daemon(lambda: pool.query("SELECT SLEEP(0.01)"))
        started.wait()
        time.sleep(0.05)
        """,
        0,
    ),
    "cursor.execute+fetchall": (
        """
        def work():
            with pool.connection() as c:
                cur = c.cursor()
                cur.execute("SELECT SLEEP(0.005), %s", (1,))
                cur.fetchall()
                cur.execute("SELECT seq FROM seq_1_to_200")
                cur.fetchmany(50)
        for _ in range(8):
            daemon(work)
        started.wait()
        time.sleep(0.05)
        """,
        0,
    ),
    "waiting in connection()": (
        """
        held = [pool.acquire() for _ in range(4)]
        def work():
            try:
                with pool.connection(timeout=5):
                    pass
            except sharedpool.PoolTimeout:
                pass
        for _ in range(8):
            daemon(work)
        started.wait()
        time.sleep(0.05)
        """,
        0,
    ),
    "sys.exit(3) while threads work": (
        """
        for _ in range(8):
            daemon(lambda: pool.execute("DO SLEEP(0.01)"))
        started.wait()
        time.sleep(0.05)
        sys.exit(3)
        """,
        3,
    ),
    "KeyboardInterrupt ends the main thread": (
        """
        for _ in range(8):
            daemon(lambda: pool.query("SELECT SLEEP(0.01)"))
        started.wait()
        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT)).start()
        time.sleep(10)
        """,
        -signal.SIGINT,
    ),
    "pools and connections left open at exit": (
        """
        for _ in range(8):
            daemon(lambda: pool.query("SELECT SLEEP(0.01)"))
        started.wait()
        second = sharedpool.open(sys.argv[1], pool_name=sys.argv[2] + "-b")
        kept = second.connection()
        kept.cursor().execute("SELECT 1")
        raw = pool.acquire()
        time.sleep(0.05)
        """,
        0,
    ),
}


def run_once(script: str, dsn: str, name: str) -> tuple[int | None, str]:
    try:
        p = subprocess.run(
            [sys.executable, "-c", script, dsn, name],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as e:
        return None, f"no exit within {RUN_TIMEOUT_S} s; stderr: {e.stderr!r}"
    return p.returncode, p.stderr[-2000:]


def server_connections(pool: sharedpool.Pool) -> int:
    return len(pool.query("SHOW PROCESSLIST"))


@pytest.mark.parametrize("case", list(CASES))
def test_exit_with_threads_inside_the_library(case: str, dsn: str, pool: sharedpool.Pool) -> None:
    body, expected = CASES[case]
    script = PRELUDE + textwrap.dedent(body)
    before = server_connections(pool)
    with ThreadPoolExecutor(max_workers=3) as ex:
        outcomes = list(ex.map(lambda i: run_once(script, dsn, unique_name(f"exit{i}")), range(RUNS)))
    bad = [(code, err) for code, err in outcomes if code != expected]
    assert not bad, f"{len(bad)} of {RUNS} runs did not exit with {expected}; first: {bad[0]}"
    # The processes' connections are gone with them (the server may count them as aborted clients).
    deadline = time.monotonic() + 10
    while server_connections(pool) > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server_connections(pool) <= before
