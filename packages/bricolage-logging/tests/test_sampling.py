"""Sampling: pure decisions (properties) and the processor inside configure()."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.logging import (
    ConfigurationError,
    MemorySink,
    SamplingPolicy,
    configure,
    correlation_fraction,
    correlation_scope,
    get_logger,
    should_keep,
)

rates = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=40)
levels = st.sampled_from(["debug", "info", "warning", "error", "critical"])


@given(ids, rates, st.lists(st.text(max_size=10), min_size=1, max_size=10))
def test_a_requests_lines_are_kept_or_dropped_together(
    cid: str, rate: float, events: list[str]
) -> None:
    policy = SamplingPolicy(levels={"debug": rate, "info": rate})
    decisions = {
        should_keep(policy, level, event, cid, random.random)
        for event in events
        for level in ("debug", "info")
    }
    assert len(decisions) == 1


@given(ids, rates, rates)
def test_kept_at_a_low_rate_means_kept_at_every_higher_one(
    cid: str, low: float, high: float
) -> None:
    low, high = min(low, high), max(low, high)
    kept_low = should_keep(SamplingPolicy(levels={"info": low}), "info", "e", cid, random.random)
    kept_high = should_keep(SamplingPolicy(levels={"info": high}), "info", "e", cid, random.random)
    assert not kept_low or kept_high


@given(levels, st.text(max_size=10), st.one_of(st.none(), ids), rates)
def test_warnings_and_errors_are_never_dropped(
    level: str, event: str, cid: str | None, rate: float
) -> None:
    policy = SamplingPolicy(levels={"debug": rate, "info": rate}, events={event: rate})
    kept = should_keep(policy, level, event, cid, lambda: 0.999)
    if level in {"warning", "error", "critical"}:
        assert kept


@given(st.floats(min_value=0.0, max_value=0.999, allow_nan=False), rates)
def test_without_an_id_the_draw_decides(draw: float, rate: float) -> None:
    policy = SamplingPolicy(levels={"info": rate})
    assert should_keep(policy, "info", "e", None, lambda: draw) is (draw < rate or rate >= 1)


def test_event_rates_override_the_level_rate() -> None:
    policy = SamplingPolicy(levels={"info": 1.0}, events={"cache hit": 0.0})
    assert not should_keep(policy, "info", "cache hit", "r", random.random)
    assert should_keep(policy, "info", "cache miss", "r", random.random)
    assert policy.rate_for("info", 42) == 1.0


def test_the_kept_fraction_is_close_to_the_rate() -> None:
    policy = SamplingPolicy(levels={"info": 0.25})
    kept = sum(should_keep(policy, "info", "e", f"req-{n}", random.random) for n in range(20_000))
    assert 0.23 < kept / 20_000 < 0.27


def test_fraction_is_stable_across_calls_and_spread() -> None:
    values = [correlation_fraction(f"id-{n}") for n in range(1000)]
    assert values == [correlation_fraction(f"id-{n}") for n in range(1000)]
    assert min(values) < 0.05
    assert max(values) > 0.95


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levels": {"warning": 0.5}}, "must not be set: warnings and errors are never sampled"),
        ({"levels": {"ERROR": 0.5}}, "must not be set"),
        ({"levels": {"verbose": 0.5}}, "unknown level 'verbose'"),
        ({"levels": {3: 0.5}}, "unknown level 3"),
        ({"levels": {"info": 1.5}}, r"between 0.0 and 1.0, got 1.5"),
        ({"levels": {"info": float("nan")}}, "between 0.0 and 1.0"),
        ({"levels": {"info": "half"}}, "must be a number, got 'half'"),
        ({"events": {"e": True}}, "must be a number, got True"),
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        SamplingPolicy(**kwargs)  # type: ignore[arg-type]


def test_policy_is_frozen_and_read_only() -> None:
    policy = SamplingPolicy(levels={"DEBUG": 0.5})
    assert dict(policy.levels) == {"debug": 0.5}
    with pytest.raises(TypeError):
        policy.levels["info"] = 0.1  # type: ignore[index]


def test_configured_sampling_keeps_whole_requests(sink: MemorySink) -> None:
    configure(
        service="svc",
        stream=None,
        sinks=[sink],
        level="DEBUG",
        sampling=SamplingPolicy(levels={"debug": 0.3, "info": 0.5}),
        rng=random.Random(7),
    )
    log = get_logger("req")
    requests = [f"req-{n}" for n in range(200)]
    for cid in requests:
        with correlation_scope(cid):
            log.info("start")
            log.debug("detail")
            log.info("end")
            log.error("always")
    by_request: dict[str, list[str]] = {}
    for record in sink.records():
        by_request.setdefault(record["correlation_id"], []).append(record["message"])
    assert set(by_request) == set(requests)  # every request kept its error
    for cid, messages in by_request.items():
        info_kept = correlation_fraction(cid) < 0.5
        debug_kept = correlation_fraction(cid) < 0.3
        expected = (["start"] if info_kept else []) + (["detail"] if debug_kept else [])
        expected += (["end"] if info_kept else []) + ["always"]
        assert messages == expected
    kept_info = sum(1 for m in by_request.values() if "start" in m)
    assert 60 < kept_info < 140


def test_sampling_uses_a_bound_correlation_id_field(sink: MemorySink) -> None:
    configure(
        service="svc", stream=None, sinks=[sink], sampling=SamplingPolicy(levels={"info": 0.5})
    )
    kept = [cid for cid in (f"job-{n}" for n in range(50)) if correlation_fraction(cid) < 0.5]
    for n in range(50):
        get_logger("x").info("bound", correlation_id=f"job-{n}")
    assert [r["correlation_id"] for r in sink.records()] == kept
