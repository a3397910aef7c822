# ruff: noqa: RUF001
"""Reset cost: the server round trips a pool adds to each borrow.

    tests/mariadb.sh run python benches/reset_cost.py --out benches/results/reset_cost.json [--quick]

Four borrowers: one that only reads (``SELECT 1``), one that changes its session
(``SET @sp_bench = 1``), one that reads in a transaction (``BEGIN; SELECT 1; COMMIT``) and one
that takes the PEP 249 path (a DB-API connection with autocommit off: ``cursor.execute("SELECT
1")``, ``fetchall()``, ``commit()``, ``close()``; the C ABI has none). Each borrows N times, one
at a time, from a warm pool of each kind:

  - SQLAlchemy ``QueuePool`` over PyMySQL (``engine.connect()``; default reset: rollback on return);
  - mysql-connector-python ``MySQLConnectionPool`` (default ``pool_reset_session=True``);
  - sharedpool through its C ABI (ctypes over ``target/release/libsharedpool.so``);
  - sharedpool through its Python package (``pool.query``/``pool.execute``), when installed.

The server counts what arrives: the general query log (table) records every statement with its
thread, and ``Com_admin_commands`` counts what the log leaves out (COM_PING and
COM_RESET_CONNECTION). Round trips per borrow = (logged commands + admin commands) / N; the
extra ones are those beyond the borrower's own statements (1, 1, 3, and 2 for the PEP 249 path:
the SELECT and the COMMIT; a driver that sends BEGIN pays it as an extra).
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "python"))
from bench_target import target

ROOT = Path(__file__).resolve().parents[1]
# Borrower kind -> (what it runs, its own round trips).
BORROWERS = {
    "read": ("SELECT 1", 1),
    "set_var": ("SET @sp_bench = 1", 1),
    "txn_read": ("BEGIN; SELECT 1; COMMIT", 3),
    "pep249": ('cursor.execute("SELECT 1"); fetchall(); commit()', 2),
}
STATEMENTS = {
    "read": ["SELECT 1"],
    "set_var": ["SET @sp_bench = 1"],
    "txn_read": ["BEGIN", "SELECT 1", "COMMIT"],
}
# Connect, read and write timeouts of every connection, in seconds (the drivers' defaults wait
# forever): a contender that stalls fails instead of hanging the run.
TIMEOUT_S = 10
PYMYSQL_TIMEOUTS = {"connect_timeout": TIMEOUT_S, "read_timeout": TIMEOUT_S, "write_timeout": TIMEOUT_S}


# A contender: make(t) -> (borrow(kind), close); borrow raises NotImplementedError for a kind it
# has no path for.
Borrow = Callable[[str], None]


def dbapi_select1(conn) -> None:
    """The PEP 249 borrower on an open DB-API connection: one read, then commit."""
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.fetchall()
    cur.close()
    conn.commit()


def sqlalchemy_pymysql(t: dict) -> tuple[Borrow, Callable[[], None]]:
    import sqlalchemy

    url = sqlalchemy.engine.URL.create(
        "mysql+pymysql",
        username=t["user"],
        password=t["password"],
        host=t["host"],
        port=t["port"],
        database=t["database"],
    )
    engine = sqlalchemy.create_engine(url, pool_size=8, max_overflow=0, connect_args=PYMYSQL_TIMEOUTS)

    def borrow(kind: str) -> None:
        if kind == "pep249":
            raw = engine.raw_connection()  # the pool's DB-API connection
            dbapi_select1(raw)
            raw.close()
            return
        with engine.connect() as c:
            for sql in STATEMENTS[kind]:
                r = c.exec_driver_sql(sql)
                if r.returns_rows:
                    r.fetchall()

    return borrow, engine.dispose


def mysql_connector_pool(t: dict) -> tuple[Borrow, Callable[[], None]]:
    from mysql.connector import pooling

    pool = pooling.MySQLConnectionPool(
        pool_name="sp_bench",
        pool_size=8,
        host=t["host"],
        port=t["port"],
        user=t["user"],
        password=t["password"],
        database=t["database"],
        connection_timeout=TIMEOUT_S,  # the socket timeout: connect and every read/write
    )

    def borrow(kind: str) -> None:
        c = pool.get_connection()
        if kind == "pep249":
            dbapi_select1(c)
        else:
            cur = c.cursor()
            for sql in STATEMENTS[kind]:
                cur.execute(sql)
                if cur.with_rows:
                    cur.fetchall()
            cur.close()
        c.close()  # back to the pool, reset_session=True by default

    return borrow, lambda: None


class _CAbi:
    """The few C ABI calls this benchmark needs, over ctypes."""

    def __init__(self, path: Path) -> None:
        lib = ctypes.CDLL(str(path))
        p, s, err = ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)
        sig = {
            "sp_options_new": ([], p),
            "sp_options_set": ([p, s, s, err], ctypes.c_int),
            "sp_options_free": ([p], None),
            "sp_pool_open": ([s, p, err], p),
            "sp_pool_release": ([p], None),
            "sp_pool_acquire": ([p, ctypes.c_int64, err], p),
            "sp_conn_query": ([p, s, p, ctypes.c_size_t, err], p),
            "sp_conn_release": ([p], None),
            "sp_result_free": ([p], None),
            "sp_error_message": ([p], s),
            "sp_error_free": ([p], None),
        }
        for name, (args, res) in sig.items():
            f = getattr(lib, name)
            f.argtypes, f.restype = args, res
        self.lib = lib

    def check(self, ptr: int | None, e: ctypes.c_void_p, what: str) -> int:
        if not ptr:
            msg = self.lib.sp_error_message(e).decode() if e.value else "no error object"
            self.lib.sp_error_free(e)
            raise RuntimeError(f"{what}: {msg}")
        return ptr


def sharedpool_cabi(t: dict) -> tuple[Borrow, Callable[[], None]]:
    path = ROOT / "target" / "release" / "libsharedpool.so"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run make lib")
    c = _CAbi(path)
    lib = c.lib
    e = ctypes.c_void_p()
    opts = lib.sp_options_new()
    for k, v in (("max_size", "8"), ("pool_name", "bench-reset-cost")):
        if lib.sp_options_set(opts, k.encode(), v.encode(), ctypes.byref(e)) != 0:
            c.check(None, e, f"sp_options_set {k}")
    pool = c.check(lib.sp_pool_open(t["dsn"].encode(), opts, ctypes.byref(e)), e, "sp_pool_open")
    lib.sp_options_free(opts)

    def borrow(kind: str) -> None:
        if kind == "pep249":
            raise NotImplementedError("the C ABI has no PEP 249 path")
        conn = c.check(lib.sp_pool_acquire(pool, -1, ctypes.byref(e)), e, "sp_pool_acquire")
        try:
            for sql in STATEMENTS[kind]:
                r = lib.sp_conn_query(conn, sql.encode(), None, 0, ctypes.byref(e))
                lib.sp_result_free(r)
                c.check(r, e, "sp_conn_query")
        finally:
            lib.sp_conn_release(conn)

    return borrow, lambda: lib.sp_pool_release(pool)


def sharedpool_python(t: dict) -> tuple[Borrow, Callable[[], None]]:
    import sharedpool  # type: ignore[import-not-found]

    pool = sharedpool.open(t["dsn"], max_size=8, pool_name="bench-reset-cost-py")

    def borrow(kind: str) -> None:
        if kind == "pep249":
            conn = pool.connection()
            dbapi_select1(conn)
            conn.close()
        elif kind == "read":
            pool.query("SELECT 1")
        elif kind == "set_var":
            pool.execute("SET @sp_bench = 1")
        else:
            with pool.connection() as conn:
                conn.autocommit = True  # the borrower sends its own BEGIN/COMMIT
                for sql in STATEMENTS[kind]:
                    conn.execute(sql)

    return borrow, pool.close


CONTENDERS: dict[str, Callable[[dict], tuple[Borrow, Callable[[], None]]]] = {
    "SQLAlchemy QueuePool over PyMySQL (rollback on return)": sqlalchemy_pymysql,
    "mysql-connector-python pooling (reset_session)": mysql_connector_pool,
    "sharedpool (C ABI)": sharedpool_cabi,
    "sharedpool (Python package)": sharedpool_python,
}


class Server:
    """The measuring connection (PyMySQL, autocommit)."""

    def __init__(self, t: dict) -> None:
        import pymysql

        self.c = pymysql.connect(
            host=t["host"],
            port=t["port"],
            user=t["user"],
            password=t["password"],
            database=t["database"],
            autocommit=True,
            **PYMYSQL_TIMEOUTS,
        )

    def rows(self, sql: str) -> list[tuple]:
        with self.c.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def admin_commands(self) -> int:
        return int(self.rows("SHOW GLOBAL STATUS LIKE 'Com_admin_commands'")[0][1])

    def start(self) -> int:
        self.rows("SET GLOBAL log_output = 'TABLE'")
        self.rows("TRUNCATE mysql.general_log")
        admin = self.admin_commands()
        self.rows("SET GLOBAL general_log = 1")
        return admin

    def stop(self, admin_before: int) -> tuple[collections.Counter, int]:
        self.rows("SET GLOBAL general_log = 0")
        admin = self.admin_commands() - admin_before
        me = self.rows("SELECT CONNECTION_ID()")[0][0]
        logged = collections.Counter()
        for kind, arg in self.rows(
            f"SELECT command_type, argument FROM mysql.general_log WHERE thread_id <> {me}"
        ):
            arg = arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)
            logged[f"{kind}: {arg[:60]}" if kind == "Query" else kind] += 1
        return logged, admin


def measure(server: Server, borrow: Borrow, kind: str, n: int) -> dict:
    for _ in range(3):  # warm: connections open, first-use statements out of the way
        borrow(kind)
    time.sleep(0.05)
    admin_before = server.start()
    for _ in range(n):
        borrow(kind)
    logged, admin = server.stop(admin_before)
    commands = sum(logged.values()) + admin
    return {
        "round_trips_per_borrow": commands / n,
        "extra_per_borrow": commands / n - BORROWERS[kind][1],
        "logged": dict(logged.most_common(8)),
        "admin_commands": admin,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benches" / "results" / "reset_cost.json")
    ap.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1")
    ap.add_argument("--reps", type=int)
    args = ap.parse_args()
    reps = args.reps or (2 if args.quick else 5)
    n = 50 if args.quick else 200
    t = target("reset_cost")
    server = Server(t)
    rows, failed = [], []
    for name, make in CONTENDERS.items():
        try:
            borrow, close = make(t)
        except Exception as e:  # a contender not built or not installed is reported, not fatal
            print(f"reset_cost: {name}: unavailable: {e}", file=sys.stderr)
            failed.append({"contender": name, "error": f"{type(e).__name__}: {e}"})
            continue
        try:
            for kind, (sql, _own) in BORROWERS.items():
                try:
                    borrow(kind)
                except NotImplementedError:
                    continue
                samples = [measure(server, borrow, kind, n) for _ in range(reps)]
                extra = [s["extra_per_borrow"] for s in samples]
                row = {
                    "contender": name,
                    "borrower": kind,
                    "sql": sql,
                    "borrows": n,
                    "reps": reps,
                    "extra_median": statistics.median(extra),
                    "extra_min": min(extra),
                    "extra_max": max(extra),
                    "samples": samples,
                }
                rows.append(row)
                print(
                    f"reset_cost: {name:<58} {kind:<9} extra round trips/borrow {row['extra_median']:.2f}"
                    f"  ({', '.join(f'{k} ×{v}' for k, v in samples[-1]['logged'].items())};"
                    f" admin ×{samples[-1]['admin_commands']})",
                    file=sys.stderr,
                )
        except Exception as e:
            print(f"reset_cost: {name}: failed: {e}", file=sys.stderr)
            failed.append({"contender": name, "error": f"{type(e).__name__}: {e}"})
        finally:
            close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "bench": "reset_cost",
                "quick": args.quick,
                "reps": reps,
                "borrows": n,
                "what": "server round trips per borrow beyond the borrower's own statement "
                "(general log + Com_admin_commands)",
                "rows": rows,
                "failed": failed,
                "unix_time": int(time.time()),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"reset_cost: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
