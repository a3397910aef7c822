"""Fleets that outgrow the server: many processes, each with its own pool, against one MariaDB.

    tests/mariadb.sh run python benches/fleet.py --out benches/results/fleet.json [--quick]
    python benches/fleet.py --worker CONTENDER --scenario busy|idle ...   (internal: one process)

Two scenarios, three contenders, each fleet started together (every worker process sets up,
says "ready", and starts at the one start time the driver then sends to all of them):

  - busy: the server's ``max_connections`` is set to 60 (restored after); 12 processes x 6
    threads, each process with a pool of at most 10 (the fleet asks for 120), every thread
    looping on ``SELECT SLEEP(0.02)`` for 8 s (QUICK: 3 s). Meanwhile an outside client (a plain
    MySQLdb connect as the application user, ``connect_timeout=2``, then close) tries to get in
    every 200 ms, and the server's ``Threads_connected`` is sampled (peak and final).
  - idle: 20 processes x 4 threads, each thread running one ``SELECT 1`` about once a second
    (jittered: 0.5-1.5 s apart, the first at the start) for 10 s (QUICK: 4 s); the server's
    connections at the end of the run and the peak.

Contenders (one process per worker, so each has its own pool, as a fleet of app servers has):

  - sharedpool (Python): ``sharedpool.open(dsn, max_size=10, adaptive=True,
    acquire_timeout_ms=5000)``, ``pool.query(sql)``; idle: ``max_size=4``, ``min_idle`` default;
  - SQLAlchemy ``QueuePool`` over MySQLdb: ``pool_size=5, max_overflow=5, pool_timeout=5``
    (idle: ``pool_size=4, max_overflow=0``), ``connect_timeout=5, read_timeout=10``;
  - database/sql over go-sql-driver (``benches/go -fleet-worker``): ``SetMaxOpenConns(10)``,
    ``SetMaxIdleConns(5)`` (idle: 4 and 4), DSN ``timeout=10s&readTimeout=10s``.

Per run: statements completed within the window, errors (by kind, with the first message of
each), the p99 of wait+statement of the statements that succeeded, the outside client's refused
and successful connects, and the server's connections (``Threads_connected`` less the driver's
own monitor and outside client). Repeats: 3 (QUICK: 1), contenders interleaved; medians per
contender, with every run kept. Every process and connection has a timeout: a worker that does
not finish is killed and reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "python"))
import bench_target
from bench_target import target

ROOT = Path(__file__).resolve().parents[1]

SCENARIOS: dict[str, dict[str, Any]] = {
    "busy": {
        "processes": 12,
        "threads": 6,
        "duration_s": 8.0,
        "quick_duration_s": 3.0,
        "sql": "SELECT SLEEP(0.02)",
        "max_connections": 60,
        "outside_client_every_s": 0.2,
    },
    "idle": {
        "processes": 20,
        "threads": 4,
        "duration_s": 10.0,
        "quick_duration_s": 4.0,
        "sql": "SELECT 1",
        "max_connections": None,
        "outside_client_every_s": None,
    },
}

# Each contender's pool, per scenario (what the workers open, and what the results say).
POOLS: dict[str, dict[str, dict[str, Any]]] = {
    "sharedpool": {
        "busy": {"max_size": 10, "adaptive": True, "acquire_timeout_ms": 5000},
        "idle": {"max_size": 4, "adaptive": True, "acquire_timeout_ms": 5000},
    },
    "sqlalchemy": {
        "busy": {"pool_size": 5, "max_overflow": 5, "pool_timeout": 5},
        "idle": {"pool_size": 4, "max_overflow": 0, "pool_timeout": 5},
    },
    "go-sql-driver": {
        "busy": {"max_open": 10, "max_idle": 5},
        "idle": {"max_open": 4, "max_idle": 4},
    },
}
LABELS = {
    "sharedpool": "sharedpool (Python)",
    "sqlalchemy": "SQLAlchemy QueuePool + MySQLdb",
    "go-sql-driver": "database/sql + go-sql-driver",
}
# The contender every ratio is against.
BASELINE = "sqlalchemy"
# MySQLdb timeouts of the SQLAlchemy workers and the driver's own connections, seconds.
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 10
# The outside client's connect timeout, seconds.
OUTSIDE_TIMEOUT_S = 2
# How long a fleet may take to get ready (processes started, pools opened), seconds.
READY_TIMEOUT_S = 60
# How long after the window's end a worker may take to report and exit, seconds (a sharedpool
# waiter may wait out its 5 s acquire timeout; a MySQLdb statement its read timeout).
FINISH_GRACE_S = 30
# How long a worker keeps its pool open after the window (benches/go/fleet.go: holdPastEnd), s.
HOLD_PAST_END_S = 0.5
GO_WORKER = ROOT / "target" / "bench" / "gobench"


def percentile(sorted_xs: list[float], q: float) -> float | None:
    if not sorted_xs:
        return None
    return sorted_xs[min(len(sorted_xs) - 1, int(q * len(sorted_xs)))]


# ── the worker: one process of the fleet ─────────────────────────────────────────────────────


def error_kind(e: BaseException) -> str:
    """A short, stable name for an error: its class and, for a server error, its code."""
    code = getattr(e, "errno", None)
    if code is None and getattr(e, "orig", None) is not None:  # SQLAlchemy wraps the driver's
        return error_kind(e.orig)  # type: ignore[attr-defined]
    if code is None and len(getattr(e, "args", ())) == 2 and isinstance(e.args[0], int):
        code = e.args[0]  # MySQLdb: args == (errno, message)
    return f"{type(e).__name__} {code}" if code is not None else type(e).__name__


def worker_statement(contender: str, scenario: str, t: dict[str, Any]):
    """Sets up this process's pool; returns (run one statement, pool facts at the end, close)."""
    sql = SCENARIOS[scenario]["sql"]
    opts = POOLS[contender][scenario]
    if contender == "sharedpool":
        import sharedpool

        pool = sharedpool.open(t["dsn"], pool_name=f"fleet-{os.getpid()}", **opts)

        def facts() -> dict[str, Any]:
            s = pool.stats()
            return {k: s[k] for k in ("total", "connecting", "idle", "capacity_cap", "demand") if k in s}

        return (lambda: pool.query(sql)), facts, pool.close
    if contender == "sqlalchemy":
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import QueuePool

        url = (
            f"mysql+mysqldb://{urllib.parse.quote(t['user'])}:{urllib.parse.quote(t['password'])}"
            f"@{t['host']}:{t['port']}/{t['database']}"
        )
        engine = create_engine(
            url,
            poolclass=QueuePool,
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT_S,
                "read_timeout": READ_TIMEOUT_S,
                "write_timeout": READ_TIMEOUT_S,
            },
            **opts,
        )
        stmt = text(sql)

        def one() -> Any:
            with engine.connect() as c:
                return c.execute(stmt).fetchall()

        def facts() -> dict[str, Any]:
            return {"checked_in": engine.pool.checkedin(), "checked_out": engine.pool.checkedout()}

        return one, facts, engine.dispose
    raise SystemExit(f"fleet worker: no Python contender {contender!r}")


def worker(args: argparse.Namespace) -> None:
    """One process of the fleet: set up, say ready, wait for the start time on stdin, run the
    threads for the window, print one JSON line."""
    t = target("fleet")
    one, facts, close = worker_statement(args.contender, args.scenario, t)
    print("ready", flush=True)
    line = sys.stdin.readline()
    if not line.strip():
        raise SystemExit("fleet worker: no start time on stdin")
    start = float(line)
    end = start + args.duration
    idle = args.scenario == "idle"
    lock = threading.Lock()
    statements = [0] * args.threads
    latencies: list[list[float]] = [[] for _ in range(args.threads)]
    kinds: dict[str, int] = {}
    first: dict[str, str] = {}
    clock = time.time

    def run(i: int) -> None:
        rng = random.Random(os.getpid() * 1000 + i)
        lat = latencies[i]
        n = 0
        delay = start - clock()
        if delay > 0:
            time.sleep(delay)
        while True:
            t0 = clock()
            if t0 >= end:
                break
            try:
                one()
            except Exception as e:  # every driver's and pool's error: counted, the loop goes on
                kind = error_kind(e)
                with lock:
                    kinds[kind] = kinds.get(kind, 0) + 1
                    first.setdefault(kind, str(getattr(e, "orig", None) or e)[:300])
            else:
                t1 = clock()
                if t1 <= end:
                    n += 1
                    lat.append(t1 - t0)
            if idle:
                pause = rng.uniform(0.5, 1.5)
                if clock() + pause >= end:
                    break
                time.sleep(pause)
        statements[i] = n

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(args.threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # The pool stays open a little past the window: the driver reads the server's connections
    # at its end.
    time.sleep(max(0.0, end + HOLD_PAST_END_S - clock()))
    pool = facts()
    all_lat = sorted(x for xs in latencies for x in xs)
    print(
        json.dumps(
            {
                "statements": sum(statements),
                "errors": sum(kinds.values()),
                "errors_by_kind": kinds,
                "first_error": first,
                "latencies_us": [round(x * 1e6) for x in all_lat],
                "pool": pool,
            }
        ),
        flush=True,
    )
    close()


# ── the driver ───────────────────────────────────────────────────────────────────────────────


def mysqldb_connect(t: dict[str, Any], root: bool = False, timeout: float = CONNECT_TIMEOUT_S) -> Any:
    return bench_target.mysqldb_connect(t, timeout, READ_TIMEOUT_S, root=root)


class Monitor:
    """The driver's own connection (root over the socket when there is one): server settings
    and ``Threads_connected``. Shared by threads, one query at a time."""

    def __init__(self, t: dict[str, Any]) -> None:
        self.conn = mysqldb_connect(t, root=True)
        self.lock = threading.Lock()

    def scalar(self, sql: str) -> Any:
        with self.lock:
            cur = self.conn.cursor()
            cur.execute(sql)
            row = cur.fetchone()
            cur.close()
        return row[-1] if row else None

    def threads_connected(self) -> int:
        return int(self.scalar("SHOW GLOBAL STATUS LIKE 'Threads_connected'"))

    def settle(self, limit_s: float = 15.0) -> int:
        """Waits until only the monitor is connected (the last fleet's connections are gone)."""
        deadline = time.monotonic() + limit_s
        n = self.threads_connected()
        while n > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
            n = self.threads_connected()
        return n - 1

    def close(self) -> None:
        self.conn.close()


class Outside:
    """An outside client trying to connect every ``every`` seconds during the window, as the
    operator's ``mysql`` client or a health check would."""

    def __init__(self, t: dict[str, Any], every: float) -> None:
        self.t, self.every = t, every
        self.attempts = self.ok = self.refused = 0
        self.kinds: dict[str, int] = {}
        self.first: dict[str, str] = {}
        self.connecting = 0  # counted out of Threads_connected while it is in
        self.timeline: list[str] = []  # one mark per attempt: "+" got in, "x" refused
        self.thread: threading.Thread | None = None

    def start(self, start: float, end: float) -> None:
        self.thread = threading.Thread(target=self.run, args=(start, end), daemon=True)
        self.thread.start()

    def run(self, start: float, end: float) -> None:
        import MySQLdb

        k = 0
        while True:
            due = start + k * self.every
            now = time.time()
            if due >= end:
                return
            if due > now:
                time.sleep(due - now)
            self.attempts += 1
            self.connecting = 1
            try:
                mysqldb_connect(self.t, timeout=OUTSIDE_TIMEOUT_S).close()
                self.ok += 1
                self.timeline.append("+")
            except MySQLdb.Error as e:
                self.refused += 1
                self.timeline.append("x")
                kind = error_kind(e)
                self.kinds[kind] = self.kinds.get(kind, 0) + 1
                self.first.setdefault(kind, str(e)[:300])
            finally:
                self.connecting = 0
            # Slots missed while a connect took long are skipped, not made up.
            k = max(k + 1, int((time.time() - start) / self.every) + 1)

    def join(self) -> None:
        if self.thread:
            self.thread.join(timeout=OUTSIDE_TIMEOUT_S + 5)

    def result(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "ok": self.ok,
            "refused": self.refused,
            "refused_by_kind": self.kinds,
            "first_error": self.first,
            "timeline": "".join(self.timeline),
        }


class Sampler:
    """``Threads_connected`` every 100 ms during the window, less the driver's own connections."""

    def __init__(self, monitor: Monitor, outside: Outside | None) -> None:
        self.monitor, self.outside = monitor, outside
        self.samples: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def own(self) -> int:
        return 1 + (self.outside.connecting if self.outside else 0)

    def sample(self) -> int:
        n = self.monitor.threads_connected() - self.own()
        self.samples.append(n)
        return n

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.sample()


def worker_command(contender: str, scenario: str, threads: int, duration: float) -> list[str]:
    if contender == "go-sql-driver":
        o = POOLS[contender][scenario]
        return [
            str(GO_WORKER),
            "-fleet-worker",
            "-scenario",
            scenario,
            "-threads",
            str(threads),
            "-duration",
            f"{duration}s",
            "-max-open",
            str(o["max_open"]),
            "-max-idle",
            str(o["max_idle"]),
        ]
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        contender,
        "--scenario",
        scenario,
        "--threads",
        str(threads),
        "--duration",
        str(duration),
    ]


class Proc:
    """One worker process: its stdout read by a thread (the "ready" line, then the JSON line),
    its stderr in a temporary file (a chatty driver cannot fill a pipe and stall)."""

    def __init__(self, cmd: list[str]) -> None:
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
            cwd=ROOT,
        )
        self.ready = threading.Event()
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            line = line.strip()
            if line == "ready":
                self.ready.set()
            elif line:
                self.lines.append(line)
        self.ready.set()  # EOF: it died before (or after) getting ready; seen by its exit code

    def go(self, start: float) -> None:
        assert self.p.stdin is not None
        try:
            self.p.stdin.write(f"{start!r}\n")
            self.p.stdin.close()
        except OSError:
            pass  # it died: reported with its exit code and stderr

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def stderr_tail(self) -> str:
        self.err.seek(0)
        return self.err.read().decode(errors="replace").strip()[-600:]

    def result(self) -> dict[str, Any] | None:
        self.reader.join(timeout=5)
        for line in reversed(self.lines):
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    return None
        return None


def run_fleet(
    t: dict[str, Any], monitor: Monitor, contender: str, scenario: str, duration: float
) -> dict[str, Any]:
    """One run of one contender's fleet; raises RuntimeError when a worker failed."""
    sc = SCENARIOS[scenario]
    leftover = monitor.settle()
    t_setup = time.monotonic()
    procs = [
        Proc(worker_command(contender, scenario, sc["threads"], duration)) for _ in range(sc["processes"])
    ]
    outside = None
    sampler: Sampler | None = None
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        for p in procs:
            p.ready.wait(max(0.0, deadline - time.monotonic()))
        dead = [p for p in procs if p.p.poll() is not None or not p.ready.is_set()]
        if dead:
            raise RuntimeError(
                f"{len(dead)} of {len(procs)} workers not ready within {READY_TIMEOUT_S} s "
                f"(exit {dead[0].p.poll()}): {dead[0].stderr_tail()}"
            )
        setup_s = time.monotonic() - t_setup
        start = time.time() + 0.3
        end = start + duration
        if sc["outside_client_every_s"]:
            outside = Outside(t, sc["outside_client_every_s"])
            outside.start(start, end)
        sampler = Sampler(monitor, outside)
        for p in procs:
            p.go(start)
        time.sleep(max(0.0, start - time.time()))
        sampler.thread.start()
        time.sleep(max(0.0, end - time.time()))
        sampler.stop.set()
        sampler.thread.join(timeout=10)
        final = sampler.sample()
        finish = time.monotonic() + FINISH_GRACE_S
        for p in procs:
            try:
                p.p.wait(timeout=max(0.1, finish - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
        if outside:
            outside.join()
        results = [p.result() for p in procs]
        bad = [(p, r) for p, r in zip(procs, results) if r is None or p.p.returncode != 0]
        if bad:
            p, _ = bad[0]
            raise RuntimeError(
                f"{len(bad)} of {len(procs)} workers failed (exit {p.p.returncode}, "
                f"killed after {FINISH_GRACE_S} s past the window if -9): {p.stderr_tail()}"
            )
    finally:
        for p in procs:
            p.kill()
        if sampler:
            sampler.stop.set()
    done = [r for r in results if r is not None]
    kinds, first = merge_errors(done, "errors_by_kind")
    lat = sorted(x for r in done for x in r.get("latencies_us") or [])
    statements = sum(r["statements"] for r in done)
    run: dict[str, Any] = {
        "statements": statements,
        "statements_per_s": statements / duration,
        "errors": sum(r["errors"] for r in done),
        "errors_by_kind": kinds,
        "first_error": first,
        "p50_ms": (percentile(lat, 0.50) or 0) / 1000 if lat else None,
        "p99_ms": (percentile(lat, 0.99) or 0) / 1000 if lat else None,
        "server_connections_peak": max([*sampler.samples, final]),
        "server_connections_final": final,
        "leftover_connections_before": leftover,
        "setup_s": round(setup_s, 2),
    }
    if outside:
        run["outside_client"] = outside.result()
    pools = [r.get("pool") or {} for r in done]
    run["pools_at_end"] = pools
    if contender == "sharedpool":
        run["pool_total_at_end"] = sum(p.get("total", 0) - p.get("connecting", 0) for p in pools)
        caps = [p["capacity_cap"] for p in pools if "capacity_cap" in p]
        if caps:
            run["capacity_cap_min_max"] = [min(caps), max(caps)]
    return run


def merge_errors(records: list[dict[str, Any]], by_kind: str) -> tuple[dict[str, int], dict[str, str]]:
    """The error counts per kind (``record[by_kind]``) summed over ``records``, and the first
    message of each kind (``record["first_error"]``)."""
    kinds: dict[str, int] = {}
    first: dict[str, str] = {}
    for r in records:
        for k, v in r[by_kind].items():
            kinds[k] = kinds.get(k, 0) + v
        for k, v in r["first_error"].items():
            first.setdefault(k, v)
    return kinds, first


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def m(key: str, sub: str | None = None) -> float | None:
        xs = [
            (r[sub][key] if sub else r[key]) for r in runs if (r.get(sub) if sub else r).get(key) is not None
        ]
        return statistics.median(xs) if xs else None

    out: dict[str, Any] = {
        "statements": m("statements"),
        "statements_min_max": [min(r["statements"] for r in runs), max(r["statements"] for r in runs)],
        "errors": m("errors"),
        "p50_ms": m("p50_ms"),
        "p99_ms": m("p99_ms"),
        "server_connections_peak": m("server_connections_peak"),
        "server_connections_final": m("server_connections_final"),
    }
    kinds, first = merge_errors(runs, "errors_by_kind")
    out["errors_by_kind_total"] = kinds
    out["first_error"] = first
    if all("outside_client" in r for r in runs):
        out["outside_attempts"] = m("attempts", "outside_client")
        out["outside_refused"] = m("refused", "outside_client")
        out["outside_ok"] = m("ok", "outside_client")
        okinds, ofirst = merge_errors([r["outside_client"] for r in runs], "refused_by_kind")
        out["outside_refused_by_kind_total"] = okinds
        out["outside_first_error"] = ofirst
    return out


def build_go() -> str | None:
    """Builds the Go worker (benches/go, into target/bench/gobench); None, or why it could not."""
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if not go:
        return "go is not installed"
    GO_WORKER.parent.mkdir(parents=True, exist_ok=True)
    try:
        r = subprocess.run(
            [go, "build", "-o", str(GO_WORKER), "."],
            cwd=ROOT / "benches" / "go",
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "go build took more than 600 s"
    if r.returncode != 0:
        return f"go build failed: {r.stderr.strip()[-600:]}"
    return None


def set_max_connections(monitor: Monitor, n: int) -> None:
    with monitor.lock:
        cur = monitor.conn.cursor()
        cur.execute(f"SET GLOBAL max_connections = {int(n)}")
        cur.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benches" / "results" / "fleet.json")
    ap.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--only", help="comma-separated contenders (default: all)")
    ap.add_argument("--scenarios", default="busy,idle", help="comma-separated scenarios")
    ap.add_argument("--worker", metavar="CONTENDER", help=argparse.SUPPRESS)
    ap.add_argument("--scenario", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--duration", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.contender = args.worker
        worker(args)
        return

    # A watchdog's TERM unwinds (the finally blocks restore max_connections and kill the workers).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t = target("fleet")
    reps = args.reps or (1 if args.quick else 3)
    contenders = [c for c in POOLS if not args.only or c in args.only.split(",")]
    scenarios = [s for s in args.scenarios.split(",") if s]
    started = time.monotonic()
    load_before = os.getloadavg()
    failed: list[dict[str, str]] = []
    if "go-sql-driver" in contenders:
        t0 = time.monotonic()
        why = build_go()
        print(f"fleet: Go worker built in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        if why:
            print(f"fleet: go-sql-driver unavailable: {why}", file=sys.stderr)
            failed.append({"contender": "go-sql-driver", "error": why})
            contenders.remove("go-sql-driver")
    monitor = Monitor(t)
    out_scenarios: dict[str, Any] = {}
    try:
        for scenario in scenarios:
            sc = SCENARIOS[scenario]
            duration = sc["quick_duration_s"] if args.quick else sc["duration_s"]
            runs: dict[str, list[dict[str, Any]]] = {c: [] for c in contenders}
            old_max = int(monitor.scalar("SELECT @@GLOBAL.max_connections"))
            try:
                if sc["max_connections"]:
                    set_max_connections(monitor, sc["max_connections"])
                for rep in range(reps):
                    # Interleaved, the order rotated between repeats.
                    order = contenders[rep % len(contenders) :] + contenders[: rep % len(contenders)]
                    for c in order:
                        try:
                            r = run_fleet(t, monitor, c, scenario, duration)
                        except RuntimeError as e:
                            print(f"fleet: {scenario} {c}: FAILED: {e}", file=sys.stderr)
                            failed.append({"contender": f"{scenario} {c}", "error": str(e)})
                            continue
                        runs[c].append(r)
                        oc = r.get("outside_client")
                        print(
                            f"fleet: {scenario} rep {rep + 1}/{reps} {c:<14} statements {r['statements']:6d}"
                            f"  errors {r['errors']:6d}  p99 {r['p99_ms'] or 0:7.1f} ms"
                            f"  server conns peak {r['server_connections_peak']:3d}"
                            f" final {r['server_connections_final']:3d}"
                            + (f"  outside refused {oc['refused']}/{oc['attempts']}" if oc else "")
                            + f"  (setup {r['setup_s']:.1f} s; {time.monotonic() - started:.0f} s so far)",
                            file=sys.stderr,
                        )
            finally:
                if sc["max_connections"]:
                    set_max_connections(monitor, old_max)
            results = {
                c: {"label": LABELS[c], "pool": POOLS[c][scenario], **summarize(rs), "runs": rs}
                for c, rs in runs.items()
                if rs
            }
            base = results.get(BASELINE)
            for r in results.values():
                if base and base["statements"]:
                    r["statements_vs_sqlalchemy"] = r["statements"] / base["statements"]
            out_scenarios[scenario] = {
                "processes": sc["processes"],
                "threads_per_process": sc["threads"],
                "duration_s": duration,
                "statement": sc["sql"],
                "max_connections": sc["max_connections"] or old_max,
                "outside_client_every_s": sc["outside_client_every_s"],
                "results": results,
            }
    finally:
        monitor.close()
    load_after = os.getloadavg()
    try:
        import sharedpool

        version = sharedpool.library_version()
    except ImportError:
        version = None
    doc = {
        "bench": "fleet",
        "what": "fleets of processes, a pool each, against one server: a busy fleet past max_connections "
        "and a mostly idle one",
        "quick": args.quick,
        "reps": reps,
        "scenarios": out_scenarios,
        "failed": failed,
        "python": platform.python_version(),
        "machine": f"{os.cpu_count()} cpus",
        "sharedpool": version,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "unix_time": int(time.time()),
        "load_average_before_after": [load_before[0], load_after[0]],
        "seconds": round(time.monotonic() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"fleet: wrote {args.out} in {doc['seconds']} s", file=sys.stderr)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
