"""Shipping lines to Elasticsearch from a background thread, through the official client.

The extra ``bricolage-logging[elasticsearch]`` installs the ``elasticsearch`` client; its
bulk helper (:func:`elasticsearch.helpers.streaming_bulk`) builds and sends each batch,
and this module keeps what is ours: the bounded queue, the thread that never blocks the
application, the retry policy and the counts.
"""

from __future__ import annotations

import contextlib
import json
import queue
import random
import re
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from bricolage.logging._checks import positive_number, whole_number
from bricolage.logging._retry import RetryPolicy
from bricolage.logging.errors import ConfigurationError

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["ElasticsearchShipper", "ShipperStats", "bulk_body"]

_RETRYABLE_STATUS: Final = frozenset({408, 429, 500, 502, 503, 504})
_UNSET: Final[Any] = object()
_INDEX_NAME = re.compile(r"[a-z0-9][a-z0-9._+-]{0,254}")
_STOP: Final = object()
_LAST_TRY_GRACE: Final = 1.0


@dataclass(frozen=True, slots=True)
class ShipperStats:
    """A snapshot of what a shipper did.

    Attributes:
        sent: lines Elasticsearch accepted.
        dropped: lines lost, for any reason (the sum of the three below).
        dropped_queue_full: lines refused because the queue was full.
        rejected: lines Elasticsearch refused for good (a mapping error, a 4xx).
        gave_up: lines still failing when the retries ran out, or at close.
        retries: requests repeated after a failure.
        queued: lines waiting in the queue now.
        last_error: the last failure seen, for a health check.

    >>> ShipperStats(sent=3, dropped=0, dropped_queue_full=0, rejected=0, gave_up=0,
    ...              retries=0, queued=0, last_error=None).sent
    3
    """

    sent: int
    dropped: int
    dropped_queue_full: int
    rejected: int
    gave_up: int
    retries: int
    queued: int
    last_error: str | None


def _backoff_delay(
    attempt: int,
    *,
    initial: float,
    maximum: float,
    multiplier: float = 2.0,
    jitter: float = 0.5,
    draw: float = 0.5,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, capped, jittered.

    Deprecated since 0.2: use :meth:`RetryPolicy.delay`, whose jitter only ever shortens
    the delay. The base delay is ``initial * multiplier ** (attempt - 1)`` capped at ``maximum``;
    ``jitter`` spreads it by up to that fraction either way, using ``draw`` in ``[0, 1)``.

    >>> from bricolage.logging._shipper import _backoff_delay
    >>> _backoff_delay(4, initial=0.5, maximum=30.0, jitter=0.0)
    4.0
    """
    exponent = min(max(attempt - 1, 0), 64)
    base = min(maximum, initial * multiplier**exponent)
    return max(0.0, base * (1.0 + jitter * (2.0 * draw - 1.0)))


def bulk_body(index: str, lines: Sequence[str]) -> bytes:
    """The NDJSON body of a ``_bulk`` request that creates one document per line.

    >>> bulk_body("logs", ['{"message":"a"}']).decode()
    '{"create":{"_index":"logs"}}\\n{"message":"a"}\\n'
    """
    action = json.dumps({"create": {"_index": index}}, separators=(",", ":"))
    parts: list[str] = []
    for line in lines:
        parts.append(action)
        parts.append(line)
    parts.append("")
    return "\n".join(parts).encode()


def _require_elasticsearch() -> Any:
    try:
        import elasticsearch
        import elasticsearch.helpers
    except ImportError:
        raise ConfigurationError(
            "ElasticsearchShipper needs the elasticsearch client: "
            'pip install "bricolage-logging[elasticsearch]"'
        ) from None
    return elasticsearch


def _status_of(item: Mapping[str, Any]) -> object:
    result: object = next(iter(item.values()), {}) if item else {}
    return result.get("status") if isinstance(result, dict) else None


class ElasticsearchShipper:
    """A :class:`~bricolage.logging.LineSink` that ships lines to Elasticsearch.

    ``write`` only puts the line on a bounded queue and returns at once; when the queue
    is full the line is dropped and counted. A daemon thread sends batches of up to
    ``batch_size`` lines at least every ``flush_interval`` seconds through the official
    client's bulk helper (one ``create`` action per line, so data streams work), retries
    failures (connection errors, 408/429/5xx, and the items an answer marks as such) as
    ``retry`` says, and counts what it gives up on. Nothing it does raises into the
    application. Needs the extra ``bricolage-logging[elasticsearch]``.

    Args:
        url: the cluster, ``http://host:9200`` (a path prefix and ``user:password@``
            are honoured).
        index: the index or data stream the documents go to.
        retry: attempts and backoff; the default makes 6 attempts, 0.5 s doubling to
            30 s, half jitter. (``max_retries``, ``backoff_initial`` and ``backoff_max``
            are the deprecated 0.1 spelling.)
        headers: extra headers, e.g. ``{"Authorization": "ApiKey ..."}``.
        rng: the random source for the jitter (inject one in tests).

    >>> shipper = ElasticsearchShipper("http://127.0.0.1:9", index="logs", start=False)
    >>> shipper.write('{"message":"queued"}')
    >>> shipper.stats().queued
    1
    >>> shipper.close(timeout=0)
    >>> shipper.stats().gave_up
    1
    """

    def __init__(
        self,
        url: str,
        *,
        index: str,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        queue_size: int = 10_000,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        start: bool = True,
        max_retries: int = _UNSET,
        backoff_initial: float = _UNSET,
        backoff_max: float = _UNSET,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise ConfigurationError(
                f"Elasticsearch url must look like http://host:9200, got {url!r}"
            )
        if not _INDEX_NAME.fullmatch(index):
            raise ConfigurationError(
                f"invalid index name {index!r}: use lowercase letters, digits and '._+-', "
                "starting with a letter or digit"
            )
        self.index = index
        self.batch_size: int = whole_number("batch_size", batch_size, minimum=1)
        self.queue_size: int = whole_number("queue_size", queue_size, minimum=1)
        self.flush_interval: float = positive_number(
            "flush_interval", flush_interval, unit="seconds"
        )
        self.timeout: float = positive_number("timeout", timeout, unit="seconds")
        self.retry: RetryPolicy = self._retry_policy(
            retry, max_retries, backoff_initial, backoff_max
        )
        elasticsearch = _require_elasticsearch()
        self._bulk: Callable[..., Iterator[tuple[bool, dict[str, Any]]]] = (
            elasticsearch.helpers.streaming_bulk
        )
        self._api_error: type[Exception] = elasticsearch.ApiError
        self._transport_error: type[Exception] = elasticsearch.TransportError
        netloc = parsed.hostname if parsed.port is None else f"{parsed.hostname}:{parsed.port}"
        if ":" in (parsed.hostname or "") and parsed.port is not None:
            netloc = f"[{parsed.hostname}]:{parsed.port}"
        node = urllib.parse.urlunsplit((parsed.scheme, netloc, parsed.path, "", ""))
        options: dict[str, Any] = {
            "request_timeout": self.timeout,
            "max_retries": 0,  # the retry policy below is the only one
            "retry_on_timeout": False,
            "retry_on_status": (),
            "headers": dict(headers or {}),
        }
        if parsed.username is not None:
            options["basic_auth"] = (
                urllib.parse.unquote(parsed.username),
                urllib.parse.unquote(parsed.password or ""),
            )
        self._client: Elasticsearch = elasticsearch.Elasticsearch(node, **options)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
        self._clock = clock
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._counts = {"sent": 0, "queue_full": 0, "rejected": 0, "gave_up": 0, "retries": 0}
        self._count_lock = threading.Lock()
        self._last_error: str | None = None
        self._closed = False
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._thread = threading.Thread(
            target=self._run, name=f"bricolage-logging-shipper-{index}", daemon=True
        )
        self._started = False
        if start:
            self.start()

    @staticmethod
    def _retry_policy(
        retry: RetryPolicy | None, max_retries: int, initial: float, maximum: float
    ) -> RetryPolicy:
        legacy = {
            name: value
            for name, value in (
                ("max_retries", max_retries),
                ("backoff_initial", initial),
                ("backoff_max", maximum),
            )
            if value is not _UNSET
        }
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError(f"retry must be a RetryPolicy, got {retry!r}")
        if not legacy:
            return retry if retry is not None else RetryPolicy()
        if retry is not None:
            raise ConfigurationError(
                f"pass either retry=RetryPolicy(...) or the deprecated {sorted(legacy)}, not both"
            )
        warnings.warn(
            f"ElasticsearchShipper({', '.join(f'{k}=' for k in legacy)}...) is deprecated "
            "and goes away in 0.3; pass retry=RetryPolicy(max_attempts=..., initial=..., "
            "maximum=...) (max_attempts counts the first attempt: max_retries + 1)",
            DeprecationWarning,
            stacklevel=3,
        )
        default = RetryPolicy()
        retries = whole_number("max_retries", legacy.get("max_retries", 5), minimum=0)
        first = positive_number(
            "backoff_initial", legacy.get("backoff_initial", default.initial), unit="seconds"
        )
        cap = positive_number(
            "backoff_max", legacy.get("backoff_max", default.maximum), unit="seconds"
        )
        return RetryPolicy(max_attempts=retries + 1, initial=first, maximum=max(first, cap))

    # -- the application's side -------------------------------------------------------

    def start(self) -> None:
        """Start the background thread (done by the constructor unless ``start=False``).

        >>> shipper = ElasticsearchShipper("http://127.0.0.1:9", index="l", start=False)
        >>> shipper.close(timeout=0); shipper.start()  # after close: does nothing
        """
        if not self._started and not self._closed:
            self._started = True
            self._thread.start()

    def write(self, line: str) -> None:
        """Queue ``line`` without blocking; count it as dropped when the queue is full.

        After :meth:`close` the line is counted in ``gave_up``; ``write`` never raises.
        Lines logged by the shipper's own thread (the Elasticsearch client reports each
        request through :mod:`logging`) are not shipped, so shipping cannot feed itself.

        >>> shipper = ElasticsearchShipper("http://127.0.0.1:9", index="l", queue_size=1,
        ...                                start=False)
        >>> shipper.write("{}"); shipper.write("{}")
        >>> shipper.stats().dropped_queue_full
        1
        >>> shipper.close(timeout=0)
        """
        if threading.get_ident() == self._thread.ident:
            return
        if self._closed:
            self._count("gave_up", 1)
            return
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            self._count("queue_full", 1)

    def stats(self) -> ShipperStats:
        """What was sent and dropped so far.

        >>> shipper = ElasticsearchShipper("http://127.0.0.1:9", index="l", start=False)
        >>> shipper.stats().sent
        0
        >>> shipper.close(timeout=0)
        """
        with self._count_lock:
            counts = dict(self._counts)
            last_error = self._last_error
        dropped = counts["queue_full"] + counts["rejected"] + counts["gave_up"]
        return ShipperStats(
            sent=counts["sent"],
            dropped=dropped,
            dropped_queue_full=counts["queue_full"],
            rejected=counts["rejected"],
            gave_up=counts["gave_up"],
            retries=counts["retries"],
            queued=self._queue.qsize(),
            last_error=last_error,
        )

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued line was sent or given up; ``False`` on timeout.

        >>> shipper = ElasticsearchShipper("http://127.0.0.1:9", index="l", start=False)
        >>> shipper.flush(0.01)  # nothing queued
        True
        >>> shipper.close(timeout=0)
        """
        deadline = self._clock() + timeout
        with self._idle:
            while self._queue.unfinished_tasks > 0:
                remaining = deadline - self._clock()
                if remaining <= 0 or not self._thread.is_alive():
                    return False
                self._idle.wait(min(remaining, 0.05))
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (for at most ``timeout`` seconds) and stop the thread.

        A batch waiting to be retried then gets one last attempt, without backoff, for
        which ``close`` waits up to one more second. Lines still queued afterwards are
        counted in ``gave_up``. Closing twice is fine.

        >>> shipper = ElasticsearchShipper("http://127.0.0.1:9", index="l", start=False)
        >>> shipper.close(timeout=0); shipper.close()
        """
        if self._closed:
            return
        self._closed = True
        if self._started and self._thread.is_alive():
            deadline = self._clock() + timeout
            self.flush(timeout)
            self._stop.set()
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(_STOP)
            self._thread.join(max(0.0, deadline - self._clock()) + _LAST_TRY_GRACE)
        self._stop.set()
        left = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                left += 1
        if left:
            self._count("gave_up", left)
        if not self._thread.is_alive():
            self._client.close()

    # -- the background thread ----------------------------------------------------------

    def _count(self, key: str, amount: int) -> None:
        with self._count_lock:
            self._counts[key] += amount

    def _error(self, message: str) -> None:
        with self._count_lock:
            self._last_error = message

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._collect()
            if batch:
                try:
                    self._ship(batch)
                except Exception as error:  # noqa: BLE001 - the thread must never die
                    self._error(f"unexpected {type(error).__name__}: {error}")
                    self._count("gave_up", len(batch))
            for _ in range(len(batch) + (1 if stopping else 0)):
                self._queue.task_done()
            with self._idle:
                self._idle.notify_all()

    def _collect(self) -> tuple[list[str], bool]:
        batch: list[str] = []
        deadline = self._clock() + self.flush_interval
        while len(batch) < self.batch_size:
            remaining = deadline - self._clock()
            try:
                item = (
                    self._queue.get(timeout=max(remaining, 0.0))
                    if remaining > 0
                    else (self._queue.get_nowait())
                )
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            assert isinstance(item, str)
            batch.append(item)
        return batch, False

    def _ship(self, batch: list[str]) -> None:
        pending = batch
        attempts = 0
        while pending:
            retry = self._send(pending)
            attempts += 1
            if not retry:
                return
            if not self.retry.retries_left(attempts) or self._stop.is_set():
                self._count("gave_up", len(retry))
                return
            self._count("retries", 1)
            delay = self.retry.delay(attempts, draw=self._rng.random())
            if self._stop.wait(delay):
                # Closing: one last try, without further waits.
                last = self._send(retry)
                self._count("gave_up", len(last))
                return
            pending = retry

    def _action(self, line: str) -> tuple[dict[str, Any], bytes]:
        return {"create": {"_index": self.index}}, line.encode("utf-8")

    def _send(self, lines: list[str]) -> list[str]:
        """Send one batch through the bulk helper; return the lines to try again."""
        results: list[tuple[bool, dict[str, Any]]] = []
        try:
            results.extend(
                self._bulk(
                    self._client,
                    lines,
                    chunk_size=len(lines),
                    max_chunk_bytes=2**62,
                    expand_action_callback=self._action,
                    raise_on_error=False,
                    raise_on_exception=False,
                    max_retries=0,
                    yield_ok=True,
                )
            )
        except self._transport_error as error:
            self._error(f"{type(error).__name__}: {error}")
            return lines
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            # A 2xx answer that is not a _bulk answer: the helper could not read it.
            self._error(f"unreadable _bulk answer ({type(error).__name__}: {error})")
            return lines
        if len(results) != len(lines):
            self._error(f"unreadable _bulk answer: {len(results)} results for {len(lines)} lines")
            return lines
        retry: list[str] = []
        refused = 0
        statuses: set[object] = set()
        for line, (ok, item) in zip(lines, results, strict=True):
            if ok:
                continue
            status = _status_of(item)
            statuses.add(status)
            if not isinstance(status, int) or status in _RETRYABLE_STATUS:
                retry.append(line)
            else:
                refused += 1
        if refused:
            self._count("rejected", refused)
        if retry or refused:
            shown = ", ".join(sorted(str(s) for s in statuses))
            self._error(
                f"Elasticsearch answered status {shown}: "
                f"{refused} documents refused, {len(retry)} to retry"
            )
        self._count("sent", len(lines) - len(retry) - refused)
        return retry


def __getattr__(name: str) -> Any:
    if name == "backoff_delay":
        warnings.warn(
            "bricolage.logging.backoff_delay is deprecated and goes away in 0.3; "
            "use RetryPolicy(initial=..., maximum=..., multiplier=..., jitter=...).delay(n)",
            DeprecationWarning,
            stacklevel=2,
        )
        return _backoff_delay
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
