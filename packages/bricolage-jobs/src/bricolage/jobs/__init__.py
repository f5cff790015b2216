"""bricolage.jobs: a typed background job queue that never loses a job.

Register functions as jobs, enqueue them with type-checked arguments, and run workers
that hold renewable leases, retry with backoff, and bury poison jobs in a dead-letter
queue. Redis serves many machines; SQLite needs no server at all.

>>> from bricolage.jobs import Queue, Worker
>>> queue = Queue("sqlite://:memory:")
>>> @queue.job()
... def greet(name: str) -> str:
...     return f"hello {name}"
>>> handle = queue.enqueue(greet, "ada")
>>> Worker(queue, burst=True).run()
>>> handle.result()
'hello ada'
>>> queue.close()
"""

from __future__ import annotations

from importlib.metadata import version as _version

from bricolage.jobs._backend import AsyncBackend, Backend, Renewal
from bricolage.jobs._clock import Clock, SystemClock
from bricolage.jobs._context import JobContext, JobMiddleware, current_job
from bricolage.jobs._cron import Cron
from bricolage.jobs._model import CorruptRecord, JobRecord, NewJob, Outcome, QueueStats
from bricolage.jobs._policy import LeasePolicy, RateLimit, RetryPolicy
from bricolage.jobs._queue import AsyncQueue, Call, JobHandle, Queue, open_backend
from bricolage.jobs._redis import RedisBackend
from bricolage.jobs._registry import EnqueueOptions, JobFunction, JobRegistry
from bricolage.jobs._scheduler import Schedule, Scheduler
from bricolage.jobs._sqlite import SQLiteBackend
from bricolage.jobs._states import Event, JobState
from bricolage.jobs._worker import Worker, WorkerCounters
from bricolage.jobs.errors import (
    BackendConnectionError,
    BackendTimeoutError,
    ConfigurationError,
    CorruptJobError,
    IllegalTransitionError,
    InvalidArgumentsError,
    JobFailedError,
    JobNotFoundError,
    JobsError,
    LeaseLostError,
    MissingExtraError,
    PayloadTooLargeError,
    PermanentError,
    ResultTimeoutError,
    StoreVersionError,
    UnknownJobError,
)

__version__ = _version("bricolage-jobs")

__all__ = [
    "AsyncBackend",
    "AsyncQueue",
    "Backend",
    "BackendConnectionError",
    "BackendTimeoutError",
    "Call",
    "Clock",
    "ConfigurationError",
    "CorruptJobError",
    "CorruptRecord",
    "Cron",
    "EnqueueOptions",
    "Event",
    "IllegalTransitionError",
    "InvalidArgumentsError",
    "JobContext",
    "JobFailedError",
    "JobFunction",
    "JobHandle",
    "JobMiddleware",
    "JobNotFoundError",
    "JobRecord",
    "JobRegistry",
    "JobState",
    "JobsError",
    "LeaseLostError",
    "LeasePolicy",
    "MissingExtraError",
    "NewJob",
    "Outcome",
    "PayloadTooLargeError",
    "PermanentError",
    "Queue",
    "QueueStats",
    "RateLimit",
    "RedisBackend",
    "Renewal",
    "ResultTimeoutError",
    "RetryPolicy",
    "SQLiteBackend",
    "Schedule",
    "Scheduler",
    "StoreVersionError",
    "SystemClock",
    "UnknownJobError",
    "Worker",
    "WorkerCounters",
    "__version__",
    "current_job",
    "open_backend",
]
