"""The storage Protocol every backend implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import attrs

from bricolage.jobs._model import CorruptRecord, JobRecord, NewJob, Outcome, QueueStats
from bricolage.jobs._policy import RateLimit
from bricolage.jobs._states import JobState
from bricolage.jobs.errors import LeaseLostError

__all__ = ["AsyncBackend", "Backend", "Renewal"]


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
        *,
        alone: bool = False,
    ) -> list[JobRecord]:
        """Expire lost leases, promote due jobs, then lease up to ``limit`` queued jobs.

        Queues are served in the order given; within a queue by priority, then FIFO.
        Poison isolation: a job whose worker was lost is a *suspect*. While suspects
        wait on the given queues, a claim without ``alone`` gets nothing; a claim with
        ``alone`` (the worker holds no job and takes no other while this one runs) gets
        one suspect, marked ``isolated``. A job whose lease runs out while ``isolated``
        is charged a crash; only ``max_deliveries`` crashes bury it.
        """
        ...

    def wait_and_claim(
        self,
        timeout: float,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None = None,
        *,
        alone: bool = False,
    ) -> list[JobRecord]:
        """:meth:`wait` up to ``timeout`` seconds, then :meth:`claim` (at once if 0)."""
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

    def corrupt(self, limit: int = 100, offset: int = 0) -> list[CorruptRecord]:
        """Jobs moved aside because their stored record could not be read, newest first."""
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

    def asyncio_backend(self) -> AsyncBackend | None:
        """The asyncio face of this backend for the running event loop, or None.

        None when the backend has none or no asyncio loop runs here; callers then run
        the sync methods in a worker thread.
        """
        ...


class AsyncBackend(Protocol):
    """The asyncio methods a backend may offer: no thread hop between event loop and store.

    Reached through :meth:`Backend.asyncio_backend`; :class:`~bricolage.jobs.RedisBackend`
    built from a URL offers them (on redis-py's asyncio client).

    >>> from bricolage.jobs import SQLiteBackend
    >>> SQLiteBackend(":memory:").asyncio_backend() is None
    True
    """

    async def aenqueue(self, jobs: Sequence[NewJob], now: float) -> list[JobRecord]:
        """:meth:`Backend.enqueue` on the event loop."""
        ...

    async def aclaim(
        self,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None = None,
        *,
        alone: bool = False,
    ) -> tuple[list[JobRecord], float | None]:
        """:meth:`Backend.claim`, with :meth:`Backend.next_wakeup` in the same round trip."""
        ...

    async def await_and_claim(
        self,
        timeout: float,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None = None,
        *,
        alone: bool = False,
    ) -> list[JobRecord]:
        """:meth:`Backend.wait_and_claim` on the event loop."""
        ...

    async def afinish_many(
        self, reports: Sequence[tuple[str, int, Outcome]], now: float
    ) -> list[LeaseLostError | None]:
        """:meth:`Backend.finish_many` on the event loop."""
        ...

    async def aget(self, job_id: str, now: float) -> JobRecord | None:
        """:meth:`Backend.get` on the event loop."""
        ...

    async def acancel(self, job_id: str, now: float) -> JobRecord:
        """:meth:`Backend.cancel` on the event loop."""
        ...

    async def aclose(self) -> None:
        """Close the connection the ``a*`` calls opened on this event loop."""
        ...

    async def aclose_worker_connection(self) -> None:
        """Close the connection a worker's calls opened on this event loop."""
        ...
