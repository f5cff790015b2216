"""Injected time: every time-dependent decision takes a clock."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "as_clock", "system_clock"]


@runtime_checkable
class Clock(Protocol):
    """Where time comes from: wall time, a monotonic counter and a way to wait.

    :class:`SystemClock` reads the real time; ``bricolage.security.testing.FrozenClock``
    stands still until a test moves it. The same protocol, with the same method names, is
    used by every bricolage package.

    >>> from bricolage.security import Clock, SystemClock
    >>> isinstance(SystemClock(), Clock)
    True
    """

    def now(self) -> float:
        """Wall-clock time in seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds on a counter that never goes back; only differences mean anything."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """The real time: ``time.time()``, ``time.monotonic()`` and ``time.sleep()``.

    Calling the clock returns :meth:`now`, so it also fits where a ``Callable[[], float]``
    was taken.

    >>> from bricolage.security import SystemClock
    >>> clock = SystemClock()
    >>> clock.now() > 1_700_000_000, clock() > 1_700_000_000
    (True, True)
    """

    __slots__ = ()

    def now(self) -> float:
        """Seconds since the epoch.

        >>> from bricolage.security import SystemClock
        >>> SystemClock().now() > 1_700_000_000
        True
        """
        return time.time()

    def monotonic(self) -> float:
        """The monotonic counter.

        >>> from bricolage.security import SystemClock
        >>> clock = SystemClock()
        >>> clock.monotonic() <= clock.monotonic()
        True
        """
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds``.

        >>> from bricolage.security import SystemClock
        >>> SystemClock().sleep(0)
        """
        time.sleep(seconds)

    def __call__(self) -> float:
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


#: The shared real clock, the default of every ``clock=`` parameter.
system_clock: SystemClock = SystemClock()


class _CallableClock:
    """Adapts a bare ``Callable[[], float]`` (the 0.1 spelling) to :class:`Clock`."""

    __slots__ = ("_now",)

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now())

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def __call__(self) -> float:
        return float(self._now())


def as_clock(clock: Clock | Callable[[], float]) -> Clock:
    """``clock`` as a :class:`Clock`; a bare callable still works, with a warning."""
    if isinstance(clock, Clock):
        return clock
    if callable(clock):
        warnings.warn(
            "passing a function as clock= is deprecated and stops working in 0.3; "
            "pass a Clock (bricolage.security.SystemClock, or testing.FrozenClock in tests)",
            DeprecationWarning,
            stacklevel=3,
        )
        return _CallableClock(clock)
    raise TypeError(f"clock must be a Clock with now(), got {clock!r}")
