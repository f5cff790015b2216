"""Cron schedules fire once per tick, however many schedulers run."""

from __future__ import annotations

import functools
import time

import anyio
import pytest

from bricolage.jobs import (
    Backend,
    ConfigurationError,
    JobState,
    Queue,
    Schedule,
    Scheduler,
    Worker,
)
from bricolage.jobs.testing import FrozenClock


def test_several_schedulers_fire_each_tick_once(backend: Backend) -> None:
    clock = FrozenClock(1_800_000_000.0)  # on a minute boundary
    queue = Queue(backend, clock=clock)

    @queue.job()
    def report(kind: str) -> str:
        return kind

    schedule = Schedule("every-minute", "* * * * *", report, kwargs={"kind": "sales"})
    schedulers = [Scheduler(queue, [schedule], clock=clock) for _ in range(3)]
    fired = []
    for _ in range(5):
        clock.advance(60)
        for scheduler in schedulers:
            fired += scheduler.tick()
    assert len(fired) == 5
    records = [h.status() for h in fired]
    assert {r.meta["schedule"] for r in records} == {"every-minute"}
    assert len({r.idempotency_key for r in records}) == 5
    assert schedulers[0].next_tick() == clock() + 60


def test_schedule_validation(backend: Backend) -> None:
    queue = Queue(backend)

    @queue.job()
    def beat() -> None: ...

    with pytest.raises(ConfigurationError, match="free of ':'"):
        Schedule("a:b", "* * * * *", beat)
    with pytest.raises(ConfigurationError, match="unique"):
        Scheduler(queue, [Schedule("x", "* * * * *", beat), Schedule("x", "@hourly", beat)])


@pytest.mark.anyio
async def test_a_worker_runs_its_schedules(backend: Backend, anyio_backend: str) -> None:
    start = 1_800_000_000.0 - 0.3

    class Clock:
        def __init__(self) -> None:
            self.base = time.monotonic()

        def __call__(self) -> float:
            return start + (time.monotonic() - self.base)

    clock = Clock()
    queue = Queue(backend, clock=clock)

    @queue.job()
    def beat() -> str:
        return "beat"

    worker = Worker(
        queue, schedules=[Schedule("beat", "* * * * *", beat)], clock=clock, poll_interval=0.05
    )
    async with anyio.create_task_group() as tg:
        await tg.start(worker.serve)
        with anyio.fail_after(10):
            while worker.counters.succeeded == 0:
                await anyio.sleep(0.05)
        worker.stop()
    [done] = queue.jobs(JobState.SUCCEEDED)
    assert done.name == "beat"
    assert done.result == '"beat"'


@pytest.mark.anyio
async def test_a_worker_with_schedules_also_handles_signals(
    backend: Backend, anyio_backend: str
) -> None:
    """Regression: the signal task and the schedule task once shared one cancel scope, so a
    worker with schedules and signal handling (the default of ``run()``) crashed at start."""
    queue = Queue(backend)

    @queue.job()
    def beat() -> None: ...

    worker = Worker(queue, schedules=[Schedule("beat", "@hourly", beat)], poll_interval=0.05)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            await tg.start(functools.partial(worker.serve, handle_signals=True))
            await anyio.sleep(0.2)
            worker.stop()
    assert worker.counters.failed == 0
