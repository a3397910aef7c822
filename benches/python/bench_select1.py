"""Closed-loop ``SELECT 1`` through sharedpool and its Python peers, at 1 to 256 client threads.

    tests/mariadb.sh run target/pyvenv/bin/python benches/python/bench_select1.py   # QUICK=1: a short run

Contenders, at 1, 4, 16, 64 and 256 threads (QUICK: 1 and 16), pools capped at 8 connections:
  - MySQLdb (mysqlclient), one dedicated connection per thread: the floor, no pool at all;
  - sharedpool ``pool.query("SELECT 1")`` (max_size=8);
  - DBUtils ``PooledDB`` over MySQLdb (maxconnections=8, blocking);
  - SQLAlchemy ``QueuePool`` over MySQLdb and over PyMySQL (pool_size=8, max_overflow=0,
    timeout=60 s; defaults otherwise: rollback on return).
Each repeat opens a fresh pool, runs every thread in a closed loop for a fixed time and closes the
pool; repeats interleave the contenders. Per contender and client count: statements per second
and µs per statement (median over repeats, spread min-max), latency of one statement p50/p99 (the
median over repeats of each repeat's percentile), ratios to the floor and to SQLAlchemy over
MySQLdb, and the server's own counts of each repeat (largest over repeats): ``Connections`` delta,
``Max_used_connections`` after ``FLUSH STATUS`` (the benchmark's own monitor connection
excluded) and ``Threads_created`` delta. The peers are installed from PyPI into the running
interpreter when missing. Results: benches/results/python.json.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_target
from bench_target import target

QUICK = os.environ.get("QUICK") == "1"
REPEATS = 3 if QUICK else 5
CLIENTS = (1, 16) if QUICK else (1, 4, 16, 64, 256)


def duration(clients: int) -> float:
    """Seconds per timed window: shorter at high client counts, where each repeat also pays for
    starting the threads (and, for the floor, opening a connection per thread)."""
    if QUICK:
        return 0.2
    return 0.5 if clients <= 16 else 0.3


MAX_SIZE = 8
DRIVER_ERRORS: tuple[
    type[BaseException], ...
] = ()  # set by main() once the peers are installed
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


# A contender: setup(threads) -> (per-thread factory returning a run-one-statement callable, teardown).
Contender = Callable[
    [int], "tuple[Callable[[], Callable[[], object]], Callable[[], None]]"
]


# Connect, read and write timeouts of every connection, in seconds (the drivers' defaults wait
# forever): a contender that stalls fails instead of hanging the run.
TIMEOUT_S = 10


def mysqldb_connect(t: dict):
    return bench_target.mysqldb_connect(t, TIMEOUT_S, TIMEOUT_S)


def pymysql_connect(t: dict):
    import pymysql

    return pymysql.connect(
        host=t["host"],
        port=t["port"],
        user=t["user"],
        password=t["password"],
        database=t["database"],
        connect_timeout=TIMEOUT_S,
        read_timeout=TIMEOUT_S,
        write_timeout=TIMEOUT_S,
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


def sharedpool_connection(t: dict) -> Contender:
    """The PEP 249 path: ``with pool.connection() as c: c.cursor().execute("SELECT 1")``."""
    import sharedpool

    def setup(threads: int):
        pool = sharedpool.open(
            t["dsn"], pool_name="bench-select1-pep249", max_size=MAX_SIZE
        )

        def one():
            with pool.connection() as c:
                cur = c.cursor()
                cur.execute("SELECT 1")
                return cur.fetchall()

        return (lambda: one), pool.close

    return setup


def select1_checked_out(checkout: Callable[[], Any]) -> Any:
    """One statement the way a pool user writes it: check out, SELECT 1, fetch, give back."""
    conn = checkout()
    cur = conn.cursor()
    cur.execute("SELECT 1")
    rows = cur.fetchall()
    cur.close()
    conn.close()
    return rows


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

        return (lambda: lambda: select1_checked_out(pool.connection)), pool.close

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

            return (lambda: lambda: select1_checked_out(pool.connect)), pool.dispose

        return setup

    return contender


CONTENDERS: dict[str, Callable[[dict], Contender]] = {
    "MySQLdb, dedicated connection per thread (floor)": floor,
    "sharedpool pool.query": sharedpool_query,
    "sharedpool connection()+cursor": sharedpool_connection,
    "DBUtils PooledDB over MySQLdb": dbutils_pooled,
    "SQLAlchemy QueuePool over MySQLdb": sqlalchemy_queuepool(mysqldb_connect),
    "SQLAlchemy QueuePool over PyMySQL": sqlalchemy_queuepool(pymysql_connect),
}


def selected() -> dict[str, Callable[[dict], Contender]]:
    """``CONTENDERS``, or those whose names contain one of the comma-separated words of
    ``ONLY`` (the floor and SQLAlchemy over MySQLdb always run: the ratios need them)."""
    only = [w for w in os.environ.get("ONLY", "").split(",") if w]
    return {
        name: make
        for name, make in CONTENDERS.items()
        if not only or name in (FLOOR, SQLA) or any(w in name for w in only)
    }


def status(monitor, *names: str) -> dict[str, int]:
    """The server's global status counters ``names``."""
    cur = monitor.cursor()
    marks = ", ".join(["%s"] * len(names))
    cur.execute(f"SHOW GLOBAL STATUS WHERE Variable_name IN ({marks})", names)
    found = {k: int(v) for k, v in cur.fetchall()}
    cur.close()
    return {n: found[n] for n in names}


def settle(monitor) -> None:
    """Waits (up to 5 s) until the previous repeat's connections are gone, so that
    ``FLUSH STATUS`` resets ``Max_used_connections`` to the monitor alone."""
    deadline = time.monotonic() + 5
    while status(monitor, "Threads_connected")["Threads_connected"] > 1:
        if time.monotonic() > deadline:
            return
        time.sleep(0.01)


def percentile(sorted_xs: list[float], q: float) -> float:
    if not sorted_xs:
        return float("nan")
    return sorted_xs[min(len(sorted_xs) - 1, int(q * len(sorted_xs)))]


def measure(setup, clients: int, monitor) -> dict:
    """One repeat: a fresh pool, ``clients`` threads in a closed loop for the timed window, the
    pool closed; then the server's counters for the whole repeat."""
    settle(monitor)
    cur = monitor.cursor()
    cur.execute("FLUSH STATUS")
    cur.close()
    before = status(monitor, "Connections", "Threads_created")
    per_thread, teardown = setup(clients)
    counts = [0] * clients
    errors = [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]
    stop = threading.Event()
    ready = threading.Barrier(clients + 1)
    clock = time.perf_counter

    def worker(i: int) -> None:
        one = per_thread()
        one()  # warm up: connect outside the timed window
        ready.wait()
        lat = latencies[i]
        n = e = 0
        while not stop.is_set():
            t0 = clock()
            try:
                one()
            except DRIVER_ERRORS:  # counted and reported; the loop goes on
                e += 1
                continue
            lat.append(clock() - t0)
            n += 1
        counts[i], errors[i] = n, e

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for w in workers:
        w.start()
    ready.wait()
    start = clock()
    time.sleep(duration(clients))
    stop.set()
    for w in workers:
        w.join()
    elapsed = clock() - start
    teardown()
    after = status(monitor, "Connections", "Threads_created", "Max_used_connections")
    all_lat = sorted(x for xs in latencies for x in xs)
    statements = max(sum(counts), 1)
    return {
        "us_per_statement": elapsed / statements * 1e6,
        "ops_per_s": sum(counts) / elapsed,
        "p50_us": percentile(all_lat, 0.50) * 1e6,
        "p99_us": percentile(all_lat, 0.99) * 1e6,
        "errors": sum(errors),
        "connections": after["Connections"] - before["Connections"],
        "max_used_connections": after["Max_used_connections"] - 1,  # less the monitor
        "threads_created": after["Threads_created"] - before["Threads_created"],
    }


def driver_errors() -> tuple[type[BaseException], ...]:
    """What a statement of a contender may raise: the drivers' and pools' errors."""
    import MySQLdb
    import pymysql
    import sqlalchemy.exc

    return (
        MySQLdb.Error,
        pymysql.Error,
        sqlalchemy.exc.SQLAlchemyError,
        sharedpool_error(),
    )


def sharedpool_error() -> type[BaseException]:
    import sharedpool

    return sharedpool.Error


FLOOR = "MySQLdb, dedicated connection per thread (floor)"
SQLA = "SQLAlchemy QueuePool over MySQLdb"
SHAREDPOOL = "sharedpool pool.query"
PEP249 = "sharedpool connection()+cursor"


def summarize(runs: list[dict]) -> dict:
    us = [r["us_per_statement"] for r in runs]
    ops = [r["ops_per_s"] for r in runs]
    return {
        "median_us": statistics.median(us),
        "min_us": min(us),
        "max_us": max(us),
        "samples_us": us,
        "median_ops_per_s": statistics.median(ops),
        "min_ops_per_s": min(ops),
        "max_ops_per_s": max(ops),
        "p50_us": statistics.median(r["p50_us"] for r in runs),
        "p99_us": statistics.median(r["p99_us"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "server_connections": max(r["connections"] for r in runs),
        "max_used_connections": max(r["max_used_connections"] for r in runs),
        "threads_created": max(r["threads_created"] for r in runs),
        "runs": runs,
    }


def main() -> None:
    ensure_peers()
    global DRIVER_ERRORS
    DRIVER_ERRORS = driver_errors()
    t = target("bench_select1")
    results: dict[str, dict[str, dict]] = {}
    monitor = mysqldb_connect(t)
    load_before = os.getloadavg()
    started = time.monotonic()
    for clients in CLIENTS:
        setups = {name: make(t) for name, make in selected().items()}
        runs: dict[str, list[dict]] = {name: [] for name in setups}
        # Repeats interleave the contenders, so a burst of load on a shared machine hits them all.
        for _ in range(REPEATS):
            for name, setup in setups.items():
                runs[name].append(measure(setup, clients, monitor))
        results[str(clients)] = {name: summarize(rs) for name, rs in runs.items()}
        print(
            f"clients={clients}: done ({time.monotonic() - started:.0f} s so far)",
            file=sys.stderr,
        )
    monitor.close()
    load_after = os.getloadavg()
    summary = {}
    print(
        f"\nSELECT 1, closed loop, pools of {MAX_SIZE}; median of {REPEATS} repeats "
        "(min-max); ratio = floor's µs per statement / this one's (above 1: faster)"
    )
    header = (
        f"  {'contender':<50} {'ops/s':>8} {'µs/stmt spread':>15} {'p50':>7} {'p99':>8}"
        f" {'/floor':>6} {'/SQLA':>6} {'conns':>5} {'maxuse':>6} {'thr':>4} {'err':>4}"
    )
    for clients, rows in results.items():
        print(
            f"\n{clients} client thread(s), {duration(int(clients))} s per repeat\n{header}"
        )
        for name, r in rows.items():
            r["ratio_to_floor"] = r["median_us"] / rows[FLOOR]["median_us"]
            r["speedup_vs_sqlalchemy_mysqldb"] = (
                rows[SQLA]["median_us"] / r["median_us"]
            )
            spread = f"{r['min_us']:.0f}-{r['max_us']:.0f}"
            print(
                f"  {name:<50} {r['median_ops_per_s']:8.0f} {spread:>15} {r['p50_us']:7.0f}"
                f" {r['p99_us']:8.0f} {1 / r['ratio_to_floor']:6.2f}"
                f" {r['speedup_vs_sqlalchemy_mysqldb']:6.2f} {r['server_connections']:5d}"
                f" {r['max_used_connections']:6d} {r['threads_created']:4d} {r['errors']:4d}"
            )
        if SHAREDPOOL not in rows:
            continue
        sp = rows[SHAREDPOOL]
        summary[clients] = {
            "ratio_to_floor": sp["ratio_to_floor"],
            "ratio_to_floor_best": sp["min_us"] / rows[FLOOR]["min_us"],
            "speedup_vs_sqlalchemy_mysqldb": sp["speedup_vs_sqlalchemy_mysqldb"],
        }
        if PEP249 in rows:
            summary[clients]["connection_cursor"] = {
                "ratio_to_floor": rows[PEP249]["ratio_to_floor"],
                "speedup_vs_sqlalchemy_mysqldb": rows[PEP249][
                    "speedup_vs_sqlalchemy_mysqldb"
                ],
            }
    # A partial run (ONLY) does not overwrite the full run's results.
    name = "python-only.json" if os.environ.get("ONLY") else "python.json"
    out = Path(__file__).resolve().parents[1] / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    import sharedpool

    out.write_text(
        json.dumps(
            {
                "benchmark": "SELECT 1 closed loop",
                "quick": QUICK,
                "clients": list(CLIENTS),
                "duration_s": {str(c): duration(c) for c in CLIENTS},
                "repeats": REPEATS,
                "max_size": MAX_SIZE,
                "python": platform.python_version(),
                "machine": f"{os.cpu_count()} cpus",
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "load_average_before_after": [load_before[0], load_after[0]],
                "seconds": round(time.monotonic() - started, 1),
                "sharedpool": sharedpool.library_version(),
                "summary": summary,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(
        f"\nload average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after;"
        f" {time.monotonic() - started:.0f} s; wrote {out}"
    )


if __name__ == "__main__":
    main()
