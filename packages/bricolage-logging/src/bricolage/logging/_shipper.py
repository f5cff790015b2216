"""Shipping lines to Elasticsearch's ``_bulk`` API from a background thread."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import random
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bricolage.logging._checks import positive_number, whole_number
from bricolage.logging.errors import ConfigurationError

__all__ = ["ElasticsearchShipper", "ShipperStats", "backoff_delay", "bulk_body"]

_RETRYABLE_STATUS: Final = frozenset({408, 429, 500, 502, 503, 504})
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


def backoff_delay(
    attempt: int,
    *,
    initial: float,
    maximum: float,
    multiplier: float = 2.0,
    jitter: float = 0.5,
    draw: float = 0.5,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, capped, jittered.

    The base delay is ``initial * multiplier ** (attempt - 1)`` capped at ``maximum``;
    ``jitter`` spreads it by up to that fraction either way, using ``draw`` in ``[0, 1)``.

    >>> backoff_delay(1, initial=0.5, maximum=30.0, jitter=0.0)
    0.5
    >>> backoff_delay(4, initial=0.5, maximum=30.0, jitter=0.0)
    4.0
    >>> backoff_delay(20, initial=0.5, maximum=30.0, jitter=0.0)
    30.0
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


def _bulk_outcome(payload: Mapping[str, Any], count: int) -> tuple[list[int], int]:
    """From a 200 ``_bulk`` answer: the positions to retry and how many were refused."""
    if not payload.get("errors"):
        return [], 0
    items = payload.get("items")
    if not isinstance(items, list) or len(items) != count:
        return list(range(count)), 0  # an answer we cannot read: send the batch again
    retry: list[int] = []
    refused = 0
    for position, item in enumerate(items):
        result: object = next(iter(item.values()), {}) if isinstance(item, dict) else {}
        status = result.get("status", 500) if isinstance(result, dict) else 500
        if isinstance(status, int) and 200 <= status < 300:
            continue
        if status in _RETRYABLE_STATUS:
            retry.append(position)
        else:
            refused += 1
    return retry, refused


class ElasticsearchShipper:
    """A :class:`~bricolage.logging.LineSink` that ships lines to Elasticsearch's ``_bulk`` API.

    ``write`` only puts the line on a bounded queue and returns at once; when the queue
    is full the line is dropped and counted. A daemon thread sends batches of up to
    ``batch_size`` lines at least every ``flush_interval`` seconds, retries failures
    (connection errors, 408/429/5xx, and the items a 200 answer marks as such) with
    capped exponential backoff and jitter, and counts what it gives up on. Nothing it
    does raises into the application. It speaks HTTP through :mod:`http.client`.

    Args:
        url: the cluster, ``http://host:9200`` (a path prefix and ``user:password@``
            are honoured).
        index: the index or data stream the documents go to.
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
        max_retries: int = 5,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        start: bool = True,
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
        self.batch_size = whole_number("batch_size", batch_size, minimum=1)
        whole_number("queue_size", queue_size, minimum=1)
        self.max_retries = whole_number("max_retries", max_retries, minimum=0)
        self.flush_interval = positive_number("flush_interval", flush_interval, unit="seconds")
        self.backoff_initial = positive_number("backoff_initial", backoff_initial, unit="seconds")
        self.backoff_max = positive_number("backoff_max", backoff_max, unit="seconds")
        self.timeout = positive_number("timeout", timeout, unit="seconds")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._path = parsed.path.rstrip("/") + "/_bulk"
        self._headers = {"Content-Type": "application/x-ndjson", "Accept": "application/json"}
        if parsed.username is not None:
            import base64

            user = urllib.parse.unquote(parsed.username)
            password = urllib.parse.unquote(parsed.password or "")
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"
        self._headers.update(headers or {})
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
        self._clock = clock
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._counts = {"sent": 0, "queue_full": 0, "rejected": 0, "gave_up": 0, "retries": 0}
        self._count_lock = threading.Lock()
        self._last_error: str | None = None
        self._closed = False
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._in_flight = 0
        self._connection: http.client.HTTPConnection | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"bricolage-logging-shipper-{index}", daemon=True
        )
        self._started = False
        if start:
            self.start()

    # -- the application's side -------------------------------------------------------

    def start(self) -> None:
        """Start the background thread (done by the constructor unless ``start=False``)."""
        if not self._started and not self._closed:
            self._started = True
            self._thread.start()

    def write(self, line: str) -> None:
        """Queue ``line`` without blocking; count it as dropped when the queue is full.

        After :meth:`close` the line is counted in ``gave_up``; ``write`` never raises.
        """
        if self._closed:
            self._count("gave_up", 1)
            return
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            self._count("queue_full", 1)

    def stats(self) -> ShipperStats:
        """What was sent and dropped so far."""
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
        """Wait until every queued line was sent or given up; ``False`` on timeout."""
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
        if self._connection is not None and not self._thread.is_alive():
            self._connection.close()

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
        if self._connection is not None:
            self._connection.close()
            self._connection = None

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
        attempt = 0
        while pending:
            retry = self._send(pending)
            if not retry:
                return
            attempt += 1
            if attempt > self.max_retries or self._stop.is_set():
                self._count("gave_up", len(retry))
                return
            self._count("retries", 1)
            delay = backoff_delay(
                attempt,
                initial=self.backoff_initial,
                maximum=self.backoff_max,
                draw=self._rng.random(),
            )
            if self._stop.wait(delay):
                # Closing: one last try, without further waits.
                last = self._send(retry)
                self._count("gave_up", len(last))
                return
            pending = retry

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            connection_class = (
                http.client.HTTPSConnection
                if self._scheme == "https"
                else http.client.HTTPConnection
            )
            self._connection = connection_class(self._host, self._port, timeout=self.timeout)
        return self._connection

    def _send(self, lines: list[str]) -> list[str]:
        """POST one batch; return the lines to try again."""
        body = bulk_body(self.index, lines)
        try:
            connection = self._connect()
            connection.request("POST", self._path, body=body, headers=self._headers)
            response = connection.getresponse()
            status = response.status
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self._error(f"{type(error).__name__}: {error}")
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            return lines
        if status in _RETRYABLE_STATUS:
            self._error(f"HTTP {status} from {self._path}")
            return lines
        if not 200 <= status < 300:
            self._error(f"HTTP {status} from {self._path}: {raw[:200]!r}")
            self._count("rejected", len(lines))
            return []
        try:
            payload = json.loads(raw)
        except ValueError:
            self._error(f"unreadable _bulk answer: {raw[:200]!r}")
            return lines
        if not isinstance(payload, dict):
            self._error(f"unreadable _bulk answer: {raw[:200]!r}")
            return lines
        positions, refused = _bulk_outcome(payload, len(lines))
        if refused:
            self._count("rejected", refused)
            self._error(f"{refused} documents refused by {self._path}")
        self._count("sent", len(lines) - len(positions) - refused)
        return [lines[position] for position in positions]
