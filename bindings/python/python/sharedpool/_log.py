"""Pool events (acquire timeouts, connect failures, suspected leaks, a server near capacity,
closed pools) as records of ``logging.getLogger("sharedpool")``.

The library calls :func:`emit` on its own threads (through ``sp_set_log_callback``), never during
interpreter exit (events are dropped then). Each record has the extra fields ``pool`` (the pool's
label, without password) and ``event`` (``acquire_timeout``, ``connect_failed``,
``leak_suspected``, ``server_near_capacity``, ``pool_closed``, or ``other``).
"""

from __future__ import annotations

import logging

logger = logging.getLogger("sharedpool")
# A library's logger: silent until the application configures logging (no "last resort" output).
logger.addHandler(logging.NullHandler())

_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG}


#: What follows ``pool LABEL`` in each event's text, and the event's kind.
_MARKERS = (
    (": timed out after ", "acquire_timeout"),
    (": connect failed: ", "connect_failed"),
    (": connection held by ", "leak_suspected"),
    (": server near capacity: ", "server_near_capacity"),
)


def parse(message: str) -> tuple[str | None, str]:
    """(pool label, event kind) of an event's text, ``pool LABEL: WHAT``; the label is the
    library's redacted ``user@host:port/db#pool_name``."""
    if not message.startswith("pool "):
        return None, "other"
    found = [(message.find(m), kind) for m, kind in _MARKERS if m in message]
    if message.endswith(": closed"):
        found.append((len(message) - len(": closed"), "pool_closed"))
    if not found:
        return None, "other"
    at, kind = min(found)
    return message[len("pool ") : at], kind


def emit(level: int, message: str) -> None:
    """Logs one library event (``level``: 1 error, 2 warning, 3 info, 4 debug)."""
    lvl = _LEVELS.get(level, logging.DEBUG)
    if not logger.isEnabledFor(lvl):
        return
    pool, kind = parse(message)
    logger.log(lvl, "%s", message, extra={"pool": pool, "event": kind})
