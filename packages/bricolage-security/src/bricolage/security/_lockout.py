"""Login throttling with growing back-off, keyed per (account, client)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

import attrs

from bricolage.security._clock import Clock, as_clock, system_clock
from bricolage.security._ratelimit import require_redis
from bricolage.security.errors import AccountLockedError, ConfigurationError

if TYPE_CHECKING:
    import redis

__all__ = [
    "LockoutBackend",
    "LockoutPolicy",
    "LockoutState",
    "LoginThrottle",
    "MemoryLockoutBackend",
    "RedisLockoutBackend",
]


@attrs.frozen(slots=True)
class LockoutPolicy:
    """How failures turn into waiting time.

    The first ``free_attempts`` failures cost nothing; each failure after that locks the
    (account, client) pair for ``base_delay * 2 ** (n - 1)`` seconds (n counting the
    failures past the free ones), capped at ``max_delay``. Counters are forgotten
    ``forget_after`` seconds after the last failure.

    >>> from bricolage.security import LockoutPolicy
    >>> policy = LockoutPolicy(free_attempts=3, base_delay=1, max_delay=60)
    >>> [policy.delay(n) for n in range(1, 11)]
    [0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]
    """

    free_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 900.0
    forget_after: float = 86400.0

    def __attrs_post_init__(self) -> None:
        if self.free_attempts < 0 or self.base_delay <= 0 or self.max_delay < self.base_delay:
            raise ConfigurationError(
                "need free_attempts >= 0, base_delay > 0 and max_delay >= base_delay; got "
                f"{self.free_attempts!r}, {self.base_delay!r}, {self.max_delay!r}"
            )
        if self.forget_after < self.max_delay:
            raise ConfigurationError(
                f"forget_after ({self.forget_after!r}) must be >= max_delay ({self.max_delay!r})"
            )

    def delay(self, failures: int) -> float:
        """The lock, in seconds, after the ``failures``-th consecutive failure (pure).

        >>> from bricolage.security import LockoutPolicy
        >>> LockoutPolicy().delay(5), LockoutPolicy().delay(6)
        (0.0, 1.0)
        """
        over = failures - self.free_attempts
        if over <= 0:
            return 0.0
        return float(min(self.max_delay, self.base_delay * 2.0 ** min(over - 1, 64)))


@attrs.frozen(slots=True)
class LockoutState:
    """The failures counted for one (account, client) pair and when its lock ends.

    >>> from bricolage.security import LockoutState
    >>> LockoutState(failures=7, locked_until=1030.0).retry_after(1000.0)
    30.0
    """

    failures: int
    locked_until: float

    def retry_after(self, now: float) -> float:
        """Seconds left on the lock at ``now`` (0 when not locked).

        >>> from bricolage.security import LockoutState
        >>> LockoutState(0, 0.0).retry_after(5.0)
        0.0
        """
        return max(0.0, self.locked_until - now)


@runtime_checkable
class LockoutBackend(Protocol):
    """Storage for lockout counters; :meth:`record_failure` must be atomic.

    >>> from bricolage.security import LockoutBackend, MemoryLockoutBackend
    >>> isinstance(MemoryLockoutBackend(), LockoutBackend)
    True
    """

    def record_failure(self, key: str, now: float, policy: LockoutPolicy) -> LockoutState:
        """Count one failure for ``key`` and return its new state."""
        ...

    def get(self, key: str, now: float, policy: LockoutPolicy) -> LockoutState:
        """The current state of ``key``."""
        ...

    def clear(self, key: str) -> None:
        """Forget ``key``."""
        ...


class MemoryLockoutBackend:
    """In-process lockout counters (one process, or tests).

    >>> from bricolage.security import LockoutPolicy, MemoryLockoutBackend
    >>> backend = MemoryLockoutBackend()
    >>> backend.record_failure("k", 0.0, LockoutPolicy(free_attempts=0))
    LockoutState(failures=1, locked_until=1.0)
    """

    def __init__(self) -> None:
        self._data: dict[str, tuple[int, float, float]] = {}
        self._lock = threading.Lock()

    def record_failure(self, key: str, now: float, policy: LockoutPolicy) -> LockoutState:
        with self._lock:
            failures, locked_until, expires = self._data.get(key, (0, 0.0, 0.0))
            if expires <= now:
                failures, locked_until = 0, 0.0
            failures += 1
            delay = policy.delay(failures)
            locked_until = max(locked_until, now + delay) if delay else locked_until
            self._data[key] = (failures, locked_until, now + policy.forget_after)
            return LockoutState(failures, locked_until)

    def get(self, key: str, now: float, policy: LockoutPolicy) -> LockoutState:
        with self._lock:
            failures, locked_until, expires = self._data.get(key, (0, 0.0, 0.0))
            if expires <= now:
                return LockoutState(0, 0.0)
            return LockoutState(failures, locked_until)

    def clear(self, key: str) -> None:
        """Forget ``key``.

        >>> from bricolage.security import MemoryLockoutBackend
        >>> MemoryLockoutBackend().clear("k")
        """
        with self._lock:
            self._data.pop(key, None)


_LUA_FAILURE: Final = """
local now, free, base = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local maxd, forget = tonumber(ARGV[4]), tonumber(ARGV[5])
local last = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
if last > 0 and now - last >= forget then redis.call('DEL', KEYS[1]) end
local failures = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], 't', string.format('%.17g', now))
local locked = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
local over = failures - free
if over > 0 then
  local delay = math.min(maxd, base * math.pow(2, math.min(over - 1, 64)))
  locked = math.max(locked, now + delay)
  redis.call('HSET', KEYS[1], 'u', string.format('%.17g', locked))
end
redis.call('PEXPIRE', KEYS[1], math.ceil(forget * 1000))
return {failures, string.format('%.17g', locked)}
"""


class RedisLockoutBackend:
    """Lockout counters in Redis; a failure is one atomic Lua call.

    >>> from bricolage.security import RedisLockoutBackend
    >>> RedisLockoutBackend.__name__
    'RedisLockoutBackend'
    """

    def __init__(self, client: redis.Redis, *, prefix: str = "bricolage:lockout:") -> None:
        require_redis()
        self.client = client
        self.prefix = prefix
        self._failure = client.register_script(_LUA_FAILURE)

    def record_failure(self, key: str, now: float, policy: LockoutPolicy) -> LockoutState:
        failures, locked = self._failure(
            keys=[self.prefix + key],
            args=[
                repr(float(now)),
                policy.free_attempts,
                repr(float(policy.base_delay)),
                repr(float(policy.max_delay)),
                repr(float(policy.forget_after)),
            ],
        )
        return LockoutState(int(failures), float(locked))

    def get(self, key: str, now: float, policy: LockoutPolicy) -> LockoutState:
        failures, locked, last = self.client.hmget(self.prefix + key, ["n", "u", "t"])
        if last is None or now - float(last) >= policy.forget_after:
            return LockoutState(0, 0.0)
        return LockoutState(int(failures or 0), float(locked or 0.0))

    def clear(self, key: str) -> None:
        self.client.delete(self.prefix + key)


class LoginThrottle:
    """Growing back-off for failed logins that cannot lock the real user out.

    Failures are counted per **(account, client)** pair, where the client is the caller's
    IP address (from :func:`client_ip`) or, better, a device id from a signed cookie set
    after a past successful login. An attacker hammering ``alice`` from their own
    addresses only delays themselves: Alice, from her own client, logs in as usual. Pair
    it with a per-client :class:`RateLimiter` (one client trying many accounts) and a
    per-account limit high enough to flag, not block, a distributed attack.

    Call :meth:`check` before verifying the password, then :meth:`failure` or
    :meth:`success`.

    >>> from bricolage.security import LockoutPolicy, LoginThrottle
    >>> from bricolage.security.testing import FrozenClock
    >>> clock = FrozenClock(0)
    >>> throttle = LoginThrottle(LockoutPolicy(free_attempts=2, base_delay=10), clock=clock)
    >>> for _ in range(3):
    ...     state = throttle.failure("alice", "203.0.113.9")
    >>> throttle.check("alice", "203.0.113.9")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.security.errors.AccountLockedError: too many failed logins from this client; retr...
    >>> throttle.check("alice", "198.51.100.4")  # the real Alice, elsewhere: not locked
    """

    def __init__(
        self,
        policy: LockoutPolicy | None = None,
        *,
        backend: LockoutBackend | None = None,
        clock: Clock | Callable[[], float] = system_clock,
    ) -> None:
        self.policy: LockoutPolicy = policy or LockoutPolicy()
        self.backend: LockoutBackend = backend if backend is not None else MemoryLockoutBackend()
        self.clock: Clock = as_clock(clock)

    @staticmethod
    def key(account: str, client: str) -> str:
        """The storage key of a pair; the account name is hashed, not stored.

        >>> from bricolage.security import LoginThrottle
        >>> len(LoginThrottle.key("alice", "192.0.2.1"))
        64
        """
        return hashlib.sha256(f"{account.casefold()}\0{client}".encode()).hexdigest()

    def check(self, account: str, client: str) -> None:
        """Raise :class:`~bricolage.security.errors.AccountLockedError` if the pair waits.

        >>> from bricolage.security import LoginThrottle
        >>> LoginThrottle().check("bob", "192.0.2.1")
        """
        now = self.clock.now()
        left = self.backend.get(self.key(account, client), now, self.policy).retry_after(now)
        if left > 0:
            raise AccountLockedError(
                f"too many failed logins from this client; retry in {left:.0f} s",
                retry_after=left,
            )

    def failure(self, account: str, client: str) -> LockoutState:
        """Count a failed login for the pair; return its state (lock included).

        >>> from bricolage.security import LoginThrottle
        >>> LoginThrottle().failure("bob", "192.0.2.1").failures
        1
        """
        return self.backend.record_failure(
            self.key(account, client), self.clock.now(), self.policy
        )

    def success(self, account: str, client: str) -> None:
        """Forget the pair's failures after a successful login.

        >>> from bricolage.security import LoginThrottle
        >>> LoginThrottle().success("bob", "192.0.2.1")
        """
        self.backend.clear(self.key(account, client))
