"""The worker: claims jobs under leases, runs them, renews, reports, stops gracefully."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import random
import signal
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import attrs

from bricolage.jobs._backend import AsyncBackend, Backend
from bricolage.jobs._context import JobContext, _set_current
from bricolage.jobs._model import JobRecord, Outcome
from bricolage.jobs._policy import LeasePolicy, RateLimit, decide_failure
from bricolage.jobs._queue import Queue
from bricolage.jobs._registry import JobFunction
from bricolage.jobs._scheduler import Schedule, Scheduler
from bricolage.jobs._states import Event
from bricolage.jobs.errors import (
    ConfigurationError,
    InvalidArgumentsError,
    LeaseLostError,
    PermanentError,
    UnknownJobError,
)

__all__ = ["Worker", "WorkerCounters"]

#: How late a server may end a blocking wait: redis-server checks blocked clients'
#: timeouts on its timer, ``hz`` times a second (10 by default), so a wait can end up to
#: this long after its timeout.
SERVER_TICK = 0.1
#: How often an idle worker polls while a delayed job is due within ``SERVER_TICK``.
NEAR_DUE_POLL = 0.005


def idle_wait(poll_interval: float, now: float, wake: float | None) -> tuple[float, bool]:
    """How long an idle worker waits before it claims again, and who does the waiting.

    Returns ``(seconds, on_server)``. A blocking wait on the server (Redis ``BLPOP``) may
    overrun its timeout by up to :data:`SERVER_TICK`, which would start a delayed job that
    late. So the server waits only until one tick before the next due time; within that
    last tick the worker waits itself, in short slices, so a due job starts within a few
    milliseconds and a new job is still picked up quickly.

    >>> idle_wait(1.0, now=100.0, wake=None)
    (1.0, True)
    >>> idle_wait(1.0, now=100.0, wake=100.5)
    (0.4, True)
    >>> idle_wait(1.0, now=100.0, wake=100.05)
    (0.005, False)
    >>> idle_wait(1.0, now=100.0, wake=100.002)
    (0.002, False)
    >>> idle_wait(1.0, now=100.0, wake=99.0)
    (0.0, True)
    """
    if wake is None:
        return poll_interval, True
    until = wake - now
    if until <= 0:
        return 0.0, True
    if until <= SERVER_TICK:
        return round(min(until, NEAR_DUE_POLL), 9), False
    return round(min(poll_interval, until - SERVER_TICK), 9), True


@attrs.frozen(slots=True)
class _IdlePlan:
    """What an idle worker does after a claim that came back empty.

    ``sleep`` seconds on its own clock (a delayed job is due within the server's timer
    tick), then a wait of ``server_wait`` seconds on the store that claims the moment it
    ends (0: claim at once).
    """

    sleep: float
    server_wait: float

    @classmethod
    def make(
        cls,
        poll_interval: float,
        now: float,
        wake: float | None,
        wait: bool,
        stop: threading.Event,
    ) -> _IdlePlan | None:
        """The plan, or None when the worker must not wait (burst mode, stopping)."""
        if not wait or stop.is_set():
            return None
        timeout, on_server = idle_wait(poll_interval, now, wake)
        if on_server:
            return cls(0.0, timeout)
        return cls(timeout, 0.0)


logger = logging.getLogger("bricolage.jobs.worker")


@attrs.define
class WorkerCounters:
    """What a worker did since it started.

    >>> WorkerCounters().succeeded
    0
    """

    claimed: int = 0
    succeeded: int = 0
    retried: int = 0
    failed: int = 0
    buried: int = 0
    cancelled: int = 0
    released: int = 0
    fenced: int = 0
    lost: int = 0


class _Running:
    __slots__ = ("ctx", "lease_until", "reason", "record", "scope")

    def __init__(self, record: JobRecord, ctx: JobContext) -> None:
        self.record = record
        self.ctx = ctx
        self.scope: anyio.CancelScope | None = None
        self.reason: str | None = None
        # when the store hands the job out again unless a renewal moves it on
        self.lease_until = record.lease_expires_at or 0.0


class Worker:
    """Runs jobs from one or more queues of a :class:`Queue`'s backend.

    Async jobs run as anyio tasks, sync jobs in a thread pool; at most ``concurrency``
    at a time. Each claimed job holds a lease renewed every third of its length while
    the worker lives. On SIGTERM (or :meth:`stop`) the worker takes no more work, lets
    running jobs finish for ``grace`` seconds, then gives the rest back to the queue.

    >>> queue = Queue("sqlite://:memory:")
    >>> @queue.job()
    ... def add(a: int, b: int) -> int:
    ...     return a + b
    >>> handle = queue.enqueue(add, 2, 3)
    >>> Worker(queue, burst=True).run()
    >>> handle.result()
    5
    >>> queue.close()
    """

    def __init__(
        self,
        queue: Queue,
        queues: Sequence[str] | None = None,
        *,
        concurrency: int = 16,
        threads: int | None = None,
        lease: LeasePolicy | None = None,
        rate_limits: Mapping[str, RateLimit] | None = None,
        schedules: Sequence[Schedule] = (),
        grace: float = 30.0,
        poll_interval: float = 1.0,
        burst: bool = False,
        name: str | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigurationError(f"concurrency must be >= 1, got {concurrency!r}")
        self.queue: Queue = queue
        self.queues: tuple[str, ...] = tuple(queues or queue.registry.queues or ("default",))
        self.concurrency: int = concurrency
        self.threads: int = threads or concurrency
        self.lease: LeasePolicy = lease or LeasePolicy()
        self.rate_limits: dict[str, RateLimit] = dict(rate_limits or {})
        self.grace: float = grace
        self.poll_interval: float = poll_interval
        self.burst: bool = burst
        self.name: str = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.clock: Callable[[], float] = clock
        self.rng: random.Random = rng or random.Random()  # noqa: S311 - jitter, not secrets
        self.counters: WorkerCounters = WorkerCounters()
        self.scheduler: Scheduler | None = (
            Scheduler(queue, schedules, clock=clock) if schedules else None
        )
        self._running: dict[str, _Running] = {}
        # finished jobs whose report is not stored yet: their leases are still renewed
        self._reporting: dict[str, _Running] = {}
        self._stopping = False
        self._wake: anyio.Event | None = None
        self._stop_flag = threading.Event()
        self._outbox: list[tuple[_Running, Outcome, anyio.Event]] = []
        self._outbox_ready: anyio.Event | None = None
        self._limiter: anyio.CapacityLimiter | None = None
        self._native: AsyncBackend | None = None

    def __repr__(self) -> str:
        return f"<Worker {self.name} queues={list(self.queues)}>"

    @property
    def backend(self) -> Backend:
        """The backend jobs come from."""
        return self.queue.backend

    def run(self, *, backend: str = "asyncio", handle_signals: bool = True) -> None:
        """Serve until stopped by SIGTERM/SIGINT (or, with ``burst``, until idle)."""
        anyio.run(functools.partial(self.serve, handle_signals=handle_signals), backend=backend)

    def stop(self) -> None:
        """Stop taking work; running jobs get ``grace`` seconds, then go back to the queue.

        Call it from the worker's event loop (a signal does it for you). A worker idle in
        a blocking wait notices within ``poll_interval``.
        """
        self._stopping = True
        self._stop_flag.set()
        self._poke()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def serve(
        self,
        *,
        handle_signals: bool = False,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve in the current event loop until :meth:`stop` (or idle, with ``burst``).

        ``task_status`` makes it startable with ``await task_group.start(worker.serve)``,
        which returns once the worker is taking jobs.
        """
        self._limiter = anyio.CapacityLimiter(self.threads)
        self._outbox_ready = anyio.Event()
        self._native = self.backend.asyncio_backend()
        try:
            await self._serve(handle_signals, task_status)
        finally:
            if self._native is not None:
                with anyio.CancelScope(shield=True):
                    await self._native.aclose_worker_connection()
                self._native = None
        logger.info("worker %s stopped: %s", self.name, self.counters)

    async def _serve(self, handle_signals: bool, task_status: anyio.abc.TaskStatus[None]) -> None:
        async with anyio.create_task_group() as tg:
            renew_scope = anyio.CancelScope()
            tg.start_soon(self._renew_loop, renew_scope)
            report_scope = anyio.CancelScope()
            tg.start_soon(self._report_loop, report_scope)
            # One scope per task: a cancel scope may enter only one ``with`` block.
            signal_scope = anyio.CancelScope()
            if handle_signals:
                tg.start_soon(self._signals, signal_scope)
            schedule_scope = anyio.CancelScope()
            if self.scheduler is not None:
                tg.start_soon(self._schedule_loop, schedule_scope)
            task_status.started()
            async with anyio.create_task_group() as jobs:
                await self._fetch_loop(jobs)
                await self._drain()
            renew_scope.cancel()
            report_scope.cancel()
            signal_scope.cancel()
            schedule_scope.cancel()

    async def _signals(self, scope: anyio.CancelScope) -> None:
        with scope, anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for signum in signals:
                logger.info("worker %s got signal %s; stopping", self.name, signum)
                self.stop()
                return

    async def _schedule_loop(self, scope: anyio.CancelScope) -> None:
        assert self.scheduler is not None
        with scope:
            await self.scheduler.serve()

    def _claim_args(
        self, free: int
    ) -> tuple[Sequence[str], str, int, float, float, Mapping[str, RateLimit]]:
        """What every claim sends, on both paths: queues, worker, how many, lease, now, limits."""
        return (self.queues, self.name, free, self.lease.duration, self.clock(), self.rate_limits)

    def _claim(self, free: int, alone: bool) -> list[JobRecord]:
        return self.backend.claim(*self._claim_args(free), alone=alone)

    def _poll(self, free: int, alone: bool, wait: bool) -> tuple[list[JobRecord], float | None]:
        """The idle cycle of :meth:`_next_jobs`, in one worker thread (one hop per cycle)."""
        backend = self.backend
        claimed = self._claim(free, alone)
        if claimed:
            return claimed, None
        wake = backend.next_wakeup(self.clock())
        plan = _IdlePlan.make(self.poll_interval, self.clock(), wake, wait, self._stop_flag)
        if plan is None:
            return [], wake
        if plan.sleep > 0:
            time.sleep(plan.sleep)
        if self._stop_flag.is_set():
            return [], wake
        claimed = backend.wait_and_claim(plan.server_wait, *self._claim_args(free), alone=alone)
        return claimed, wake

    async def _next_jobs(self, free: int, alone: bool) -> tuple[list[JobRecord], float | None]:
        """Claim what is ready; when idle (not in burst mode), wait for work and claim it.

        The cycle is the same on both paths (claim; if nothing came, wait as
        :class:`_IdlePlan` says, then wait and claim in one call): on asyncio with a
        backend that has asyncio methods (Redis built from a URL) it runs on the event
        loop's own connections, so the job an idle worker is woken for comes back with
        the wake-up; otherwise it runs in one worker thread.
        """
        native = self._native
        if native is None:
            return await anyio.to_thread.run_sync(self._poll, free, alone, not self.burst)
        claimed, wake = await native.aclaim(*self._claim_args(free), alone=alone)
        if claimed:
            return claimed, wake
        plan = _IdlePlan.make(
            self.poll_interval, self.clock(), wake, not self.burst, self._stop_flag
        )
        if plan is None:
            return [], wake
        if plan.sleep > 0:
            await anyio.sleep(plan.sleep)
        if self._stop_flag.is_set():
            return [], wake
        claimed = await native.await_and_claim(
            plan.server_wait, *self._claim_args(free), alone=alone
        )
        return claimed, wake

    def _wait_timeout(self, wake: float | None) -> float:
        timeout = self.poll_interval
        if wake is not None:
            timeout = max(0.0, min(timeout, wake - self.clock()))
        return timeout

    async def _fetch_loop(self, jobs: anyio.abc.TaskGroup) -> None:
        failures = 0
        while not self._stopping:
            self._wake = anyio.Event()
            free = self.concurrency - len(self._running)
            if free <= 0 or any(r.record.isolated for r in self._running.values()):
                # full, or running a suspect alone (poison isolation: nothing beside it)
                await self._wake.wait()
                continue
            try:
                claimed, wake = await self._next_jobs(free, not self._running)
                failures = 0
            except Exception:
                failures += 1
                logger.exception("worker %s: claiming failed (%d in a row)", self.name, failures)
                await anyio.sleep(min(5.0, 0.1 * 2**failures))
                continue
            for record in claimed:
                self.counters.claimed += 1
                ctx = JobContext(
                    record.id,
                    record.name,
                    record.queue,
                    attempt=record.attempts + 1,
                    meta=record.meta,
                )
                running = _Running(record, ctx)
                self._running[record.id] = running
                jobs.start_soon(self._execute, running)
            if claimed:
                # Let the jobs just claimed start before the next claim takes the thread
                # and the connection.
                await anyio.lowlevel.checkpoint()
                continue
            if not self.burst:
                continue
            if not self._running and wake is None:
                return
            timeout = self._wait_timeout(wake)
            with anyio.move_on_after(timeout):
                await self._wake.wait()

    async def _drain(self) -> None:
        if not self._running:
            return
        with anyio.move_on_after(self.grace):
            while self._running:
                self._wake = anyio.Event()
                await self._wake.wait()
        for running in list(self._running.values()):
            running.reason = "release"
            if running.scope is not None:
                running.scope.cancel()

    async def _renew_loop(self, scope: anyio.CancelScope) -> None:
        with scope:
            while True:
                await anyio.sleep(self.lease.renew_interval)
                await self._renew_once()

    async def _renew_once(self) -> None:
        holding = {**self._reporting, **self._running}
        held = {i: r.record.token for i, r in holding.items()}
        if not held:
            return
        now = self.clock()
        progress = {
            i: r.ctx.progress_json
            for i, r in self._running.items()
            if r.ctx.progress_json is not None
        }
        try:
            renewal = await anyio.to_thread.run_sync(
                self.backend.renew, held, self.lease.duration, now, progress
            )
        except Exception:
            logger.exception("worker %s: renewing %d leases failed", self.name, len(held))
            return
        for job_id, renewed in self._running.items():
            if job_id not in renewal.lost:
                renewed.lease_until = now + self.lease.duration
        for job_id in renewal.lost:
            running = self._running.get(job_id)
            if running is not None:
                logger.warning("worker %s: lost the lease of job %s", self.name, job_id)
                self.counters.lost += 1
                running.ctx.lease_lost = True
                running.reason = "lost"
                if running.scope is not None:
                    running.scope.cancel()
        for job_id in renewal.cancel:
            running = self._running.get(job_id)
            if running is not None and running.reason is None:
                running.ctx.cancel_requested = True
                running.reason = "cancel"
                if running.scope is not None:
                    running.scope.cancel()

    async def _call(self, job: JobFunction[Any, Any], running: _Running) -> Any:
        kwargs = job.decode_args(running.record.args)
        middleware = self.queue.middleware
        ctx = running.ctx
        if job.is_async:
            token = _set_current(ctx)
            try:
                if not middleware:
                    return await job.fn(**kwargs)
                with contextlib.ExitStack() as stack:
                    for hook in middleware:
                        stack.enter_context(hook.around_job(ctx))
                    return await job.fn(**kwargs)
            finally:
                _reset(token)

        def in_thread() -> Any:
            _set_current(ctx)
            with contextlib.ExitStack() as stack:
                for hook in middleware:
                    stack.enter_context(hook.around_job(ctx))
                return job.fn(**kwargs)

        return await anyio.to_thread.run_sync(
            in_thread, limiter=self._limiter, abandon_on_cancel=True
        )

    async def _execute(self, running: _Running) -> None:
        record = running.record
        outcome: Outcome | None = None
        try:
            try:
                job = self.queue.registry.get(record.name)
            except UnknownJobError as exc:
                outcome = Outcome(Event.FAIL, error=str(exc))
            else:
                outcome = await self._attempt(job, running)
        finally:
            # The slot frees as soon as the job is done, so the next claim overlaps the
            # report's round trip; the report still completes before the worker exits.
            self._running.pop(record.id, None)
            self._poke()
        if outcome is not None:
            await self._report(running, outcome)
            self._poke()

    async def _attempt(self, job: JobFunction[Any, Any], running: _Running) -> Outcome | None:
        record = running.record
        timeout = record.timeout
        try:
            with anyio.CancelScope() as scope:
                running.scope = scope
                if running.reason is not None:
                    scope.cancel()
                if timeout is None:
                    value = await self._call(job, running)
                else:
                    with anyio.fail_after(timeout):
                        value = await self._call(job, running)
                return Outcome(
                    Event.SUCCEED,
                    result=job.encode_result(value),
                    progress=running.ctx.progress_json,
                )
            # The scope was cancelled by us: a cancel request, a lost lease, or shutdown.
            if running.reason == "cancel":
                return Outcome(Event.CANCEL, error="cancelled on request")
            if running.reason == "release":
                return Outcome(Event.RELEASE)
            return None
        except TimeoutError:
            return self._failure(
                job, running, f"TimeoutError: the job ran longer than {timeout} s", "", False
            )
        except (PermanentError, InvalidArgumentsError) as exc:
            return self._failure(
                job, running, f"{type(exc).__name__}: {exc}", traceback.format_exc(), True
            )
        except Exception as exc:  # noqa: BLE001 - any error a job raises is a failed attempt
            return self._failure(
                job, running, f"{type(exc).__name__}: {exc}", traceback.format_exc(), False
            )

    def _failure(
        self, job: JobFunction[Any, Any], running: _Running, error: str, tb: str, permanent: bool
    ) -> Outcome:
        record = running.record
        decision = decide_failure(
            job.retry, record.attempts + 1, record.max_attempts, permanent, self.clock(), self.rng
        )
        return Outcome(
            decision.event,
            error=error,
            traceback=tb or None,
            due_at=decision.due_at,
            progress=running.ctx.progress_json,
        )

    async def _report(self, running: _Running, outcome: Outcome) -> None:
        done = anyio.Event()
        self._reporting[running.record.id] = running
        self._outbox.append((running, outcome, done))
        assert self._outbox_ready is not None
        self._outbox_ready.set()
        await done.wait()

    async def _report_loop(self, scope: anyio.CancelScope) -> None:
        """Send the reports gathered meanwhile in one round trip, over and over."""
        with scope:
            while True:
                assert self._outbox_ready is not None
                await self._outbox_ready.wait()
                self._outbox_ready = anyio.Event()
                batch, self._outbox = self._outbox, []
                if batch:
                    await self._send(batch)

    async def _finish_many(
        self, reports: Sequence[tuple[str, int, Outcome]]
    ) -> list[LeaseLostError | None]:
        if self._native is not None:
            return await self._native.afinish_many(reports, self.clock())
        return await anyio.to_thread.run_sync(self.backend.finish_many, reports, self.clock())

    async def _send(self, batch: list[tuple[_Running, Outcome, anyio.Event]]) -> None:
        """Store the reports of ``batch``; on failure retry, with backoff, until the
        leases run out (the jobs are renewed meanwhile; once a lease is gone the store
        hands the job out again, so a later report could only be fenced)."""
        try:
            tries = 0
            while batch:
                reports = [(r.record.id, r.record.token, outcome) for r, outcome, _ in batch]
                try:
                    results = await self._finish_many(reports)
                except Exception:
                    tries += 1
                    now = self.clock()
                    kept = [item for item in batch if item[0].lease_until > now]
                    for running, _, done in batch:
                        if running.lease_until <= now:
                            logger.error(
                                "worker %s: gave up reporting job %s: its lease ran out "
                                "while the store could not be reached; it will run again",
                                self.name,
                                running.record.id,
                            )
                            self._reporting.pop(running.record.id, None)
                            done.set()
                    logger.exception(
                        "worker %s: reporting %d jobs failed (try %d); retrying while "
                        "their leases last",
                        self.name,
                        len(batch),
                        tries,
                    )
                    batch = kept
                    await anyio.sleep(min(self.lease.renew_interval, 0.05 * 2**tries))
                    continue
                for (_, outcome, _), result in zip(batch, results, strict=True):
                    if isinstance(result, LeaseLostError):
                        self.counters.fenced += 1
                        logger.warning("worker %s: report fenced: %s", self.name, result)
                    else:
                        self._count(outcome.event)
                return
        finally:
            for running, _, done in batch:
                self._reporting.pop(running.record.id, None)
                done.set()

    def _count(self, event: Event) -> None:
        field = {
            Event.SUCCEED: "succeeded",
            Event.RETRY: "retried",
            Event.FAIL: "failed",
            Event.BURY: "buried",
            Event.CANCEL: "cancelled",
            Event.RELEASE: "released",
        }[event]
        setattr(self.counters, field, getattr(self.counters, field) + 1)


def _reset(token: contextvars.Token[JobContext]) -> None:
    from bricolage.jobs._context import _current

    _current.reset(token)
