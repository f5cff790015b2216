"""Periodic jobs: cron schedules that fire once per tick, however many schedulers run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
import attrs

from bricolage.jobs._cron import Cron, due_ticks
from bricolage.jobs._queue import JobHandle, Queue
from bricolage.jobs._registry import JobFunction
from bricolage.jobs.errors import ConfigurationError

__all__ = ["Schedule", "Scheduler"]

logger = logging.getLogger("bricolage.jobs.scheduler")


def _cron(value: str | Cron) -> Cron:
    return value if isinstance(value, Cron) else Cron.parse(value)


@attrs.frozen(slots=True)
class Schedule:
    """A job to enqueue on every tick of a cron expression, with fixed keyword arguments.

    >>> from bricolage.jobs import JobRegistry
    >>> registry = JobRegistry()
    >>> @registry.job()
    ... def report(kind: str) -> None: ...
    >>> Schedule("nightly", "0 3 * * *", report, kwargs={"kind": "sales"}).cron.hours
    frozenset({3})
    """

    name: str
    cron: Cron = attrs.field(converter=_cron)
    job: JobFunction[..., Any]
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)
    grace: float = 300.0

    def __attrs_post_init__(self) -> None:
        if not self.name or ":" in self.name:
            raise ConfigurationError(
                f"schedule name {self.name!r} must be non-empty and free of ':'"
            )


class Scheduler:
    """Enqueues scheduled jobs when their ticks come; safe to run in many processes.

    Each tick is claimed through the backend (``fire_once``), so with several schedulers
    running exactly one of them enqueues it. Ticks missed by more than a schedule's
    ``grace`` (all schedulers were down) are skipped, not fired in a burst.

    >>> from bricolage.jobs import Queue
    >>> queue = Queue("sqlite://:memory:")
    >>> @queue.job()
    ... def beat() -> None: ...
    >>> scheduler = Scheduler(queue, [Schedule("beat", "* * * * *", beat)], clock=lambda: 0.0)
    >>> [h.status().name for h in scheduler.tick(now=61.0)]
    ['beat']
    >>> scheduler.tick(now=62.0)
    []
    >>> queue.close()
    """

    def __init__(
        self,
        queue: Queue,
        schedules: Sequence[Schedule],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        names = [s.name for s in schedules]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"schedule names must be unique, got {names}")
        self.queue: Queue = queue
        self.schedules: tuple[Schedule, ...] = tuple(schedules)
        self.clock: Callable[[], float] = clock
        start = clock()
        self._last = {s.name: start for s in schedules}

    def tick(self, now: float | None = None) -> list[JobHandle[Any]]:
        """Enqueue whatever became due since the last call; returns what this call enqueued."""
        now = self.clock() if now is None else now
        fired: list[JobHandle[Any]] = []
        for schedule in self.schedules:
            ticks, self._last[schedule.name] = due_ticks(
                schedule.cron, self._last[schedule.name], now, schedule.grace
            )
            for tick in ticks:
                key = f"cron:{schedule.name}:{int(tick)}"
                if not self.queue.backend.fire_once(key, schedule.grace + 3600.0, now):
                    continue
                job = schedule.job.options(key=key, meta={"schedule": schedule.name})
                fired.append(self.queue.enqueue(job, **schedule.kwargs))
        return fired

    def next_tick(self) -> float:
        """The earliest next tick over all schedules (UNIX time)."""
        return min(s.cron.next_after(self._last[s.name]) for s in self.schedules)

    async def serve(self) -> None:
        """Tick forever, sleeping until the next tick (at most one second at a time)."""
        while True:
            try:
                await anyio.to_thread.run_sync(self.tick)
            except Exception:
                logger.exception("scheduler: enqueueing scheduled jobs failed")
            await anyio.sleep(max(0.01, min(1.0, self.next_tick() - self.clock())))
