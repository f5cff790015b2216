"""Prometheus exposition of the cache and retry metrics (the ``prometheus`` extra).

Each collector reads its metrics snapshot at scrape time; register it once::

    >>> from prometheus_client import CollectorRegistry, generate_latest
    >>> from bricolage.http import CacheMetrics, RetryMetrics
    >>> from bricolage.http.prometheus import CacheCollector, RetryCollector
    >>> registry = CollectorRegistry()
    >>> metrics = CacheMetrics()
    >>> registry.register(CacheCollector(metrics))
    >>> registry.register(RetryCollector(RetryMetrics()))
    >>> b"bricolage_http_cache_lookups_total" in generate_latest(registry)
    True

Metric names (all counters end in ``_total``):

======================================================  =======================================
``bricolage_http_cache_lookups_total{result}``          answered requests by ``result``:
                                                        ``hit`` (fresh or allowed stale),
                                                        ``revalidated``, ``miss``
``bricolage_http_cache_stale_served_total``             hits that were stale (max-stale,
                                                        stale-while-revalidate, stale-if-error)
``bricolage_http_cache_stored_total``                   responses written to storage
``bricolage_http_cache_not_stored_total``               misses the cache declined to store
``bricolage_http_cache_bypassed_total``                 requests whose method is not cached
``bricolage_http_cache_storage_errors_total``           storage failures (served without cache)
``bricolage_http_cache_served_bytes_total``             body bytes answered from storage
``bricolage_http_cache_hit_ratio``                      gauge: hits and revalidations / lookups
``bricolage_http_retry_requests_total``                 requests given to the retry transports
``bricolage_http_retry_attempts_total``                 attempts, the first ones included
``bricolage_http_retry_retries_total``                  attempts made after a failure
``bricolage_http_retry_failures_total``                 requests that ended in an error
``bricolage_http_retry_budget_exhausted_total``         retries refused by the retry budget
``bricolage_http_retry_delay_seconds_total``            time spent waiting between attempts
======================================================  =======================================
"""

from __future__ import annotations

from collections.abc import Iterator

from bricolage.http._metrics import CacheMetrics, RetryMetrics
from bricolage.http.errors import MissingExtraError

try:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
    from prometheus_client.registry import Collector
except ModuleNotFoundError:  # pragma: no cover - exercised without the extra
    raise MissingExtraError("prometheus", "bricolage.http.prometheus") from None

__all__ = ["CacheCollector", "RetryCollector"]


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=float(value))


class CacheCollector(Collector):
    """Exposes a :class:`~bricolage.http.CacheMetrics` to Prometheus, read at scrape time.

    ``prefix`` replaces ``bricolage_http_cache`` (for instance to tell two caches apart;
    a constant label is better done with a separate registry).

    >>> from prometheus_client import CollectorRegistry
    >>> from bricolage.http import CacheMetrics, CacheOutcome
    >>> from bricolage.http.prometheus import CacheCollector
    >>> metrics = CacheMetrics()
    >>> metrics.record(CacheOutcome("hit", False, "fresh"), body_bytes=10)
    >>> registry = CollectorRegistry(); registry.register(CacheCollector(metrics))
    >>> registry.get_sample_value("bricolage_http_cache_lookups_total", {"result": "hit"})
    1.0
    """

    def __init__(self, metrics: CacheMetrics, *, prefix: str = "bricolage_http_cache") -> None:
        self.metrics = metrics
        self.prefix = prefix

    def collect(self) -> Iterator[Metric]:
        """The metrics now (called by the registry at each scrape)."""
        snap = self.metrics.snapshot()
        p = self.prefix
        lookups = CounterMetricFamily(
            f"{p}_lookups", "Requests answered by the cache, by result.", labels=["result"]
        )
        lookups.add_metric(["hit"], float(snap.hits))
        lookups.add_metric(["revalidated"], float(snap.revalidations))
        lookups.add_metric(["miss"], float(snap.misses))
        yield lookups
        yield _counter(
            f"{p}_stale_served", "Hits answered with a stale response.", snap.stale_served
        )
        yield _counter(f"{p}_stored", "Responses written to storage.", snap.stored)
        yield _counter(f"{p}_not_stored", "Misses the cache declined to store.", snap.not_stored)
        yield _counter(f"{p}_bypassed", "Requests whose method is not cached.", snap.bypassed)
        yield _counter(f"{p}_storage_errors", "Storage failures.", snap.errors)
        yield _counter(
            f"{p}_served_bytes", "Body bytes answered from storage.", snap.bytes_from_cache
        )
        yield GaugeMetricFamily(
            f"{p}_hit_ratio", "Hits and revalidations over lookups.", value=snap.hit_ratio
        )


class RetryCollector(Collector):
    """Exposes a :class:`~bricolage.http.RetryMetrics` to Prometheus, read at scrape time.

    >>> import httpx
    >>> from prometheus_client import CollectorRegistry
    >>> from bricolage.http import RetryTransport
    >>> from bricolage.http.prometheus import RetryCollector
    >>> from bricolage.http.testing import FrozenClock
    >>> replies = iter([503, 200])
    >>> transport = RetryTransport(
    ...     httpx.MockTransport(lambda r: httpx.Response(next(replies))), clock=FrozenClock())
    >>> registry = CollectorRegistry(); registry.register(RetryCollector(transport.metrics))
    >>> with httpx.Client(transport=transport) as client:
    ...     _ = client.get("http://api.test/")
    >>> registry.get_sample_value("bricolage_http_retry_retries_total")
    1.0
    """

    def __init__(self, metrics: RetryMetrics, *, prefix: str = "bricolage_http_retry") -> None:
        self.metrics = metrics
        self.prefix = prefix

    def collect(self) -> Iterator[Metric]:
        """The metrics now (called by the registry at each scrape)."""
        snap = self.metrics.snapshot()
        p = self.prefix
        yield _counter(f"{p}_requests", "Requests given to the retry transports.", snap.requests)
        yield _counter(f"{p}_attempts", "Attempts made, the first ones included.", snap.attempts)
        yield _counter(f"{p}_retries", "Attempts made after a failure.", snap.retries)
        yield _counter(f"{p}_failures", "Requests that ended in an error.", snap.failures)
        yield _counter(
            f"{p}_budget_exhausted", "Retries refused by the retry budget.", snap.budget_exhausted
        )
        yield _counter(
            f"{p}_delay_seconds", "Seconds spent waiting between attempts.", snap.delay_seconds
        )
