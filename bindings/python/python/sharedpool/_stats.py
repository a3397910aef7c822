"""The shape of ``Pool.stats()``: every field of the C ABI's ``sp_stats``, by the same names."""

from __future__ import annotations

from typing import TypedDict


class Stats(TypedDict):
    """A pool's state and counters (``make test`` checks these names against the header)."""

    refs: int  # open references (from every language in the process)
    max_size: int  # the configured bound
    total: int  # connections open, counting those being opened
    idle: int  # open connections waiting in the pool
    active: int  # connections borrowed right now
    waiting: int  # callers waiting for a connection
    acquires_total: int  # successful acquires
    timeouts_total: int  # acquires that gave up after their timeout
    created_total: int  # connections opened
    closed_total: int  # connections closed, for any reason
    resets_total: int  # session resets on return (dirty borrowers)
    connect_errors_total: int  # failed connects
    connecting: int  # connections being opened right now (counted in total)
    recommended_size: int  # the size measured demand asks for: ceil(L x headroom), in bounds
    cancelled_total: int  # acquires cancelled by the caller (Ctrl-C)
    leaks_total: int  # leak warnings raised
    wait_time_us_total: int  # total time acquirers waited, microseconds
    wait_time_us_max: int  # longest single wait, microseconds
    hold_time_us_total: int  # total time connections were held, microseconds
    arrival_rate: float  # measured acquire rate (lambda), per second
    hold_time_avg: float  # measured hold time (W), seconds
    demand: float  # L = lambda x W: connections demand keeps busy on average
    capacity_cap: int  # the bound now: max_size, or less while the server is full / at server_headroom
