"""Closed-loop ``SELECT 1`` from asyncio: sharedpool.aio against aiomysql's pool, 8 connections each.

    tests/mariadb.sh run target/bench-venv/bin/python benches/python/bench_aio.py [--quick] [--out FILE]

Contenders, at 1, 16 and 64 concurrent tasks on one event loop:
  - sharedpool.aio ``await pool.query("SELECT 1")`` (max_size=8);
  - sharedpool.aio ``async with pool.connection() as c: await c.execute("SELECT 1")`` (PEP 249
    transaction rules: autocommit off, a rollback on return only when a transaction is open);
  - aiomysql ``create_pool(minsize=8, maxsize=8, autocommit=True)``, ``async with
    pool.acquire() as c``, a cursor, ``execute`` and ``fetchone`` (its fast path).
Each repeat opens a fresh pool, warms it, runs every task for a fixed time and closes the pool;
repeats interleave the contenders. Per contender and task count: statements per second (median
over repeats, spread min-max), latency of one statement p50/p99 (medians over repeats) and the
ratio to aiomysql. Every connect has a timeout and every repeat is bounded by ``wait_for``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench_target import target

MAX_SIZE = 8
CONNECT_TIMEOUT = 10

# open(target) -> (one statement, close)
Contender = Callable[
    [dict],
    Awaitable[tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[None]]]],
]


async def sharedpool_query(t: dict):
    import sharedpool.aio

    pool = await sharedpool.aio.open(
        t["dsn"],
        pool_name=f"bench-aio-{time.monotonic_ns()}",
        max_size=MAX_SIZE,
        min_idle=MAX_SIZE,
        acquire_timeout=60,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=60,
    )

    async def one() -> Any:
        return await pool.query("SELECT 1")

    return one, pool.aclose, pool


async def sharedpool_connection(t: dict):
    _, close, pool = await sharedpool_query(t)

    async def one() -> Any:
        async with pool.connection() as c:
            cur = await c.execute("SELECT 1")
            return await cur.fetchone()

    return one, close, pool


async def aiomysql_pool(t: dict):
    import aiomysql

    pool = await aiomysql.create_pool(
        host=t["host"],
        port=t["port"],
        user=t["user"],
        password=t["password"],
        db=t["database"] or None,
        minsize=MAX_SIZE,
        maxsize=MAX_SIZE,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT,
    )

    async def one() -> Any:
        async with pool.acquire() as c, c.cursor() as cur:
            await cur.execute("SELECT 1")
            return await cur.fetchone()

    async def close() -> None:
        pool.close()
        await pool.wait_closed()

    return one, close, None


CONTENDERS = {
    "sharedpool.aio pool.query": sharedpool_query,
    "sharedpool.aio connection()+cursor": sharedpool_connection,
    "aiomysql pool": aiomysql_pool,
}
PEER = "aiomysql pool"


def percentile(xs: list[float], q: float) -> float:
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0


async def measure(open_contender, t: dict, tasks: int, seconds: float) -> dict:
    one, close, _ = await open_contender(t)
    try:
        for _ in range(2 * MAX_SIZE):  # warm: every connection open, caches hot
            await one()
        lat: list[float] = []
        counts = [0] * tasks
        stop = time.monotonic() + seconds

        async def worker(i: int) -> None:
            n = 0
            while True:
                t0 = time.perf_counter()
                await one()
                lat.append(time.perf_counter() - t0)
                n += 1
                if time.monotonic() >= stop:
                    break
            counts[i] = n

        t0 = time.monotonic()
        await asyncio.gather(*(worker(i) for i in range(tasks)))
        elapsed = time.monotonic() - t0
    finally:
        await close()
    lat.sort()
    return {
        "ops_per_sec": sum(counts) / elapsed,
        "p50_us": percentile(lat, 0.50) * 1e6,
        "p99_us": percentile(lat, 0.99) * 1e6,
    }


def summarize(runs: list[dict]) -> dict:
    ops = [r["ops_per_sec"] for r in runs]
    med = statistics.median(ops)
    return {
        "median_ops_per_sec": med,
        "min_ops_per_sec": min(ops),
        "max_ops_per_sec": max(ops),
        "spread_pct": (max(ops) - min(ops)) / med * 100 if med else 0.0,
        "median_p50_us": statistics.median(r["p50_us"] for r in runs),
        "median_p99_us": statistics.median(r["p99_us"] for r in runs),
        "runs": runs,
    }


async def run_all(quick: bool) -> dict:
    t = target("bench_aio")
    load_before = os.getloadavg()[0]
    tasks_list = (1, 16, 64)
    repeats = 2 if quick else 5
    seconds = 0.2 if quick else 0.5
    runs: dict[tuple[str, int], list[dict]] = {}
    for rep in range(repeats):
        for tasks in tasks_list:
            for name, contender in CONTENDERS.items():
                r = await asyncio.wait_for(measure(contender, t, tasks, seconds), 120)
                runs.setdefault((name, tasks), []).append(r)
                print(
                    f"rep {rep + 1}/{repeats} {name:36} tasks={tasks:3} "
                    f"{r['ops_per_sec']:9.0f}/s p99 {r['p99_us']:8.0f} µs",
                    file=sys.stderr,
                )
    results = []
    for (name, tasks), rs in runs.items():
        s = {"impl": name, "tasks": tasks, **summarize(rs)}
        peer = statistics.median(x["ops_per_sec"] for x in runs[(PEER, tasks)])
        s["ratio_vs_aiomysql"] = s["median_ops_per_sec"] / peer if peer else None
        results.append(s)
    return {
        "what": f"closed-loop SELECT 1 from asyncio tasks on one event loop, {MAX_SIZE} connections per pool",
        "quick": quick,
        "repeats": repeats,
        "seconds_per_run": seconds,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average_before_after": [load_before, os.getloadavg()[0]],
        "results": results,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", default=os.environ.get("QUICK") == "1"
    )
    ap.add_argument(
        "--out",
        default=str(Path(__file__).resolve().parents[1] / "results" / "aio.json"),
    )
    args = ap.parse_args()
    data = asyncio.run(run_all(args.quick))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(data, indent=2) + "\n")
    print(
        f"{'contender':36} {'tasks':>5} {'stmts/s':>9} {'×aiomysql':>9} {'p99 µs':>8}"
    )
    for s in data["results"]:
        print(
            f"{s['impl']:36} {s['tasks']:5} {s['median_ops_per_sec']:9.0f} "
            f"{s['ratio_vs_aiomysql']:9.2f} {s['median_p99_us']:8.0f}"
        )


if __name__ == "__main__":
    main()
