"""Account lockout: growing back-off per (account, client); memory and a real Redis."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from bricolage.security import (
    LockoutBackend,
    LockoutPolicy,
    LockoutState,
    LoginThrottle,
    MemoryLockoutBackend,
    RedisLockoutBackend,
)
from bricolage.security.errors import AccountLockedError, ConfigurationError
from bricolage.security.testing import FrozenClock

ATTACKER, ALICE = "203.0.113.66", "198.51.100.7"


def throttles(redis_client: redis.Redis | None = None) -> list[tuple[LoginThrottle, FrozenClock]]:
    result = []
    backends: list[LockoutBackend] = [MemoryLockoutBackend()]
    if redis_client is not None:
        backends.append(RedisLockoutBackend(redis_client))
    for backend in backends:
        clock = FrozenClock(1_700_000_000)
        policy = LockoutPolicy(free_attempts=3, base_delay=2, max_delay=60, forget_after=3600)
        result.append((LoginThrottle(policy, backend=backend, clock=clock), clock))
    return result


def _scenario_backoff_grows(throttle: LoginThrottle, clock: FrozenClock) -> None:
    delays = []
    for _ in range(10):
        throttle.check("alice", ATTACKER)
        state = throttle.failure("alice", ATTACKER)
        delays.append(state.retry_after(clock()))
        clock.advance(state.retry_after(clock()))
    assert delays == [0, 0, 0, 2, 4, 8, 16, 32, 60, 60]


def _scenario_attacker_cannot_lock_out_alice(throttle: LoginThrottle, clock: FrozenClock) -> None:
    for _ in range(50):
        throttle.failure("alice", ATTACKER)
    with pytest.raises(AccountLockedError) as info:
        throttle.check("alice", ATTACKER)
    assert info.value.retry_after == 60
    throttle.check("alice", ALICE)  # the real user, from her own client, is not locked
    throttle.check("ALICE", ALICE)
    throttle.check("bob", ATTACKER)  # other accounts from the attacker: rate limiting's job
    throttle.success("alice", ALICE)
    with pytest.raises(AccountLockedError):
        throttle.check("Alice", ATTACKER)  # account names are case-folded


def _scenario_success_and_forgetting(throttle: LoginThrottle, clock: FrozenClock) -> None:
    for _ in range(5):
        throttle.failure("carol", ALICE)
    with pytest.raises(AccountLockedError):
        throttle.check("carol", ALICE)
    throttle.success("carol", ALICE)
    throttle.check("carol", ALICE)
    for _ in range(5):
        throttle.failure("dave", ALICE)
    clock.advance(3601)
    throttle.check("dave", ALICE)
    assert throttle.failure("dave", ALICE).failures == 1


SCENARIOS = [
    _scenario_backoff_grows,
    _scenario_attacker_cannot_lock_out_alice,
    _scenario_success_and_forgetting,
]


@pytest.mark.parametrize(
    "scenario", SCENARIOS, ids=lambda f: f.__name__.removeprefix("_scenario_")
)
def test_memory(scenario: object) -> None:
    for throttle, clock in throttles():
        scenario(throttle, clock)  # type: ignore[operator]


@pytest.mark.redis
@pytest.mark.parametrize(
    "scenario", SCENARIOS, ids=lambda f: f.__name__.removeprefix("_scenario_")
)
def test_redis(scenario: object, redis_client: redis.Redis) -> None:
    throttle, clock = throttles(redis_client)[1]
    scenario(throttle, clock)  # type: ignore[operator]
    keys: list[bytes] = list(redis_client.keys("bricolage:lockout:*"))  # type: ignore[arg-type]
    assert keys
    assert not any(b"alice" in k for k in keys)  # account names are hashed, not stored


@pytest.mark.redis
def test_redis_counts_every_concurrent_failure(
    redis_server: object, redis_client: redis.Redis
) -> None:
    port = redis_client.connection_pool.connection_kwargs["port"]
    pool = redis.ConnectionPool(host="127.0.0.1", port=port, max_connections=16)
    client = redis.Redis(connection_pool=pool)
    policy = LockoutPolicy(free_attempts=1000, base_delay=1, max_delay=1000, forget_after=3600)
    throttle = LoginThrottle(policy, backend=RedisLockoutBackend(client), clock=FrozenClock(0))
    lock = threading.Lock()
    seen: list[int] = []

    def worker(_: int) -> None:
        for _ in range(50):
            state = throttle.failure("eve", ATTACKER)
            with lock:
                seen.append(state.failures)

    with ThreadPoolExecutor(max_workers=8) as executor:
        list(executor.map(worker, range(8)))
    assert sorted(seen) == list(range(1, 401))  # every failure counted exactly once
    assert throttle.backend.get(LoginThrottle.key("eve", ATTACKER), 0, policy).failures == 400
    client.close()
    pool.disconnect()


def test_policy_validation_and_pure_delay() -> None:
    with pytest.raises(ConfigurationError, match="base_delay"):
        LockoutPolicy(base_delay=0)
    with pytest.raises(ConfigurationError, match="forget_after"):
        LockoutPolicy(max_delay=1000, forget_after=10)
    assert (
        LockoutPolicy(free_attempts=0, base_delay=1, max_delay=10**9, forget_after=10**9).delay(
            10_000
        )
        == 10**9
    )
    assert LockoutState(3, 10.0).retry_after(20.0) == 0.0


@given(failures=st.integers(min_value=0, max_value=10_000))
def test_delay_is_monotonic_and_bounded(failures: int) -> None:
    policy = LockoutPolicy()
    assert 0 <= policy.delay(failures) <= policy.max_delay
    assert policy.delay(failures) <= policy.delay(failures + 1)
