"""Pure decisions: retry schedule, lease and fencing rules, rate limits."""

from __future__ import annotations

import math
import warnings
from random import Random

import attrs

from bricolage.jobs._states import Event, JobState
from bricolage.jobs.errors import ConfigurationError

__all__ = [
    "Bucket",
    "FailureDecision",
    "LeasePolicy",
    "RateLimit",
    "RetryPolicy",
    "decide_failure",
    "expiry_event",
    "fence_accepts",
    "take_tokens",
]


def _positive(name: str, value: float, *, zero_ok: bool = False) -> None:
    if math.isinf(value) or math.isnan(value) or not (value >= 0 if zero_ok else value > 0):
        bound = ">= 0" if zero_ok else "> 0"
        raise ConfigurationError(f"{name} must be a finite number {bound}, got {value!r}")


_RENAMED = {"base": "initial", "factor": "multiplier", "max_delay": "maximum"}


def _deprecated(old: str) -> None:
    warnings.warn(
        f"RetryPolicy's {old!r} is now called {_RENAMED[old]!r}; the old name is removed "
        "in bricolage-jobs 0.3",
        DeprecationWarning,
        stacklevel=3,
    )


@attrs.frozen(slots=True, init=False)
class RetryPolicy:
    """Exponential backoff with jitter between the attempts of a failing job.

    ``max_attempts`` counts every attempt, the first included. The wait after failed
    attempt ``n`` (1-based) is drawn uniformly from ``[d * (1 - jitter), d]`` where
    ``d = min(maximum, initial * multiplier**(n-1))``: a ``jitter`` of 1.0 is full
    jitter, 0 none, so that many failing jobs do not retry in lockstep.

    >>> policy = RetryPolicy(max_attempts=4, initial=1.0, multiplier=2.0, jitter=0.0)
    >>> [policy.delay(n, Random(0)) for n in (1, 2, 3)]
    [1.0, 2.0, 4.0]

    The 0.1 names ``base``, ``factor`` and ``max_delay`` still work until 0.3, with a
    :class:`DeprecationWarning`.
    """

    max_attempts: int
    """Attempts in all, the first included (at least 1)."""
    initial: float
    """Seconds before the first retry, before jitter."""
    maximum: float
    """The longest wait, in seconds, however many attempts failed."""
    multiplier: float
    """How much each wait grows over the one before (at least 1)."""
    jitter: float
    """The share of each wait drawn at random, from 0 (none) to 1 (full jitter)."""

    def __init__(
        self,
        max_attempts: int = 3,
        initial: float | None = None,
        *,
        maximum: float | None = None,
        multiplier: float | None = None,
        jitter: float = 0.5,
        base: float | None = None,
        factor: float | None = None,
        max_delay: float | None = None,
    ) -> None:
        chosen: dict[str, float | None] = {
            "initial": initial,
            "multiplier": multiplier,
            "maximum": maximum,
        }
        for old, value in (("base", base), ("factor", factor), ("max_delay", max_delay)):
            if value is None:
                continue
            _deprecated(old)
            new = _RENAMED[old]
            if chosen[new] is not None:
                raise ConfigurationError(
                    f"RetryPolicy got both {new}={chosen[new]!r} and its old name "
                    f"{old}={value!r}; pass {new} only"
                )
            chosen[new] = value
        self.__attrs_init__(
            max_attempts,
            1.0 if chosen["initial"] is None else chosen["initial"],
            300.0 if chosen["maximum"] is None else chosen["maximum"],
            2.0 if chosen["multiplier"] is None else chosen["multiplier"],
            jitter,
        )

    def __attrs_post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise ConfigurationError(
                f"max_attempts must be an integer >= 1, got {self.max_attempts!r}"
            )
        if self.max_attempts < 1:
            raise ConfigurationError(
                f"max_attempts must be an integer >= 1, got {self.max_attempts!r}"
            )
        _positive("initial", self.initial, zero_ok=True)
        _positive("maximum", self.maximum, zero_ok=True)
        if not (1.0 <= self.multiplier < math.inf):
            raise ConfigurationError(
                f"multiplier must be a finite number >= 1, got {self.multiplier!r}"
            )
        if not (0.0 <= self.jitter <= 1.0):
            raise ConfigurationError(f"jitter must be between 0 and 1, got {self.jitter!r}")

    @property
    def base(self) -> float:
        """Deprecated: :attr:`initial`."""
        _deprecated("base")
        return self.initial

    @property
    def factor(self) -> float:
        """Deprecated: :attr:`multiplier`."""
        _deprecated("factor")
        return self.multiplier

    @property
    def max_delay(self) -> float:
        """Deprecated: :attr:`maximum`."""
        _deprecated("max_delay")
        return self.maximum

    def ceiling(self, attempt: int) -> float:
        """The wait after failed ``attempt`` before jitter: ``min(maximum, initial * ...)``.

        >>> RetryPolicy(initial=2.0, maximum=5.0).ceiling(3)
        5.0
        """
        exponent = max(0, attempt - 1)
        try:
            raw = self.initial * self.multiplier**exponent
        except OverflowError:
            return self.maximum
        return min(self.maximum, raw)

    def delay(self, attempt: int, rng: Random) -> float:
        """The wait after failed ``attempt``, in ``[ceiling * (1 - jitter), ceiling]``.

        >>> 0.5 <= RetryPolicy(initial=1.0, jitter=0.5).delay(1, Random(7)) <= 1.0
        True
        """
        top = self.ceiling(attempt)
        return top * (1.0 - self.jitter * rng.random())


@attrs.frozen(slots=True)
class FailureDecision:
    """What follows a failed attempt: the event, and when the job may run again.

    >>> decide_failure(RetryPolicy(max_attempts=1), 1, 1, False, 10.0, Random(0))
    FailureDecision(event=<Event.BURY: 'bury'>, due_at=None)
    """

    event: Event
    due_at: float | None


def decide_failure(
    policy: RetryPolicy,
    attempt: int,
    max_attempts: int,
    permanent: bool,
    now: float,
    rng: Random,
) -> FailureDecision:
    """Decide what a failure of ``attempt`` (1-based) out of ``max_attempts`` leads to.

    A permanent error fails the job at once; otherwise it retries after the backoff
    while attempts remain, and goes to the dead-letter queue when none do.

    >>> decide_failure(RetryPolicy(jitter=0.0), 1, 3, False, 100.0, Random(0))
    FailureDecision(event=<Event.RETRY: 'retry'>, due_at=101.0)
    >>> decide_failure(RetryPolicy(), 1, 3, True, 100.0, Random(0)).event
    <Event.FAIL: 'fail'>
    """
    if permanent:
        return FailureDecision(Event.FAIL, None)
    if attempt >= max_attempts:
        return FailureDecision(Event.BURY, None)
    return FailureDecision(Event.RETRY, now + policy.delay(attempt, rng))


@attrs.frozen(slots=True)
class LeasePolicy:
    """How long a claimed job stays with its worker without a renewal.

    A worker renews every ``duration / 3`` seconds while the job runs; if it dies or
    freezes, the lease runs out and the job is handed out again. (A job that used up its
    ``max_deliveries`` leases without finishing, because it keeps killing its worker,
    goes to the dead-letter queue instead; that limit is set per job.)

    >>> LeasePolicy(duration=30.0).renew_interval
    10.0
    """

    duration: float = 30.0

    def __attrs_post_init__(self) -> None:
        _positive("lease duration", self.duration)

    @property
    def renew_interval(self) -> float:
        """Seconds between two renewals by a live worker."""
        return self.duration / 3.0


def expiry_event(deliveries: int, max_deliveries: int) -> Event:
    """What an expired lease leads to: another delivery, or the dead-letter queue.

    >>> expiry_event(1, 3), expiry_event(3, 3)
    (<Event.EXPIRE: 'expire'>, <Event.EXPIRE_BURY: 'expire_bury'>)
    """
    return Event.EXPIRE_BURY if deliveries >= max_deliveries else Event.EXPIRE


def fence_accepts(state: JobState, current_token: int, presented_token: int) -> bool:
    """The fencing rule: only the current lease holder may report on a running job.

    >>> fence_accepts(JobState.RUNNING, 7, 7), fence_accepts(JobState.RUNNING, 8, 7)
    (True, False)
    """
    return state is JobState.RUNNING and current_token == presented_token


@attrs.frozen(slots=True)
class RateLimit:
    """At most ``limit`` job starts per ``period`` seconds on one queue, all workers together.

    >>> RateLimit(10, 1.0).per_second
    10.0
    """

    limit: int
    period: float = 1.0

    def __attrs_post_init__(self) -> None:
        if self.limit < 1:
            raise ConfigurationError(f"rate limit must be an integer >= 1, got {self.limit!r}")
        _positive("rate limit period", self.period)

    @property
    def per_second(self) -> float:
        """The sustained rate."""
        return self.limit / self.period


@attrs.frozen(slots=True)
class Bucket:
    """A token bucket's stored state: tokens left and when they were counted.

    >>> Bucket(tokens=3.0, updated=0.0).tokens
    3.0
    """

    tokens: float
    updated: float


def take_tokens(
    bucket: Bucket | None, limit: RateLimit, now: float, want: int
) -> tuple[int, Bucket]:
    """Take up to ``want`` whole tokens; return how many were granted and the new bucket.

    The bucket holds at most ``limit.limit`` tokens and refills at ``limit.per_second``.
    A clock that went backwards refills nothing.

    >>> granted, b = take_tokens(None, RateLimit(2, 1.0), 0.0, 5)
    >>> granted, take_tokens(b, RateLimit(2, 1.0), 0.5, 5)[0]
    (2, 1)
    """
    if bucket is None:
        tokens = float(limit.limit)
    else:
        elapsed = max(0.0, now - bucket.updated)
        tokens = min(float(limit.limit), bucket.tokens + elapsed * limit.per_second)
    granted = max(0, min(want, math.floor(tokens + 1e-9)))
    updated = now if bucket is None else max(now, bucket.updated)
    return granted, Bucket(tokens=max(0.0, tokens - granted), updated=updated)
