"""The producer side: enqueue typed jobs, look them up, cancel them, manage the DLQ."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar

import anyio
import attrs

from bricolage.jobs._backend import AsyncBackend, Backend
from bricolage.jobs._context import JobMiddleware
from bricolage.jobs._model import CorruptRecord, JobRecord, NewJob, QueueStats, new_job_id
from bricolage.jobs._registry import JobFunction, JobRegistry, _Register
from bricolage.jobs._states import JobState
from bricolage.jobs.errors import (
    ConfigurationError,
    InvalidArgumentsError,
    JobFailedError,
    JobNotFoundError,
    PayloadTooLargeError,
    ResultTimeoutError,
)

__all__ = ["DEFAULT_MAX_PAYLOAD", "AsyncQueue", "Call", "JobHandle", "Queue", "open_backend"]

#: The default limit on a job's arguments, as JSON text: 1 MiB.
DEFAULT_MAX_PAYLOAD = 1 << 20

_P = ParamSpec("_P")
_R = TypeVar("_R")


def open_backend(url: str) -> Backend:
    """A backend from a URL: ``redis://…``, ``rediss://…``, ``unix://…`` or ``sqlite:///path``.

    As in SQLAlchemy, ``sqlite:///jobs.db`` is relative to the working folder and
    ``sqlite:////var/lib/jobs.db`` absolute. A bare file path means SQLite too. A
    ``namespace`` query parameter on a Redis URL picks the key namespace (default
    ``bricolage``).

    >>> open_backend("sqlite://:memory:")
    SQLiteBackend(':memory:')
    >>> open_backend("ftp://x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.jobs.errors.ConfigurationError: backend URL 'ftp://x' is not understood; ...
    """
    from bricolage.jobs._redis import RedisBackend
    from bricolage.jobs._sqlite import SQLiteBackend

    if url.startswith(("redis://", "rediss://", "unix://")):
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        namespace = dict(query).get("namespace", "bricolage")
        rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "namespace"])
        return RedisBackend(
            urllib.parse.urlunsplit(parts._replace(query=rest)), namespace=namespace
        )
    if url.startswith("sqlite://"):
        # As in SQLAlchemy: sqlite:///relative.db, sqlite:////absolute.db, sqlite://:memory:
        path = url.removeprefix("sqlite://")
        return SQLiteBackend(path.removeprefix("/"))
    if "://" not in url and url:
        return SQLiteBackend(Path(url))
    raise ConfigurationError(
        f"backend URL {url!r} is not understood; use redis://host:port/db or "
        "sqlite:///path/to/jobs.db"
    )


@attrs.frozen(slots=True)
class Call:
    """One job call waiting to be enqueued in bulk: ``job.call(...)`` builds it.

    >>> registry = JobRegistry()
    >>> @registry.job()
    ... def ping(n: int) -> int:
    ...     return n
    >>> Call.of(ping, 1).args
    '{"n":1}'
    """

    job: JobFunction[Any, Any]
    args: str

    @classmethod
    def of(cls, job: JobFunction[_P, Any], /, *args: _P.args, **kwargs: _P.kwargs) -> Call:
        """Validate the arguments now; enqueue later with :meth:`Queue.enqueue_many`.

        Args:
            job (JobFunction): a registered job.
            *args (object): its positional arguments.
            **kwargs (object): its keyword arguments.

        Returns:
            Call: the validated call.
        """
        return cls(job, _registered(job).encode_args(*args, **kwargs))


class JobHandle(Generic[_R]):
    """The enqueued job: its id, its status, and (typed) its result.

    Made by :meth:`Queue.enqueue` and :meth:`Queue.handle`, not by hand.

    Args:
        queue (Queue): the queue the job is in.
        record (JobRecord): the job as stored when the handle was made.
        job (JobFunction | None): its function, when known, to type the result.

    >>> queue = Queue("sqlite://:memory:")
    >>> @queue.job()
    ... def square(x: int) -> int:
    ...     return x * x
    >>> handle = queue.enqueue(square, 7)
    >>> handle.status().state
    <JobState.QUEUED: 'queued'>
    >>> queue.close()
    """

    def __init__(self, queue: Queue, record: JobRecord, job: JobFunction[Any, _R] | None) -> None:
        self.queue: Queue = queue
        self.id: str = record.id
        self.record: JobRecord = record
        self._job = job

    def __repr__(self) -> str:
        return f"<JobHandle {self.id} {self.record.name!r}>"

    def status(self) -> JobRecord:
        """The job's record as stored now."""
        return self.queue.get(self.id)

    def cancel(self) -> JobRecord:
        """Cancel the job (a running job is asked to stop)."""
        return self.queue.cancel(self.id)

    def _settle(self, record: JobRecord) -> _R:
        if record.state is JobState.SUCCEEDED:
            if record.result is None:
                return None  # type: ignore[return-value]
            if self._job is None:  # the function is not known here: plain JSON
                return json.loads(record.result)  # type: ignore[no-any-return]
            return self._job.decode_result(record.result)
        raise JobFailedError(
            f"job {self.id!r} ({record.name}) is {record.state.value}: {record.error}"
        )

    def result(self, timeout: float | None = None, poll: float = 0.02) -> _R:
        """Wait for the job to finish and return its result (typed by the function).

        A job that failed, died or was cancelled raises ``JobFailedError``; one still
        unfinished after ``timeout`` seconds raises ``ResultTimeoutError``.

        Args:
            timeout (float | None): seconds to wait at most; None waits for ever.
            poll (float): seconds between two looks at the job.

        Returns:
            object: the job's return value, of the job function's return type.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.status()
            if record.state.is_terminal:
                return self._settle(record)
            if deadline is not None and time.monotonic() >= deadline:
                raise ResultTimeoutError(
                    f"job {self.id!r} is still {record.state.value} after {timeout} s"
                )
            time.sleep(poll)

    async def wait(self, timeout: float | None = None, poll: float = 0.02) -> _R:
        """The async form of :meth:`result` (works on asyncio and trio).

        Args:
            timeout (float | None): seconds to wait at most; None waits for ever.
            poll (float): seconds between two looks at the job.

        Returns:
            object: the job's return value, of the job function's return type.
        """
        with anyio.move_on_after(timeout) as scope:
            while True:
                record = await anyio.to_thread.run_sync(self.status)
                if record.state.is_terminal:
                    return self._settle(record)
                await anyio.sleep(poll)
        assert scope.cancelled_caught
        raise ResultTimeoutError(f"job {self.id!r} did not finish within {timeout} s")


class Queue:
    """Enqueue typed jobs into a backend, and look after them.

    Give it a backend (or a URL, see :func:`open_backend`) and the registry whose jobs
    it enqueues; ``queue.job`` registers into that registry. A job whose arguments take
    more than ``max_payload`` bytes as JSON (1 MiB by default) is refused with
    :class:`~bricolage.jobs.PayloadTooLargeError`.

    >>> queue = Queue("sqlite://:memory:")
    >>> @queue.job(queue="emails")
    ... def send(to: str, subject: str = "hello") -> None: ...
    >>> handle = queue.enqueue(send.options(delay=60), "ada@example.org")
    >>> handle.status().state, handle.status().queue
    (<JobState.SCHEDULED: 'scheduled'>, 'emails')
    >>> queue.close()
    """

    def __init__(
        self,
        backend: Backend | str,
        registry: JobRegistry | None = None,
        *,
        middleware: Sequence[JobMiddleware] = (),
        clock: Callable[[], float] = time.time,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
    ) -> None:
        if max_payload < 1:
            raise ConfigurationError(f"max_payload must be >= 1 byte, got {max_payload!r}")
        self.max_payload: int = max_payload
        self.backend: Backend = open_backend(backend) if isinstance(backend, str) else backend
        self.registry: JobRegistry = registry if registry is not None else JobRegistry()
        self.middleware: tuple[JobMiddleware, ...] = tuple(middleware)
        self.clock: Callable[[], float] = clock
        self.job: _Register = self.registry.job

    def __repr__(self) -> str:
        return f"Queue({self.backend!r})"

    def __enter__(self) -> Queue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the backend."""
        self.backend.close()

    def _new_job(self, job: JobFunction[Any, Any], args: str) -> NewJob:
        size = len(args.encode())
        if size > self.max_payload:
            raise PayloadTooLargeError(
                f"job {job.name!r}: its arguments take {size} bytes as JSON, over the "
                f"queue's max_payload of {self.max_payload} bytes; pass a reference (a "
                "path, a key, a URL) instead of the data, or raise Queue(max_payload=...)"
            )
        opts = job.enqueue_options
        meta: dict[str, str] = dict(opts.meta or {})
        for hook in self.middleware:
            hook.on_enqueue(meta)
        return NewJob(
            id=opts.job_id or new_job_id(),
            name=job.name,
            queue=job.queue if opts.queue is None else opts.queue,
            args=args,
            priority=job.priority if opts.priority is None else opts.priority,
            max_attempts=job.retry.max_attempts
            if opts.max_attempts is None
            else opts.max_attempts,
            max_deliveries=job.max_deliveries,
            timeout=opts.timeout if opts.timeout is not None else job.timeout,
            delay=opts.delay,
            at=opts.at,
            idempotency_key=opts.key,
            meta=meta,
            result_ttl=job.result_ttl,
        )

    def enqueue(
        self, job: JobFunction[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> JobHandle[_R]:
        """Validate the arguments against the signature and store the job.

        With an idempotency key (``job.options(key=...)``) that is already pending, the
        existing job is returned instead of a new one.

        Args:
            job (JobFunction): a registered job, possibly with ``.options(...)``.
            *args (object): its positional arguments, type-checked against it.
            **kwargs (object): its keyword arguments, type-checked against it.

        Returns:
            JobHandle: the handle, typed by the job's return type.
        """
        new = self._new_job(job, _registered(job).encode_args(*args, **kwargs))
        [record] = self.backend.enqueue([new], self.clock())
        return JobHandle(self, record, job)

    def enqueue_many(self, calls: Iterable[Call]) -> list[JobHandle[Any]]:
        """Enqueue many prepared calls (:meth:`Call.of`) in one round trip.

        >>> queue = Queue("sqlite://:memory:")
        >>> @queue.job()
        ... def ping(n: int) -> int:
        ...     return n
        >>> len(queue.enqueue_many(Call.of(ping, n) for n in range(100)))
        100
        >>> queue.close()
        """
        pairs = [(call.job, self._new_job(call.job, call.args)) for call in calls]
        records = self.backend.enqueue([new for _, new in pairs], self.clock())
        return [JobHandle(self, r, job) for (job, _), r in zip(pairs, records, strict=True)]

    def handle(self, job_id: str) -> JobHandle[Any]:
        """A handle for a stored job, typed as ``Any`` (its function may be unknown here)."""
        record = self.get(job_id)
        job = self.registry.get(record.name) if record.name in self.registry else None
        return JobHandle(self, record, job)

    def get(self, job_id: str) -> JobRecord:
        """The stored record of ``job_id``; ``JobNotFoundError`` if unknown or expired."""
        record = self.backend.get(job_id, self.clock())
        if record is None:
            raise JobNotFoundError(
                f"no job with id {job_id!r} (never enqueued, purged, or its result expired)"
            )
        return record

    def cancel(self, job_id: str) -> JobRecord:
        """Cancel a waiting job; a running one is asked to stop (see ``JobContext``)."""
        return self.backend.cancel(job_id, self.clock())

    def jobs(self, state: JobState, limit: int = 100, offset: int = 0) -> list[JobRecord]:
        """Jobs in ``state``."""
        return self.backend.list_jobs(state, limit, offset)

    def dead_letters(self, limit: int = 100, offset: int = 0) -> list[JobRecord]:
        """The dead-letter queue, most recently buried first."""
        return self.backend.list_jobs(JobState.DEAD, limit, offset)

    def requeue(self, job_ids: Sequence[str] | None = None) -> int:
        """Re-queue dead (or failed) jobs with fresh attempts; None means all dead ones."""
        return self.backend.requeue(job_ids, self.clock())

    def purge(self, job_ids: Sequence[str] | None = None) -> int:
        """Delete dead jobs; None means all of them."""
        return self.backend.purge(job_ids)

    def stats(self) -> QueueStats:
        """Counts per queue and state, throughput and latencies."""
        return self.backend.stats(self.clock())

    def corrupt_jobs(self, limit: int = 100, offset: int = 0) -> list[CorruptRecord]:
        """Jobs moved aside because their stored record could not be read, newest first.

        A claim, a listing or :meth:`get` that meets an unreadable record moves it here
        with the reason, and the rest of the queue goes on; :meth:`get` of such a job
        raises :class:`~bricolage.jobs.CorruptJobError`.

        >>> queue = Queue("sqlite://:memory:")
        >>> queue.corrupt_jobs()
        []
        >>> queue.close()
        """
        return self.backend.corrupt(limit, offset)


class AsyncQueue:
    """The async face of a :class:`Queue` for async web apps (asyncio or trio).

    On asyncio with a :class:`~bricolage.jobs.RedisBackend` built from a URL, the calls
    go through redis-py's asyncio client; otherwise each blocking backend step runs in a
    worker thread, so the event loop never waits on the database or network. Close it
    with :meth:`aclose` (or ``async with``).

    >>> import anyio
    >>> queue = Queue("sqlite://:memory:")
    >>> @queue.job()
    ... def ping() -> str:
    ...     return "pong"
    >>> async def main():
    ...     async with AsyncQueue(queue) as aqueue:
    ...         handle = await aqueue.enqueue(ping)
    ...         return (await aqueue.get(handle.id)).state
    >>> anyio.run(main)
    <JobState.QUEUED: 'queued'>
    >>> queue.close()
    """

    def __init__(self, queue: Queue) -> None:
        self.queue: Queue = queue

    async def __aenter__(self) -> AsyncQueue:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _native(self) -> AsyncBackend | None:
        return self.queue.backend.asyncio_backend()

    async def enqueue(
        self, job: JobFunction[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> JobHandle[_R]:
        """See :meth:`Queue.enqueue`.

        Args:
            job (JobFunction): a registered job, possibly with ``.options(...)``.
            *args (object): its positional arguments, type-checked against it.
            **kwargs (object): its keyword arguments, type-checked against it.

        Returns:
            JobHandle: the handle, typed by the job's return type.
        """
        new = self.queue._new_job(job, _registered(job).encode_args(*args, **kwargs))
        native = self._native()
        if native is not None:
            [record] = await native.aenqueue([new], self.queue.clock())
        else:
            [record] = await anyio.to_thread.run_sync(
                self.queue.backend.enqueue, [new], self.queue.clock()
            )
        return JobHandle(self.queue, record, job)

    async def get(self, job_id: str) -> JobRecord:
        """See :meth:`Queue.get`."""
        native = self._native()
        if native is None:
            return await anyio.to_thread.run_sync(self.queue.get, job_id)
        record = await native.aget(job_id, self.queue.clock())
        if record is None:
            raise JobNotFoundError(
                f"no job with id {job_id!r} (never enqueued, purged, or its result expired)"
            )
        return record

    async def cancel(self, job_id: str) -> JobRecord:
        """See :meth:`Queue.cancel`."""
        native = self._native()
        if native is None:
            return await anyio.to_thread.run_sync(self.queue.cancel, job_id)
        return await native.acancel(job_id, self.queue.clock())

    async def aclose(self) -> None:
        """Close the asyncio client this object opened (the queue itself stays open)."""
        native = self._native()
        if native is not None:
            await native.aclose()


def _registered(job: object) -> JobFunction[Any, Any]:
    """``job`` if it is a registered job, else ``InvalidArgumentsError`` saying how."""
    if not isinstance(job, JobFunction):
        raise InvalidArgumentsError(
            f"{job!r} is not a registered job; decorate the function with @queue.job() "
            "(or @registry.job()) and enqueue what the decorator returns"
        )
    return job
