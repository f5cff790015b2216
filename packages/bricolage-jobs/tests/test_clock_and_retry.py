"""The shared vocabulary: the Clock Protocol, FrozenClock, and RetryPolicy's names."""

from __future__ import annotations

import math
import time
from random import Random

import anyio
import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.jobs import Clock, ConfigurationError, Queue, RetryPolicy, SystemClock
from bricolage.jobs.testing import FrozenClock

# -- clocks --------------------------------------------------------------------------------


def test_frozen_clock_api() -> None:
    clock = FrozenClock()
    assert isinstance(clock, Clock)
    assert (clock.now(), clock.monotonic(), clock(), clock.sleeps) == (
        1_700_000_000.0,
        0.0,
        1_700_000_000.0,
        [],
    )
    clock.advance(2.5)
    assert (clock.now(), clock.monotonic()) == (1_700_000_002.5, 2.5)
    assert clock.sleeps == []  # advancing is not sleeping
    clock.set(1_000.0)  # the wall clock jumps back; the monotonic one does not
    assert (clock.now(), clock.monotonic()) == (1_000.0, 2.5)
    clock.sleep(1.0)
    assert (clock.now(), clock.monotonic(), clock.sleeps) == (1_001.0, 3.5, [1.0])
    assert repr(clock) == "FrozenClock(now=1001.0, monotonic=3.5)"


@pytest.mark.parametrize("bad", [-1.0, -1e-9, math.nan])
def test_frozen_clock_refuses_to_go_back(bad: float) -> None:
    clock = FrozenClock(10.0)
    with pytest.raises(ValueError, match=r"cannot go back: advance\("):
        clock.advance(bad)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.sleep(bad)
    assert (clock.now(), clock.monotonic(), clock.sleeps) == (10.0, 0.0, [])


@given(st.lists(st.floats(0, 1e6), max_size=20))
def test_frozen_clock_sums_its_sleeps(sleeps: list[float]) -> None:
    clock = FrozenClock(0.0)
    for seconds in sleeps:
        clock.sleep(seconds)
    assert clock.sleeps == sleeps
    assert clock.monotonic() == pytest.approx(math.fsum(sleeps), rel=1e-9, abs=1e-9)
    assert clock.now() == clock.monotonic()


@pytest.mark.anyio
async def test_async_sleep_advances_and_is_a_checkpoint() -> None:
    clock = FrozenClock(0.0)
    await clock.async_sleep(5.0)
    assert (clock.now(), clock.monotonic(), clock.sleeps) == (5.0, 5.0, [5.0])
    reached = False
    with anyio.CancelScope() as scope:
        scope.cancel()
        await clock.async_sleep(1.0)  # a checkpoint: the cancellation lands here
        reached = True
    assert not reached
    assert scope.cancelled_caught
    assert (clock.now(), clock.sleeps) == (5.0, [5.0])  # a cancelled sleep took no time
    with pytest.raises(ValueError, match="cannot go back"):
        await clock.async_sleep(-1.0)


@pytest.mark.anyio
async def test_system_clock() -> None:
    clock = SystemClock()
    assert isinstance(clock, Clock)
    assert repr(clock) == "SystemClock()"
    assert abs(clock.now() - time.time()) < 1.0
    assert abs(clock() - time.time()) < 1.0
    before = clock.monotonic()
    clock.sleep(0.01)
    await clock.async_sleep(0.01)
    assert clock.monotonic() - before >= 0.02


def test_a_frozen_clock_is_still_a_callable_clock() -> None:
    clock = FrozenClock(1_234.0)
    queue = Queue("sqlite://:memory:", clock=clock)

    @queue.job()
    def noop() -> None: ...

    handle = queue.enqueue(noop)
    assert handle.record.enqueued_at == 1_234.0
    clock.advance(10)
    assert queue.enqueue(noop).record.enqueued_at == 1_244.0
    queue.close()


# -- RetryPolicy ---------------------------------------------------------------------------


def test_delay_follows_the_shared_formula() -> None:
    policy = RetryPolicy(max_attempts=6, initial=0.5, maximum=3.0, multiplier=3.0, jitter=0.0)
    assert [policy.ceiling(n) for n in range(1, 5)] == [0.5, 1.5, 3.0, 3.0]
    assert [policy.delay(n, Random(1)) for n in range(1, 5)] == [0.5, 1.5, 3.0, 3.0]
    assert RetryPolicy() == RetryPolicy(
        max_attempts=3, initial=1.0, maximum=300.0, multiplier=2.0, jitter=0.5
    )


@given(
    st.floats(0, 100),
    st.floats(0, 1000),
    st.floats(1, 10),
    st.floats(0, 1),
    st.integers(1, 100),
    st.integers(0, 2**32),
)
def test_jitter_draws_from_the_documented_interval(
    initial: float, maximum: float, multiplier: float, jitter: float, n: int, seed: int
) -> None:
    policy = RetryPolicy(initial=initial, maximum=maximum, multiplier=multiplier, jitter=jitter)
    try:
        d = min(maximum, initial * multiplier ** (n - 1))
    except OverflowError:
        d = maximum
    delay = policy.delay(n, Random(seed))
    assert d * (1 - jitter) - 1e-9 <= delay <= d + 1e-9


def test_full_jitter_reaches_down_to_zero() -> None:
    policy = RetryPolicy(initial=10.0, jitter=1.0)
    delays = [policy.delay(1, Random(seed)) for seed in range(200)]
    assert min(delays) < 0.5
    assert max(delays) > 9.5


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [("base", "initial", 0.25), ("factor", "multiplier", 3.0), ("max_delay", "maximum", 9.0)],
)
def test_old_names_still_work_with_a_warning(old: str, new: str, value: float) -> None:
    with pytest.warns(DeprecationWarning, match=f"'{old}' is now called '{new}'") as caught:
        policy = RetryPolicy(**{old: value})  # type: ignore[arg-type]
    assert caught[0].filename == __file__  # the warning points at the caller
    assert getattr(policy, new) == value
    assert policy == RetryPolicy(**{new: value})  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match=f"'{old}' is now called '{new}'"):
        assert getattr(policy, old) == value


def test_old_and_new_name_together_are_refused() -> None:
    with (
        pytest.warns(DeprecationWarning, match="'base' is now called 'initial'"),
        pytest.raises(ConfigurationError, match=r"both initial=2\.0 and its old name base=1\.0"),
    ):
        RetryPolicy(initial=2.0, base=1.0)


def test_evolve_and_repr_speak_the_new_names() -> None:
    policy = attrs.evolve(RetryPolicy(), initial=2.0)
    assert policy.initial == 2.0
    assert repr(policy) == (
        "RetryPolicy(max_attempts=3, initial=2.0, maximum=300.0, multiplier=2.0, jitter=0.5)"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": 0}, "max_attempts must be an integer >= 1, got 0"),
        ({"max_attempts": True}, "max_attempts must be an integer >= 1, got True"),
        ({"max_attempts": 2.5}, "max_attempts must be an integer >= 1, got 2.5"),
        ({"initial": -1.0}, "initial must be a finite number >= 0, got -1.0"),
        ({"maximum": math.inf}, "maximum must be a finite number >= 0, got inf"),
        ({"multiplier": 0.5}, "multiplier must be a finite number >= 1, got 0.5"),
        ({"jitter": 1.5}, "jitter must be between 0 and 1, got 1.5"),
    ],
)
def test_bad_values_are_named(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace(".", r"\.")):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
