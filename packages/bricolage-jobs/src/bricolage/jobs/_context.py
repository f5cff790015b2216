"""What a running job can see about itself, and the middleware hook."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Mapping, MutableMapping
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

__all__ = ["JobContext", "JobMiddleware", "current_job"]


class JobContext:
    """The running job's id, attempt and metadata, its progress and cancellation flag.

    Inside a job, :func:`current_job` returns it.

    >>> ctx = JobContext("j1", "resize", "default", attempt=1, meta={})
    >>> ctx.report_progress({"done": 3, "total": 10})
    >>> ctx.progress_json
    '{"done": 3, "total": 10}'
    """

    def __init__(
        self, job_id: str, name: str, queue: str, *, attempt: int, meta: Mapping[str, str]
    ) -> None:
        self.job_id = job_id
        self.name = name
        self.queue = queue
        self.attempt = attempt
        self.meta: Mapping[str, str] = dict(meta)
        self.progress_json: str | None = None
        self.cancel_requested = False
        self.lease_lost = False

    def __repr__(self) -> str:
        return f"<JobContext {self.name!r} id={self.job_id!r} attempt={self.attempt}>"

    def report_progress(self, value: Any) -> None:
        """Record progress (any JSON value); the worker stores it with its next renewal."""
        self.progress_json = json.dumps(value)

    @property
    def cancelled(self) -> bool:
        """True once someone asked for this job to stop, or its lease was lost.

        Async jobs are interrupted; sync jobs should check this between steps.
        """
        return self.cancel_requested or self.lease_lost


_current: contextvars.ContextVar[JobContext] = contextvars.ContextVar("bricolage_jobs_current")


def current_job() -> JobContext:
    """The context of the job running in this task or thread.

    >>> current_job()
    Traceback (most recent call last):
    ...
    LookupError: current_job() was called outside a running job
    """
    try:
        return _current.get()
    except LookupError:
        raise LookupError("current_job() was called outside a running job") from None


def _set_current(ctx: JobContext) -> contextvars.Token[JobContext]:
    return _current.set(ctx)


@runtime_checkable
class JobMiddleware(Protocol):
    """A hook around enqueueing and running jobs, e.g. to carry a correlation id.

    ``on_enqueue`` may add string entries to the job's metadata as it is enqueued;
    ``around_job`` returns a context manager entered in the task or thread that runs the
    job (so context variables set there are seen by the job).

    >>> import contextlib
    >>> class Tagging:
    ...     def on_enqueue(self, meta):
    ...         meta["correlation_id"] = "req-1"
    ...     def around_job(self, context):
    ...         return contextlib.nullcontext()
    >>> isinstance(Tagging(), JobMiddleware)
    True
    """

    def on_enqueue(self, meta: MutableMapping[str, str]) -> None:
        """Add metadata to a job being enqueued."""
        ...

    def around_job(self, context: JobContext) -> AbstractContextManager[object]:
        """A context manager wrapping the job's execution."""
        ...
