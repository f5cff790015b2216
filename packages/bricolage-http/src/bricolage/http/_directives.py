"""Parsing of ``Cache-Control`` (RFC 9111 section 5.2) and HTTP dates (RFC 9110 5.6.7)."""

from __future__ import annotations

import calendar
import email.utils
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["DELTA_SECONDS_MAX", "CacheControl", "parse_cache_control", "parse_http_date"]

#: RFC 9111 section 1.2.2: a delta-seconds value too large to represent is 2**31.
DELTA_SECONDS_MAX = 2**31

_DELTA = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class CacheControl:
    """The parsed directives of one or more ``Cache-Control`` field lines.

    Names are case-insensitive; when a directive appears twice the first occurrence wins
    (RFC 9111 section 4.2.1). A response ``max-age`` or ``s-maxage`` whose value is not a
    valid delta-seconds is read as ``0`` (stale), which is the safe reading; other malformed
    values are ignored. Unknown directives are kept in ``extensions``.

    >>> from bricolage.http import parse_cache_control
    >>> cc = parse_cache_control('max-age=60, private="set-cookie", stale-if-error=300')
    >>> cc.max_age, cc.private, sorted(cc.private_fields), cc.stale_if_error
    (60, True, ['set-cookie'], 300)
    """

    max_age: int | None = None
    s_maxage: int | None = None
    max_stale: int | None = None
    max_stale_any: bool = False
    min_fresh: int | None = None
    stale_while_revalidate: int | None = None
    stale_if_error: int | None = None
    no_cache: bool = False
    no_cache_fields: frozenset[str] = field(default_factory=frozenset)
    no_store: bool = False
    no_transform: bool = False
    private: bool = False
    private_fields: frozenset[str] = field(default_factory=frozenset)
    public: bool = False
    must_revalidate: bool = False
    proxy_revalidate: bool = False
    must_understand: bool = False
    immutable: bool = False
    only_if_cached: bool = False
    extensions: tuple[tuple[str, str | None], ...] = ()


_EMPTY = CacheControl()


def _split(text: str) -> Iterable[tuple[str, str | None]]:
    """Yield ``(name, value)`` pairs, honouring quoted strings that contain commas."""
    i = 0
    n = len(text)
    while i < n:
        # skip separators and whitespace
        while i < n and text[i] in " \t,":
            i += 1
        if i >= n:
            return
        start = i
        while i < n and text[i] not in "=,":
            i += 1
        name = text[start:i].strip().lower()
        value: str | None = None
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i] in " \t":
                i += 1
            if i < n and text[i] == '"':
                i += 1
                chars: list[str] = []
                while i < n and text[i] != '"':
                    if text[i] == "\\" and i + 1 < n:
                        i += 1
                    chars.append(text[i])
                    i += 1
                i += 1  # closing quote (or end of text)
                value = "".join(chars)
                while i < n and text[i] != ",":
                    i += 1
            else:
                start = i
                while i < n and text[i] != ",":
                    i += 1
                value = text[start:i].strip()
        if name:
            yield name, value


def _delta(value: str | None) -> int | None:
    if value is None or not _DELTA.fullmatch(value):
        return None
    return min(int(value), DELTA_SECONDS_MAX)


def _fields(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    return frozenset(f.strip().lower() for f in value.split(",") if f.strip())


_cache: dict[str, CacheControl] = {}


def parse_cache_control(values: str | Iterable[str] | None) -> CacheControl:
    """Parse ``Cache-Control`` field values into a :class:`CacheControl`.

    ``values`` is one field value, several field lines, or ``None`` (no field).

    >>> from bricolage.http import CacheControl, parse_cache_control
    >>> parse_cache_control("no-cache, MAX-AGE=0").no_cache
    True
    >>> parse_cache_control(["max-age=10", "max-age=20"]).max_age
    10
    >>> parse_cache_control("max-age=ten").max_age
    0
    >>> parse_cache_control(None) == CacheControl()
    True
    """
    if values is None:
        return _EMPTY
    text = values if isinstance(values, str) else ", ".join(values)
    if not text:
        return _EMPTY
    cached = _cache.get(text)
    if cached is not None:
        return cached
    seen: dict[str, str | None] = {}
    extensions: list[tuple[str, str | None]] = []
    for name, value in _split(text):
        if name in seen:
            continue
        seen[name] = value
    known = {
        "max-age",
        "s-maxage",
        "max-stale",
        "min-fresh",
        "stale-while-revalidate",
        "stale-if-error",
        "no-cache",
        "no-store",
        "no-transform",
        "private",
        "public",
        "must-revalidate",
        "proxy-revalidate",
        "must-understand",
        "immutable",
        "only-if-cached",
    }
    for name, value in seen.items():
        if name not in known:
            extensions.append((name, value))

    def age(name: str) -> int | None:
        if name not in seen:
            return None
        parsed = _delta(seen[name])
        return 0 if parsed is None else parsed

    max_stale_raw = seen.get("max-stale")
    result = CacheControl(
        max_age=age("max-age"),
        s_maxage=age("s-maxage"),
        max_stale=_delta(max_stale_raw),
        max_stale_any="max-stale" in seen and max_stale_raw is None,
        min_fresh=_delta(seen.get("min-fresh")),
        stale_while_revalidate=_delta(seen.get("stale-while-revalidate")),
        stale_if_error=_delta(seen.get("stale-if-error")),
        no_cache="no-cache" in seen,
        no_cache_fields=_fields(seen.get("no-cache")),
        no_store="no-store" in seen,
        no_transform="no-transform" in seen,
        private="private" in seen,
        private_fields=_fields(seen.get("private")),
        public="public" in seen,
        must_revalidate="must-revalidate" in seen,
        proxy_revalidate="proxy-revalidate" in seen,
        must_understand="must-understand" in seen,
        immutable="immutable" in seen,
        only_if_cached="only-if-cached" in seen,
        extensions=tuple(extensions),
    )
    if len(_cache) < 1024:
        _cache[text] = result
    return result


def parse_http_date(value: str | None) -> float | None:
    """Parse an HTTP date (IMF-fixdate, RFC 850 or asctime) into POSIX seconds.

    Returns ``None`` for a missing or invalid date; callers decide what that means
    (an invalid ``Expires`` is "already expired", RFC 9111 section 5.3).

    >>> from bricolage.http import parse_http_date
    >>> parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
    784111777.0
    >>> parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT")
    784111777.0
    >>> parse_http_date("Sun Nov  6 08:49:37 1994")
    784111777.0
    >>> parse_http_date("0") is None
    True
    """
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_tz(value.strip())
    except (TypeError, ValueError, IndexError):  # pragma: no cover - defensive
        return None
    if parsed is None:
        return None
    try:
        timestamp = calendar.timegm(parsed[:9])
    except (OverflowError, ValueError):  # pragma: no cover - defensive
        return None
    offset = parsed[9] or 0
    return float(timestamp - offset)
