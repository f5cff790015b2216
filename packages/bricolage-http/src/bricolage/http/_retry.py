"""Retry decisions as pure functions, and the client-wide retry budget."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from bricolage.http._clock import Clock, as_clock
from bricolage.http.errors import PolicyError
from bricolage.http.rfc9111 import parse_http_date

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


_DEFAULT_ERRORS: tuple[type[BaseException], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ReadTimeout,
    httpx.ReadError,
    httpx.RemoteProtocolError,
)
_DEFAULT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
#: Old keyword -> the one it became in 0.2 (removed in 0.3).
_RENAMED = {"attempts": "max_attempts", "base_delay": "initial", "max_delay": "maximum"}


def _renamed(old: str) -> None:
    warnings.warn(
        f"RetryPolicy {old!r} is deprecated and will be removed in 0.3: use {_RENAMED[old]!r}",
        DeprecationWarning,
        stacklevel=3,
    )


@dataclass(frozen=True, slots=True, init=False)
class RetryPolicy:
    """When and how often to retry, in the vocabulary every bricolage package shares.

    Args:
        max_attempts: the total number of attempts, the first included (``1`` = no retry).
        initial: the delay before the first retry, in seconds.
        maximum: the longest delay between two attempts.
        multiplier: the delay before retry ``n`` is ``min(maximum, initial * multiplier **
            (n - 1))``.
        jitter: a fraction in ``[0, 1]``: the delay is drawn uniformly from
            ``[d * (1 - jitter), d]`` (``1.0``, the default, is "full jitter"; ``0`` none).
        deadline: seconds from the first attempt after which no new attempt starts
            (``None``: no deadline); a retry whose delay would cross it is not made.
        retry_after_cap: the longest ``Retry-After`` honoured; a server asking for more is
            not retried and its response is returned.
        statuses: response statuses that are retried.
        methods: methods retried on any retryable failure (the idempotent ones). Other
            methods are retried only when the request carries ``Idempotency-Key``, or when
            the error shows the request was never sent (connect errors).
        errors: exception types retried (subclasses included).

    ``attempts``, ``base_delay`` and ``max_delay`` are the 0.1 names of ``max_attempts``,
    ``initial`` and ``maximum``; they still work in 0.2 with a ``DeprecationWarning``.

    >>> from bricolage.http import RetryPolicy
    >>> policy = RetryPolicy(max_attempts=5, initial=0.5, maximum=8.0, deadline=30.0)
    >>> policy.max_attempts, 503 in policy.statuses, "POST" in policy.methods
    (5, True, False)
    """

    max_attempts: int
    initial: float
    maximum: float
    multiplier: float
    jitter: float
    deadline: float | None
    retry_after_cap: float
    statuses: frozenset[int]
    methods: frozenset[str]
    errors: tuple[type[BaseException], ...]

    def __init__(
        self,
        max_attempts: int = 3,
        *,
        initial: float = 0.1,
        maximum: float = 10.0,
        multiplier: float = 2.0,
        jitter: float = 1.0,
        deadline: float | None = None,
        retry_after_cap: float = 60.0,
        statuses: Iterable[int] = frozenset({429, 502, 503, 504}),
        methods: Iterable[str] = _DEFAULT_METHODS,
        errors: Iterable[type[BaseException]] = _DEFAULT_ERRORS,
        attempts: int | None = None,
        base_delay: float | None = None,
        max_delay: float | None = None,
    ) -> None:
        if attempts is not None:
            _renamed("attempts")
            max_attempts = attempts
        if base_delay is not None:
            _renamed("base_delay")
            initial = base_delay
        if max_delay is not None:
            _renamed("max_delay")
            maximum = max_delay
        if max_attempts < 1:
            raise PolicyError(f"max_attempts must be >= 1, got {max_attempts!r}")
        if deadline is not None and not deadline > 0:
            raise PolicyError(f"deadline must be positive or None, got {deadline!r}")
        for name, value in (
            ("initial", initial),
            ("maximum", maximum),
            ("retry_after_cap", retry_after_cap),
        ):
            if not value >= 0:
                raise PolicyError(f"{name} must be >= 0, got {value!r}")
        if not multiplier >= 1:
            raise PolicyError(f"multiplier must be >= 1, got {multiplier!r}")
        if not 0.0 <= jitter <= 1.0:
            raise PolicyError(f"jitter must be between 0 and 1, got {jitter!r}")
        setattr_ = object.__setattr__
        setattr_(self, "max_attempts", max_attempts)
        setattr_(self, "initial", initial)
        setattr_(self, "maximum", maximum)
        setattr_(self, "multiplier", multiplier)
        setattr_(self, "jitter", jitter)
        setattr_(self, "deadline", deadline)
        setattr_(self, "retry_after_cap", retry_after_cap)
        setattr_(self, "statuses", frozenset(statuses))
        setattr_(self, "methods", frozenset(m.upper() for m in methods))
        setattr_(self, "errors", tuple(errors))

    @property
    def attempts(self) -> int:
        """Deprecated: :attr:`max_attempts`.

        >>> import warnings
        >>> from bricolage.http import RetryPolicy
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     RetryPolicy(max_attempts=4).attempts
        4
        """
        _renamed("attempts")
        return self.max_attempts

    @property
    def base_delay(self) -> float:
        """Deprecated: :attr:`initial`.

        >>> import warnings
        >>> from bricolage.http import RetryPolicy
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     RetryPolicy(initial=0.5).base_delay
        0.5
        """
        _renamed("base_delay")
        return self.initial

    @property
    def max_delay(self) -> float:
        """Deprecated: :attr:`maximum`.

        >>> import warnings
        >>> from bricolage.http import RetryPolicy
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     RetryPolicy(maximum=5.0).max_delay
        5.0
        """
        _renamed("max_delay")
        return self.maximum


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
    """The delay before retry number ``attempt`` (1-based), with the policy's jitter.

    ``d = min(maximum, initial * multiplier ** (attempt - 1))``; ``random`` is a number in
    ``[0, 1)`` and the delay is ``d * (1 - jitter * random)``, which is uniform over
    ``[d * (1 - jitter), d]`` for a uniform ``random``.

    >>> from bricolage.http import RetryPolicy, backoff_delay
    >>> policy = RetryPolicy(initial=1.0, maximum=5.0, jitter=0.0)
    >>> backoff_delay(policy, attempt=3, random=0.5)
    4.0
    >>> backoff_delay(policy, attempt=30, random=0.5)
    5.0
    >>> backoff_delay(RetryPolicy(initial=1.0, maximum=5.0), attempt=3, random=0.5)
    2.0
    """
    exponent = max(0, attempt - 1)
    try:
        ceiling = min(policy.maximum, policy.initial * policy.multiplier**exponent)
    except OverflowError:
        ceiling = policy.maximum
    return ceiling * (1.0 - policy.jitter * max(0.0, min(1.0, random)))


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
    random: float = 0.0,
) -> RetryDecision:
    """Decide whether attempt number ``attempt`` (1-based, just finished) is retried.

    Exactly one of ``status`` (a response came back) and ``error`` (it raised) is given.
    ``elapsed`` is seconds since the first attempt started; ``now`` the POSIX time (for a
    ``Retry-After`` date); ``random`` a number in ``[0, 1)`` for the jitter (``0`` gives the
    full delay).

    >>> from bricolage.http import RetryPolicy, decide_retry
    >>> policy = RetryPolicy(max_attempts=3, retry_after_cap=30)
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
    if attempt >= policy.max_attempts:
        return RetryDecision(False, 0.0, f"all {policy.max_attempts} attempts made")
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
    ``min_per_second`` tokens keeps a quiet client able to retry at all (timed by
    ``clock.monotonic()``). The bucket holds
    at most ``capacity`` tokens and starts full. When it holds less than one token, retries
    stop: a failing upstream sees at most about ``ratio`` extra requests per request.
    Safe to share between threads and event loops.

    >>> from bricolage.http import RetryBudget
    >>> from bricolage.http.testing import FrozenClock
    >>> budget = RetryBudget(ratio=0.5, capacity=1, min_per_second=0, clock=FrozenClock())
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
        clock: Clock | Callable[[], float] | None = None,
    ) -> None:
        if not 0 <= ratio <= 1000:
            raise PolicyError(f"ratio must be between 0 and 1000, got {ratio!r}")
        if not capacity >= 1:
            raise PolicyError(f"capacity must be >= 1, got {capacity!r}")
        if not min_per_second >= 0:
            raise PolicyError(f"min_per_second must be >= 0, got {min_per_second!r}")
        self.ratio: float = ratio
        self.capacity: float = float(capacity)
        self.min_per_second: float = min_per_second
        self._clock = as_clock(clock, owner="RetryBudget", monotonic=True).monotonic
        self._tokens = float(capacity)
        self._last = self._clock()
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
        >>> from bricolage.http.testing import FrozenClock
        >>> RetryBudget(capacity=3, clock=FrozenClock()).tokens
        3.0
        """
        with self._lock:
            self._refill()
            return self._tokens
