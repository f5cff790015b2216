"""Value objects for jobs, and the pure functions that move a job record along."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from bricolage.jobs._isolation import crash_error, decide_expiry
from bricolage.jobs._states import Event, JobState, next_state
from bricolage.jobs.errors import ConfigurationError, IllegalTransitionError

__all__ = ["CorruptRecord", "JobRecord", "NewJob", "Outcome", "QueueStats", "new_job_id"]

_EMPTY: Mapping[str, str] = MappingProxyType({})
MIN_PRIORITY = -100
MAX_PRIORITY = 100


def new_job_id() -> str:
    """A fresh, random job id.

    >>> len(new_job_id())
    32
    """
    return uuid.uuid4().hex


def _freeze(meta: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(meta))


def _check_name(kind: str, value: str) -> None:
    if not value or len(value) > 200 or any(c in value for c in "{}\x00\n"):
        raise ConfigurationError(
            f"{kind} {value!r} must be 1-200 characters without braces, newlines or NUL"
        )


@attrs.frozen(slots=True)
class NewJob:
    """Everything needed to store a job that is being enqueued.

    >>> NewJob(id="a", name="send", queue="default", args="{}").priority
    0
    """

    id: str
    name: str
    queue: str
    args: str
    priority: int = 0
    max_attempts: int = 3
    max_deliveries: int = 5
    timeout: float | None = None
    delay: float = 0.0
    at: float | None = None
    idempotency_key: str | None = None
    meta: Mapping[str, str] = attrs.field(default=_EMPTY, converter=_freeze)
    result_ttl: float = 86400.0

    def __attrs_post_init__(self) -> None:
        _check_name("job id", self.id)
        _check_name("job name", self.name)
        _check_name("queue name", self.queue)
        if not MIN_PRIORITY <= self.priority <= MAX_PRIORITY:
            raise ConfigurationError(
                f"priority must be between {MIN_PRIORITY} and {MAX_PRIORITY}, "
                f"got {self.priority!r}"
            )
        if self.max_attempts < 1 or self.max_deliveries < 1:
            raise ConfigurationError(
                f"max_attempts and max_deliveries must be >= 1, got "
                f"{self.max_attempts!r} and {self.max_deliveries!r}"
            )
        if self.timeout is not None and not self.timeout > 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {self.timeout!r}")
        if self.delay < 0:
            raise ConfigurationError(f"delay must be >= 0 seconds, got {self.delay!r}")
        if not self.result_ttl > 0:
            raise ConfigurationError(f"result_ttl must be > 0 seconds, got {self.result_ttl!r}")
        if self.idempotency_key is not None:
            _check_name("idempotency key", self.idempotency_key)

    def due_at(self, now: float) -> float:
        """The UNIX time the job may start: ``at`` if given, else ``now + delay``.

        >>> NewJob(id="a", name="n", queue="q", args="{}", delay=5.0).due_at(100.0)
        105.0
        """
        return self.at if self.at is not None else now + self.delay


@attrs.frozen(slots=True)
class JobRecord:
    """A stored job as a backend reports it.

    Times are UNIX seconds (float). ``token`` is the fencing token of the current or
    latest lease; ``result`` and ``progress`` are JSON text.

    >>> r = JobRecord.create(NewJob(id="a", name="n", queue="q", args="[]"), now=1.0, seq=1)
    >>> r.state, r.due_at
    (<JobState.QUEUED: 'queued'>, 1.0)
    """

    id: str
    name: str
    queue: str
    state: JobState
    args: str
    priority: int
    seq: int
    attempts: int
    max_attempts: int
    deliveries: int
    max_deliveries: int
    timeout: float | None
    enqueued_at: float
    due_at: float
    started_at: float | None = None
    finished_at: float | None = None
    lease_expires_at: float | None = None
    token: int = 0
    worker: str | None = None
    result: str | None = None
    error: str | None = None
    traceback: str | None = None
    progress: str | None = None
    idempotency_key: str | None = None
    meta: Mapping[str, str] = attrs.field(default=_EMPTY, converter=_freeze)
    result_ttl: float = 86400.0
    cancel_requested: bool = False
    crashes: int = 0
    suspect: bool = False
    isolated: bool = False

    @classmethod
    def create(cls, job: NewJob, now: float, seq: int) -> JobRecord:
        """The record of a freshly enqueued job: queued if due, else scheduled."""
        due = job.due_at(now)
        return cls(
            id=job.id,
            name=job.name,
            queue=job.queue,
            state=JobState.QUEUED if due <= now else JobState.SCHEDULED,
            args=job.args,
            priority=job.priority,
            seq=seq,
            attempts=0,
            max_attempts=job.max_attempts,
            deliveries=0,
            max_deliveries=job.max_deliveries,
            timeout=job.timeout,
            enqueued_at=now,
            due_at=due,
            idempotency_key=job.idempotency_key,
            meta=job.meta,
            result_ttl=job.result_ttl,
        )

    @property
    def expires_at(self) -> float | None:
        """The UNIX time the record is forgotten; results of finished jobs live ``result_ttl``.

        Dead jobs stay until purged; unfinished jobs never expire.
        """
        if self.state.is_terminal and self.state is not JobState.DEAD:
            assert self.finished_at is not None
            return self.finished_at + self.result_ttl
        return None

    def _move(self, event: Event, **changes: object) -> JobRecord:
        return attrs.evolve(self, state=next_state(self.state, event), **changes)  # type: ignore[arg-type]

    def promote(self) -> JobRecord:
        """A scheduled or retrying job that became due joins its queue."""
        return self._move(Event.PROMOTE)

    def claim(
        self, worker: str, token: int, lease_until: float, now: float, *, isolated: bool = False
    ) -> JobRecord:
        """A worker takes the job under a new lease with a new fencing token.

        ``isolated`` marks a job that runs alone on its worker (see ``_isolation``).
        """
        return self._move(
            Event.CLAIM,
            worker=worker,
            token=token,
            lease_expires_at=lease_until,
            started_at=now,
            deliveries=self.deliveries + 1,
            isolated=isolated,
        )

    def finish(self, outcome: Outcome, now: float) -> JobRecord:
        """The holder's report: success, retry, failure, burial, release or cancel."""
        event = outcome.event
        if event is Event.RELEASE:
            return self._move(
                event,
                worker=None,
                lease_expires_at=None,
                deliveries=max(0, self.deliveries - 1),
                cancel_requested=False,
                isolated=False,
            )
        if event not in _FINISH_EVENTS:
            raise IllegalTransitionError(f"{event.value!r} is not a report a worker can make")
        attempts = self.attempts + 1 if event is not Event.CANCEL else self.attempts
        terminal = event is not Event.RETRY
        return self._move(
            event,
            attempts=attempts,
            lease_expires_at=None,
            result=outcome.result if event is Event.SUCCEED else self.result,
            error=outcome.error if outcome.error is not None else self.error,
            traceback=outcome.traceback if outcome.traceback is not None else self.traceback,
            due_at=outcome.due_at if event is Event.RETRY and outcome.due_at else self.due_at,
            finished_at=now if terminal else None,
            progress=outcome.progress if outcome.progress is not None else self.progress,
            suspect=False,
            isolated=False,
        )

    def expire(self, now: float) -> JobRecord:
        """The lease ran out: a suspect again, charged a crash only if it ran alone.

        See :func:`bricolage.jobs._isolation.decide_expiry`.
        """
        decision = decide_expiry(
            isolated=self.isolated, crashes=self.crashes, max_deliveries=self.max_deliveries
        )
        common: dict[str, object] = {
            "worker": None,
            "lease_expires_at": None,
            "crashes": decision.crashes,
            "suspect": decision.suspect,
            "isolated": False,
        }
        if decision.event is Event.EXPIRE:
            return self._move(decision.event, **common)
        return self._move(
            decision.event,
            finished_at=now,
            error=crash_error(decision.crashes, self.max_deliveries),
            **common,
        )

    def cancel(self, now: float) -> JobRecord:
        """Cancel a waiting job now; on a running job, ask its worker to stop."""
        if self.state is JobState.RUNNING:
            return attrs.evolve(self, cancel_requested=True)
        return self._move(Event.CANCEL, finished_at=now)

    def requeue(self, now: float, seq: int) -> JobRecord:
        """A dead or failed job goes back to its queue with fresh attempts."""
        return self._move(
            Event.REQUEUE,
            attempts=0,
            deliveries=0,
            finished_at=None,
            due_at=now,
            seq=seq,
            cancel_requested=False,
            crashes=0,
            suspect=False,
            isolated=False,
        )


_FINISH_EVENTS = frozenset({Event.SUCCEED, Event.RETRY, Event.FAIL, Event.BURY, Event.CANCEL})


@attrs.frozen(slots=True)
class Outcome:
    """A worker's report on a job it holds.

    >>> Outcome(Event.SUCCEED, result="42").result
    '42'
    """

    event: Event
    result: str | None = None
    error: str | None = None
    traceback: str | None = None
    due_at: float | None = None
    progress: str | None = None


@attrs.frozen(slots=True)
class QueueStats:
    """Counts by queue and state, with throughput and latency over a recent window.

    >>> QueueStats(counts={"default": {"queued": 2}}).depth("default")
    2
    """

    counts: Mapping[str, Mapping[str, int]]
    finished_last_minute: int = 0
    wait_p50: float | None = None
    wait_p99: float | None = None
    run_p50: float | None = None
    corrupt: int = 0

    def depth(self, queue: str) -> int:
        """Jobs waiting to run on ``queue`` now."""
        return self.counts.get(queue, {}).get(JobState.QUEUED.value, 0)


@attrs.frozen(slots=True)
class CorruptRecord:
    """A stored job that could not be read, moved aside so the queue goes on.

    ``fields`` holds what was stored, as text, for a person to inspect or repair;
    ``reason`` says what was wrong with it.

    >>> CorruptRecord(id="j1", reason="meta is not JSON", fields={}, moved_at=0.0).reason
    'meta is not JSON'
    """

    id: str
    reason: str
    fields: Mapping[str, str] = attrs.field(converter=_freeze)
    moved_at: float


def check_report(event: Event) -> None:
    """Refuse an event a worker cannot report.

    >>> check_report(Event.CLAIM)
    Traceback (most recent call last):
    ...
    bricolage.jobs.errors.IllegalTransitionError: 'claim' is not a report a worker can make
    """
    if event not in _FINISH_EVENTS and event is not Event.RELEASE:
        raise IllegalTransitionError(f"{event.value!r} is not a report a worker can make")
