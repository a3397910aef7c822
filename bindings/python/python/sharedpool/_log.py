"""Pool events (acquire timeouts, connect failures, suspected leaks, closed pools) as records
of ``logging.getLogger("sharedpool")``.

The library calls :func:`emit` on its own threads (through ``sp_set_log_callback``), never during
interpreter exit (events are dropped then). Each record has the extra fields ``pool`` (the pool's
label, without password) and ``event`` (``acquire_timeout``, ``connect_failed``,
``leak_suspected``, ``pool_closed``, or ``other``).
"""

from __future__ import annotations

import logging

logger = logging.getLogger("sharedpool")

_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG}


def parse(message: str) -> tuple[str | None, str]:
    """(pool label, event kind) of an event's text, ``pool LABEL: WHAT``."""
    if not message.startswith("pool ") or ": " not in message:
        return None, "other"
    label, what = message[len("pool ") :].split(": ", 1)
    if what.startswith("connect failed"):
        kind = "connect_failed"
    elif what.endswith("possible leak"):
        kind = "leak_suspected"
    elif what == "closed":
        kind = "pool_closed"
    elif what.startswith("timed out"):
        kind = "acquire_timeout"
    else:
        kind = "other"
    return label, kind


def emit(level: int, message: str) -> None:
    """Logs one library event (``level``: 1 error, 2 warning, 3 info, 4 debug)."""
    lvl = _LEVELS.get(level, logging.DEBUG)
    if not logger.isEnabledFor(lvl):
        return
    pool, kind = parse(message)
    logger.log(lvl, "%s", message, extra={"pool": pool, "event": kind})
