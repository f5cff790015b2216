"""Background work on bricolage-jobs, logged under the correlation id of the request.

bricolage-logging carries the id: :func:`~bricolage.logging.inject_correlation_id` puts it
in a job's metadata when the request enqueues it, and
:func:`~bricolage.logging.correlation_from` binds it again in the worker's thread.
:class:`CorrelationIds` plugs the two into the queue's middleware hooks.
"""

from __future__ import annotations

import threading
from collections.abc import MutableMapping
from contextlib import AbstractContextManager

from bricolage.jobs import JobContext, JobHandle, JobRegistry, Queue, current_job
from bricolage.logging import correlation_from, get_logger, inject_correlation_id

log = get_logger("config_service")
registry = JobRegistry()


@registry.job(queue="service")
def sum_of_squares(size: int) -> int:
    """The background work: a sum, logged as it starts and ends."""
    job_log = log.bind(job_id=current_job().job_id)
    job_log.info("job started", size=size)
    total = sum(i * i for i in range(size))
    job_log.info("job finished", result=total)
    return total


class CorrelationIds:
    """A :class:`bricolage.jobs.JobMiddleware` carrying the correlation id into jobs."""

    def on_enqueue(self, meta: MutableMapping[str, str]) -> None:
        """Store the bound correlation id in the job's metadata."""
        inject_correlation_id(meta)

    def around_job(self, context: JobContext) -> AbstractContextManager[object]:
        """Bind the job's correlation id while it runs."""
        return correlation_from(context.meta)


class Jobs:
    """The jobs this service started, on a queue that carries correlation ids."""

    def __init__(self, url: str) -> None:
        self.queue = Queue(url, registry, middleware=[CorrelationIds()])
        self._lock = threading.Lock()
        self._handles: list[JobHandle[int]] = []

    def start(self, size: int) -> str:
        """Enqueue the work; return the job's id."""
        handle = self.queue.enqueue(sum_of_squares, size)
        with self._lock:
            self._handles.append(handle)
        return handle.id

    def recent(self, limit: int = 10) -> list[dict[str, object]]:
        """The latest jobs started here, newest first, with their state and result."""
        with self._lock:
            handles = self._handles[-limit:][::-1]
        rows: list[dict[str, object]] = []
        for handle in handles:
            record = handle.status()
            rows.append(
                {"id": record.id, "state": record.state.value, "result": record.result or ""}
            )
        return rows

    def done(self) -> int:
        """How many jobs started here have finished."""
        with self._lock:
            handles = list(self._handles)
        return sum(handle.status().state.is_terminal for handle in handles)

    def wait(self, timeout: float = 10.0) -> None:
        """Wait for every job started here to finish."""
        with self._lock:
            handles = list(self._handles)
        for handle in handles:
            handle.result(timeout=timeout)

    def close(self) -> None:
        """Close the queue's backend."""
        self.queue.close()
