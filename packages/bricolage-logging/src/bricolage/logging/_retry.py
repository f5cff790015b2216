"""The retry vocabulary every bricolage package speaks: ``RetryPolicy``."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from bricolage.logging.errors import ConfigurationError

__all__ = ["RetryPolicy"]


def _finite(name: str, value: object, *, minimum: float, inclusive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number, got {value!r}")
    if value < minimum or (not inclusive and value == minimum):
        bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"
        raise ConfigurationError(f"{name} must be {bound}, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to try again: the same five names in every package.

    ``max_attempts`` counts every attempt, the first included (1 means never retry). The
    delay before retry ``n`` (1-based) is ``min(maximum, initial * multiplier ** (n - 1))``
    seconds; ``jitter`` is a fraction in ``[0, 1]``: the delay is drawn uniformly from
    ``[d * (1 - jitter), d]`` (1.0 is full jitter, 0 none).

    >>> from bricolage.logging import RetryPolicy
    >>> policy = RetryPolicy(max_attempts=4, initial=0.5, maximum=3.0, jitter=0.0)
    >>> [policy.delay(n) for n in (1, 2, 3, 4)]
    [0.5, 1.0, 2.0, 3.0]
    >>> RetryPolicy(jitter=1.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.logging.errors.ConfigurationError: jitter must be a fraction in [0, 1], got 1.5
    """

    max_attempts: int = 6
    initial: float = 0.5
    maximum: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        attempts: object = self.max_attempts
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ConfigurationError(f"max_attempts must be a whole number >= 1, got {attempts!r}")
        _finite("initial", self.initial, minimum=0.0, inclusive=True)
        _finite("maximum", self.maximum, minimum=0.0, inclusive=True)
        _finite("multiplier", self.multiplier, minimum=1.0, inclusive=True)
        jitter: object = self.jitter
        if (
            isinstance(jitter, bool)
            or not isinstance(jitter, int | float)
            or not 0.0 <= jitter <= 1.0
        ):
            raise ConfigurationError(f"jitter must be a fraction in [0, 1], got {jitter!r}")
        if self.maximum < self.initial:
            raise ConfigurationError(
                f"maximum ({self.maximum!r} s) must not be below initial ({self.initial!r} s)"
            )

    def delay(self, retry: int, *, draw: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based).

        ``draw`` in ``[0, 1]`` picks the point in the jitter range (0: the shortest,
        1: the full delay); without it a random one is taken.

        >>> from bricolage.logging import RetryPolicy
        >>> RetryPolicy(initial=1.0, jitter=0.5).delay(1, draw=0.0)
        0.5
        >>> RetryPolicy(initial=1.0, jitter=0.5).delay(3, draw=1.0)
        4.0
        """
        exponent = min(max(retry - 1, 0), 1024)
        try:
            base = min(self.maximum, self.initial * self.multiplier**exponent)
        except OverflowError:
            base = self.maximum
        if self.jitter == 0.0:
            return base
        if draw is None:
            draw = random.random()  # noqa: S311 - jitter, not secrets
        return base * (1.0 - self.jitter * (1.0 - draw))

    def retries_left(self, attempts_made: int) -> bool:
        """True while another attempt is allowed after ``attempts_made`` attempts.

        >>> from bricolage.logging import RetryPolicy
        >>> policy = RetryPolicy(max_attempts=2)
        >>> policy.retries_left(1), policy.retries_left(2)
        (True, False)
        """
        return attempts_made < self.max_attempts
