"""Rate limiting: pure transitions (hypothesis), memory backend, and a real Redis under load."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from bricolage.security import (
    Decision,
    MemoryBackend,
    RateAlgorithm,
    RateLimitBackend,
    RateLimiter,
    RedisBackend,
)
from bricolage.security._ratelimit import decide, transition
from bricolage.security.errors import ConfigurationError, RateLimitExceededError
from bricolage.security.testing import FrozenClock

ALGORITHMS = list(RateAlgorithm)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_limit_is_enforced_then_recovers(algorithm: RateAlgorithm) -> None:
    clock = FrozenClock(1000)
    limiter = RateLimiter(limit=5, period=10, algorithm=algorithm, clock=clock)
    results = [limiter.hit("k") for _ in range(6)]
    assert [r.allowed for r in results] == [True] * 5 + [False]
    assert [r.remaining for r in results[:5]] == [4, 3, 2, 1, 0]
    refused = results[-1]
    assert refused.retry_after > 0
    assert refused.headers()["Retry-After"] == str(max(1, math.ceil(refused.retry_after)))
    clock.advance(refused.retry_after + 1e-6)
    assert limiter.hit("k").allowed, f"{algorithm} did not recover after retry_after"
    clock.advance(100)
    assert limiter.hit("k").remaining == 4
    assert limiter.hit("other").allowed  # keys are independent


def test_fixed_window_boundary_burst_and_sliding_window_smoothing() -> None:
    for algorithm, expected in (
        (RateAlgorithm.FIXED_WINDOW, 20),
        (RateAlgorithm.SLIDING_WINDOW, 10),
    ):
        clock = FrozenClock(1009.0)
        limiter = RateLimiter(limit=10, period=10, algorithm=algorithm, clock=clock)
        allowed = sum(limiter.hit("k").allowed for _ in range(10))
        clock.advance(1.0)  # into the next window
        allowed += sum(limiter.hit("k").allowed for _ in range(10))
        assert allowed == expected, algorithm


def test_token_bucket_refills_steadily() -> None:
    clock = FrozenClock(0)
    limiter = RateLimiter(limit=10, period=10, algorithm="token_bucket", clock=clock)
    assert sum(limiter.hit("k").allowed for _ in range(15)) == 10
    clock.advance(3)
    assert sum(limiter.hit("k").allowed for _ in range(15)) == 3


def test_enforce_reset_and_configuration() -> None:
    limiter = RateLimiter(limit=1, period=60, name="login")
    limiter.enforce("k")
    with pytest.raises(RateLimitExceededError) as info:
        limiter.enforce("k")
    assert 0 < info.value.retry_after <= 120
    limiter.reset("k")
    assert limiter.enforce("k").allowed
    with pytest.raises(ConfigurationError, match="unknown algorithm"):
        RateLimiter(limit=1, period=1, algorithm="leaky")
    with pytest.raises(ConfigurationError, match="limit must be"):
        RateLimiter(limit=0, period=1)
    with pytest.raises(ConfigurationError, match="cost must be"):
        limiter.hit("k", cost=0)


def test_memory_backend_bounds_its_size() -> None:
    backend = MemoryBackend(max_keys=100)
    clock = FrozenClock(0)
    limiter = RateLimiter(limit=1, period=1, backend=backend, clock=clock)
    for i in range(150):
        limiter.hit(f"k{i}")
    assert len(backend) <= 100
    clock.advance(10)
    for i in range(50):
        limiter.hit(f"j{i}")
    assert len(backend) <= 100
    assert isinstance(backend, RateLimitBackend)


hits = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=30, allow_nan=False),
        st.integers(min_value=1, max_value=3),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(
    algorithm=st.sampled_from(ALGORITHMS),
    limit=st.integers(min_value=3, max_value=20),
    period=st.floats(min_value=0.5, max_value=100),
    steps=hits,
)
def test_transition_never_admits_more_than_the_limit(
    algorithm: RateAlgorithm, limit: int, period: float, steps: list[tuple[float, int]]
) -> None:
    state = None
    now = 1_000_000.0
    admitted: list[tuple[float, int]] = []
    for gap, cost in steps:
        now += gap
        state, allowed = transition(algorithm, state, now, limit, period, cost)
        decision = decide(algorithm, state, allowed, now, limit, period, cost)
        assert decision.allowed == allowed
        assert 0 <= decision.remaining <= limit
        assert decision.retry_after >= 0
        assert decision.reset_after >= 0
        if allowed:
            admitted.append((now, cost))
    # Over any window of `period` seconds, no algorithm admits more than 2 * limit
    # (fixed window across a boundary); the others admit at most 2 * limit too.
    for start, _ in admitted:
        in_window = sum(c for t, c in admitted if start <= t < start + period)
        assert in_window <= 2 * limit
    if algorithm is RateAlgorithm.FIXED_WINDOW:
        windows: dict[float, int] = {}
        for t, c in admitted:
            key = math.floor(t / period)
            windows[key] = windows.get(key, 0) + c
        assert max(windows.values()) <= limit


@settings(max_examples=100, deadline=None)
@given(algorithm=st.sampled_from(ALGORITHMS), limit=st.integers(1, 10), steps=hits)
def test_retry_after_is_exact_enough(
    algorithm: RateAlgorithm, limit: int, steps: list[tuple[float, int]]
) -> None:
    period = 10.0
    state = None
    now = 5_000.0
    for gap, cost in steps:
        cost = min(cost, limit)
        now += gap
        new_state, allowed = transition(algorithm, state, now, limit, period, cost)
        if not allowed:
            decision = decide(algorithm, new_state, allowed, now, limit, period, cost)
            _, later = transition(
                algorithm, new_state, now + decision.retry_after + 1e-6, limit, period, cost
            )
            assert later, (algorithm, decision)
        state = new_state


# --- a real Redis ------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_redis_matches_memory_step_for_step(
    algorithm: RateAlgorithm, redis_client: redis.Redis
) -> None:
    clock = FrozenClock(1_700_000_000.25)
    memory = RateLimiter(limit=5, period=10, algorithm=algorithm, clock=clock)
    shared = RateLimiter(
        limit=5, period=10, algorithm=algorithm, clock=clock, backend=RedisBackend(redis_client)
    )
    for gap in [0, 0.1, 0.1, 0.5, 0.5, 1, 1, 0.3, 2.7, 4, 4, 9, 0.5, 0.5, 0.5, 0.5, 12, 0, 0, 0]:
        clock.advance(gap)
        a, b = memory.hit("k"), shared.hit("k")
        assert a.allowed == b.allowed
        assert a.remaining == b.remaining
        assert a.retry_after == pytest.approx(b.retry_after, abs=1e-6)
    shared.reset("k")
    assert shared.hit("k").remaining == 4
    assert redis_client.pttl(f"bricolage:rl:{algorithm.value}:default:k") > 0  # keys expire


@pytest.mark.redis
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_redis_is_atomic_under_concurrent_load(
    algorithm: RateAlgorithm, redis_server: object, redis_client: redis.Redis
) -> None:
    clock = FrozenClock(1_700_000_000.0)
    pool = redis.ConnectionPool(
        host="127.0.0.1",
        port=redis_client.connection_pool.connection_kwargs["port"],
        max_connections=16,
    )
    client = redis.Redis(connection_pool=pool)
    limiter = RateLimiter(
        limit=100, period=60, algorithm=algorithm, clock=clock, backend=RedisBackend(client)
    )
    allowed = 0
    lock = threading.Lock()

    def worker(_: int) -> None:
        nonlocal allowed
        for _ in range(50):
            if limiter.hit("shared").allowed:
                with lock:
                    allowed += 1

    with ThreadPoolExecutor(max_workers=8) as pool_executor:
        list(pool_executor.map(worker, range(8)))
    client.close()
    pool.disconnect()
    assert allowed == 100  # 400 concurrent hits, exactly the limit admitted


@pytest.mark.redis
def test_redis_backends_in_separate_processes_share_the_limit(
    redis_server: object, redis_client: redis.Redis
) -> None:
    import subprocess
    import sys

    port = redis_client.connection_pool.connection_kwargs["port"]
    code = (
        "import redis, sys\n"
        "from bricolage.security import RateLimiter, RedisBackend\n"
        f"r = redis.Redis(host='127.0.0.1', port={port})\n"
        "lim = RateLimiter(limit=30, period=600, algorithm='fixed_window',\n"
        "                  backend=RedisBackend(r))\n"
        "print(sum(lim.hit('multi').allowed for _ in range(25)))\n"
        "r.close()\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    total = sum(int(p.communicate(timeout=60)[0]) for p in procs)
    assert total == 30


def test_decision_headers() -> None:
    assert Decision(True, 5, 4, 0.0, 0.2).headers() == {
        "RateLimit-Limit": "5",
        "RateLimit-Remaining": "4",
        "RateLimit-Reset": "1",
    }
