"""Retry decisions as pure functions, and the client-wide retry budget."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bricolage.http._directives import parse_http_date
from bricolage.http.errors import PolicyError

__all__ = [
    "RetryBudget",
    "RetryDecision",
    "RetryPolicy",
    "backoff_delay",
    "decide_retry",
    "parse_retry_after",
]

#: Errors raised before the request reached the server: safe to retry for any method.
_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how often to retry.

    Args:
        attempts: the total number of attempts, the first included (``1`` = no retry).
        deadline: seconds from the first attempt after which no new attempt starts
            (``None``: no deadline); a retry whose delay would cross it is not made.
        base_delay: the backoff ceiling of the first retry, doubled (``multiplier``) for
            each further one, capped at ``max_delay``; the delay is drawn uniformly below the
            ceiling ("full jitter").
        retry_after_cap: the longest ``Retry-After`` honoured; a server asking for more is
            not retried and its response is returned.
        statuses: response statuses that are retried.
        methods: methods retried on any retryable failure (the idempotent ones). Other
            methods are retried only when the request carries ``Idempotency-Key``, or when
            the error shows the request was never sent (connect errors).
        errors: exception types retried (subclasses included).

    >>> from bricolage.http import RetryPolicy
    >>> policy = RetryPolicy(attempts=5, deadline=30.0)
    >>> policy.attempts, 503 in policy.statuses, "POST" in policy.methods
    (5, True, False)
    """

    attempts: int = 3
    deadline: float | None = None
    base_delay: float = 0.1
    multiplier: float = 2.0
    max_delay: float = 10.0
    retry_after_cap: float = 60.0
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    methods: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
    errors: tuple[type[BaseException], ...] = field(
        default=(
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            httpx.ReadTimeout,
            httpx.ReadError,
            httpx.RemoteProtocolError,
        )
    )

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise PolicyError(f"attempts must be >= 1, got {self.attempts!r}")
        if self.deadline is not None and not self.deadline > 0:
            raise PolicyError(f"deadline must be positive or None, got {self.deadline!r}")
        for name in ("base_delay", "max_delay", "retry_after_cap"):
            value = getattr(self, name)
            if not value >= 0:
                raise PolicyError(f"{name} must be >= 0, got {value!r}")
        if not self.multiplier >= 1:
            raise PolicyError(f"multiplier must be >= 1, got {self.multiplier!r}")
        object.__setattr__(self, "statuses", frozenset(self.statuses))
        object.__setattr__(self, "methods", frozenset(m.upper() for m in self.methods))
        object.__setattr__(self, "errors", tuple(self.errors))


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """Whether to retry, after how many seconds, and why (or why not).

    >>> from bricolage.http import RetryPolicy, decide_retry
    >>> decide_retry(RetryPolicy(), method="GET", attempt=1, elapsed=0.0, status=503,
    ...              random=0.5).retry
    True
    """

    retry: bool
    delay: float
    reason: str


def backoff_delay(policy: RetryPolicy, attempt: int, random: float) -> float:
    """The full-jitter delay before attempt ``attempt + 1``.

    ``random`` is a number in ``[0, 1)``; the delay is ``random * min(max_delay,
    base_delay * multiplier ** (attempt - 1))``.

    >>> from bricolage.http import RetryPolicy, backoff_delay
    >>> backoff_delay(RetryPolicy(base_delay=1.0, max_delay=5.0), attempt=3, random=0.5)
    2.0
    >>> backoff_delay(RetryPolicy(base_delay=1.0, max_delay=5.0), attempt=30, random=0.5)
    2.5
    """
    exponent = max(0, attempt - 1)
    try:
        ceiling = min(policy.max_delay, policy.base_delay * policy.multiplier**exponent)
    except OverflowError:
        ceiling = policy.max_delay
    return max(0.0, min(1.0, random)) * ceiling


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or an HTTP date).

    ``now`` is the current POSIX time (for the date form). Invalid values give ``None``;
    a date in the past gives ``0``.

    >>> from bricolage.http import parse_retry_after
    >>> parse_retry_after("120", now=0.0)
    120.0
    >>> parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now=784111770.0)
    7.0
    >>> parse_retry_after("soon", now=0.0) is None
    True
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    date = parse_http_date(text)
    if date is None:
        return None
    return max(0.0, date - now)


def decide_retry(
    policy: RetryPolicy,
    *,
    method: str,
    attempt: int,
    elapsed: float,
    status: int | None = None,
    error: BaseException | None = None,
    retry_after: str | None = None,
    idempotency_key: bool = False,
    replayable: bool = True,
    now: float = 0.0,
    random: float = 1.0,
) -> RetryDecision:
    """Decide whether attempt number ``attempt`` (1-based, just finished) is retried.

    Exactly one of ``status`` (a response came back) and ``error`` (it raised) is given.
    ``elapsed`` is seconds since the first attempt started; ``now`` the POSIX time (for a
    ``Retry-After`` date); ``random`` a number in ``[0, 1)`` for the jitter.

    >>> from bricolage.http import RetryPolicy, decide_retry
    >>> policy = RetryPolicy(attempts=3, retry_after_cap=30)
    >>> decide_retry(policy, method="GET", attempt=1, elapsed=0.0, status=200).reason
    'status 200 is not retried'
    >>> decide_retry(policy, method="POST", attempt=1, elapsed=0.0, status=503).reason
    'method POST is not idempotent and carries no Idempotency-Key'
    >>> decide_retry(policy, method="GET", attempt=1, elapsed=0.0, status=429,
    ...              retry_after="5")
    RetryDecision(retry=True, delay=5.0, reason='status 429, Retry-After 5s')
    >>> decide_retry(policy, method="GET", attempt=3, elapsed=0.0, status=503).reason
    'all 3 attempts made'
    """
    if error is not None:
        if not isinstance(error, policy.errors):
            return RetryDecision(False, 0.0, f"{type(error).__name__} is not retried")
        what = type(error).__name__
        not_sent = isinstance(error, _NOT_SENT)
    elif status is not None:
        if status not in policy.statuses:
            return RetryDecision(False, 0.0, f"status {status} is not retried")
        what = f"status {status}"
        not_sent = False
    else:
        raise PolicyError("decide_retry needs a status or an error, got neither")
    method = method.upper()
    if not not_sent and method not in policy.methods and not idempotency_key:
        return RetryDecision(
            False, 0.0, f"method {method} is not idempotent and carries no Idempotency-Key"
        )
    if not replayable:
        return RetryDecision(False, 0.0, "the request body is a stream that cannot be replayed")
    if attempt >= policy.attempts:
        return RetryDecision(False, 0.0, f"all {policy.attempts} attempts made")
    delay = backoff_delay(policy, attempt, random)
    reason = what
    wait = parse_retry_after(retry_after, now=now) if status is not None else None
    if wait is not None:
        if wait > policy.retry_after_cap:
            return RetryDecision(
                False,
                0.0,
                f"Retry-After {wait:g}s exceeds the cap of {policy.retry_after_cap:g}s",
            )
        delay = wait
        reason = f"{what}, Retry-After {wait:g}s"
    if policy.deadline is not None and elapsed + delay > policy.deadline:
        return RetryDecision(
            False,
            0.0,
            f"a retry after {delay:.3g}s would cross the {policy.deadline:g}s deadline",
        )
    return RetryDecision(True, delay, reason)


class RetryBudget:
    """A token bucket that caps retries to a fraction of requests, shared by a client.

    Every request deposits ``ratio`` tokens; every retry withdraws one. A trickle of
    ``min_per_second`` tokens keeps a quiet client able to retry at all. The bucket holds
    at most ``capacity`` tokens and starts full. When it holds less than one token, retries
    stop: a failing upstream sees at most about ``ratio`` extra requests per request.
    Safe to share between threads and event loops.

    >>> from bricolage.http import RetryBudget
    >>> budget = RetryBudget(ratio=0.5, capacity=1, min_per_second=0, clock=lambda: 0.0)
    >>> budget.try_withdraw(), budget.try_withdraw()
    (True, False)
    >>> budget.deposit(); budget.deposit()
    >>> budget.try_withdraw()
    True
    """

    def __init__(
        self,
        *,
        ratio: float = 0.2,
        capacity: float = 10.0,
        min_per_second: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= ratio <= 1000:
            raise PolicyError(f"ratio must be between 0 and 1000, got {ratio!r}")
        if not capacity >= 1:
            raise PolicyError(f"capacity must be >= 1, got {capacity!r}")
        if not min_per_second >= 0:
            raise PolicyError(f"min_per_second must be >= 0, got {min_per_second!r}")
        self.ratio = ratio
        self.capacity = float(capacity)
        self.min_per_second = min_per_second
        self._clock = clock
        self._tokens = float(capacity)
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.min_per_second)

    def deposit(self) -> None:
        """Record one request (adds ``ratio`` tokens)."""
        with self._lock:
            self._refill()
            self._tokens = min(self.capacity, self._tokens + self.ratio)

    def try_withdraw(self) -> bool:
        """Take one token for a retry; ``False`` (and nothing taken) when the bucket is dry."""
        with self._lock:
            self._refill()
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    @property
    def tokens(self) -> float:
        """Tokens available now.

        >>> from bricolage.http import RetryBudget
        >>> RetryBudget(capacity=3, clock=lambda: 0.0).tokens
        3.0
        """
        with self._lock:
            self._refill()
            return self._tokens
