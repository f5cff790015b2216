"""The clock Protocol every time-dependent part of the package takes, and the real clock."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import anyio

__all__ = ["Clock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Where time comes from: wall time, monotonic time, and waiting.

    :class:`SystemClock` is the real one; :class:`bricolage.http.testing.FrozenClock` moves
    only when a test says so. Both fit wherever a transport or a budget takes ``clock=``.

    >>> from bricolage.http import Clock, SystemClock
    >>> isinstance(SystemClock(), Clock)
    True
    """

    def now(self) -> float:
        """Wall-clock seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for durations and deadlines)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...

    async def async_sleep(self, seconds: float) -> None:
        """Wait ``seconds`` without blocking the event loop."""
        ...


class SystemClock:
    """The real clock: :func:`time.time`, :func:`time.monotonic`, :func:`time.sleep`, anyio.

    >>> from bricolage.http import SystemClock
    >>> clock = SystemClock()
    >>> clock.now() > 1_600_000_000, clock.monotonic() >= 0.0
    (True, True)
    """

    def now(self) -> float:
        """Wall-clock seconds since the epoch (:func:`time.time`)."""
        return time.time()

    def monotonic(self) -> float:
        """Monotonic seconds (:func:`time.monotonic`)."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds`` (:func:`time.sleep`)."""
        time.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on the running event loop (:func:`anyio.sleep`)."""
        await anyio.sleep(seconds)


class _FunctionClock(SystemClock):
    """A :class:`Clock` whose wall or monotonic time is a plain function (the old spelling)."""

    def __init__(self, function: Callable[[], float], *, monotonic: bool) -> None:
        self._function = function
        self._is_monotonic = monotonic

    def now(self) -> float:
        return self._function() if not self._is_monotonic else time.time()

    def monotonic(self) -> float:
        return self._function() if self._is_monotonic else time.monotonic()


def as_clock(
    clock: Clock | Callable[[], float] | None, *, owner: str, monotonic: bool = False
) -> Clock:
    """``clock`` as a :class:`Clock`; a bare function (deprecated) reads as one of its times."""
    if clock is None:
        return SystemClock()
    if isinstance(clock, Clock):
        return clock
    which = "monotonic" if monotonic else "wall-clock"
    warnings.warn(
        f"{owner}(clock=<function>) is deprecated and will be removed in 0.3: pass a Clock "
        f"(bricolage.http.SystemClock, or testing.FrozenClock); the function is read as "
        f"{which} time",
        DeprecationWarning,
        stacklevel=3,
    )
    return _FunctionClock(clock, monotonic=monotonic)
