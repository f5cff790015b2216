"""The Prometheus collectors read the snapshots at scrape time, with the documented names."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

import bricolage.http.prometheus as prometheus_doc
from bricolage.http import CacheTransport, RetryPolicy, RetryTransport
from bricolage.http.prometheus import CacheCollector, RetryCollector
from bricolage.http.testing import FrozenClock

DOCS = Path(__file__).resolve().parents[3] / "docs" / "packages" / "http"


def test_cache_and_retry_metrics_are_scraped_live() -> None:
    replies = iter([503, 200, 200])

    def origin(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(replies), headers={"Cache-Control": "max-age=60"}, text="ok")

    clock = FrozenClock()
    retry = RetryTransport(httpx.MockTransport(origin), clock=clock, policy=RetryPolicy(jitter=0))
    cache = CacheTransport(retry, clock=clock)
    registry = CollectorRegistry()
    registry.register(CacheCollector(cache.metrics))
    registry.register(RetryCollector(retry.metrics))
    assert registry.get_sample_value("bricolage_http_cache_lookups_total", {"result": "hit"}) == 0
    with httpx.Client(transport=cache) as client:
        for _ in range(3):
            client.get("http://api.test/").read()
        client.post("http://api.test/").read()
    value = registry.get_sample_value
    assert value("bricolage_http_cache_lookups_total", {"result": "hit"}) == 2
    assert value("bricolage_http_cache_lookups_total", {"result": "miss"}) == 1
    assert value("bricolage_http_cache_bypassed_total") == 1
    assert value("bricolage_http_cache_stored_total") == 1
    assert value("bricolage_http_cache_served_bytes_total") == 4
    assert value("bricolage_http_cache_hit_ratio") == 2 / 3
    assert value("bricolage_http_retry_requests_total") == 2
    assert value("bricolage_http_retry_retries_total") == 1
    assert value("bricolage_http_retry_delay_seconds_total") == 0.1


def test_every_exposed_name_is_documented() -> None:
    from bricolage.http import CacheMetrics, RetryMetrics

    registry = CollectorRegistry()
    registry.register(CacheCollector(CacheMetrics()))
    registry.register(RetryCollector(RetryMetrics()))
    names = {
        sample.name
        for family in registry.collect()
        for sample in family.samples
        if not sample.name.endswith("_created")
    }
    assert len(names) == 14
    doc = prometheus_doc.__doc__ or ""
    page = (DOCS / "metrics.md").read_text() if (DOCS / "metrics.md").is_file() else doc
    for name in names:
        assert f"``{name}" in doc, name
        assert name in page, name
