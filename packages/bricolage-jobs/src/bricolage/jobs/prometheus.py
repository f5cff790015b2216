"""Prometheus metrics for a queue and its worker, read at scrape time.

Needs the extra ``bricolage-jobs[prometheus]`` (prometheus-client). A
:class:`JobsCollector` reads :meth:`Queue.stats() <bricolage.jobs.Queue.stats>` and a
worker's :class:`~bricolage.jobs.WorkerCounters` each time Prometheus scrapes; nothing
is counted twice and nothing runs between scrapes.

============================================  =======  ===========================================
metric                                        type     meaning
============================================  =======  ===========================================
``bricolage_jobs_jobs{queue,state}``          gauge    jobs in each state, per queue
``bricolage_jobs_succeeded_last_minute``      gauge    jobs that succeeded in the last 60 seconds
``bricolage_jobs_wait_p50_seconds``           gauge    median wait from due to start (recent jobs)
``bricolage_jobs_wait_p99_seconds``           gauge    99th percentile of that wait
``bricolage_jobs_run_p50_seconds``            gauge    median run time (recent jobs)
``bricolage_jobs_backend_up``                 gauge    1 if the last read of the backend worked
``bricolage_jobs_processed_total{outcome}``   counter  attempts this worker finished, by outcome
``bricolage_jobs_claimed_total``              counter  jobs this worker claimed
``bricolage_jobs_fenced_total``               counter  reports refused: the lease had moved on
``bricolage_jobs_leases_lost_total``          counter  jobs whose lease this worker lost
============================================  =======  ===========================================

``outcome`` is one of ``succeeded``, ``retried``, ``failed``, ``buried``, ``cancelled``,
``released``. "Recent jobs" are those that succeeded in the last minute (the window of
:class:`~bricolage.jobs.QueueStats`); the latency gauges are left out while there are
none. A backend that cannot be read gives ``bricolage_jobs_backend_up 0`` (and a
warning in the log) instead of failing the whole scrape.

>>> from prometheus_client import CollectorRegistry, generate_latest
>>> from bricolage.jobs import Queue
>>> from bricolage.jobs.prometheus import JobsCollector
>>> queue = Queue("sqlite://:memory:")
>>> registry = CollectorRegistry()
>>> registry.register(JobsCollector(queue))
>>> b'bricolage_jobs_backend_up 1.0' in generate_latest(registry)
True
>>> queue.close()
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import attrs

try:
    from prometheus_client.metrics_core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        Metric,
    )
    from prometheus_client.registry import Collector
except ModuleNotFoundError as _missing:  # pragma: no cover - tested in a subprocess
    if _missing.name is None or not _missing.name.startswith("prometheus_client"):
        raise
    raise ModuleNotFoundError(
        "bricolage.jobs.prometheus needs prometheus-client: "
        'pip install "bricolage-jobs[prometheus]"',
        name=_missing.name,
    ) from _missing

from bricolage.jobs._model import QueueStats
from bricolage.jobs._queue import Queue
from bricolage.jobs._states import JobState
from bricolage.jobs._worker import Worker, WorkerCounters

__all__ = ["JobsCollector"]

_logger: logging.Logger = logging.getLogger("bricolage.jobs.prometheus")

_PREFIX = "bricolage_jobs"
# WorkerCounters fields that count finished attempts, exposed as one labelled counter.
_OUTCOMES = ("succeeded", "retried", "failed", "buried", "cancelled", "released")
# The other WorkerCounters fields, each a counter of its own.
_COUNTERS = {
    "claimed": ("claimed", "Jobs this worker claimed."),
    "fenced": ("fenced", "Reports refused because the job's lease had moved on."),
    "lost": ("leases_lost", "Jobs whose lease this worker lost before finishing them."),
}


class JobsCollector(Collector):
    """A Prometheus collector over a :class:`~bricolage.jobs.Queue` and, optionally, a worker.

    Register it once; every scrape reads the queue's statistics and the worker's
    counters afresh. In a web process that only enqueues, pass the queue alone; in a
    worker process pass the worker too, to get the ``*_total`` counters.

    >>> from prometheus_client import CollectorRegistry
    >>> from bricolage.jobs import Queue, Worker
    >>> from bricolage.jobs.prometheus import JobsCollector
    >>> queue = Queue("sqlite://:memory:")
    >>> @queue.job()
    ... def ping() -> str:
    ...     return "pong"
    >>> _ = queue.enqueue(ping)
    >>> worker = Worker(queue, burst=True)
    >>> worker.run()
    >>> registry = CollectorRegistry()
    >>> registry.register(JobsCollector(queue, worker))
    >>> registry.get_sample_value(
    ...     "bricolage_jobs_processed_total", {"outcome": "succeeded"}
    ... )
    1.0
    >>> registry.get_sample_value(
    ...     "bricolage_jobs_jobs", {"queue": "default", "state": "succeeded"}
    ... )
    1.0
    >>> queue.close()
    """

    def __init__(self, queue: Queue, worker: Worker | None = None) -> None:
        self.queue = queue
        self.worker = worker

    def __repr__(self) -> str:
        return f"JobsCollector({self.queue!r}, {self.worker!r})"

    def describe(self) -> list[Metric]:
        """The metric families this collector yields, without reading the backend.

        prometheus-client calls it on registration to check for clashing names.
        """
        families: list[Metric] = [*_queue_families()]
        if self.worker is not None:
            processed, singles = _worker_families()
            families += [processed, *singles]
        return families

    def collect(self) -> Iterator[Metric]:
        """Read the backend and the worker's counters now, and yield their metrics."""
        up = GaugeMetricFamily(
            f"{_PREFIX}_backend_up", "1 if the last read of the backend's statistics worked."
        )
        try:
            stats = self.queue.stats()
        except Exception:  # a scrape must not fail because the backend is away
            _logger.warning("could not read the job statistics for Prometheus", exc_info=True)
            up.add_metric([], 0.0)
        else:
            up.add_metric([], 1.0)
            yield from _queue_metrics(stats)
        yield up
        if self.worker is not None:
            yield from _worker_metrics(self.worker.counters)


def _queue_families() -> tuple[GaugeMetricFamily, ...]:
    return (
        GaugeMetricFamily(
            f"{_PREFIX}_jobs", "Jobs in each state, per queue.", labels=["queue", "state"]
        ),
        GaugeMetricFamily(
            f"{_PREFIX}_succeeded_last_minute", "Jobs that succeeded in the last 60 seconds."
        ),
        GaugeMetricFamily(
            f"{_PREFIX}_wait_p50_seconds", "Median wait from due time to start, recent jobs."
        ),
        GaugeMetricFamily(
            f"{_PREFIX}_wait_p99_seconds", "99th percentile of the wait from due time to start."
        ),
        GaugeMetricFamily(f"{_PREFIX}_run_p50_seconds", "Median run time of recent jobs."),
        GaugeMetricFamily(
            f"{_PREFIX}_backend_up", "1 if the last read of the backend's statistics worked."
        ),
    )


def _queue_metrics(stats: QueueStats) -> Iterator[Metric]:
    jobs, succeeded, wait_p50, wait_p99, run_p50, _up = _queue_families()
    states = [state.value for state in JobState]
    for queue in sorted(stats.counts):
        counts = stats.counts[queue]
        for state in [*states, *sorted(set(counts) - set(states))]:
            jobs.add_metric([queue, state], float(counts.get(state, 0)))
    yield jobs
    succeeded.add_metric([], float(stats.finished_last_minute))
    yield succeeded
    for family, value in ((wait_p50, stats.wait_p50), (wait_p99, stats.wait_p99)):
        if value is not None:
            family.add_metric([], value)
            yield family
    if stats.run_p50 is not None:
        run_p50.add_metric([], stats.run_p50)
        yield run_p50


def _extra_counters() -> list[str]:
    """WorkerCounters fields not named above: each becomes ``bricolage_jobs_<name>_total``."""
    known = set(_OUTCOMES) | set(_COUNTERS)
    return [f.name for f in attrs.fields(WorkerCounters) if f.name not in known]


def _worker_families() -> tuple[CounterMetricFamily, list[CounterMetricFamily]]:
    processed = CounterMetricFamily(
        f"{_PREFIX}_processed", "Attempts this worker finished, by outcome.", labels=["outcome"]
    )
    singles = [CounterMetricFamily(f"{_PREFIX}_{name}", text) for name, text in _COUNTERS.values()]
    singles += [
        CounterMetricFamily(f"{_PREFIX}_{field}", f"WorkerCounters.{field} of this worker.")
        for field in _extra_counters()
    ]
    return processed, singles


def _worker_metrics(counters: WorkerCounters) -> Iterator[Metric]:
    processed, singles = _worker_families()
    for outcome in _OUTCOMES:
        processed.add_metric([outcome], float(getattr(counters, outcome)))
    yield processed
    fields = [*_COUNTERS, *_extra_counters()]
    for family, field in zip(singles, fields, strict=True):
        family.add_metric([], float(getattr(counters, field)))
        yield family
