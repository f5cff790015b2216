"""Sampling: keep a fraction of debug and info lines, decided per correlation id."""

from __future__ import annotations

import functools
import hashlib
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, cast

import structlog

from bricolage.logging._correlation import _CORRELATION_ID
from bricolage.logging._render import LEVELS
from bricolage.logging.errors import ConfigurationError

__all__ = ["SamplingPolicy", "correlation_fraction", "should_keep"]

SAMPLED_LEVELS: Final = frozenset({"debug", "info"})
_NEVER_SAMPLED: Final = frozenset({"warning", "error", "critical"})


def _check_rate(what: str, rate: object) -> float:
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        raise ConfigurationError(f"sampling rate for {what} must be a number, got {rate!r}")
    value = float(rate)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ConfigurationError(
            f"sampling rate for {what} must be between 0.0 and 1.0, got {rate!r}"
        )
    return value


@dataclass(frozen=True, slots=True)
class SamplingPolicy:
    """Which fraction of debug and info lines to keep; warnings and errors are always kept.

    Args:
        levels: a rate per level, ``"debug"`` or ``"info"`` (1.0 keeps all, 0.0 none).
        events: a rate per event message, overriding the level's rate for that event.
            Event rates never apply to warnings or errors.

    The decision for a line that carries a correlation id depends only on that id and the
    rate, so a request's lines are kept or dropped together; and because the test is
    ``fraction(id) < rate``, a request kept at a low rate is also kept at every higher one.

    >>> policy = SamplingPolicy(levels={"debug": 0.1}, events={"cache hit": 0.01})
    >>> policy.rate_for("debug", "query")
    0.1
    >>> policy.rate_for("debug", "cache hit"), policy.rate_for("warning", "cache hit")
    (0.01, 1.0)
    """

    levels: Mapping[str, float] = field(default_factory=dict)
    events: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        levels: dict[str, float] = {}
        raw_levels = cast("Mapping[object, object]", self.levels)  # checked below
        for level, rate in raw_levels.items():
            word = level.lower() if isinstance(level, str) else level
            if word in _NEVER_SAMPLED:
                raise ConfigurationError(
                    f"sampling rate for level {level!r} must not be set: warnings and errors "
                    f"are never sampled (got {rate!r})"
                )
            if word not in SAMPLED_LEVELS:
                raise ConfigurationError(
                    f"unknown level {level!r} in sampling levels: use 'debug' or 'info'"
                )
            levels[word] = _check_rate(f"level {level!r}", rate)
        events = {
            str(event): _check_rate(f"event {event!r}", rate)
            for event, rate in dict(self.events).items()
        }
        object.__setattr__(self, "levels", MappingProxyType(levels))
        object.__setattr__(self, "events", MappingProxyType(events))

    def rate_for(self, level: str, event: object) -> float:
        """The fraction of lines kept for ``level`` and ``event`` (1.0 above info).

        >>> SamplingPolicy(levels={"info": 0.5}).rate_for("info", "ping")
        0.5
        """
        if level not in SAMPLED_LEVELS:
            return 1.0
        if self.events and isinstance(event, str):
            rate = self.events.get(event)
            if rate is not None:
                return rate
        return self.levels.get(level, 1.0)


@functools.lru_cache(maxsize=4096)
def correlation_fraction(correlation_id: str) -> float:
    """Map a correlation id to a fixed number in ``[0, 1)``, the same in every process.

    >>> correlation_fraction("req-1") == correlation_fraction("req-1")
    True
    >>> 0.0 <= correlation_fraction("req-2") < 1.0
    True
    """
    digest = hashlib.blake2b(correlation_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def should_keep(
    policy: SamplingPolicy,
    level: str,
    event: object,
    correlation_id: str | None,
    draw: Callable[[], float],
) -> bool:
    """Decide whether one line is kept: a pure function of its inputs.

    Lines with a correlation id are decided by :func:`correlation_fraction`; lines
    without one by ``draw()``, a random number in ``[0, 1)``.

    >>> policy = SamplingPolicy(levels={"info": 0.0})
    >>> should_keep(policy, "info", "x", "req-1", lambda: 0.5)
    False
    >>> should_keep(policy, "error", "x", "req-1", lambda: 0.5)
    True
    """
    rate = policy.rate_for(level, event)
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    fraction = correlation_fraction(correlation_id) if correlation_id is not None else draw()
    return fraction < rate


class Sampler:
    """The structlog processor applying a :class:`SamplingPolicy`; counts what it drops."""

    __slots__ = ("_draw", "dropped", "policy")

    def __init__(self, policy: SamplingPolicy, rng: random.Random | None = None) -> None:
        self.policy = policy
        self._draw = (rng or random.Random()).random  # noqa: S311 - sampling, not secrets
        self.dropped = 0

    def __call__(self, logger: Any, method_name: str, event_dict: dict[str, Any]) -> Any:
        level = LEVELS.get(method_name, method_name)
        if level not in SAMPLED_LEVELS:
            return event_dict
        correlation_id = _CORRELATION_ID.get()
        if correlation_id is None:
            bound = event_dict.get("correlation_id")
            correlation_id = bound if isinstance(bound, str) else None
        if should_keep(self.policy, level, event_dict.get("event"), correlation_id, self._draw):
            return event_dict
        self.dropped += 1
        raise structlog.DropEvent
