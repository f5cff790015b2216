"""The storage Protocol every backend implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import attrs

from bricolage.jobs._model import JobRecord, NewJob, Outcome, QueueStats
from bricolage.jobs._policy import RateLimit
from bricolage.jobs._states import JobState
from bricolage.jobs.errors import LeaseLostError

__all__ = ["Backend", "Renewal"]


@attrs.frozen(slots=True)
class Renewal:
    """The answer to a lease renewal: leases that were lost, and cancellations asked for.

    >>> Renewal(lost=frozenset({"a"}), cancel=frozenset()).lost
    frozenset({'a'})
    """

    lost: frozenset[str]
    cancel: frozenset[str]


@runtime_checkable
class Backend(Protocol):
    """Where jobs live. Every method is one atomic step; times are passed in (UNIX seconds).

    Two implementations ship: :class:`~bricolage.jobs.SQLiteBackend` and
    :class:`~bricolage.jobs.RedisBackend`; both pass the same test suite.

    >>> from bricolage.jobs import SQLiteBackend
    >>> isinstance(SQLiteBackend(":memory:"), Backend)
    True
    """

    def enqueue(self, jobs: Sequence[NewJob], now: float) -> list[JobRecord]:
        """Store ``jobs``; a job whose idempotency key is already pending yields that job."""
        ...

    def claim(
        self,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None = None,
    ) -> list[JobRecord]:
        """Expire lost leases, promote due jobs, then lease up to ``limit`` queued jobs.

        Queues are served in the order given; within a queue by priority, then FIFO.
        """
        ...

    def renew(
        self,
        held: Mapping[str, int],
        lease: float,
        now: float,
        progress: Mapping[str, str] | None = None,
    ) -> Renewal:
        """Extend the leases in ``held`` (job id to fencing token), storing progress."""
        ...

    def finish(self, job_id: str, token: int, outcome: Outcome, now: float) -> JobRecord:
        """Apply the lease holder's report; a stale ``token`` raises ``LeaseLostError``."""
        ...

    def finish_many(
        self, reports: Sequence[tuple[str, int, Outcome]], now: float
    ) -> list[LeaseLostError | None]:
        """Apply many ``(job id, token, outcome)`` reports in one round trip.

        Each report is fenced on its own: an applied one yields None, a stale one its
        ``LeaseLostError``; the others are applied all the same.
        """
        ...

    def get(self, job_id: str, now: float) -> JobRecord | None:
        """The job with ``job_id``, or None if unknown or expired."""
        ...

    def cancel(self, job_id: str, now: float) -> JobRecord:
        """Cancel a waiting job, or ask the worker of a running one to stop."""
        ...

    def list_jobs(self, state: JobState, limit: int = 100, offset: int = 0) -> list[JobRecord]:
        """Jobs in ``state``, oldest first (dead jobs: most recently buried first)."""
        ...

    def requeue(self, job_ids: Sequence[str] | None, now: float) -> int:
        """Put dead (or failed) jobs back on their queue; None means every dead job."""
        ...

    def purge(self, job_ids: Sequence[str] | None) -> int:
        """Delete dead jobs; None means every dead job."""
        ...

    def stats(self, now: float) -> QueueStats:
        """Counts per queue and state, throughput and latencies of the last minute."""
        ...

    def fire_once(self, key: str, ttl: float, now: float) -> bool:
        """True for the first caller with ``key`` within ``ttl`` seconds, False after."""
        ...

    def next_wakeup(self, now: float) -> float | None:
        """The earliest time a scheduled job becomes due or a lease runs out."""
        ...

    def wait(self, timeout: float) -> None:
        """Block up to ``timeout`` seconds, returning early when new work may exist."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
