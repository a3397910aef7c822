# ruff: noqa: RUF001, RUF002, E501  (the report is prose: dashes, signs, long sentences)
"""Turns benches/results/*.json into benches/RESULTS.md and the PNG plots beside it.

    python benches/report.py        (benches/run.sh calls it; matplotlib comes from its venv)

Every figure is the median over repetitions with the spread (min–max) beside it, and every
comparison is a ratio against a peer or a floor measured in the same run. A contender that
failed is listed at the top; the exit status is 3 when there is one.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path

# benches/ for a full run; benches/run.sh points a QUICK run elsewhere (target/bench/quick).
BENCHES = Path(os.environ.get("BENCH_OUT_DIR") or Path(__file__).resolve().parent).resolve()
RESULTS = BENCHES / "results"
OUT = BENCHES / "RESULTS.md"


def load(name: str) -> dict | None:
    p = RESULTS / name
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError as e:
        return {"rows": [], "failed": [{"error": f"{name} is not valid JSON: {e}"}]}


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    if len(values) < 2:
        return fmt.format(med(values))
    return f"{fmt.format(med(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b and not math.isnan(a) and not math.isnan(b) else "–"


def group(rows: list[dict], *keys: str) -> dict[tuple, list[dict]]:
    g: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        g[tuple(r[k] for k in keys)].append(r)
    return g


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


class Report:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.failures: list[str] = []
        self.plots: list[str] = []
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            self.plt = plt
        except ImportError:
            self.plt = None

    def add(self, text: str) -> None:
        self.parts.append(text)

    def failed(self, bench: str, doc: dict | None) -> None:
        if doc is None:
            self.failures.append(f"{bench}: no results file (the step did not run or crashed)")
            return
        for f in doc.get("failed", []):
            who = f.get("lib") or f.get("mode") or f.get("contender") or ""
            self.failures.append(f"{bench}: {who} failed: {f.get('error', 'see the run log')}")

    def plot(
        self,
        name: str,
        title: str,
        panels: list[tuple[str, dict[str, tuple[list, list]]]],
        xlabel: str,
        ylabel: str,
    ) -> None:
        if self.plt is None or not any(series for _, series in panels):
            return
        plt = self.plt
        fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2), squeeze=False)
        for ax, (sub, series) in zip(axes[0], panels):
            for label, (xs, ys) in series.items():
                ax.plot(xs, ys, marker="o", label=label)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_title(sub)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(BENCHES / name, dpi=110)
        plt.close(fig)
        self.add(f"\n![{title}]({name})\n")


def bars(
    rep: Report, name: str, title: str, groups: list[str], panels: list[tuple[str, dict[str, list[float]]]]
) -> None:
    """One panel per metric; in each, one bar per group and series."""
    if rep.plt is None or not panels:
        return
    plt = rep.plt
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.8), squeeze=False)
    for ax, (sub, series) in zip(axes[0], panels):
        width = 0.8 / max(len(series), 1)
        for i, (label, values) in enumerate(series.items()):
            ax.bar([g + i * width for g in range(len(groups))], values, width=width, label=label)
        ax.set_xticks([g + width * (len(series) - 1) / 2 for g in range(len(groups))], groups)
        ax.set_title(sub, fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(BENCHES / name, dpi=110)
    plt.close(fig)
    rep.add(f"\n![{title}]({name})\n")


def engine(rep: Report) -> None:
    doc = load("engine.json")
    rep.failed("engine", doc)
    rep.add("\n## 1. Engine overhead, no I/O (Rust)\n")
    if not doc or not doc["rows"]:
        rep.add("\nNo results.\n")
        return
    rep.add(
        f"\n{doc['what']}. Each cell: {doc['reps']} runs of {doc['measure_ms']} ms; throughput median "
        "(min–max) in acquire+release per second; wait percentiles are medians over runs, in µs. "
        "Ratio = sharedpool ÷ peer (above 1: sharedpool faster). Source: `core/benches/peers/engine.rs`.\n"
    )
    g = group(doc["rows"], "pool_size", "threads", "lib")
    libs = [lib for lib in ("sharedpool", "r2d2", "deadpool", "bb8") if any(k[2] == lib for k in g)]
    panels = []
    for size in sorted({k[0] for k in g}):
        rows, series = [], {}
        for threads in sorted({k[1] for k in g if k[0] == size}):
            ops = {lib: [r["ops_per_s"] for r in g.get((size, threads, lib), [])] for lib in libs}
            row = [str(threads)]
            for lib in libs:
                row.append(spread(ops[lib]) if ops[lib] else "–")
            for lib in libs[1:]:
                row.append(ratio(med(ops.get("sharedpool", [])), med(ops[lib])))
            for lib in libs:
                rs = g.get((size, threads, lib), [])
                row.append(
                    " / ".join(
                        f"{med([r['latency'][q] for r in rs]):.2f}" for q in ("p50_us", "p99_us", "p999_us")
                    )
                    if rs
                    else "–"
                )
            rows.append(row)
            for lib in libs:
                if ops[lib]:
                    series.setdefault(lib, ([], []))
                    series[lib][0].append(threads)
                    series[lib][1].append(med(ops[lib]))
        header = (
            ["threads"]
            + [f"{lib} ops/s" for lib in libs]
            + [f"÷ {lib}" for lib in libs[1:]]
            + [f"{lib} wait p50/p99/p99.9 µs" for lib in libs]
        )
        rep.add(f"\n### Pool of {size}\n\n" + table(header, rows))
        panels.append((f"pool of {size}", series))
    rep.plot("engine.png", "Engine: acquire+release per second (no I/O)", panels, "threads", "ops/s")


def select1_native(rep: Report, file: str, title: str, floor: str, peers: list[str]) -> None:
    doc = load(file)
    rep.failed(title, doc)
    rep.add(f"\n### {title}\n")
    if not doc or not doc["rows"]:
        rep.add("\nNo results.\n")
        return
    rep.add(
        f"\n{doc['what']}. {doc['reps']} runs of {doc['measure_ms']} ms per cell. Throughput median "
        "(min–max); latency medians over runs; server counts: `Connections` delta, `Max_used_connections` "
        "after `FLUSH STATUS` (without the benchmark's own connection), `Threads_created` delta "
        "(the largest over runs).\n"
    )
    g = group(doc["rows"], "clients", "mode")
    modes = [m for m in [floor, "sharedpool", *peers] if any(k[1] == m for k in g)]
    rows, series = [], {}
    for clients in sorted({k[0] for k in g}):
        for m in modes:
            rs = g.get((clients, m), [])
            if not rs:
                continue
            ops = [r["ops_per_s"] for r in rs]
            sp = med([r["ops_per_s"] for r in g.get((clients, "sharedpool"), [])])
            rows.append(
                [
                    clients,
                    m,
                    spread(ops),
                    f"{med([r['latency']['p50_us'] for r in rs]):.0f}",
                    f"{med([r['latency']['p99_us'] for r in rs]):.0f}",
                    ratio(med(ops), med([r["ops_per_s"] for r in g.get((clients, floor), [])])),
                    ratio(sp, med(ops)) if m != "sharedpool" else "",
                    max(r["server"]["max_used_connections"] for r in rs),
                    max(r["server"]["connections"] for r in rs),
                    max(r["server"]["threads_created"] for r in rs),
                    sum(r["errors"] for r in rs),
                ]
            )
            series.setdefault(m, ([], []))
            series[m][0].append(clients)
            series[m][1].append(med(ops))
    rep.add(
        "\n"
        + table(
            [
                "clients",
                "contender",
                "ops/s",
                "p50 µs",
                "p99 µs",
                "÷ floor",
                "sharedpool ÷ this",
                "server max conns",
                "Connections Δ",
                "Threads_created Δ",
                "errors",
            ],
            rows,
        )
    )
    name = "select1_" + doc.get("language", "x") + ".png"
    rep.plot(
        name,
        f"SELECT 1 ({doc.get('language')}): statements per second",
        [(title, series)],
        "clients",
        "statements/s",
    )


def measured(doc: dict) -> str:
    """When a binding's benchmark ran and how busy the machine was: it can run apart from the rest."""
    when, load_avg = doc.get("time"), doc.get("load_average_before_after")
    if not when:
        return ""
    text = f" Measured {when}"
    if load_avg:
        text += f", load average (1 min) {load_avg[0]:.1f} before, {load_avg[1]:.1f} after (its own threads count)"
    return text + "."


def select1_python(rep: Report) -> None:
    doc = load("python.json")
    rep.add("\n### Python (benches/python/bench_select1.py, the Python binding's benchmark)\n")
    if doc is None:
        rep.failures.append(
            "select1 Python: no benches/results/python.json (benches/python/bench_select1.py did not run)"
        )
        rep.add("\nNo results.\n")
        return
    durations = doc.get("duration_s")
    if isinstance(durations, dict):
        durations = ", ".join(f"{v} s at {k}" for k, v in durations.items())
    else:
        durations = f"{durations} s"
    rep.add(
        f"\nClosed loop, one thread per client, pools capped at {doc.get('max_size')} connections "
        f"(SQLAlchemy `QueuePool` pool_size=8, max_overflow=0). {doc.get('repeats')} repeats per cell "
        f"({durations}), contenders interleaved, a fresh pool each repeat. Statements per second: median "
        "(min–max); p50/p99: latency of one statement, the median over repeats; ratios on median throughput "
        "(above 1: faster than the floor / than SQLAlchemy over MySQLdb); server counts per repeat, the "
        "largest over repeats: `Connections` delta, `Max_used_connections` after `FLUSH STATUS` (without "
        "the benchmark's own connection), `Threads_created` delta." + measured(doc) + "\n"
    )
    rows, series = [], {}
    for clients, contenders in doc.get("results", {}).items():
        floor = next(iter(contenders.values()))

        def ops(r: dict) -> float:
            return r.get("median_ops_per_s", 1e6 / r["median_us"])

        sqla = contenders.get("SQLAlchemy QueuePool over MySQLdb")
        for name, r in contenders.items():
            lo, hi = r.get("min_ops_per_s", 1e6 / r["max_us"]), r.get("max_ops_per_s", 1e6 / r["min_us"])
            rows.append(
                [
                    clients,
                    name,
                    f"{ops(r):,.0f} ({lo:,.0f}–{hi:,.0f})",
                    f"{r['p50_us']:.0f}" if "p50_us" in r else "–",
                    f"{r['p99_us']:.0f}" if "p99_us" in r else "–",
                    ratio(ops(r), ops(floor)),
                    ratio(ops(r), ops(sqla)) if sqla else "–",
                    r.get("max_used_connections", "–"),
                    r.get("server_connections", "–"),
                    r.get("threads_created", "–"),
                    r.get("errors", "–"),
                ]
            )
            series.setdefault(name, ([], []))
            series[name][0].append(int(clients))
            series[name][1].append(ops(r))
    rep.add(
        "\n"
        + table(
            [
                "clients",
                "contender",
                "statements/s",
                "p50 µs",
                "p99 µs",
                "÷ floor (MySQLdb)",
                "÷ SQLAlchemy/MySQLdb",
                "server max conns",
                "Connections Δ",
                "Threads_created Δ",
                "errors",
            ],
            rows,
        )
    )
    rep.plot(
        "select1_python.png",
        "SELECT 1 (Python): statements per second",
        [("Python, pools of 8", series)],
        "client threads",
        "statements/s",
    )


def select1_go(rep: Report) -> None:
    doc = load("go.json")
    rep.add("\n### Go (benches/go, the Go binding's benchmark)\n")
    if doc is None:
        rep.failures.append("select1 Go: no benches/results/go.json (benches/go did not run)")
        rep.add("\nNo results.\n")
        return
    rows, series = [], {}
    for s in doc.get("results", []):
        rows.append(
            [
                s["concurrency"],
                s["impl"],
                f"{s['median_ops_per_sec']:,.0f} ({s['min_ops_per_sec']:,.0f}–{s['max_ops_per_sec']:,.0f})",
                f"{s['median_p50_us']:.0f}" if "median_p50_us" in s else "–",
                f"{s['median_p99_us']:.0f}" if "median_p99_us" in s else "–",
                f"{s['ratio_vs_database_sql']:.2f}×" if s.get("ratio_vs_database_sql") else "",
                s.get("max_max_used_connections", "–"),
                s.get("max_server_connections", "–"),
                s.get("max_threads_created", "–"),
                s.get("errors", "–"),
            ]
        )
        series.setdefault(s["impl"], ([], []))
        series[s["impl"]][0].append(s["concurrency"])
        series[s["impl"]][1].append(s["median_ops_per_sec"])
    rep.add(
        f'\nClosed-loop `QueryRow("SELECT 1")`, one goroutine per client, connection limit '
        f"{doc.get('max_conns', 8)} for all (database/sql: `SetMaxOpenConns(8)`); {doc.get('repeats')} runs "
        f"of {doc.get('duration_ms')} ms per cell, order rotated, a fresh pool each run. Statements per second "
        "median (min–max); p50/p99: latency of one statement, the median over runs; ratio = this ÷ "
        "database/sql over go-sql-driver on median throughput (above 1: faster); server counts per run, the "
        "largest over runs: `Max_used_connections` after `FLUSH STATUS` (without the benchmark's own "
        "connection), `Connections` delta, `Threads_created` delta."
        + measured(doc)
        + "\n\n"
        + table(
            [
                "clients",
                "implementation",
                "statements/s",
                "p50 µs",
                "p99 µs",
                "÷ database/sql",
                "server max conns",
                "Connections Δ",
                "Threads_created Δ",
                "errors",
            ],
            rows,
        )
    )
    rep.plot(
        "select1_go.png",
        "SELECT 1 (Go): statements per second",
        [("Go, connection limit 8", series)],
        "clients (goroutines)",
        "statements/s",
    )


def select1_aio(rep: Report) -> None:
    doc = load("aio.json")
    rep.add("\n### Python asyncio (benches/python/bench_aio.py)\n")
    if doc is None:
        rep.failures.append("select1 asyncio: no results/aio.json (benches/python/bench_aio.py did not run)")
        rep.add("\nNo results.\n")
        return
    rows = [
        [
            s["tasks"],
            s["impl"],
            f"{s['median_ops_per_sec']:,.0f} ({s['min_ops_per_sec']:,.0f}–{s['max_ops_per_sec']:,.0f})",
            f"{s['median_p50_us']:.0f}",
            f"{s['median_p99_us']:.0f}",
            f"{s['ratio_vs_aiomysql']:.2f}×" if s.get("ratio_vs_aiomysql") else "",
        ]
        for s in sorted(doc.get("results", []), key=lambda s: (s["tasks"], s["impl"]))
    ]
    rep.add(
        f"\n{doc['what']}; {doc['repeats']} runs of {doc['seconds_per_run']} s per cell, contenders "
        "interleaved, a fresh pool each run. Statements per second median (min–max); p50/p99: latency of "
        "one statement, the median over runs; ratio = this ÷ aiomysql's pool (autocommit, `acquire` + "
        "cursor + `execute` + `fetchone`) on median throughput. sharedpool.aio hands each call to a worker "
        "thread that never takes the GIL (the library's statements block a thread)."
        + measured(doc)
        + "\n\n"
        + table(["tasks", "implementation", "statements/s", "p50 µs", "p99 µs", "÷ aiomysql"], rows)
    )


def autoscaler(rep: Report) -> None:
    doc = load("autoscaler.json")
    rep.failed("autoscaler", doc)
    rep.add("\n## 3. The autoscaler story\n")
    if not doc or not doc["rows"]:
        rep.add("\nNo results.\n")
        return
    rep.add(
        f"\n{doc['what']}; sharedpool: every component opens the same DSN (max_size={doc['shared_max_size']}), "
        f"so they share one pool. Medians over {doc['reps']} runs (min–max). {doc['note']}.\n"
    )
    for r in doc["rows"]:
        r.setdefault("cpu_hog", False)
    g = group(doc["rows"], "mode", "cpu_hog")
    rows = []
    base = g.get(("connection_each", False), [])
    for (mode, hog), rs in sorted(g.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        mem = [r["server"]["connection_memory_bytes_median"] / 2**20 for r in rs]
        own = g.get(("connection_each", hog), [])
        rows.append(
            [
                mode,
                f"{doc.get('hog_threads', 0)} busy threads" if hog else "none",
                spread([r["server"]["max_used_connections"] for r in rs]),
                spread(mem, "{:.1f}"),
                ratio(
                    med([r["server"]["connection_memory_bytes_median"] for r in base]),
                    med([r["server"]["connection_memory_bytes_median"] for r in rs]),
                ),
                spread([r["server"].get("memory_used_growth_bytes", 0) / 2**20 for r in rs], "{:.1f}"),
                spread([r["statements_per_s"] for r in rs]),
                spread([r["polls_per_s"] for r in rs]),
                spread([r["poll_latency"]["p50_us"] for r in rs], "{:.0f}"),
                spread([r["poll_latency"]["p99_us"] for r in rs], "{:.0f}"),
                ratio(
                    med([r["poll_latency"]["p99_us"] for r in rs]),
                    med([r["poll_latency"]["p99_us"] for r in own]),
                ),
                sum(r["errors"] for r in rs),
            ]
        )
    rep.add(
        "\n"
        + table(
            [
                "mode",
                "CPU hog",
                "server connections (max used)",
                "connection memory MiB",
                "memory: connection-each ÷ this",
                "server Memory_used growth MiB",
                "statements/s (server)",
                "polls/s",
                "poll p50 µs",
                "poll p99 µs",
                "p99 ÷ connection-each's (same load)",
                "errors",
            ],
            rows,
        )
    )
    g = {(m,): rs for (m, hog), rs in g.items() if not hog}
    modes = [m for (m,) in g]
    metrics = [
        ("server connections", lambda r: r["server"]["max_used_connections"]),
        ("connection memory, MiB", lambda r: r["server"]["connection_memory_bytes_median"] / 2**20),
        ("poll p99, ms", lambda r: r["poll_latency"]["p99_us"] / 1000),
    ]
    bars(
        rep,
        "autoscaler.png",
        "Autoscaler: 100 pollers, a connection each vs one shared pool",
        modes,
        [(title, {"median": [med([f(r) for r in g[(m,)]]) for m in modes]}) for title, f in metrics],
    )


def storm(rep: Report) -> None:
    doc = load("storm.json")
    rep.failed("storm", doc)
    rep.add("\n## 4. Connection storm\n")
    if not doc or not doc["rows"]:
        rep.add("\nNo results.\n")
        return
    rep.add(
        f"\n{doc['what']}. Medians over {doc['reps']} runs (min–max); errors are totals over all runs. "
        f"{doc['note']}.\n"
    )
    g = group(doc["rows"], "requests", "mode")
    rows = []
    for (requests, mode), rs in sorted(g.items()):
        kinds: dict[str, int] = defaultdict(int)
        for r in rs:
            for k, v in r["errors_by_kind"].items():
                kinds[k] += v
        rows.append(
            [
                requests,
                mode,
                sum(r["ok"] for r in rs),
                sum(r["errors"] for r in rs),
                sum(r.get("hung", 0) for r in rs),
                "; ".join(f"{v}× {k[:70]}" for k, v in kinds.items()) or "",
                spread([r["first_result_ms"] for r in rs if r["first_result_ms"] is not None], "{:.1f}"),
                spread([r["latency"]["p99_us"] / 1000 for r in rs], "{:.1f}"),
                spread([r["all_done_ms"] for r in rs], "{:.1f}"),
                max(r["server"]["max_used_connections"] for r in rs),
            ]
        )
    rep.add(
        "\n"
        + table(
            [
                "requests",
                "client",
                "ok",
                "errors",
                "of which hung",
                "error kinds",
                "first result ms",
                "p99 ms",
                "all done ms",
                "server max conns",
            ],
            rows,
        )
    )
    # A request that hung: failed only after its timeout, or unfinished when the storm's budget
    # was up (older results have no such count).
    hung: dict[str, int] = defaultdict(int)
    for r in doc["rows"]:
        hung[r["mode"]] += r.get("hung", 0)
    timeout = doc.get("request_timeout_s")
    budget = doc.get("storm_budget_s")
    if timeout is not None:
        rep.add(
            f"\nEvery request is bounded ({timeout} s connect/read/write timeouts, a {budget} s budget per "
            "storm); hung = failed only after its timeout, or unfinished when the budget was up. Over all runs:\n\n"
            + "".join(f"- {mode}: {n} requests hung\n" for mode, n in sorted(hung.items()))
        )
    sizes = sorted({k[0] for k in g})
    clients = sorted({k[1] for k in g})
    metrics = [
        ("errors per storm", lambda r: r["errors"]),
        ("server connections", lambda r: r["server"]["max_used_connections"]),
        ("all done, ms", lambda r: r["all_done_ms"]),
    ]
    bars(
        rep,
        "storm.png",
        "Storm: cold pool vs a connection per request (server max_connections=60)",
        [f"{n} requests" for n in sizes],
        [
            (title, {c: [med([f(r) for r in g.get((n, c), [])]) for n in sizes] for c in clients})
            for title, f in metrics
        ],
    )


def reset_cost(rep: Report) -> None:
    doc = load("reset_cost.json")
    rep.failed("reset cost", doc)
    rep.add("\n## 5. Reset cost per borrow\n")
    if not doc or not doc["rows"]:
        rep.add("\nNo results.\n")
        return
    rep.add(
        f"\n{doc['what']}; {doc['borrows']} borrows a run, {doc['reps']} runs, one borrower at a time on a "
        "warm pool. `read` runs `SELECT 1`; `set_var` runs `SET @sp_bench = 1`; `txn_read` runs "
        '`BEGIN; SELECT 1; COMMIT`; `pep249` runs `cursor.execute("SELECT 1")`, `fetchall()`, `commit()` on a '
        "DB-API connection (extra: beyond that SELECT and COMMIT). Source: `benches/reset_cost.py`.\n"
    )
    rows = []
    for r in doc["rows"]:
        last = r["samples"][-1]
        n = r["borrows"]
        sent = ", ".join(f"{k} ({v / n:.2f})" for k, v in last["logged"].items())
        if last["admin_commands"]:
            sent += f", ping/reset ({last['admin_commands'] / n:.2f})"
        rows.append(
            [
                r["contender"],
                r["borrower"],
                f"{r['extra_median']:.2f} ({r['extra_min']:.2f}–{r['extra_max']:.2f})",
                sent,
            ]
        )
    rep.add(
        "\n"
        + table(
            ["contender", "borrower", "extra round trips per borrow", "what the server got, per borrow"], rows
        )
    )


def fleet(rep: Report, ran: bool) -> None:
    """Section 6 from fleet.json; a missing file is a failure only when this run had the step."""
    doc = load("fleet.json")
    rep.add("\n## 6. Fleets that outgrow the server\n")
    if doc is None:
        if ran:
            rep.failed("fleet", doc)
        rep.add("\nNo results (`benches/fleet.py` did not run).\n")
        return
    rep.failed("fleet", doc)
    scenarios = doc.get("scenarios", {})
    if not scenarios:
        rep.add("\nNo results.\n")
        return
    rep.add(
        "\nMany processes, a pool each, one server; every process of a fleet starts at the same instant. "
        f"Medians over {doc.get('reps')} runs (min–max beside), contenders interleaved; errors "
        "are what the application saw (per run; the kinds summed over all runs, with the first message); p99 is the "
        "wait+statement latency of the statements that succeeded; server connections are `Threads_connected` "
        "less the driver's own. Source: `benches/fleet.py` (Go: `benches/go/fleet.go`)."
        + measured(doc)
        + "\n"
    )

    def n(x: float | None, fmt: str = "{:,.0f}") -> str:
        return "–" if x is None else fmt.format(x)

    def kinds(r: dict, key: str = "errors_by_kind_total", first: str = "first_error") -> str:
        def msg(k: str) -> str:
            m = " ".join(str(r.get(first, {}).get(k, "")).split())[:60].replace("|", "\\|")
            return f" ({m})" if m else ""

        return "; ".join(f"{v:,}× {k}{msg(k)}" for k, v in r.get(key, {}).items())

    busy = scenarios.get("busy")
    if busy:
        rep.add(
            f"\n### Busy: {busy['processes']} processes × {busy['threads_per_process']} threads, "
            f"`{busy['statement']}` for {busy['duration_s']:g} s, server `max_connections={busy['max_connections']}`\n\n"
            "Each process's pool is at most 10 (the fleet asks for twice the server's limit); an outside client "
            f"connects every {busy.get('outside_client_every_s')} s as the application user while the fleet runs.\n\n"
        )
        rows = []
        for r in busy["results"].values():
            runs = r.get("runs", [])
            rows.append(
                [
                    r["label"],
                    spread([x["statements"] for x in runs]),
                    n(r.get("statements_vs_sqlalchemy"), "{:.2f}×"),
                    spread([x["errors"] for x in runs]),
                    kinds(r),
                    f"{n(r.get('outside_refused'))} of {n(r.get('outside_attempts'))}",
                    n(r.get("p99_ms"), "{:.1f}"),
                    f"{n(r.get('server_connections_peak'))} / {n(r.get('server_connections_final'))}",
                ]
            )
        rep.add(
            table(
                [
                    "contender",
                    "statements",
                    "÷ SQLAlchemy",
                    "errors",
                    "error kinds (all runs)",
                    "outside client refused",
                    "p99 ms",
                    "server conns peak / end",
                ],
                rows,
            )
        )
    idle = scenarios.get("idle")
    if idle:
        rep.add(
            f"\n### Mostly idle: {idle['processes']} processes × {idle['threads_per_process']} threads, "
            f"`{idle['statement']}` about once a second each for {idle['duration_s']:g} s\n\n"
            "sharedpool `max_size=4, adaptive=true`; the fixed pools keep 4 connections each "
            "(SQLAlchemy `pool_size=4, max_overflow=0`; database/sql `SetMaxOpenConns(4)`, `SetMaxIdleConns(4)`).\n\n"
        )
        rows = [
            [
                r["label"],
                spread([x["statements"] for x in r.get("runs", [])]),
                spread([x["errors"] for x in r.get("runs", [])]),
                n(r.get("p99_ms"), "{:.1f}"),
                spread([x["server_connections_final"] for x in r.get("runs", [])]),
                spread([x["server_connections_peak"] for x in r.get("runs", [])]),
            ]
            for r in idle["results"].values()
        ]
        rep.add(
            table(
                [
                    "contender",
                    "statements",
                    "errors",
                    "p99 ms",
                    "server conns at the end",
                    "server conns peak",
                ],
                rows,
            )
        )


def main() -> int:
    rep = Report()
    engine(rep)
    rep.add("\n## 2. End-to-end `SELECT 1` over loopback\n")
    select1_native(
        rep, "select1_c.json", "C: sharedpool C ABI vs one raw libmariadb connection per client", "raw", []
    )
    select1_native(
        rep,
        "select1_rust.json",
        "Rust: sharedpool vs r2d2 over the mysql crate (raw libmariadb floor)",
        "raw",
        ["r2d2", "r2d2-nocheck"],
    )
    select1_python(rep)
    select1_aio(rep)
    select1_go(rep)
    autoscaler(rep)
    storm(rep)
    reset_cost(rep)
    timings = load("timings.json") or {}
    fleet(rep, "fleet" in timings)

    docs = [d for d in (load(n) for n in ("engine.json", "select1_rust.json", "storm.json")) if d]
    quick = any(d.get("quick") for d in docs)
    when = max((d.get("unix_time", 0) for d in docs), default=0)
    date = (
        datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        if when
        else "?"
    )
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False, cwd=BENCHES
        ).stdout.strip()
    except OSError:
        commit = "?"
    load_avg = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    load_start = timings.pop("load_at_start", "?")
    head = [
        "# sharedpool benchmarks\n",
        f"\nRun finished **{date}**, commit `{timings.pop('commit', commit)}`, "
        f"{'**QUICK mode** (short runs: checks the pipeline, not figures)' if quick else 'full mode'}, "
        f"on {os.cpu_count()} CPUs ({platform.machine()}, {platform.system()}). Load average before the run: "
        f"{load_start}; when the report was written (with the benchmarks' own threads in it): {load_avg}. "
        f"Whole run: {timings.get('total', {}).get('seconds', '?')} s. "
        "Regenerate with `make bench` (`make bench QUICK=1` for the short run, written to target/bench/quick/). "
        "Raw numbers: `results/*.json` beside this file.\n",
        "\nFigures are ratios against a peer or a floor measured in the same run, on a shared, noisy machine: "
        "read the ratios, not the absolute numbers, and look at the spread.\n",
    ]
    if rep.failures:
        head.append("\n**Failed or missing in this run:**\n\n" + "".join(f"- {f}\n" for f in rep.failures))
    steps = [
        [k, v["seconds"], "ok" if v["exit"] == 0 else f"FAILED (exit {v['exit']})"]
        for k, v in timings.items()
        if k != "total"
    ]
    tail = ["\n## Steps of this run\n\n" + table(["step", "seconds", "status"], steps)] if steps else []
    OUT.write_text("".join(head + rep.parts + tail))
    print(f"report: wrote {OUT}" + (f" ({len(rep.failures)} failures listed)" if rep.failures else ""))
    return 3 if rep.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
