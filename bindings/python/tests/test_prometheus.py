"""sharedpool.prometheus: the pools' metrics through prometheus_client, scraped and parsed back."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

import sharedpool
import sharedpool.prometheus

from conftest import unique_name


def scrape(registry: CollectorRegistry) -> dict[str, list]:
    text = generate_latest(registry).decode()
    assert "sp-secret" not in text
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def test_collector_exposes_every_family_per_pool(dsn) -> None:
    registry = CollectorRegistry()
    sharedpool.prometheus.register(registry)
    name = unique_name("prom")
    with sharedpool.open(dsn, pool_name=name, max_size=3) as pool:
        for _ in range(3):
            pool.query("SELECT 1")
        families = scrape(registry)
        native = {f.name for f in text_string_to_metric_families(sharedpool.metrics_text())}
        assert native <= set(families), "every family of metrics_text()"
        ours = [s for s in families["sharedpool_acquires"] if s.labels["pool"].endswith("#" + name)]
        assert len(ours) == 1 and ours[0].value >= 3, ours
        assert len(ours[0].labels["key"]) == 8
        (max_size,) = [s for s in families["sharedpool_max_size"] if s.labels["pool"].endswith("#" + name)]
        assert max_size.value == 3
    # A closed pool is gone from the next scrape.
    families = scrape(registry)
    assert not [s for s in families.get("sharedpool_acquires", []) if s.labels["pool"].endswith("#" + name)]
