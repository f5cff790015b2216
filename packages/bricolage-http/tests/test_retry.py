"""Retry decisions (hypothesis), the budget, and the retry transports with mock origins."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.http import (
    AsyncRetryTransport,
    Attempt,
    PolicyError,
    RetryBudget,
    RetryPolicy,
    RetryTransport,
    backoff_delay,
    decide_retry,
    parse_retry_after,
    retry_outcome,
)
from bricolage.http.testing import FrozenClock

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 20),
    initial=st.floats(0, 10),
    multiplier=st.floats(1, 5),
    maximum=st.floats(0, 100),
    jitter=st.floats(0, 1),
)


@given(policies, st.integers(1, 200), st.floats(0, 1, exclude_max=True))
def test_backoff_is_drawn_within_the_jitter_band(
    policy: RetryPolicy, attempt: int, r: float
) -> None:
    delay = backoff_delay(policy, attempt, r)
    ceiling = min(policy.maximum, policy.initial * policy.multiplier ** (attempt - 1))
    assert ceiling * (1 - policy.jitter) - 1e-9 <= delay <= ceiling + 1e-9
    assert delay <= policy.maximum + 1e-9
    assert delay == pytest.approx(ceiling * (1 - policy.jitter * r))


def test_backoff_follows_the_shared_formula() -> None:
    policy = RetryPolicy(initial=0.5, maximum=3.0, multiplier=3.0, jitter=0.0)
    assert [backoff_delay(policy, n, 0.7) for n in (1, 2, 3, 4)] == [0.5, 1.5, 3.0, 3.0]
    half = RetryPolicy(initial=2.0, jitter=0.5)
    assert backoff_delay(half, 1, 0.0) == 2.0
    assert backoff_delay(half, 1, 0.999999) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [
        ("attempts", "max_attempts", 4),
        ("base_delay", "initial", 0.5),
        ("max_delay", "maximum", 7.0),
    ],
)
def test_old_retry_spellings_warn_and_still_work(old: str, new: str, value: float) -> None:
    with pytest.warns(DeprecationWarning, match=f"use '{new}'"):
        policy = RetryPolicy(**{old: value})  # type: ignore[arg-type]
    assert getattr(policy, new) == value
    with pytest.warns(DeprecationWarning, match=f"'{old}' is deprecated"):
        assert getattr(policy, old) == value


def test_jitter_out_of_range_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"jitter must be between 0 and 1, got 1\.5"):
        RetryPolicy(jitter=1.5)


@given(policies, st.integers(1, 50))
def test_ceiling_grows_monotonically(policy: RetryPolicy, attempt: int) -> None:
    assert backoff_delay(policy, attempt, 0.0) <= backoff_delay(policy, attempt + 1, 0.0) + 1e-9


@given(st.integers(1, 10), st.integers(1, 12), st.sampled_from([429, 502, 503, 504]))
def test_never_more_than_the_attempts(attempts: int, attempt: int, status: int) -> None:
    decision = decide_retry(
        RetryPolicy(max_attempts=attempts),
        method="GET",
        attempt=attempt,
        elapsed=0.0,
        status=status,
        random=0.5,
    )
    assert decision.retry == (attempt < attempts)


@given(st.integers(0, 10**6), st.floats(0, 1000))
def test_retry_after_seconds_are_honoured_up_to_the_cap(seconds: int, cap: float) -> None:
    policy = RetryPolicy(retry_after_cap=cap)
    decision = decide_retry(
        policy, method="GET", attempt=1, elapsed=0, status=503, retry_after=str(seconds)
    )
    if seconds <= cap:
        assert decision.retry
        assert decision.delay == seconds
    else:
        assert not decision.retry
        assert "exceeds the cap" in decision.reason


@given(st.floats(0, 100), st.floats(0.1, 100), st.floats(0, 1, exclude_max=True))
def test_deadline_is_never_crossed(elapsed: float, deadline: float, r: float) -> None:
    policy = RetryPolicy(deadline=deadline, initial=5, maximum=50, max_attempts=10)
    decision = decide_retry(policy, method="GET", attempt=2, elapsed=elapsed, status=503, random=r)
    if decision.retry:
        assert elapsed + decision.delay <= deadline


@given(st.sampled_from(["POST", "PATCH", "CONNECT"]), st.booleans())
def test_unsafe_methods_need_an_idempotency_key(method: str, key: bool) -> None:
    decision = decide_retry(
        RetryPolicy(), method=method, attempt=1, elapsed=0, status=503, idempotency_key=key
    )
    assert decision.retry == key


def test_connect_errors_are_retried_for_any_method() -> None:
    error = httpx.ConnectError("refused")
    assert decide_retry(RetryPolicy(), method="POST", attempt=1, elapsed=0, error=error).retry
    read = httpx.ReadTimeout("slow")
    assert not decide_retry(RetryPolicy(), method="POST", attempt=1, elapsed=0, error=read).retry
    assert decide_retry(RetryPolicy(), method="GET", attempt=1, elapsed=0, error=read).retry
    other = ValueError("bug")
    assert (
        "not retried"
        in decide_retry(RetryPolicy(), method="GET", attempt=1, elapsed=0, error=other).reason
    )


def test_unreplayable_bodies_and_bad_calls() -> None:
    decision = decide_retry(
        RetryPolicy(), method="PUT", attempt=1, elapsed=0, status=503, replayable=False
    )
    assert not decision.retry
    assert "cannot be replayed" in decision.reason
    with pytest.raises(PolicyError, match="neither"):
        decide_retry(RetryPolicy(), method="GET", attempt=1, elapsed=0)


def test_retry_after_dates_and_garbage() -> None:
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now=784111777.0 + 10) == 0.0
    assert parse_retry_after(None, now=0) is None
    decision = decide_retry(
        RetryPolicy(),
        method="GET",
        attempt=1,
        elapsed=0,
        status=429,
        retry_after="tomorrow-ish",
        random=0.0,
    )
    assert decision.retry
    assert decision.delay == 0.1  # an unreadable Retry-After: the policy's own backoff


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"deadline": 0}, "deadline"),
        ({"initial": -1}, "initial"),
        ({"multiplier": 0.5}, "multiplier"),
    ],
)
def test_policy_validation(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(PolicyError, match=match):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_budget_validation() -> None:
    with pytest.raises(PolicyError, match="ratio"):
        RetryBudget(ratio=-1)
    with pytest.raises(PolicyError, match="capacity"):
        RetryBudget(capacity=0)
    with pytest.raises(PolicyError, match="min_per_second"):
        RetryBudget(min_per_second=-1)


@given(st.floats(0, 1), st.integers(1, 20), st.lists(st.booleans(), max_size=300))
def test_budget_bounds_retries_by_requests(
    ratio: float, capacity: int, events: list[bool]
) -> None:
    clock = FrozenClock()
    budget = RetryBudget(ratio=ratio, capacity=capacity, min_per_second=0, clock=clock)
    requests = retries = 0
    for is_request in events:
        if is_request:
            budget.deposit()
            requests += 1
        elif budget.try_withdraw():
            retries += 1
    assert retries <= capacity + ratio * requests + 1e-9
    assert 0 <= budget.tokens <= capacity


def test_budget_refills_with_time() -> None:
    clock = FrozenClock()
    budget = RetryBudget(ratio=0, capacity=2, min_per_second=1, clock=clock)
    assert budget.try_withdraw()
    assert budget.try_withdraw()
    assert not budget.try_withdraw()
    clock.advance(1.0)
    assert budget.try_withdraw()


# --- the transports --------------------------------------------------------------------


def scripted(*replies: int | Exception) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    script: Iterator[int | Exception] = iter(replies)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        reply = next(script)
        if isinstance(reply, Exception):
            raise reply
        return httpx.Response(reply, headers={"Retry-After": "2"} if reply == 429 else {})

    return httpx.MockTransport(handler), seen


def test_sync_transport_retries_with_injected_time() -> None:
    clock = FrozenClock()
    attempts: list[Attempt] = []
    mock, seen = scripted(503, httpx.ConnectError("refused"), 429, 200)
    transport = RetryTransport(
        mock,
        policy=RetryPolicy(max_attempts=5),
        clock=clock,
        random=lambda: 0.5,
        on_attempt=attempts.append,
    )
    with httpx.Client(transport=transport) as client:
        response = client.get("http://api.test/")
    assert response.status_code == 200
    assert len(seen) == 4
    assert clock.sleeps == [0.05, 0.1, 2.0]
    assert [a.decision.retry for a in attempts] == [True, True, True, False]
    assert attempts[1].failed
    outcome = retry_outcome(response)
    assert outcome is not None
    assert outcome.attempts == 4


def test_sync_transport_reraises_with_a_note() -> None:
    mock, _ = scripted(*[httpx.ConnectError("refused")] * 3)
    transport = RetryTransport(mock, clock=FrozenClock())
    with httpx.Client(transport=transport) as client, pytest.raises(httpx.ConnectError) as info:
        client.get("http://api.test/")
    assert any("gave up after 3 attempt(s)" in note for note in info.value.__notes__)


def test_post_is_not_retried_and_the_response_says_why() -> None:
    mock, seen = scripted(503, 200)
    with httpx.Client(transport=RetryTransport(mock, clock=FrozenClock())) as client:
        response = client.post("http://api.test/", content=b"x")
        assert response.status_code == 503
        outcome = retry_outcome(response)
        assert outcome is not None
        assert "Idempotency-Key" in outcome.reason
        keyed = client.post("http://api.test/", content=b"x", headers={"Idempotency-Key": "k"})
        assert keyed.status_code == 200
    assert len(seen) == 2


def test_streamed_bodies_are_not_replayed() -> None:
    mock, seen = scripted(503, 200)

    def body() -> Iterator[bytes]:
        yield b"chunk"

    with httpx.Client(transport=RetryTransport(mock, clock=FrozenClock())) as client:
        response = client.put("http://api.test/", content=body())
    assert response.status_code == 503
    outcome = retry_outcome(response)
    assert outcome is not None
    assert "cannot be replayed" in outcome.reason
    assert len(seen) == 1


def test_budget_stops_a_retry_storm() -> None:
    mock, seen = scripted(*[503] * 100)
    budget = RetryBudget(ratio=0.1, capacity=2, min_per_second=0, clock=FrozenClock())
    transport = RetryTransport(
        mock, budget=budget, policy=RetryPolicy(max_attempts=10), clock=FrozenClock()
    )
    with httpx.Client(transport=transport) as client:
        for _ in range(10):
            client.get("http://api.test/")
    # 10 requests; at most capacity + 10 * 0.1 retries
    assert len(seen) <= 10 + 3


@pytest.mark.anyio
async def test_async_transport_retries() -> None:
    clock = FrozenClock()
    mock, seen = scripted(502, httpx.ReadTimeout("slow"), 200)
    transport = AsyncRetryTransport(mock, clock=clock, random=lambda: 0.0)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get("http://api.test/")
    assert response.status_code == 200
    assert clock.sleeps == [0.1, 0.2]
    assert len(seen) == 3


@pytest.mark.anyio
async def test_async_transport_reraises() -> None:
    mock, _ = scripted(httpx.ConnectError("x"), httpx.ConnectError("y"))
    transport = AsyncRetryTransport(mock, policy=RetryPolicy(max_attempts=2), clock=FrozenClock())
    client = httpx.AsyncClient(transport=transport)
    with pytest.raises(httpx.ConnectError, match="y"):
        await client.get("http://api.test/")
    await client.aclose()


def test_old_clock_spellings_warn_and_still_work() -> None:
    slept: list[float] = []
    mock, seen = scripted(503, 200)
    with pytest.warns(DeprecationWarning, match="deprecated") as caught:
        transport = RetryTransport(
            mock, clock=lambda: 0.0, wall_clock=lambda: 0.0, sleep=slept.append
        )
    messages = " ".join(str(w.message) for w in caught)
    assert "clock=<function>" in messages
    assert "wall_clock=...) is deprecated" in messages
    assert "sleep=...) is deprecated" in messages
    with httpx.Client(transport=transport) as client:
        assert client.get("http://api.test/").status_code == 200
    assert len(slept) == 1
    assert len(seen) == 2
    with pytest.warns(DeprecationWarning, match="RetryBudget"):
        RetryBudget(clock=lambda: 0.0)


def test_retry_metrics_count_requests_retries_and_failures() -> None:
    clock = FrozenClock()
    budget = RetryBudget(ratio=0, capacity=1, min_per_second=0, clock=clock)
    mock, _ = scripted(503, 503, httpx.ConnectError("a"), httpx.ConnectError("b"))
    transport = RetryTransport(
        mock, policy=RetryPolicy(max_attempts=2, jitter=0), clock=clock, budget=budget
    )
    with httpx.Client(transport=transport) as client:
        assert client.get("http://api.test/").status_code == 503
        with pytest.raises(httpx.ConnectError):
            client.get("http://api.test/")
    snapshot = transport.metrics.snapshot()
    assert snapshot.requests == 2
    assert snapshot.attempts == 3
    assert snapshot.retries == 1
    assert snapshot.delay_seconds == pytest.approx(0.1)
    assert snapshot.budget_exhausted == 1
    assert snapshot.failures == 1
    assert snapshot.retry_ratio == 0.5
