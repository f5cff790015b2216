"""The job life cycle as pure functions: which state follows which event."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from bricolage.jobs.errors import IllegalTransitionError

__all__ = ["TERMINAL_STATES", "Event", "JobState", "allowed_events", "next_state"]


class JobState(enum.StrEnum):
    """Where a job is in its life cycle.

    >>> JobState.QUEUED.value, JobState("dead").is_terminal
    ('queued', True)
    """

    QUEUED = "queued"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETRYING = "retrying"
    DEAD = "dead"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """True for states no worker will move the job out of on its own."""
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {JobState.SUCCEEDED, JobState.FAILED, JobState.DEAD, JobState.CANCELLED}
)


class Event(enum.StrEnum):
    """Something that happens to a job; with its state it decides the next state.

    >>> next_state(JobState.QUEUED, Event.CLAIM)
    <JobState.RUNNING: 'running'>
    """

    PROMOTE = "promote"  # a scheduled or retrying job became due
    CLAIM = "claim"  # a worker took the job with a fresh lease
    SUCCEED = "succeed"  # the holder reports a result
    RETRY = "retry"  # the holder reports a failure with attempts left
    FAIL = "fail"  # the holder reports a permanent failure
    BURY = "bury"  # the holder reports a failure with no attempts left
    EXPIRE = "expire"  # the lease ran out; deliveries left
    EXPIRE_BURY = "expire_bury"  # the lease ran out; no deliveries left (poison job)
    RELEASE = "release"  # the holder gives the job back (graceful shutdown)
    CANCEL = "cancel"  # a user cancels; on a running job, the holder acknowledges it
    REQUEUE = "requeue"  # a user re-queues a dead or failed job


_TABLE: Mapping[tuple[JobState, Event], JobState] = {
    (JobState.SCHEDULED, Event.PROMOTE): JobState.QUEUED,
    (JobState.SCHEDULED, Event.CANCEL): JobState.CANCELLED,
    (JobState.RETRYING, Event.PROMOTE): JobState.QUEUED,
    (JobState.RETRYING, Event.CANCEL): JobState.CANCELLED,
    (JobState.QUEUED, Event.CLAIM): JobState.RUNNING,
    (JobState.QUEUED, Event.CANCEL): JobState.CANCELLED,
    (JobState.RUNNING, Event.SUCCEED): JobState.SUCCEEDED,
    (JobState.RUNNING, Event.RETRY): JobState.RETRYING,
    (JobState.RUNNING, Event.FAIL): JobState.FAILED,
    (JobState.RUNNING, Event.BURY): JobState.DEAD,
    (JobState.RUNNING, Event.EXPIRE): JobState.QUEUED,
    (JobState.RUNNING, Event.EXPIRE_BURY): JobState.DEAD,
    (JobState.RUNNING, Event.RELEASE): JobState.QUEUED,
    (JobState.RUNNING, Event.CANCEL): JobState.CANCELLED,
    (JobState.DEAD, Event.REQUEUE): JobState.QUEUED,
    (JobState.FAILED, Event.REQUEUE): JobState.QUEUED,
}


def next_state(state: JobState, event: Event) -> JobState:
    """The state a job in ``state`` moves to on ``event``.

    Raises :class:`~bricolage.jobs.errors.IllegalTransitionError` for a pair the life
    cycle forbids; nothing is changed then.

    >>> next_state(JobState.RUNNING, Event.EXPIRE)
    <JobState.QUEUED: 'queued'>
    >>> next_state(JobState.SUCCEEDED, Event.REQUEUE)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.jobs.errors.IllegalTransitionError: a succeeded job cannot take the event ...
    """
    try:
        return _TABLE[(state, event)]
    except KeyError:
        allowed = sorted(e.value for e in allowed_events(state))
        shown = ", ".join(allowed) if allowed else "none (the state is final)"
        raise IllegalTransitionError(
            f"a {state.value} job cannot take the event {event.value!r}; allowed: {shown}"
        ) from None


def allowed_events(state: JobState) -> frozenset[Event]:
    """The events a job in ``state`` accepts.

    >>> sorted(allowed_events(JobState.DEAD))
    [<Event.REQUEUE: 'requeue'>]
    """
    return frozenset(event for (s, event) in _TABLE if s is state)
