"""Time as an injected dependency: the :class:`Clock` Protocol and the real clock."""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

import anyio

__all__ = ["Clock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """What bricolage reads time from: wall time, a monotonic count and a way to wait.

    :class:`SystemClock` is the real one; :class:`bricolage.jobs.testing.FrozenClock`
    stands still until a test moves it. Both satisfy this Protocol:

    >>> from bricolage.jobs import Clock, SystemClock
    >>> from bricolage.jobs.testing import FrozenClock
    >>> isinstance(SystemClock(), Clock), isinstance(FrozenClock(), Clock)
    (True, True)
    """

    def now(self) -> float:
        """Wall-clock seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for measuring intervals)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""
        ...

    async def async_sleep(self, seconds: float) -> None:
        """Wait ``seconds`` without blocking the event loop."""
        ...


class SystemClock:
    """The real clock: :func:`time.time`, :func:`time.monotonic`, :func:`time.sleep`.

    Calling it returns :meth:`now`, so it fits where a ``Callable[[], float]`` is taken
    (``Queue(url, clock=SystemClock())``).

    >>> import time
    >>> clock = SystemClock()
    >>> abs(clock.now() - time.time()) < 5.0 and clock() > 1.6e9
    True
    >>> clock.monotonic() <= clock.monotonic()
    True
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "SystemClock()"

    def now(self) -> float:
        """Wall-clock seconds since the epoch (:func:`time.time`)."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds on the monotonic clock (:func:`time.monotonic`)."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block the thread for ``seconds`` (:func:`time.sleep`)."""
        time.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on the running event loop (:func:`anyio.sleep`)."""
        await anyio.sleep(seconds)

    def __call__(self) -> float:
        """The same as :meth:`now`."""
        return time.time()
