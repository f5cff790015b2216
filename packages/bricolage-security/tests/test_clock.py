"""The one Clock protocol: SystemClock, FrozenClock and the 0.1 callable spelling."""

from __future__ import annotations

import time

import pytest

from bricolage.security import Clock, RateLimiter, SystemClock, TokenSigner, system_clock
from bricolage.security.testing import FrozenClock


def test_frozen_clock_follows_the_shared_api() -> None:
    clock = FrozenClock()
    assert isinstance(clock, Clock)
    assert clock.now() == 1_700_000_000.0
    assert clock.monotonic() == 0.0
    assert clock() == clock.now()
    clock.advance(2.5)
    assert (clock.now(), clock.monotonic()) == (1_700_000_002.5, 2.5)
    clock.set(10)
    assert (clock.now(), clock.monotonic()) == (10.0, 2.5)
    clock.sleep(1)
    assert (clock.now(), clock.monotonic(), clock.sleeps) == (11.0, 3.5, [1.0])
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)
    assert "monotonic=3.5" in repr(clock)


def test_frozen_clock_start_keyword_and_deprecated_now_keyword() -> None:
    assert FrozenClock(start=5).now() == 5.0
    with pytest.warns(DeprecationWarning, match="start="):
        assert FrozenClock(now=7).now() == 7.0
    with pytest.raises(TypeError, match="unexpected"):
        FrozenClock(when=1)


@pytest.mark.anyio
async def test_frozen_clock_async_sleep_is_recorded() -> None:
    clock = FrozenClock(0)
    await clock.async_sleep(4)
    assert clock.sleeps == [4.0]
    assert clock.monotonic() == 4.0


def test_system_clock_reads_real_time() -> None:
    clock = SystemClock()
    assert isinstance(clock, Clock)
    assert abs(clock.now() - time.time()) < 5
    assert abs(clock() - time.time()) < 5
    before = clock.monotonic()
    clock.sleep(0.001)
    assert clock.monotonic() > before
    assert repr(clock) == "SystemClock()"
    assert isinstance(system_clock, SystemClock)


def test_a_bare_function_as_clock_still_works_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="pass a Clock"):
        limiter = RateLimiter(limit=1, period=60, clock=lambda: 1000.0)
    assert limiter.clock.now() == 1000.0
    assert limiter.clock.monotonic() > 0
    limiter.clock.sleep(0)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        signer = TokenSigner([b"k" * 32], purpose="p", max_age=60, clock=lambda: 50.0)
    assert signer.clock.now() == 50.0


def test_a_clock_that_is_not_one_is_refused() -> None:
    with pytest.raises(TypeError, match="must be a Clock"):
        RateLimiter(limit=1, period=60, clock=42)  # type: ignore[arg-type]
