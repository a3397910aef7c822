"""Options in seconds: ``acquire_timeout=2.5`` for ``acquire_timeout_ms=2500``."""

from __future__ import annotations

import math
from typing import Any

from ._sharedpool import InterfaceError

#: The library's millisecond options, each also accepted in seconds under its name without ``_ms``.
MS_OPTIONS = (
    "acquire_timeout_ms",
    "idle_timeout_ms",
    "max_lifetime_ms",
    "validation_idle_ms",
    "leak_detection_ms",
    "linger_ms",
    "connect_timeout_ms",
    "read_timeout_ms",
    "write_timeout_ms",
    "statement_timeout_ms",
)
_SECONDS = {name[: -len("_ms")]: name for name in MS_OPTIONS}


def normalize(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with every seconds option (``acquire_timeout=2.5``) turned into its ``_ms``
    option (``acquire_timeout_ms=2500``). Giving both names, or a seconds value that is not a
    finite number >= 0, raises ``InterfaceError``."""
    out = dict(options)
    for name, ms_name in _SECONDS.items():
        if name not in out:
            continue
        seconds = out.pop(name)
        if ms_name in out:
            raise InterfaceError(f"option {name}: give {name} (seconds) or {ms_name}, not both")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            raise InterfaceError(f"option {name}: expected a number of seconds >= 0, got {seconds!r}")
        out[ms_name] = round(seconds * 1000)
    return out
