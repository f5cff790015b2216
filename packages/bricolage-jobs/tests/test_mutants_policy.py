"""Exact checks of the retry, lease and rate-limit arithmetic and its error messages.

Written for mutation testing (``nox -s "mutation(jobs._policy)"``): each test fails for
mutants of ``bricolage.jobs._policy`` that the behavioural tests let through.
"""

from __future__ import annotations

import math

import attrs
import pytest

from bricolage.jobs import ConfigurationError, LeasePolicy, RateLimit, RetryPolicy
from bricolage.jobs._policy import Bucket, _positive, take_tokens


def test_positive_names_the_bound_and_the_value() -> None:
    with pytest.raises(ConfigurationError) as caught:
        _positive("width", 0.0)
    assert str(caught.value) == "width must be a finite number > 0, got 0.0"
    with pytest.raises(ConfigurationError) as caught:
        _positive("width", -1.0, zero_ok=True)
    assert str(caught.value) == "width must be a finite number >= 0, got -1.0"
    _positive("width", 0.0, zero_ok=True)  # zero is fine where zero_ok


@pytest.mark.parametrize("value", [math.inf, math.nan])
@pytest.mark.parametrize("zero_ok", [False, True])
def test_positive_refuses_infinity_and_nan(value: float, zero_ok: bool) -> None:
    with pytest.raises(ConfigurationError, match="finite"):
        _positive("width", value, zero_ok=zero_ok)


def test_lease_and_rate_limit_errors_name_the_setting() -> None:
    with pytest.raises(ConfigurationError) as caught:
        LeasePolicy(duration=0.0)
    assert str(caught.value) == "lease duration must be a finite number > 0, got 0.0"
    with pytest.raises(ConfigurationError) as caught:
        RateLimit(2, period=-1.0)
    assert str(caught.value) == "rate limit period must be a finite number > 0, got -1.0"


def test_default_backoff_doubles_from_the_initial_delay() -> None:
    policy = RetryPolicy()
    fields = attrs.asdict(policy)
    # The first delay and the growth factor, under either spelling of their names.
    initial = float(fields.get("initial", fields.get("base", math.nan)))
    growth = float(fields.get("multiplier", fields.get("factor", math.nan)))
    cap = float(fields.get("maximum", fields.get("max_delay", math.nan)))
    assert policy.ceiling(0) == min(cap, initial)
    assert policy.ceiling(1) == min(cap, initial)
    assert policy.ceiling(2) == min(cap, initial * growth)
    assert policy.ceiling(3) == min(cap, initial * growth**2)


def test_bucket_refills_with_elapsed_time() -> None:
    limit = RateLimit(2, 1.0)
    granted, bucket = take_tokens(Bucket(tokens=0.0, updated=0.0), limit, 1.0, 5)
    assert granted == 2
    assert bucket == Bucket(tokens=0.0, updated=1.0)


def test_a_whole_token_is_granted_when_exactly_one_is_left() -> None:
    granted, bucket = take_tokens(Bucket(tokens=1.0, updated=5.0), RateLimit(3, 1.0), 5.0, 2)
    assert granted == 1
    assert bucket.tokens == 0.0
