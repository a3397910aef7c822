"""A ``prometheus_client`` collector for every pool of this process.

``prometheus_client`` is an optional dependency (``pip install prometheus_client``)::

    import sharedpool.prometheus
    sharedpool.prometheus.register()          # the default registry
    # start_http_server(8000), or your framework's /metrics route

The families are those of :func:`sharedpool.metrics_text` (``sharedpool_connections``,
``sharedpool_acquires_total``, …), one series per pool with the labels ``pool`` (the readable
target, never a password) and ``key``. Pools come and go, so the collector describes nothing up
front (an unchecked collector).
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import REGISTRY, Collector, CollectorRegistry

from ._sharedpool import metrics_text

__all__ = ["SharedpoolCollector", "register"]


class SharedpoolCollector(Collector):
    """Yields the pools' metrics at every scrape."""

    def collect(self) -> Iterable[Metric]:
        return list(text_string_to_metric_families(metrics_text()))

    def describe(self) -> Iterable[Metric]:
        return []


def register(registry: CollectorRegistry = REGISTRY) -> SharedpoolCollector:
    """Registers a :class:`SharedpoolCollector` with ``registry`` and returns it."""
    collector = SharedpoolCollector()
    registry.register(collector)
    return collector
