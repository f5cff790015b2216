"""Rate limiting: fixed window, sliding window and token bucket; memory and Redis backends.

Each algorithm is a pure transition ``(state, now, limit, period, cost) -> (state, allowed)``
plus a pure :func:`decide` that turns the new state into a :class:`Decision`. The memory
backend runs the transition in Python under a lock; the Redis backend runs the same
transition as a Lua script, which Redis executes atomically.
"""

from __future__ import annotations

import enum
import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import attrs

from bricolage.security._clock import Clock, as_clock, system_clock
from bricolage.security.errors import ConfigurationError, MissingExtraError, RateLimitExceededError

if TYPE_CHECKING:
    import redis

__all__ = [
    "Decision",
    "MemoryBackend",
    "RateAlgorithm",
    "RateLimitBackend",
    "RateLimiter",
    "RedisBackend",
    "decide",
    "transition",
]

#: A state is a short tuple of floats whose meaning depends on the algorithm.
State = tuple[float, ...]


class RateAlgorithm(enum.StrEnum):
    """The rate-limiting algorithms.

    * ``FIXED_WINDOW``: at most ``limit`` per calendar window of ``period`` seconds;
      cheap, but allows a burst of ``2 * limit`` across a window boundary.
    * ``SLIDING_WINDOW``: the previous window's count weighted by its overlap with the
      last ``period`` seconds, plus the current count; smooths the boundary burst.
    * ``TOKEN_BUCKET``: a bucket of ``limit`` tokens refilled at ``limit / period`` per
      second; allows bursts up to ``limit`` and a steady rate after.

    >>> from bricolage.security import RateAlgorithm
    >>> RateAlgorithm("token_bucket") is RateAlgorithm.TOKEN_BUCKET
    True
    """

    FIXED_WINDOW = "fixed_window"
    SLIDING_WINDOW = "sliding_window"
    TOKEN_BUCKET = "token_bucket"  # noqa: S105


@attrs.frozen(slots=True)
class Decision:
    """The answer of a rate limiter for one hit.

    ``retry_after`` is 0 when allowed, else the seconds until the same hit would pass;
    ``reset_after`` is the seconds until the key is back to a full allowance.

    >>> from bricolage.security import Decision
    >>> Decision(allowed=True, limit=10, remaining=9, retry_after=0.0, reset_after=60.0).headers()
    {'RateLimit-Limit': '10', 'RateLimit-Remaining': '9', 'RateLimit-Reset': '60'}
    """

    allowed: bool
    limit: int
    remaining: int
    retry_after: float
    reset_after: float

    def headers(self) -> dict[str, str]:
        """``RateLimit-*`` response headers (and ``Retry-After`` when refused).

        >>> from bricolage.security import Decision
        >>> Decision(False, 10, 0, 1.2, 30.0).headers()["Retry-After"]
        '2'
        """
        result = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_after)),
        }
        if not self.allowed:
            result["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return result


def transition(
    algorithm: RateAlgorithm, state: State | None, now: float, limit: int, period: float, cost: int
) -> tuple[State, bool]:
    """The next state of a key after a hit of ``cost`` at ``now`` (pure).

    >>> from bricolage.security import RateAlgorithm
    >>> from bricolage.security._ratelimit import transition
    >>> transition(RateAlgorithm.FIXED_WINDOW, None, 125.0, 2, 60.0, 1)
    ((120.0, 1.0), True)
    >>> transition(RateAlgorithm.TOKEN_BUCKET, (0.0, 100.0), 101.0, 10, 10.0, 1)
    ((0.0, 101.0), True)
    """
    if algorithm is RateAlgorithm.FIXED_WINDOW:
        window = math.floor(now / period) * period
        count = state[1] if state is not None and state[0] == window else 0.0
        if count + cost <= limit:
            return (window, count + cost), True
        return (window, count), False
    if algorithm is RateAlgorithm.SLIDING_WINDOW:
        window = math.floor(now / period) * period
        if state is not None and state[0] == window:
            previous, current = state[1], state[2]
        elif state is not None and state[0] == window - period:
            previous, current = state[2], 0.0
        else:
            previous, current = 0.0, 0.0
        weight = 1.0 - (now - window) / period
        if previous * weight + current + cost <= limit:
            return (window, previous, current + cost), True
        return (window, previous, current), False
    tokens, last = (float(limit), now) if state is None else (state[0], state[1])
    tokens = min(float(limit), tokens + max(0.0, now - last) * limit / period)
    if tokens >= cost:
        return (tokens - cost, now), True
    return (tokens, now), False


def decide(
    algorithm: RateAlgorithm,
    state: State,
    allowed: bool,
    now: float,
    limit: int,
    period: float,
    cost: int,
) -> Decision:
    """The :class:`Decision` describing ``state`` right after a hit (pure).

    >>> from bricolage.security import RateAlgorithm
    >>> from bricolage.security._ratelimit import decide
    >>> decide(RateAlgorithm.FIXED_WINDOW, (120.0, 2.0), False, 130.0, 2, 60.0, 1)
    Decision(allowed=False, limit=2, remaining=0, retry_after=50.0, reset_after=50.0)
    """
    if algorithm is RateAlgorithm.FIXED_WINDOW:
        window, count = state
        left = window + period - now
        return Decision(allowed, limit, max(0, int(limit - count)), 0.0 if allowed else left, left)
    if algorithm is RateAlgorithm.SLIDING_WINDOW:
        window, previous, current = state
        weight = 1.0 - (now - window) / period
        used = previous * weight + current
        remaining = max(0, math.floor(limit - used))
        if current:
            reset = window + 2 * period - now
        else:
            reset = window + period - now if previous else 0.0
        if allowed:
            return Decision(True, limit, remaining, 0.0, reset)
        room = limit - current - cost
        if room >= 0:  # the previous window's weight must fade (previous > 0 here)
            wait = window + period * (1.0 - room / previous) - now
        else:  # wait into the next window, where this window's count fades in turn
            wait = window + period + period * (1.0 - (limit - cost) / current) - now
        return Decision(False, limit, remaining, max(0.0, wait), reset)
    tokens = state[0]
    rate = limit / period
    retry = 0.0 if allowed else (cost - tokens) / rate
    return Decision(allowed, limit, int(tokens), retry, (limit - tokens) / rate)


@runtime_checkable
class RateLimitBackend(Protocol):
    """Storage that applies the algorithm's state transition to a key atomically.

    >>> from bricolage.security import MemoryBackend, RateLimitBackend
    >>> isinstance(MemoryBackend(), RateLimitBackend)
    True
    """

    def apply(
        self, algorithm: RateAlgorithm, key: str, now: float, limit: int, period: float, cost: int
    ) -> tuple[State, bool]:
        """Apply one hit to ``key`` and return the new state and whether it was allowed."""
        ...

    def reset(self, key: str) -> None:
        """Forget ``key``."""
        ...


class MemoryBackend:
    """An in-process backend: a dict under a lock, expired keys pruned as it goes.

    Good for a single process and for tests; use :class:`RedisBackend` across processes.

    >>> from bricolage.security import MemoryBackend, RateAlgorithm
    >>> backend = MemoryBackend()
    >>> backend.apply(RateAlgorithm.FIXED_WINDOW, "k", 0.0, 1, 60.0, 1)
    ((0.0, 1.0), True)
    """

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._data: dict[str, tuple[State, float]] = {}
        self._lock = threading.Lock()
        self.max_keys = max_keys

    def apply(
        self, algorithm: RateAlgorithm, key: str, now: float, limit: int, period: float, cost: int
    ) -> tuple[State, bool]:
        with self._lock:
            entry = self._data.get(key)
            state = entry[0] if entry is not None and entry[1] > now else None
            new_state, allowed = transition(algorithm, state, now, limit, period, cost)
            if len(self._data) >= self.max_keys and key not in self._data:
                self._prune(now)
            self._data[key] = (new_state, now + 2 * period)
            return new_state, allowed

    def _prune(self, now: float) -> None:
        for stale in [k for k, (_, expiry) in self._data.items() if expiry <= now]:
            del self._data[stale]
        while len(self._data) >= self.max_keys:  # still full: drop the oldest entries
            del self._data[next(iter(self._data))]

    def reset(self, key: str) -> None:
        """Forget ``key``.

        >>> from bricolage.security import MemoryBackend
        >>> MemoryBackend().reset("nobody")
        """
        with self._lock:
            self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)


# The Lua transitions mirror transition() above, line for line. Floats travel as strings
# (Redis would truncate Lua numbers to integers in replies).
_LUA_COMMON: Final = """
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local period, cost = tonumber(ARGV[3]), tonumber(ARGV[4])
local raw = redis.call('HMGET', KEYS[1], 'a', 'b', 'c')
local function fmt(x) return string.format('%.17g', x) end
"""
_LUA: Final[dict[RateAlgorithm, str]] = {
    RateAlgorithm.FIXED_WINDOW: _LUA_COMMON
    + """
local window = math.floor(now / period) * period
local count = 0
if raw[1] and tonumber(raw[1]) == window then count = tonumber(raw[2]) end
local allowed = 0
if count + cost <= limit then count = count + cost; allowed = 1 end
redis.call('HSET', KEYS[1], 'a', fmt(window), 'b', fmt(count))
redis.call('PEXPIRE', KEYS[1], math.ceil(period * 2000))
return {allowed, fmt(window), fmt(count)}
""",
    RateAlgorithm.SLIDING_WINDOW: _LUA_COMMON
    + """
local window = math.floor(now / period) * period
local previous, current = 0, 0
if raw[1] and tonumber(raw[1]) == window then
  previous, current = tonumber(raw[2]), tonumber(raw[3])
elseif raw[1] and tonumber(raw[1]) == window - period then
  previous, current = tonumber(raw[3]), 0
end
local weight = 1.0 - (now - window) / period
local allowed = 0
if previous * weight + current + cost <= limit then current = current + cost; allowed = 1 end
redis.call('HSET', KEYS[1], 'a', fmt(window), 'b', fmt(previous), 'c', fmt(current))
redis.call('PEXPIRE', KEYS[1], math.ceil(period * 3000))
return {allowed, fmt(window), fmt(previous), fmt(current)}
""",
    RateAlgorithm.TOKEN_BUCKET: _LUA_COMMON
    + """
local tokens, last = limit, now
if raw[1] then tokens, last = tonumber(raw[1]), tonumber(raw[2]) end
tokens = math.min(limit, tokens + math.max(0, now - last) * limit / period)
local allowed = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 end
redis.call('HSET', KEYS[1], 'a', fmt(tokens), 'b', fmt(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(period * 2000))
return {allowed, fmt(tokens), fmt(now)}
""",
}


def require_redis() -> Any:
    """Import redis-py, or explain which extra to install.

    >>> from bricolage.security._ratelimit import require_redis
    >>> require_redis().__name__
    'redis'
    """
    try:
        import redis
    except ImportError:  # pragma: no cover - exercised in an environment without redis
        raise MissingExtraError(
            "the Redis backend needs redis-py: pip install 'bricolage-security[redis]'"
        ) from None
    return redis


class RedisBackend:
    """A Redis backend: each hit is one atomic Lua script call.

    ``client`` is a :class:`redis.Redis`; keys are stored under ``prefix``. The clock of
    the calling process supplies ``now``, so keep the application servers' clocks in sync
    (NTP), as for any distributed limit.

    >>> from bricolage.security import RedisBackend
    >>> RedisBackend.__name__
    'RedisBackend'
    """

    def __init__(self, client: redis.Redis, *, prefix: str = "bricolage:rl:") -> None:
        require_redis()
        self.client = client
        self.prefix = prefix
        self._scripts = {alg: client.register_script(src) for alg, src in _LUA.items()}

    def apply(
        self, algorithm: RateAlgorithm, key: str, now: float, limit: int, period: float, cost: int
    ) -> tuple[State, bool]:
        reply = self._scripts[algorithm](
            keys=[f"{self.prefix}{algorithm.value}:{key}"],
            args=[repr(float(now)), limit, repr(float(period)), cost],
        )
        allowed, *values = reply
        return tuple(float(v) for v in values), bool(allowed)

    def reset(self, key: str) -> None:
        """Forget ``key`` under every algorithm."""
        self.client.delete(*(f"{self.prefix}{alg.value}:{key}" for alg in RateAlgorithm))


class RateLimiter:
    """Allow at most ``limit`` hits per ``period`` seconds per key.

    >>> from bricolage.security import RateLimiter
    >>> from bricolage.security.testing import FrozenClock
    >>> limiter = RateLimiter(limit=2, period=60, algorithm="token_bucket", clock=FrozenClock(0))
    >>> [limiter.hit("198.51.100.7").allowed for _ in range(3)]
    [True, True, False]
    >>> limiter.hit("198.51.100.7").retry_after
    30.0
    """

    def __init__(
        self,
        *,
        limit: int,
        period: float,
        algorithm: RateAlgorithm | str = RateAlgorithm.SLIDING_WINDOW,
        backend: RateLimitBackend | None = None,
        clock: Clock | Callable[[], float] = system_clock,
        name: str = "default",
    ) -> None:
        if limit < 1 or period <= 0:
            raise ConfigurationError(
                "limit must be >= 1 and period > 0 seconds, "
                f"got limit={limit!r}, period={period!r}"
            )
        try:
            self.algorithm: RateAlgorithm = RateAlgorithm(algorithm)
        except ValueError:
            raise ConfigurationError(
                f"unknown algorithm {algorithm!r}; use one of {[a.value for a in RateAlgorithm]}"
            ) from None
        self.limit = limit
        self.period: float = float(period)
        self.backend: RateLimitBackend = backend if backend is not None else MemoryBackend()
        self.clock: Clock = as_clock(clock)
        self.name = name

    def hit(self, key: str, *, cost: int = 1) -> Decision:
        """Count a hit of ``cost`` against ``key`` and say whether it is allowed.

        >>> from bricolage.security import RateLimiter
        >>> RateLimiter(limit=1, period=1).hit("k", cost=2)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bricolage.security.errors.ConfigurationError: cost 2 exceeds the limit 1; it could neve...
        """
        if cost < 1 or cost > self.limit:
            raise ConfigurationError(
                f"cost {cost} exceeds the limit {self.limit}; it could never be allowed"
                if cost > self.limit
                else f"cost must be >= 1, got {cost!r}"
            )
        now = self.clock.now()
        full_key = f"{self.name}:{key}"
        state, allowed = self.backend.apply(
            self.algorithm, full_key, now, self.limit, self.period, cost
        )
        return decide(self.algorithm, state, allowed, now, self.limit, self.period, cost)

    def enforce(self, key: str, *, cost: int = 1) -> Decision:
        """Like :meth:`hit`, but raise when refused.

        >>> from bricolage.security import RateLimiter
        >>> limiter = RateLimiter(limit=1, period=60)
        >>> _ = limiter.enforce("k")
        >>> limiter.enforce("k")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bricolage.security.errors.RateLimitExceededError: rate limit 'default' of 1 per 60 s ex...
        """
        decision = self.hit(key, cost=cost)
        if not decision.allowed:
            raise RateLimitExceededError(
                f"rate limit {self.name!r} of {self.limit} per {self.period:g} s "
                f"exceeded for {key!r}",
                retry_after=decision.retry_after,
            )
        return decision

    def reset(self, key: str) -> None:
        """Forget the hits of ``key``.

        >>> from bricolage.security import RateLimiter
        >>> limiter = RateLimiter(limit=1, period=60)
        >>> _ = limiter.hit("k"); limiter.reset("k"); limiter.hit("k").allowed
        True
        """
        self.backend.reset(f"{self.name}:{key}")
