"""Per-statement cost of ``SELECT 1`` through sharedpool and its Python peers.

    tests/mariadb.sh run target/pyvenv/bin/python benches/python/bench_select1.py   # QUICK=1: a short run

Contenders, at 1 and 16 threads (pools capped at max_size=8):
  - MySQLdb (mysqlclient), one dedicated connection per thread: the floor, no pool at all;
  - sharedpool ``pool.query("SELECT 1")``;
  - DBUtils ``PooledDB`` over MySQLdb;
  - SQLAlchemy ``QueuePool`` over MySQLdb and over PyMySQL (defaults: rollback on return).
Each runs for a fixed time per repeat; the table shows the median cost per statement (µs,
wall time / statements of all threads), the spread over repeats, ratios, and the most client
connections the server had at the end of a timed window (SHOW GLOBAL STATUS Threads_connected). The peers are
installed from PyPI into the running interpreter when missing. Results: benches/results/python.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

QUICK = os.environ.get("QUICK") == "1"
DURATION = 0.15 if QUICK else 0.5  # seconds per repeat
REPEATS = 2 if QUICK else 7
THREADS = (1, 16)
MAX_SIZE = 8
PEERS = {
    "MySQLdb": "mysqlclient",
    "dbutils": "DBUtils",
    "sqlalchemy": "SQLAlchemy",
    "pymysql": "PyMySQL",
}


def ensure_peers() -> None:
    missing = []
    for module, package in PEERS.items():
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        print(f"installing {', '.join(missing)} from PyPI", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *missing])


def target() -> dict:
    dsn = os.environ.get("SHAREDPOOL_TEST_DSN")
    if not dsn:
        sys.exit("SHAREDPOOL_TEST_DSN is not set: run through tests/mariadb.sh run …")
    u = urllib.parse.urlsplit(dsn)
    return {
        "dsn": dsn,
        "host": u.hostname or "127.0.0.1",
        "port": u.port or 3306,
        "user": urllib.parse.unquote(u.username or ""),
        "password": urllib.parse.unquote(u.password or ""),
        "database": u.path.lstrip("/"),
    }


# A contender: setup(threads) -> (per-thread factory returning a run-one-statement callable, teardown).
Contender = Callable[
    [int], "tuple[Callable[[], Callable[[], object]], Callable[[], None]]"
]


def mysqldb_connect(t: dict):
    import MySQLdb

    return MySQLdb.connect(
        host=t["host"],
        port=t["port"],
        user=t["user"],
        password=t["password"],
        database=t["database"],
    )


def pymysql_connect(t: dict):
    import pymysql

    return pymysql.connect(
        host=t["host"],
        port=t["port"],
        user=t["user"],
        password=t["password"],
        database=t["database"],
    )


def floor(t: dict) -> Contender:
    def setup(threads: int):
        conns: list = []
        lock = threading.Lock()

        def per_thread():
            conn = mysqldb_connect(t)
            with lock:
                conns.append(conn)
            cur = conn.cursor()

            def one():
                cur.execute("SELECT 1")
                return cur.fetchall()

            return one

        return per_thread, lambda: [c.close() for c in conns]

    return setup


def sharedpool_query(t: dict) -> Contender:
    import sharedpool

    def setup(threads: int):
        pool = sharedpool.open(t["dsn"], pool_name="bench-select1", max_size=MAX_SIZE)
        query = pool.query
        return (lambda: lambda: query("SELECT 1")), pool.close

    return setup


def dbutils_pooled(t: dict) -> Contender:
    import MySQLdb
    from dbutils.pooled_db import PooledDB

    def setup(threads: int):
        pool = PooledDB(
            MySQLdb,
            maxconnections=MAX_SIZE,
            blocking=True,
            host=t["host"],
            port=t["port"],
            user=t["user"],
            password=t["password"],
            database=t["database"],
        )

        def one():
            conn = pool.connection()
            cur = conn.cursor()
            cur.execute("SELECT 1")
            rows = cur.fetchall()
            cur.close()
            conn.close()
            return rows

        return (lambda: one), pool.close

    return setup


def sqlalchemy_queuepool(
    connect: Callable[[dict], object],
) -> Callable[[dict], Contender]:
    def contender(t: dict) -> Contender:
        from sqlalchemy.pool import QueuePool

        def setup(threads: int):
            pool = QueuePool(
                lambda: connect(t), pool_size=MAX_SIZE, max_overflow=0, timeout=60
            )

            def one():
                conn = pool.connect()
                cur = conn.cursor()
                cur.execute("SELECT 1")
                rows = cur.fetchall()
                cur.close()
                conn.close()
                return rows

            return (lambda: one), pool.dispose

        return setup

    return contender


CONTENDERS: dict[str, Callable[[dict], Contender]] = {
    "MySQLdb, dedicated connection per thread (floor)": floor,
    "sharedpool pool.query": sharedpool_query,
    "DBUtils PooledDB over MySQLdb": dbutils_pooled,
    "SQLAlchemy QueuePool over MySQLdb": sqlalchemy_queuepool(mysqldb_connect),
    "SQLAlchemy QueuePool over PyMySQL": sqlalchemy_queuepool(pymysql_connect),
}


def server_connections(monitor) -> int:
    """Client connections the server has now, less the monitor's own."""
    cur = monitor.cursor()
    cur.execute("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
    (_, value) = cur.fetchone()
    cur.close()
    return int(value) - 1


def measure(setup, threads: int, monitor) -> tuple[float, int]:
    """One repeat: seconds of wall time per statement (all threads together), and the server's
    connection count at the end of the timed window."""
    per_thread, teardown = setup(threads)
    counts = [0] * threads
    stop = threading.Event()
    ready = threading.Barrier(threads + 1)

    def worker(i: int) -> None:
        one = per_thread()
        one()  # warm up: connect outside the timed window
        ready.wait()
        n = 0
        while not stop.is_set():
            one()
            n += 1
        counts[i] = n

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    ready.wait()
    start = time.perf_counter()
    time.sleep(DURATION)
    stop.set()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    connections = server_connections(monitor)
    teardown()
    return elapsed / max(sum(counts), 1), connections


def main() -> None:
    ensure_peers()
    t = target()
    results: dict[str, dict[str, dict]] = {}
    monitor = mysqldb_connect(t)
    load_before = os.getloadavg()
    for threads in THREADS:
        setups = {name: make(t) for name, make in CONTENDERS.items()}
        samples: dict[str, list[float]] = {name: [] for name in setups}
        conns: dict[str, int] = dict.fromkeys(setups, 0)
        # Repeats interleave the contenders, so a burst of load on a shared machine hits them all.
        for _ in range(REPEATS):
            for name, setup in setups.items():
                seconds, connections = measure(setup, threads, monitor)
                samples[name].append(seconds * 1e6)
                conns[name] = max(conns[name], connections)
        for name, xs in samples.items():
            results.setdefault(str(threads), {})[name] = {
                "median_us": statistics.median(xs),
                "min_us": min(xs),
                "max_us": max(xs),
                "samples_us": xs,
                "server_connections": conns[name],
            }
    monitor.close()
    load_after = os.getloadavg()
    floor_name, sqla_name = next(iter(CONTENDERS)), "SQLAlchemy QueuePool over MySQLdb"
    summary = {}
    print(
        f"\nSELECT 1, µs per statement (median of {REPEATS} × {DURATION} s; min–max), pools max_size={MAX_SIZE}"
    )
    for threads, rows in results.items():
        print(f"\n{threads} thread(s)")
        print(
            f"  {'contender':<50} {'median':>8} {'spread':>17} {'÷ floor':>8} {'× SQLA/MySQLdb':>15}"
        )
        for name, r in rows.items():
            vs_floor = r["median_us"] / rows[floor_name]["median_us"]
            vs_sqla = rows[sqla_name]["median_us"] / r["median_us"]
            r["ratio_to_floor"], r["speedup_vs_sqlalchemy_mysqldb"] = vs_floor, vs_sqla
            spread = f"{r['min_us']:.1f}–{r['max_us']:.1f}"
            print(
                f"  {name:<50} {r['median_us']:8.1f} {spread:>17} {vs_floor:8.2f} {vs_sqla:15.2f}"
                f" {r['server_connections']:6d}"
            )
        sp = rows["sharedpool pool.query"]
        summary[threads] = {
            "ratio_to_floor": sp["ratio_to_floor"],
            "ratio_to_floor_best": sp["min_us"] / rows[floor_name]["min_us"],
            "speedup_vs_sqlalchemy_mysqldb": sp["speedup_vs_sqlalchemy_mysqldb"],
        }
        print(
            f"  sharedpool ÷ floor on the best repeats: {summary[threads]['ratio_to_floor_best']:.2f}"
        )
    out = Path(__file__).resolve().parents[1] / "results" / "python.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    import sharedpool

    out.write_text(
        json.dumps(
            {
                "benchmark": "SELECT 1 per-statement cost",
                "quick": QUICK,
                "duration_s": DURATION,
                "repeats": REPEATS,
                "max_size": MAX_SIZE,
                "python": platform.python_version(),
                "machine": f"{os.cpu_count()} cpus",
                "load_average_before_after": [load_before[0], load_after[0]],
                "sharedpool": sharedpool.library_version(),
                "summary": summary,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(
        f"\nload average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after; wrote {out}"
    )


if __name__ == "__main__":
    main()
