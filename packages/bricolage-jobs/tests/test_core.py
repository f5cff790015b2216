"""The sans-I/O core: life cycle, backoff, leases and fencing, rate limits, cron."""

from __future__ import annotations

import datetime as dt
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.jobs import (
    ConfigurationError,
    Cron,
    Event,
    IllegalTransitionError,
    JobState,
    LeasePolicy,
    RateLimit,
    RetryPolicy,
)
from bricolage.jobs._cron import due_ticks
from bricolage.jobs._policy import Bucket, decide_failure, expiry_event, fence_accepts, take_tokens
from bricolage.jobs._states import TERMINAL_STATES, allowed_events, next_state
from bricolage.jobs._worker import NEAR_DUE_POLL, SERVER_TICK, idle_wait

states = st.sampled_from(list(JobState))
events = st.sampled_from(list(Event))


@given(states, events)
def test_transitions_are_total_functions(state: JobState, event: Event) -> None:
    if event in allowed_events(state):
        assert isinstance(next_state(state, event), JobState)
    else:
        with pytest.raises(IllegalTransitionError, match=state.value):
            next_state(state, event)


def test_only_dead_and_failed_leave_a_final_state() -> None:
    for state in TERMINAL_STATES:
        for event in allowed_events(state):
            assert event is Event.REQUEUE
            assert state in (JobState.DEAD, JobState.FAILED)
    assert allowed_events(JobState.SUCCEEDED) == frozenset()
    assert allowed_events(JobState.CANCELLED) == frozenset()


@given(st.lists(events, max_size=30))
def test_every_path_ends_where_the_table_says(path: list[Event]) -> None:
    state = JobState.QUEUED
    for event in path:
        if event in allowed_events(state):
            new = next_state(state, event)
            # a job is running only right after a claim
            assert (new is JobState.RUNNING) == (event is Event.CLAIM)
            state = new
    assert state in set(JobState)


retry_policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 20),
    initial=st.floats(0, 100),
    multiplier=st.floats(1, 10),
    maximum=st.floats(0, 10_000),
    jitter=st.floats(0, 1),
)


@given(retry_policies, st.integers(1, 200), st.integers(0, 2**32))
def test_backoff_stays_within_its_bounds(policy: RetryPolicy, attempt: int, seed: int) -> None:
    delay = policy.delay(attempt, Random(seed))
    top = policy.ceiling(attempt)
    assert top <= policy.maximum
    assert top * (1 - policy.jitter) - 1e-9 <= delay <= top + 1e-9
    assert policy.ceiling(attempt + 1) >= top


@given(retry_policies, st.integers(1, 30), st.booleans(), st.integers(0, 2**32))
def test_failure_decision(policy: RetryPolicy, attempt: int, permanent: bool, seed: int) -> None:
    decision = decide_failure(
        policy, attempt, policy.max_attempts, permanent, 1000.0, Random(seed)
    )
    if permanent:
        assert decision.event is Event.FAIL
        assert decision.due_at is None
    elif attempt >= policy.max_attempts:
        assert decision.event is Event.BURY
    else:
        assert decision.event is Event.RETRY
        assert decision.due_at is not None
        assert 1000.0 <= decision.due_at <= 1000.0 + policy.maximum + 1e-6


def test_huge_attempt_numbers_do_not_overflow() -> None:
    assert RetryPolicy(initial=1.0, multiplier=10.0, maximum=60.0).ceiling(10_000) == 60.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"initial": -1.0}, "initial"),
        ({"multiplier": 0.5}, "multiplier"),
        ({"jitter": 2.0}, "jitter"),
        ({"maximum": float("nan")}, "maximum"),
    ],
)
def test_bad_retry_policies_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@given(st.integers(1, 50), st.integers(1, 50))
def test_expiry_buries_exactly_when_deliveries_run_out(deliveries: int, most: int) -> None:
    event = expiry_event(deliveries, most)
    assert (event is Event.EXPIRE_BURY) == (deliveries >= most)


@given(states, st.integers(0, 100), st.integers(0, 100))
def test_fencing_accepts_only_the_current_holder(state: JobState, cur: int, given_: int) -> None:
    assert fence_accepts(state, cur, given_) == (state is JobState.RUNNING and cur == given_)


def test_lease_policy() -> None:
    assert LeasePolicy(duration=9.0).renew_interval == 3.0
    with pytest.raises(ConfigurationError, match="lease duration"):
        LeasePolicy(duration=0)


@given(
    st.integers(1, 100),
    st.floats(0.01, 100),
    st.lists(st.tuples(st.floats(0, 10), st.integers(0, 20)), max_size=30),
)
def test_rate_limit_never_exceeds_its_budget(
    limit: int, period: float, steps: list[tuple[float, int]]
) -> None:
    rate = RateLimit(limit, period)
    bucket: Bucket | None = None
    now = 0.0
    total = 0
    for gap, want in steps:
        now += gap
        granted, bucket = take_tokens(bucket, rate, now, want)
        assert 0 <= granted <= want
        assert 0 <= bucket.tokens <= limit
        total += granted
    # never more than the burst plus what the elapsed time refilled
    assert total <= limit + now * rate.per_second + 1e-6


def test_rate_limit_ignores_a_clock_going_back() -> None:
    rate = RateLimit(2, 1.0)
    _, bucket = take_tokens(None, rate, 10.0, 2)
    granted, bucket = take_tokens(bucket, rate, 5.0, 2)
    assert granted == 0
    assert bucket.updated == 10.0
    with pytest.raises(ConfigurationError, match="rate limit"):
        RateLimit(0)


def _naive_next(cron: Cron, when: float) -> float:
    t = (int(when) // 60 + 1) * 60
    while not cron.matches(float(t)):
        t += 60
    return float(t)


cron_fields = st.tuples(
    st.sampled_from(["*", "*/7", "0", "5,35", "10-20/5"]),
    st.sampled_from(["*", "0", "*/6", "9-17"]),
    st.sampled_from(["*", "1", "13", "1-7"]),
    st.sampled_from(["*", "2", "jan-mar", "*/4"]),
    st.sampled_from(["*", "mon-fri", "0", "5", "sun"]),
)


@given(cron_fields, st.integers(1_700_000_000, 1_900_000_000))
def test_cron_next_matches_a_minute_by_minute_search(fields: tuple[str, ...], start: int) -> None:
    cron = Cron.parse(" ".join(fields))
    nxt = cron.next_after(float(start))
    assert nxt > start
    assert cron.matches(nxt)
    assert nxt % 60 == 0
    if nxt - start < 3 * 86400:
        assert _naive_next(cron, float(start)) == nxt


def test_cron_day_or_weekday_rule_and_macros() -> None:
    # 13th of the month OR a Friday
    cron = Cron.parse("0 0 13 * fri")
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp()
    first = dt.datetime.fromtimestamp(cron.next_after(start), dt.UTC)
    assert first.date() == dt.date(2026, 11, 6)  # a Friday before the 13th
    assert Cron.parse("@hourly").minutes == frozenset({0})
    assert Cron.parse("0 0 * * 7").weekdays == frozenset({0})


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * *", "5 fields"),
        ("x * * * *", "not a number"),
        ("*/0 * * * *", "step"),
        ("5-1 * * * *", "backwards"),
        ("1,,2 * * * *", "empty list item"),
        ("0 24 * * *", "outside 0-23"),
    ],
)
def test_bad_cron_expressions_name_the_problem(expression: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Cron.parse(expression)


def test_cron_that_never_fires() -> None:
    with pytest.raises(ConfigurationError, match="never fires"):
        Cron.parse("0 0 30 2 *").next_after(0.0)


@given(st.floats(0, 10**6), st.floats(0, 10**5), st.floats(1, 10**4))
def test_due_ticks_fire_each_tick_at_most_once(last: float, gap: float, grace: float) -> None:
    cron = Cron.parse("*/5 * * * *")
    now = last + gap
    ticks, new_last = due_ticks(cron, last, now, grace)
    assert new_last == max(now, last)
    assert ticks == sorted(set(ticks))
    for tick in ticks:
        assert last < tick <= now
        assert now - tick <= grace
        assert cron.matches(tick)
    # calling again at the same moment fires nothing new
    assert due_ticks(cron, new_last, now, grace)[0] == []


@given(
    poll=st.floats(min_value=0.01, max_value=60.0),
    now=st.floats(min_value=0.0, max_value=1e9),
    until=st.one_of(st.none(), st.floats(min_value=-10.0, max_value=120.0)),
)
def test_an_idle_wait_never_lets_the_server_overrun_a_due_time(
    poll: float, now: float, until: float | None
) -> None:
    wake = None if until is None else now + until
    seconds, on_server = idle_wait(poll, now, wake)
    assert 0.0 <= seconds <= poll + 1e-9
    if wake is None:
        assert (seconds, on_server) == (poll, True)
        return
    remaining = wake - now
    if on_server and seconds > 0:
        # The server may end the wait up to a tick late: still no later than the due time.
        assert now + seconds + SERVER_TICK <= wake + 1e-6
    if not on_server:
        assert 0 < remaining <= SERVER_TICK + 1e-9
        assert seconds <= NEAR_DUE_POLL + 1e-9
