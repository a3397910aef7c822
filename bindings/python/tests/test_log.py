"""Pool events reach ``logging.getLogger("sharedpool")``, from the library's threads too, and
never break interpreter exit."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
from collections.abc import Iterator

import pytest

import sharedpool
from sharedpool import _log

from conftest import unique_name


class Collect(logging.Handler):
    """Keeps every record; `wait_for` polls for one that matches."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._mu = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._mu:
            self.records.append(record)

    def wait_for(self, event: str, timeout: float = 5.0) -> logging.LogRecord:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._mu:
                for r in self.records:
                    if getattr(r, "event", None) == event:
                        return r
            time.sleep(0.01)
        raise AssertionError(f"no {event} record in {[r.getMessage() for r in self.records]}")


@pytest.fixture
def records() -> Iterator[Collect]:
    logger = logging.getLogger("sharedpool")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_leak_warning_is_a_warning_record(open_pool, records) -> None:
    name = unique_name("leak")
    pool = open_pool(pool_name=name, leak_detection_ms=50)
    with pool.connection(label="job-7"):
        time.sleep(0.2)
    r = records.wait_for("leak_suspected")
    assert r.name == "sharedpool" and r.levelno == logging.WARNING
    assert r.pool.endswith("#" + name), r.pool  # type: ignore[attr-defined]
    assert "job-7" in r.getMessage() and "possible leak" in r.getMessage()
    assert r.threadName != threading.current_thread().name  # delivered on a library thread


def test_timeout_and_close_records(dsn, records) -> None:
    name = unique_name("events")
    pool = sharedpool.open(dsn, pool_name=name, max_size=1)
    with pool.connection():
        with pytest.raises(sharedpool.PoolTimeout):
            pool.connection(timeout=0.05)
    r = records.wait_for("acquire_timeout")
    assert r.levelno == logging.WARNING and r.pool.endswith("#" + name)  # type: ignore[attr-defined]
    pool.close()
    r = records.wait_for("pool_closed")
    assert r.levelno == logging.INFO and r.pool.endswith("#" + name)  # type: ignore[attr-defined]


def test_connect_failure_record(dsn, records) -> None:
    parts = urllib.parse.urlsplit(dsn)
    closed_port = parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:1")
    name = unique_name("fail")
    with pytest.raises(sharedpool.OperationalError):
        sharedpool.connect(closed_port.geturl(), pool_name=name, acquire_timeout=2)
    r = records.wait_for("connect_failed")
    assert r.levelno == logging.WARNING
    assert r.pool.startswith(f"{parts.username}@127.0.0.1:1/")  # type: ignore[attr-defined]
    assert r.pool.endswith("#" + name)  # type: ignore[attr-defined]
    assert parts.password and parts.password not in r.getMessage()


def test_parse_event_texts() -> None:
    assert _log.parse("pool a@h:1/d#x: closed") == ("a@h:1/d#x", "pool_closed")
    assert _log.parse("pool a@h:1/d: connect failed: refused") == ("a@h:1/d", "connect_failed")
    assert _log.parse("pool p: timed out after 5 ms waiting") == ("p", "acquire_timeout")
    assert _log.parse("pool p#f: server near capacity: pool capped at 3") == ("p#f", "server_near_capacity")
    assert _log.parse("pool p#a: b: connection held by j for 9 ms, possible leak") == (
        "p#a: b",
        "leak_suspected",
    )
    assert _log.parse("something else") == (None, "other")


def test_a_failing_handler_does_not_break_the_pool(open_pool, records, monkeypatch) -> None:
    """The handler's exception goes to sys.unraisablehook; the pool carries on."""
    unraisable: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(u.exc_value))

    class Boom(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raise RuntimeError("handler bug")

    logger = logging.getLogger("sharedpool")
    boom = Boom()
    logger.addHandler(boom)
    try:
        pool = open_pool(max_size=1)
        with pool.connection():
            with pytest.raises(sharedpool.PoolTimeout):
                pool.connection(timeout=0.02)
        assert pool.query("SELECT 1") == [(1,)]
        records.wait_for("acquire_timeout")
        deadline = time.monotonic() + 5
        while not unraisable and time.monotonic() < deadline:
            time.sleep(0.01)  # reported right after the record is kept, on the same thread
        assert any(isinstance(e, RuntimeError) and "handler bug" in str(e) for e in unraisable)
    finally:
        logger.removeHandler(boom)


def test_silent_until_logging_is_configured(dsn) -> None:
    """A library's logger: no output without a configured handler (no "last resort")."""
    script = textwrap.dedent(
        """
        import sys, sharedpool
        pool = sharedpool.open(sys.argv[1], max_size=1, pool_name=sys.argv[2])
        with pool.connection():
            try:
                pool.connection(timeout=0.01)
            except sharedpool.PoolTimeout:
                print("timed out")
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script, dsn, unique_name("quiet")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (run.returncode, run.stdout, run.stderr) == (0, "timed out\n", "")


EXIT_SCRIPT = """
import logging, os, random, sys, threading, time
import sharedpool
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
class Finalizing(logging.Handler):
    def emit(self, record):
        if sys.is_finalizing():
            os.write(2, b"handler ran while finalizing")
logging.getLogger("sharedpool").addHandler(Finalizing())
pool = sharedpool.open(sys.argv[1], max_size=1, pool_name=sys.argv[2], leak_detection_ms=10)
held = pool.connection(label="held")
def storm():
    while True:
        try:
            pool.connection(timeout=random.uniform(0.001, 0.03)).close()
        except sharedpool.PoolTimeout:
            pass
for _ in range(16):
    threading.Thread(target=storm, daemon=True).start()
class Slow:  # a finalization that runs Python code (and lets waiting threads take the GIL)
    def __del__(self):
        sum(range(50))
junk = [Slow() for _ in range(50000)]
time.sleep(0.05)
"""


def test_exit_while_events_are_emitted(dsn) -> None:
    """Timeouts on 16 Python threads, in flight when the interpreter exits: every run exits 0,
    no event reaches Python once exit began (an attach after finalization panicked in pyo3)."""
    script = textwrap.dedent(EXIT_SCRIPT)
    for i in range(20):
        run = subprocess.run(
            [sys.executable, "-c", script, dsn, unique_name(f"exitlog{i}")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert run.returncode == 0, (run.returncode, run.stderr[-2000:])
        assert run.stderr == "", run.stderr[-2000:]
        assert "possible leak" in run.stdout and "timed out" in run.stdout, run.stdout[-500:]
