"""Cache outcomes and metrics."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx

__all__ = [
    "CacheMetrics",
    "CacheOutcome",
    "MetricsSnapshot",
    "RetryMetrics",
    "RetrySnapshot",
    "cache_outcome",
]

_log = logging.getLogger("bricolage.http")
_EXTENSION = "bricolage.http.cache"

#: Outcomes that were answered from storage without a round trip to the origin.
_FROM_CACHE = frozenset({"hit", "stale", "stale-while-revalidate", "stale-if-error"})
_STALE = frozenset({"stale", "stale-while-revalidate", "stale-if-error"})


@dataclass(frozen=True, slots=True)
class CacheOutcome:
    """What the cache did for one response, and why; read it with :func:`cache_outcome`.

    ``action`` is one of ``hit``, ``stale`` (allowed by ``max-stale``),
    ``stale-while-revalidate``, ``stale-if-error``, ``revalidated`` (a 304 freshened the
    stored response), ``miss``, ``bypass`` (method not cached) and ``gateway-timeout``
    (``only-if-cached`` with nothing stored). ``stored`` says whether the response will be
    stored once its body is read; ``reason`` answers "why (not)?".

    >>> from bricolage.http import CacheOutcome
    >>> CacheOutcome("miss", stored=False, reason="the response says no-store").from_cache
    False
    """

    action: str
    stored: bool
    reason: str
    key: str | None = None
    age: float | None = None

    @property
    def from_cache(self) -> bool:
        """Whether the body came from storage without contacting the origin.

        >>> from bricolage.http import CacheOutcome
        >>> CacheOutcome("hit", False, "fresh").from_cache
        True
        """
        return self.action in _FROM_CACHE


def cache_outcome(response: httpx.Response) -> CacheOutcome | None:
    """The :class:`CacheOutcome` a cache transport attached to ``response``, if any.

    >>> from bricolage.http import cache_outcome
    >>> import httpx
    >>> cache_outcome(httpx.Response(200)) is None
    True
    """
    outcome = response.extensions.get(_EXTENSION)
    return outcome if isinstance(outcome, CacheOutcome) else None


def _attach(response: httpx.Response, outcome: CacheOutcome) -> None:
    response.extensions[_EXTENSION] = outcome


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """Counters of a cache at one moment.

    >>> from bricolage.http import MetricsSnapshot
    >>> MetricsSnapshot().hit_ratio
    0.0
    """

    hits: int = 0
    misses: int = 0
    revalidations: int = 0
    stale_served: int = 0
    stored: int = 0
    not_stored: int = 0
    bypassed: int = 0
    errors: int = 0
    bytes_from_cache: int = 0

    @property
    def hit_ratio(self) -> float:
        """Hits and revalidations over lookups.

        >>> from bricolage.http import MetricsSnapshot
        >>> MetricsSnapshot(hits=3, misses=1).hit_ratio
        0.75
        """
        lookups = self.hits + self.misses + self.revalidations
        return 0.0 if lookups == 0 else (self.hits + self.revalidations) / lookups


class CacheMetrics:
    """Thread-safe counters of a cache, with a snapshot and an optional hook.

    ``hook`` is called with each :class:`CacheOutcome` as responses are answered; an
    exception in it is logged, never raised into the request.

    >>> from bricolage.http import CacheMetrics, CacheOutcome
    >>> metrics = CacheMetrics()
    >>> metrics.record(CacheOutcome("hit", False, "fresh"), body_bytes=5)
    >>> metrics.snapshot().hits, metrics.snapshot().bytes_from_cache
    (1, 5)
    """

    def __init__(self, hook: Callable[[CacheOutcome], None] | None = None) -> None:
        self._hook = hook
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(MetricsSnapshot.__dataclass_fields__, 0)

    def record(self, outcome: CacheOutcome, *, body_bytes: int = 0) -> None:
        """Count one answered response."""
        action = outcome.action
        with self._lock:
            counts = self._counts
            if action in _FROM_CACHE:
                counts["hits"] += 1
                counts["bytes_from_cache"] += body_bytes
                if action in _STALE:
                    counts["stale_served"] += 1
            elif action == "revalidated":
                counts["revalidations"] += 1
                counts["bytes_from_cache"] += body_bytes
            elif action == "bypass":
                counts["bypassed"] += 1
            else:
                counts["misses"] += 1
                if not outcome.stored:
                    counts["not_stored"] += 1
        if self._hook is not None:
            try:
                self._hook(outcome)
            except Exception:  # noqa: BLE001 - a hook must not break a request
                _log.exception("cache metrics hook failed")

    def record_stored(self) -> None:
        """Count one response written to storage."""
        with self._lock:
            self._counts["stored"] += 1

    def record_error(self) -> None:
        """Count one storage error (the request went on without the cache)."""
        with self._lock:
            self._counts["errors"] += 1

    def snapshot(self) -> MetricsSnapshot:
        """The counters now."""
        with self._lock:
            return MetricsSnapshot(**self._counts)

    def reset(self) -> None:
        """Set every counter back to zero.

        >>> from bricolage.http import CacheMetrics
        >>> metrics = CacheMetrics(); metrics.record_error(); metrics.reset()
        >>> metrics.snapshot().errors
        0
        """
        with self._lock:
            self._counts = dict.fromkeys(self._counts, 0)


@dataclass(frozen=True, slots=True)
class RetrySnapshot:
    """Counters of the retry transports that share one :class:`RetryMetrics`, at one moment.

    ``requests`` counts requests handed to the transport, ``attempts`` every attempt made
    (the first included), ``retries`` the attempts that followed a failure,
    ``delay_seconds`` the time spent waiting between them, ``failures`` the requests that
    ended in an error after the last attempt, ``budget_exhausted`` the retries refused by
    the :class:`RetryBudget`.

    >>> from bricolage.http import RetrySnapshot
    >>> RetrySnapshot(requests=4, attempts=6).retry_ratio
    0.5
    """

    requests: int = 0
    attempts: int = 0
    retries: int = 0
    failures: int = 0
    budget_exhausted: int = 0
    delay_seconds: float = 0.0

    @property
    def retry_ratio(self) -> float:
        """Extra attempts per request (``0.0`` when nothing was sent).

        >>> from bricolage.http import RetrySnapshot
        >>> RetrySnapshot().retry_ratio
        0.0
        """
        return 0.0 if self.requests == 0 else (self.attempts - self.requests) / self.requests


class RetryMetrics:
    """Thread-safe counters of retry transports, read with :meth:`snapshot`.

    Every :class:`RetryTransport` keeps one (``transport.metrics``); pass one to several
    transports to count them together.

    >>> import httpx
    >>> from bricolage.http import RetryMetrics, RetryTransport
    >>> from bricolage.http.testing import FrozenClock
    >>> replies = iter([503, 200])
    >>> metrics = RetryMetrics()
    >>> transport = RetryTransport(
    ...     httpx.MockTransport(lambda request: httpx.Response(next(replies))),
    ...     clock=FrozenClock(), metrics=metrics)
    >>> with httpx.Client(transport=transport) as client:
    ...     _ = client.get("http://api.test/")
    >>> metrics.snapshot().requests, metrics.snapshot().retries
    (1, 1)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, float] = dict.fromkeys(RetrySnapshot.__dataclass_fields__, 0)

    def add(self, **counts: float) -> None:
        """Add to the named counters (``requests``, ``attempts``, ``retries``...).

        >>> from bricolage.http import RetryMetrics
        >>> metrics = RetryMetrics(); metrics.add(requests=1, attempts=1)
        >>> metrics.snapshot().attempts
        1
        """
        with self._lock:
            for name, value in counts.items():
                self._counts[name] += value

    def snapshot(self) -> RetrySnapshot:
        """The counters now."""
        with self._lock:
            counts = dict(self._counts)
        delay = float(counts.pop("delay_seconds"))
        return RetrySnapshot(**{k: int(v) for k, v in counts.items()}, delay_seconds=delay)
