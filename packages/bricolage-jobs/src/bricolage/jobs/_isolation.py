"""Poison isolation as pure decisions: who is charged when a worker is lost.

A worker that dies (or freezes past its leases) takes down every job it held. Only one
of them may have caused it, so none is charged on the spot: each becomes a *suspect*
and is handed out again **alone**, to a worker that holds nothing else and takes
nothing else while it runs. A suspect that finishes (success, failure, retry) is
cleared. A job whose worker is lost while it runs alone caused the loss (or shared the
worker's bad luck alone) and is charged one crash; after ``max_deliveries`` crashes it
is buried in the dead-letter queue. Co-victims therefore never pay for a poison job.
"""

from __future__ import annotations

import attrs

from bricolage.jobs._states import Event

__all__ = ["ExpiryDecision", "crash_error", "decide_expiry", "is_isolated"]


@attrs.frozen(slots=True)
class ExpiryDecision:
    """What a lost lease leads to: the event, the crashes charged so far, suspicion.

    >>> decide_expiry(isolated=False, crashes=0, max_deliveries=1)
    ExpiryDecision(event=<Event.EXPIRE: 'expire'>, crashes=0, suspect=True)
    """

    event: Event
    crashes: int
    suspect: bool


def decide_expiry(*, isolated: bool, crashes: int, max_deliveries: int) -> ExpiryDecision:
    """Decide what happens to a job whose lease ran out because its worker was lost.

    A job that ran alone is charged one crash and buried once it has ``max_deliveries``
    of them; a job that ran beside others is not charged and becomes a suspect.

    >>> decide_expiry(isolated=True, crashes=0, max_deliveries=3).crashes
    1
    >>> decide_expiry(isolated=True, crashes=2, max_deliveries=3).event
    <Event.EXPIRE_BURY: 'expire_bury'>
    """
    if not isolated:
        return ExpiryDecision(Event.EXPIRE, crashes, True)
    charged = crashes + 1
    if charged >= max_deliveries:
        return ExpiryDecision(Event.EXPIRE_BURY, charged, True)
    return ExpiryDecision(Event.EXPIRE, charged, True)


def is_isolated(*, alone: bool, suspect: bool, limit: int) -> bool:
    """Whether a claimed job runs alone: its worker held nothing and takes nothing more.

    A worker claiming with ``alone`` holds no job; it gets a suspect on its own, or, when
    it takes one job at a time (``limit`` 1), any job runs alone.

    >>> is_isolated(alone=True, suspect=True, limit=16)
    True
    >>> is_isolated(alone=True, suspect=False, limit=16)
    False
    >>> is_isolated(alone=False, suspect=False, limit=1)
    False
    """
    return alone and (suspect or limit == 1)


def crash_error(crashes: int, max_deliveries: int) -> str:
    """The error stored on a job buried for killing its worker.

    >>> crash_error(3, 3)  # doctest: +ELLIPSIS
    'its worker was lost 3 times while the job ran alone (max_deliveries=3): ...'
    """
    return (
        f"its worker was lost {crashes} times while the job ran alone "
        f"(max_deliveries={max_deliveries}): the job kills or freezes its worker"
    )
