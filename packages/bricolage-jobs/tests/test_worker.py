"""The worker against real backends, on asyncio and on trio."""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Iterator, MutableMapping
from typing import Any

import anyio
import pytest

from bricolage.jobs import (
    Backend,
    Call,
    Event,
    JobContext,
    JobFailedError,
    JobRegistry,
    JobState,
    LeasePolicy,
    NewJob,
    Outcome,
    PermanentError,
    Queue,
    RateLimit,
    ResultTimeoutError,
    RetryPolicy,
    Worker,
    current_job,
)

pytestmark = pytest.mark.anyio

correlation: contextvars.ContextVar[str] = contextvars.ContextVar("correlation", default="-")
FAST_RETRY = RetryPolicy(max_attempts=3, initial=0.01, multiplier=1.0, jitter=0.0)


def make_queue(backend: Backend) -> Queue:
    registry = JobRegistry()

    @registry.job()
    def add(a: int, b: int) -> int:
        return a + b

    @registry.job()
    async def slow_echo(text: str, seconds: float = 0.0) -> str:
        await anyio.sleep(seconds)
        return text

    @registry.job(retry=FAST_RETRY)
    def always_fails(reason: str) -> None:
        raise RuntimeError(reason)

    @registry.job()
    def refuses() -> None:
        raise PermanentError("never going to work")

    @registry.job(retry=FAST_RETRY)
    async def too_slow() -> None:
        await anyio.sleep(5)

    @registry.job()
    async def long_running() -> str:
        ctx = current_job()
        ctx.report_progress({"step": 1})
        await anyio.sleep(3)
        return "done"

    @registry.job()
    def sync_progress() -> int:
        ctx = current_job()
        ctx.report_progress(50)
        time.sleep(0.3)
        return ctx.attempt

    @registry.job()
    async def whose_request() -> str:
        return correlation.get()

    @registry.job()
    def sync_whose_request() -> str:
        return correlation.get()

    return Queue(backend, registry)


async def test_sync_and_async_jobs_run_and_return_typed_results(
    backend: Backend, anyio_backend: str
) -> None:
    queue = make_queue(backend)
    add = queue.registry.get("add")
    echo = queue.registry.get("slow_echo")
    handles = [queue.enqueue(add, i, 1) for i in range(20)]
    handles.append(queue.enqueue(echo, "hi"))
    bulk = queue.enqueue_many(Call.of(add, i, 2) for i in range(10))
    worker = Worker(queue, burst=True, concurrency=4, poll_interval=0.05)
    await worker.serve()
    assert [h.result(timeout=5) for h in handles[:20]] == [i + 1 for i in range(20)]
    assert await handles[20].wait(timeout=5) == "hi"
    assert [h.result(timeout=5) for h in bulk] == [i + 2 for i in range(10)]
    assert worker.counters.succeeded == 31
    record = handles[0].status()
    assert record.state is JobState.SUCCEEDED
    assert record.attempts == 1
    assert record.started_at is not None
    assert record.finished_at is not None


async def test_failures_retry_then_land_in_the_dead_letter_queue(
    backend: Backend, anyio_backend: str
) -> None:
    queue = make_queue(backend)
    handle = queue.enqueue(queue.registry.get("always_fails"), "boom")
    permanent = queue.enqueue(queue.registry.get("refuses"))
    await Worker(queue, burst=True, poll_interval=0.02).serve()
    dead = handle.status()
    assert dead.state is JobState.DEAD
    assert dead.attempts == 3
    assert dead.error == "RuntimeError: boom"
    assert dead.traceback is not None
    assert "RuntimeError: boom" in dead.traceback
    assert [r.id for r in queue.dead_letters()] == [handle.id]
    with pytest.raises(JobFailedError, match="is dead: RuntimeError: boom"):
        handle.result(timeout=1)
    failed = permanent.status()
    assert failed.state is JobState.FAILED
    assert failed.attempts == 1
    assert failed.error == "PermanentError: never going to work"
    assert queue.requeue([handle.id]) == 1
    assert handle.status().state is JobState.QUEUED
    await Worker(queue, burst=True, poll_interval=0.02).serve()
    assert queue.purge() == 1
    assert queue.dead_letters() == []


async def test_bad_arguments_and_unknown_jobs_fail_on_the_worker(
    backend: Backend, anyio_backend: str
) -> None:
    queue = make_queue(backend)
    backend.enqueue(
        [
            NewJob(id="bad", name="add", queue="default", args='{"a": "x", "b": 1}'),
            NewJob(id="ghost", name="nobody", queue="default", args="{}"),
        ],
        time.time(),
    )
    await Worker(queue, ["default"], burst=True, poll_interval=0.02).serve()
    bad = queue.get("bad")
    assert bad.state is JobState.FAILED
    assert bad.error is not None
    assert "invalid arguments" in bad.error
    assert "'x'" in bad.error
    ghost = queue.get("ghost")
    assert ghost.state is JobState.FAILED
    assert ghost.error is not None
    assert "no job is registered as 'nobody'" in ghost.error


async def test_timeouts_count_as_failures(backend: Backend, anyio_backend: str) -> None:
    queue = make_queue(backend)
    job = queue.registry.get("too_slow").options(timeout=0.05, max_attempts=2)
    handle = queue.enqueue(job)
    await Worker(queue, burst=True, poll_interval=0.02).serve()
    record = handle.status()
    assert record.state is JobState.DEAD
    assert record.attempts == 2
    assert record.error is not None
    assert "longer than 0.05 s" in record.error


async def test_cancel_and_progress_of_a_running_job(backend: Backend, anyio_backend: str) -> None:
    queue = make_queue(backend)
    handle = queue.enqueue(queue.registry.get("long_running"))
    worker = Worker(queue, lease=LeasePolicy(duration=0.3), poll_interval=0.02)
    async with anyio.create_task_group() as tg:
        await tg.start(worker.serve)
        for _ in range(200):
            await anyio.sleep(0.02)
            if handle.status().progress is not None:
                break
        assert handle.status().progress == '{"step": 1}'
        assert handle.cancel().cancel_requested
        for _ in range(200):
            await anyio.sleep(0.02)
            if handle.status().state is JobState.CANCELLED:
                break
        worker.stop()
    assert handle.status().state is JobState.CANCELLED
    assert worker.counters.cancelled == 1


async def test_sync_jobs_see_their_context(backend: Backend, anyio_backend: str) -> None:
    queue = make_queue(backend)
    handle = queue.enqueue(queue.registry.get("sync_progress"))
    await Worker(queue, burst=True, lease=LeasePolicy(duration=0.15)).serve()
    record = handle.status()
    assert handle.result(timeout=1) == 1
    assert record.progress == "50"


async def test_stop_releases_unfinished_work(backend: Backend, anyio_backend: str) -> None:
    queue = make_queue(backend)
    handle = queue.enqueue(queue.registry.get("slow_echo"), "x", seconds=10.0)
    worker = Worker(queue, grace=0.1, poll_interval=0.02)
    async with anyio.create_task_group() as tg:
        await tg.start(worker.serve)
        for _ in range(200):
            await anyio.sleep(0.01)
            if handle.status().state is JobState.RUNNING:
                break
        worker.stop()
    record = handle.status()
    assert record.state is JobState.QUEUED
    assert record.deliveries == 0
    assert worker.counters.released == 1


async def test_a_late_report_is_fenced(backend: Backend, anyio_backend: str) -> None:
    queue = make_queue(backend)
    handle = queue.enqueue(queue.registry.get("slow_echo"), "late", seconds=0.4)
    # This worker's clock runs 100 s behind: its leases look expired to everyone else.
    worker = Worker(
        queue,
        clock=lambda: time.time() - 100.0,
        lease=LeasePolicy(duration=30.0),
        poll_interval=0.02,
    )
    async with anyio.create_task_group() as tg:
        await tg.start(worker.serve)
        for _ in range(200):
            await anyio.sleep(0.01)
            if handle.status().state is JobState.RUNNING:
                break
        [stolen] = backend.claim(["default"], "thief", 1, 30.0, time.time(), alone=True)
        assert stolen.id == handle.id
        assert stolen.deliveries == 2
        for _ in range(200):
            await anyio.sleep(0.01)
            if worker.counters.fenced + worker.counters.lost:
                break
        worker.stop()
    assert worker.counters.fenced + worker.counters.lost == 1
    assert worker.counters.succeeded == 0
    backend.finish(handle.id, stolen.token, Outcome(Event.SUCCEED, result='"mine"'), time.time())
    assert handle.result(timeout=1) == "mine"


async def test_delayed_jobs_start_when_due(backend: Backend, anyio_backend: str) -> None:
    queue = make_queue(backend)
    handle = queue.enqueue(queue.registry.get("add").options(delay=0.3), 1, 2)
    worker = Worker(queue, burst=True, poll_interval=1.0)
    await worker.serve()
    record = handle.status()
    assert record.state is JobState.SUCCEEDED
    assert record.started_at is not None
    assert record.started_at >= record.due_at


async def test_an_idle_worker_starts_delayed_jobs_on_time(
    backend: Backend, anyio_backend: str
) -> None:
    """A blocking wait on the server can overrun by a timer tick; the worker must not.

    The worker is idle and not in burst mode, with a poll interval far longer than the
    delays, so only the due times can wake it.
    """
    queue = make_queue(backend)
    worker = Worker(queue, poll_interval=5.0)
    handles = []
    async with anyio.create_task_group() as tg:
        await tg.start(worker.serve)
        for delay in (0.25, 0.4, 0.33):
            handles.append(queue.enqueue(queue.registry.get("add").options(delay=delay), 1, 1))
            await anyio.sleep(delay + 0.25)
        worker.stop()
    lateness = []
    for handle in handles:
        record = handle.status()
        assert record.state is JobState.SUCCEEDED
        assert record.started_at is not None
        lateness.append(record.started_at - record.due_at)
    assert all(late >= 0 for late in lateness)
    assert sorted(lateness)[1] < 0.05, lateness


async def test_rate_limit_spreads_starts(backend: Backend, anyio_backend: str) -> None:
    queue = make_queue(backend)
    add = queue.registry.get("add")
    handles = [queue.enqueue(add, i, i) for i in range(6)]
    worker = Worker(
        queue, burst=True, rate_limits={"default": RateLimit(3, 0.5)}, poll_interval=0.02
    )
    await worker.serve()
    starts = sorted(h.status().started_at or 0.0 for h in handles)
    assert starts[3] - starts[0] >= 0.1  # the fourth start waited for a refill


class Correlation:
    def on_enqueue(self, meta: MutableMapping[str, str]) -> None:
        meta["correlation_id"] = "req-42"

    @contextlib.contextmanager
    def around_job(self, context: JobContext) -> Iterator[None]:
        token = correlation.set(context.meta["correlation_id"])
        try:
            yield
        finally:
            correlation.reset(token)


async def test_middleware_carries_a_correlation_id(backend: Backend, anyio_backend: str) -> None:
    plain = make_queue(backend)
    queue = Queue(backend, plain.registry, middleware=[Correlation()])
    handles = [
        queue.enqueue(queue.registry.get("whose_request")),
        queue.enqueue(queue.registry.get("sync_whose_request")),
    ]
    await Worker(queue, burst=True).serve()
    assert [h.result(timeout=1) for h in handles] == ["req-42", "req-42"]
    assert handles[0].status().meta == {"correlation_id": "req-42"}


async def test_result_timeout(backend: Backend, anyio_backend: str) -> None:
    queue = make_queue(backend)
    handle = queue.enqueue(queue.registry.get("add"), 1, 1)
    with pytest.raises(ResultTimeoutError, match="still queued"):
        handle.result(timeout=0.05)
    with pytest.raises(ResultTimeoutError, match="did not finish"):
        await handle.wait(timeout=0.05)


def test_run_handles_signals_in_the_main_thread(backend: Backend) -> None:
    queue = make_queue(backend)
    handle = queue.enqueue(queue.registry.get("add"), 2, 2)
    Worker(queue, burst=True).run(backend="trio")
    assert handle.result(timeout=1) == 4
    assert threading.current_thread() is threading.main_thread()


def registry_any() -> Any:
    return JobRegistry()
