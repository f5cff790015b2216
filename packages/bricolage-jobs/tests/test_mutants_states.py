"""The job life cycle's transition table and its refusal messages, pinned exactly.

Written for mutation testing (``nox -s "mutation(jobs._states)"``): each assertion here
fails for a mutant of ``bricolage.jobs._states`` that the behavioural tests let through.
"""

from __future__ import annotations

import pytest

from bricolage.jobs import Event, IllegalTransitionError, JobState
from bricolage.jobs._states import allowed_events, next_state

S, E = JobState, Event

# The whole life cycle, written out once more by hand: any change to it must be deliberate.
EXPECTED = {
    (S.SCHEDULED, E.PROMOTE): S.QUEUED,
    (S.SCHEDULED, E.CANCEL): S.CANCELLED,
    (S.RETRYING, E.PROMOTE): S.QUEUED,
    (S.RETRYING, E.CANCEL): S.CANCELLED,
    (S.QUEUED, E.CLAIM): S.RUNNING,
    (S.QUEUED, E.CANCEL): S.CANCELLED,
    (S.RUNNING, E.SUCCEED): S.SUCCEEDED,
    (S.RUNNING, E.RETRY): S.RETRYING,
    (S.RUNNING, E.FAIL): S.FAILED,
    (S.RUNNING, E.BURY): S.DEAD,
    (S.RUNNING, E.EXPIRE): S.QUEUED,
    (S.RUNNING, E.EXPIRE_BURY): S.DEAD,
    (S.RUNNING, E.RELEASE): S.QUEUED,
    (S.RUNNING, E.CANCEL): S.CANCELLED,
    (S.DEAD, E.REQUEUE): S.QUEUED,
    (S.FAILED, E.REQUEUE): S.QUEUED,
}


@pytest.mark.parametrize("state", list(JobState))
@pytest.mark.parametrize("event", list(Event))
def test_every_pair_follows_the_table_or_is_refused(state: JobState, event: Event) -> None:
    if (state, event) in EXPECTED:
        assert next_state(state, event) is EXPECTED[(state, event)]
    else:
        with pytest.raises(IllegalTransitionError):
            next_state(state, event)


@pytest.mark.parametrize("state", list(JobState))
def test_allowed_events_are_exactly_the_table_rows(state: JobState) -> None:
    assert allowed_events(state) == {e for (s, e) in EXPECTED if s is state}


def test_refusal_lists_the_allowed_events_sorted() -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        next_state(JobState.QUEUED, Event.SUCCEED)
    assert str(caught.value) == (
        "a queued job cannot take the event 'succeed'; allowed: cancel, claim"
    )


def test_refusal_from_a_final_state_says_it_is_final() -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        next_state(JobState.SUCCEEDED, Event.REQUEUE)
    assert str(caught.value) == (
        "a succeeded job cannot take the event 'requeue'; allowed: none (the state is final)"
    )
