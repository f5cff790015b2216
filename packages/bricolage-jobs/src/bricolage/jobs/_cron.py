"""Cron expressions (five fields, UTC) and the pure rule for which ticks are due."""

from __future__ import annotations

import datetime as dt

import attrs

from bricolage.jobs.errors import ConfigurationError

__all__ = ["Cron", "due_ticks"]

_UTC = dt.UTC
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))
_NAMES = {
    "month": {
        m: i + 1
        for i, m in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        )
    },
    "weekday": {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
}
_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_SEARCH_YEARS = 8


def _value(text: str, field: str, lo: int, hi: int, expr: str) -> int:
    names = _NAMES.get(field, {})
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise ConfigurationError(f"cron {expr!r}: {field} value {text!r} is not a number")
    number = int(text)
    if not lo <= number <= hi:
        raise ConfigurationError(f"cron {expr!r}: {field} value {number} is outside {lo}-{hi}")
    return number


def _parse_field(text: str, field: str, lo: int, hi: int, expr: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ConfigurationError(f"cron {expr!r}: empty list item in the {field} field")
        body, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ConfigurationError(
                    f"cron {expr!r}: step {step_text!r} in the {field} field must be >= 1"
                )
            step = int(step_text)
        if body == "*":
            start, stop = lo, hi
        elif "-" in body:
            a, _, b = body.partition("-")
            start, stop = _value(a, field, lo, hi, expr), _value(b, field, lo, hi, expr)
            if start > stop:
                raise ConfigurationError(
                    f"cron {expr!r}: range {body!r} in the {field} field runs backwards"
                )
        else:
            start = _value(body, field, lo, hi, expr)
            stop = hi if step_text else start
        values.update(range(start, stop + 1, step))
    if field == "weekday" and 7 in values:
        values.discard(7)
        values.add(0)
    return frozenset(values)


@attrs.frozen(slots=True)
class Cron:
    """A five-field cron expression (minute hour day month weekday), evaluated in UTC.

    Lists (``1,15``), ranges (``1-5``), steps (``*/10``), month and weekday names and the
    ``@hourly``-style macros are understood. As in classic cron, when both the day of the
    month and the weekday are restricted, a day matching either one fires.

    >>> cron = Cron.parse("*/15 9-17 * * mon-fri")
    >>> start = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC).timestamp()  # a Saturday
    >>> dt.datetime.fromtimestamp(cron.next_after(start), dt.UTC).isoformat()
    '2026-11-23T09:00:00+00:00'
    """

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """Parse ``expression``; a malformed one raises ``ConfigurationError`` naming it.

        >>> Cron.parse("0 0 * * *").hours
        frozenset({0})
        >>> Cron.parse("61 * * * *")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bricolage.jobs.errors.ConfigurationError: cron '61 * * * *': minute value 61 is ...
        """
        text = _MACROS.get(expression.strip().lower(), expression)
        parts = text.split()
        if len(parts) != 5:
            raise ConfigurationError(
                f"cron {expression!r} must have 5 fields (minute hour day month weekday), "
                f"got {len(parts)}"
            )
        sets = [
            _parse_field(part, name, lo, hi, expression)
            for part, (name, lo, hi) in zip(parts, _FIELDS, strict=True)
        ]
        return cls(
            expression=expression,
            minutes=sets[0],
            hours=sets[1],
            days=sets[2],
            months=sets[3],
            weekdays=sets[4],
            any_day=parts[2] == "*",
            any_weekday=parts[4] == "*",
        )

    def _day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return dow
        if self.any_weekday:
            return dom
        return dom or dow

    def matches(self, when: float) -> bool:
        """True when the minute holding the UNIX time ``when`` is a tick.

        >>> Cron.parse("30 * * * *").matches(1800.0)
        True
        """
        moment = dt.datetime.fromtimestamp(when, _UTC)
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and self._day_matches(moment.date())
        )

    def next_after(self, when: float) -> float:
        """The first tick strictly after the UNIX time ``when``.

        An expression that never fires (``0 0 30 2 *``) raises ``ConfigurationError``.

        >>> Cron.parse("0 * * * *").next_after(0.0)
        3600.0
        """
        moment = dt.datetime.fromtimestamp(when, _UTC).replace(second=0, microsecond=0)
        moment += dt.timedelta(minutes=1)
        day = moment.date()
        minutes = sorted(self.minutes)
        hours = sorted(self.hours)
        for _ in range(366 * _SEARCH_YEARS):
            if self._day_matches(day):
                first = day == moment.date()
                for hour in hours:
                    if first and hour < moment.hour:
                        continue
                    for minute in minutes:
                        if first and hour == moment.hour and minute < moment.minute:
                            continue
                        fire = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=_UTC)
                        return fire.timestamp()
            day += dt.timedelta(days=1)
        raise ConfigurationError(
            f"cron {self.expression!r} never fires (no tick within {_SEARCH_YEARS} years)"
        )


def due_ticks(cron: Cron, last: float, now: float, grace: float) -> tuple[list[float], float]:
    """The ticks in ``(last, now]`` still worth firing, and the new ``last``.

    Ticks older than ``grace`` seconds (a scheduler that was down) are skipped rather
    than fired in a burst; ``last`` only moves forward.

    >>> due_ticks(Cron.parse("* * * * *"), 0.0, 125.0, 3600.0)
    ([60.0, 120.0], 125.0)
    >>> due_ticks(Cron.parse("* * * * *"), 0.0, 125.0, 10.0)
    ([120.0], 125.0)
    """
    fired: list[float] = []
    if now <= last:
        return fired, last
    start = max(last, now - grace - 60.0)
    tick = cron.next_after(start)
    while tick <= now:
        if now - tick <= grace:
            fired.append(tick)
        tick = cron.next_after(tick)
    return fired, now
