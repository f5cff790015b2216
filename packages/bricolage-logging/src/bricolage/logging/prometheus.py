"""Prometheus metrics for the Elasticsearch shipper (extra ``bricolage-logging[prometheus]``).

:class:`ShipperCollector` reads :meth:`~bricolage.logging.ElasticsearchShipper.stats` each
time Prometheus scrapes, so the numbers are never stale and nothing is counted twice.

- ``bricolage_logging_shipper_shipped_lines_total`` (counter): lines Elasticsearch accepted;
- ``bricolage_logging_shipper_dropped_lines_total`` (counter): lines lost, by ``reason``
  (``queue_full``, ``rejected``, ``gave_up``);
- ``bricolage_logging_shipper_retries_total`` (counter): bulk requests sent again;
- ``bricolage_logging_shipper_queue_lines`` (gauge): lines waiting in the queue;
- ``bricolage_logging_shipper_queue_capacity_lines`` (gauge): the queue's bound.

Every metric carries the label ``index``.

>>> from prometheus_client import CollectorRegistry, generate_latest
>>> from bricolage.logging import ElasticsearchShipper
>>> from bricolage.logging.prometheus import ShipperCollector
>>> shipper = ElasticsearchShipper("http://127.0.0.1:9", index="logs", start=False)
>>> registry = CollectorRegistry()
>>> registry.register(ShipperCollector(shipper))
>>> shipper.write('{"message": "waiting"}')
>>> print(generate_latest(registry).decode())  # doctest: +ELLIPSIS
# HELP bricolage_logging_shipper_shipped_lines_total Lines Elasticsearch accepted.
...
bricolage_logging_shipper_queue_lines{index="logs"} 1.0
...
>>> shipper.close(timeout=0)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

try:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
    from prometheus_client.registry import Collector
except ImportError as _missing:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "bricolage.logging.prometheus needs prometheus-client: "
        'pip install "bricolage-logging[prometheus]"'
    ) from _missing

if TYPE_CHECKING:
    from bricolage.logging._shipper import ElasticsearchShipper

__all__ = ["ShipperCollector"]


class ShipperCollector(Collector):
    """A Prometheus collector for one :class:`~bricolage.logging.ElasticsearchShipper`.

    Register it once: ``registry.register(ShipperCollector(shipper))`` (or with
    ``prometheus_client.REGISTRY``). The metric names are listed in the module's
    documentation.

    >>> from prometheus_client import CollectorRegistry
    >>> from bricolage.logging import ElasticsearchShipper
    >>> from bricolage.logging.prometheus import ShipperCollector
    >>> shipper = ElasticsearchShipper("http://127.0.0.1:9", index="app", start=False)
    >>> registry = CollectorRegistry()
    >>> registry.register(ShipperCollector(shipper))
    >>> registry.get_sample_value(
    ...     "bricolage_logging_shipper_dropped_lines_total",
    ...     {"index": "app", "reason": "queue_full"})
    0.0
    >>> shipper.close(timeout=0)
    """

    def __init__(self, shipper: ElasticsearchShipper) -> None:
        self.shipper = shipper

    def describe(self) -> list[Metric]:
        """The metric families, without values (used by ``registry.register``).

        >>> from bricolage.logging import ElasticsearchShipper
        >>> from bricolage.logging.prometheus import ShipperCollector
        >>> shipper = ElasticsearchShipper("http://127.0.0.1:9", index="a", start=False)
        >>> [m.name for m in ShipperCollector(shipper).describe()][:2]
        ['bricolage_logging_shipper_shipped_lines', 'bricolage_logging_shipper_dropped_lines']
        >>> shipper.close(timeout=0)
        """
        return list(self._families(with_values=False))

    def collect(self) -> Iterator[Metric]:
        """The current values, read from the shipper's snapshot.

        >>> from bricolage.logging import ElasticsearchShipper
        >>> from bricolage.logging.prometheus import ShipperCollector
        >>> shipper = ElasticsearchShipper("http://127.0.0.1:9", index="a", start=False)
        >>> [s.value for s in list(ShipperCollector(shipper).collect())[0].samples][:1]
        [0.0]
        >>> shipper.close(timeout=0)
        """
        yield from self._families(with_values=True)

    def _families(self, *, with_values: bool) -> Iterator[Metric]:
        index = [self.shipper.index]
        shipped = CounterMetricFamily(
            "bricolage_logging_shipper_shipped_lines",
            "Lines Elasticsearch accepted.",
            labels=["index"],
        )
        dropped = CounterMetricFamily(
            "bricolage_logging_shipper_dropped_lines",
            "Lines lost: queue full, refused by Elasticsearch, or given up after retries.",
            labels=["index", "reason"],
        )
        retries = CounterMetricFamily(
            "bricolage_logging_shipper_retries",
            "Bulk requests sent again after a failure.",
            labels=["index"],
        )
        queued = GaugeMetricFamily(
            "bricolage_logging_shipper_queue_lines",
            "Lines waiting in the shipper's queue.",
            labels=["index"],
        )
        capacity = GaugeMetricFamily(
            "bricolage_logging_shipper_queue_capacity_lines",
            "The bound of the shipper's queue; lines past it are dropped.",
            labels=["index"],
        )
        if with_values:
            stats = self.shipper.stats()
            shipped.add_metric(index, float(stats.sent))
            dropped.add_metric([*index, "queue_full"], float(stats.dropped_queue_full))
            dropped.add_metric([*index, "rejected"], float(stats.rejected))
            dropped.add_metric([*index, "gave_up"], float(stats.gave_up))
            retries.add_metric(index, float(stats.retries))
            queued.add_metric(index, float(stats.queued))
            capacity.add_metric(index, float(self.shipper.queue_size))
        yield from (shipped, dropped, retries, queued, capacity)
