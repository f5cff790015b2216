"""Exact retry decisions: every refusal carries no delay and says why, in these words.

Written for mutation testing (``nox -s "mutation(http._retry)"``): each test fails for
mutants of ``bricolage.http._retry`` that the behavioural tests let through. Policies are
built from their defaults so that the tests speak of behaviour, not of parameter names.
"""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from bricolage.http import RetryBudget, RetryDecision, RetryPolicy, backoff_delay, decide_retry
from bricolage.http.errors import PolicyError
from bricolage.http.testing import FrozenClock

POLICY = RetryPolicy()
NO = 0.0  # the delay of a decision not to retry


def test_an_error_type_that_is_not_retried() -> None:
    decision = decide_retry(POLICY, method="GET", attempt=1, elapsed=0.0, error=ValueError("x"))
    assert decision == RetryDecision(False, NO, "ValueError is not retried")


def test_a_status_that_is_not_retried() -> None:
    decision = decide_retry(POLICY, method="GET", attempt=1, elapsed=0.0, status=200)
    assert decision == RetryDecision(False, NO, "status 200 is not retried")


def test_a_method_that_is_not_idempotent() -> None:
    decision = decide_retry(POLICY, method="post", attempt=1, elapsed=0.0, status=503)
    assert decision == RetryDecision(
        False, NO, "method POST is not idempotent and carries no Idempotency-Key"
    )


def test_a_body_that_cannot_be_replayed() -> None:
    decision = decide_retry(
        POLICY, method="GET", attempt=1, elapsed=0.0, status=503, replayable=False
    )
    assert decision == RetryDecision(
        False, NO, "the request body is a stream that cannot be replayed"
    )


def test_the_last_attempt() -> None:
    decision = decide_retry(POLICY, method="GET", attempt=3, elapsed=0.0, status=503)
    assert decision == RetryDecision(False, NO, "all 3 attempts made")


def test_a_retry_after_beyond_the_cap() -> None:
    decision = decide_retry(
        POLICY, method="GET", attempt=1, elapsed=0.0, status=503, retry_after="100000"
    )
    assert not decision.retry
    assert decision.delay == NO
    assert decision.reason.startswith("Retry-After 100000s exceeds the cap of ")


def test_the_deadline_is_crossed_only_beyond_it() -> None:
    policy = dataclasses.replace(POLICY, deadline=1.0)
    on_the_line = decide_retry(
        policy, method="GET", attempt=1, elapsed=0.0, status=503, retry_after="1"
    )
    assert on_the_line == RetryDecision(True, 1.0, "status 503, Retry-After 1s")
    beyond = decide_retry(
        policy, method="GET", attempt=1, elapsed=0.5, status=503, retry_after="1"
    )
    assert beyond == RetryDecision(False, NO, "a retry after 1s would cross the 1s deadline")


def test_a_retried_status_and_a_retried_error_name_themselves() -> None:
    status = decide_retry(POLICY, method="GET", attempt=1, elapsed=0.0, status=503)
    assert status.retry
    assert status.reason == "status 503"
    # A connect error means the request never left: retried for any method.
    error = decide_retry(
        POLICY, method="POST", attempt=1, elapsed=0.0, error=httpx.ConnectError("refused")
    )
    assert error.retry
    assert error.reason == "ConnectError"


def test_retry_after_is_read_from_responses_only() -> None:
    decision = decide_retry(
        POLICY,
        method="GET",
        attempt=1,
        elapsed=0.0,
        error=httpx.ConnectError("refused"),
        retry_after="5",
    )
    # Without a random draw the delay is the full ceiling (jitter draws below it).
    assert decision.delay == backoff_delay(POLICY, 1, 0.0)


def test_an_http_date_is_measured_from_now() -> None:
    date = "Thu, 01 Jan 1970 00:00:50 GMT"
    at_40 = decide_retry(
        POLICY, method="GET", attempt=1, elapsed=0.0, status=503, retry_after=date, now=40.0
    )
    assert at_40.delay == 10.0
    # Without ``now`` the clock reads the epoch: the same date is 50 seconds away.
    at_0 = decide_retry(POLICY, method="GET", attempt=1, elapsed=0.0, status=503, retry_after=date)
    assert at_0.delay == 50.0


def test_without_a_random_draw_the_full_ceiling_is_waited() -> None:
    decision = decide_retry(POLICY, method="GET", attempt=2, elapsed=0.0, status=503)
    assert decision.delay == backoff_delay(POLICY, 2, 0.0)
    assert decision.delay > backoff_delay(POLICY, 2, 0.5)


def test_backoff_clamps_the_draw_and_survives_overflow() -> None:
    assert backoff_delay(POLICY, 1, 1.5) == backoff_delay(POLICY, 1, 1.0) == 0.0
    assert backoff_delay(POLICY, 1, -0.5) == backoff_delay(POLICY, 1, 0.0) == POLICY.initial
    capped = backoff_delay(POLICY, 60, 0.5)
    assert backoff_delay(POLICY, 5000, 0.5) == capped  # 2.0**4999 overflows a float


def test_neither_status_nor_error_is_a_usage_error() -> None:
    with pytest.raises(PolicyError) as caught:
        decide_retry(POLICY, method="GET", attempt=1, elapsed=0.0)
    assert str(caught.value) == "decide_retry needs a status or an error, got neither"


def test_budget_defaults() -> None:
    clock = FrozenClock()
    budget = RetryBudget(clock=clock)
    assert budget.tokens == 10.0
    while budget.try_withdraw():
        pass
    budget.deposit()
    assert budget.tokens == pytest.approx(0.2)
    clock.advance(1.0)  # one second later: the trickle adds one token
    assert budget.tokens == pytest.approx(1.2)


def test_budget_ratio_bounds() -> None:
    RetryBudget(ratio=1000)
    with pytest.raises(PolicyError, match=r"ratio must be between 0 and 1000, got 1000\.5"):
        RetryBudget(ratio=1000.5)
