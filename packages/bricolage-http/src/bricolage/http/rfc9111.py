"""The cache's decisions (RFC 9111, RFC 9110, RFC 5861) as pure functions over plain values.

Nothing here performs I/O or reads a clock: time comes in as arguments. The sync and async
transports call these functions and only move bytes around them; use them directly to ask
the same questions the cache asks (is this fresh? may this be stored? how old is it?).

>>> from bricolage.http.rfc9111 import CacheAction, decide_cache_use, make_entry
>>> from bricolage.http.rfc9111 import parse_cache_control
>>> from bricolage.http import CachePolicy
>>> entry = make_entry(url="http://a.test/", request_headers={}, status=200,
...     headers=[("Cache-Control", "max-age=60")], body=b"hi",
...     request_time=0.0, response_time=0.0, policy=CachePolicy())
>>> decide_cache_use(entry, request_cc=parse_cache_control(None), now=30.0,
...     policy=CachePolicy()).action is CacheAction.HIT
True
"""

from __future__ import annotations

import calendar
import enum
import fnmatch
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import httpx

from bricolage.http.errors import PolicyError

__all__ = [
    "DELTA_SECONDS_MAX",
    "HEURISTICALLY_CACHEABLE",
    "CacheAction",
    "CacheControl",
    "CacheDecision",
    "CachePolicy",
    "CacheRule",
    "CachedResponse",
    "byte_range",
    "cache_key",
    "conditional_headers",
    "corrected_initial_age",
    "current_age",
    "decide_cache_use",
    "freshness_lifetime",
    "invalidation_urls",
    "make_entry",
    "merge_not_modified",
    "parse_age",
    "parse_cache_control",
    "parse_http_date",
    "select_variant",
    "serve_stale_on_error",
    "stored_cache_control",
    "targeted_cache_control",
    "vary_values",
    "why_not_storable",
]

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

    >>> from bricolage.http.rfc9111 import parse_cache_control
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

    >>> from bricolage.http.rfc9111 import CacheControl, parse_cache_control
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


_SF_KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")
_SF_BARE = re.compile(
    r"-?[0-9]{1,15}(?:\.[0-9]{1,3})?(?![0-9.])"  # integer or decimal
    r'|"(?:[^"\\\x00-\x1f\x7f]|\\["\\])*"'  # string
    r"|[A-Za-z*][A-Za-z0-9:/!#$%&'*+.^_`|~-]*"  # token
    r"|:[A-Za-z0-9+/=]*:"  # byte sequence
    r"|\?[01]"  # boolean
)
_SF_INTEGER = re.compile(r"-?[0-9]{1,15}")


def _sf_dictionary(text: str) -> dict[str, str] | None:
    """An RFC 8941 Dictionary as ``{key: bare item text}`` (``"?1"`` for a bare key).

    Parameters are checked and dropped; inner lists are kept as their text. ``None`` when
    the text is not a valid Dictionary.
    """
    members: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n and text[i] == " ":
        i += 1
    if i == n:
        return members
    while True:
        key = _SF_KEY.match(text, i)
        if key is None:
            return None
        i = key.end()
        value = "?1"
        if i < n and text[i] == "=":
            if i + 1 < n and text[i + 1] == "(":
                close = text.find(")", i + 1)
                if close < 0:
                    return None
                value, i = text[i + 1 : close + 1], close + 1
            else:
                item = _SF_BARE.match(text, i + 1)
                if item is None:
                    return None
                value, i = item.group(), item.end()
        while i < n and text[i] == ";":  # parameters: validated, not used
            param = _SF_KEY.match(text, i + 1)
            if param is None:
                return None
            i = param.end()
            if i < n and text[i] == "=":
                item = _SF_BARE.match(text, i + 1)
                if item is None:
                    return None
                i = item.end()
        members[key.group()] = value
        while i < n and text[i] in " \t":
            i += 1
        if i == n:
            return members
        if text[i] != ",":
            return None
        i += 1
        while i < n and text[i] in " \t":
            i += 1
        if i == n:
            return None  # a trailing comma


_TARGETED_DELTAS = ("max-age", "s-maxage", "stale-while-revalidate", "stale-if-error")
_TARGETED_FLAGS = (
    "no-store",
    "no-cache",
    "private",
    "public",
    "must-revalidate",
    "proxy-revalidate",
    "immutable",
)


def _cdn_cache_control(text: str) -> CacheControl | None:
    """A targeted field of RFC 9213 (a Structured Dictionary), or ``None`` if invalid."""
    members = _sf_dictionary(text)
    if members is None:
        return None
    kept: list[str] = []
    for name in _TARGETED_DELTAS:
        value = members.get(name)
        # A directive whose value has the wrong type is ignored (RFC 9213 section 2.1).
        if value is not None and _SF_INTEGER.fullmatch(value) and not value.startswith("-"):
            kept.append(f"{name}={value}")
    kept.extend(name for name in _TARGETED_FLAGS if members.get(name) == "?1")
    return parse_cache_control(", ".join(kept)) if kept else CacheControl()


def _surrogate_control(text: str) -> CacheControl | None:
    """``Surrogate-Control`` (W3C Edge Architecture 1.0) read as cache directives.

    ``max-age=N[+M]`` is fresh for ``N`` seconds, then usable stale for ``M`` more while it
    is refreshed; ``no-store`` and ``no-store-remote`` forbid storing. Directives targeted
    at a named surrogate (``;name``) are not for this cache and are skipped.
    """
    kept: list[str] = []
    for name, value in _split(text):
        if ";" in name or (value is not None and ";" in value):
            continue
        if name == "max-age" and value is not None:
            fresh, _, stale = value.partition("+")
            if not _DELTA.fullmatch(fresh) or (stale and not _DELTA.fullmatch(stale)):
                return None
            kept.append(f"max-age={fresh}")
            if stale:
                kept.append(f"stale-while-revalidate={stale}")
        elif name in ("no-store", "no-store-remote"):
            kept.append("no-store")
    return parse_cache_control(", ".join(kept)) if kept else CacheControl()


#: Targeted cache-control fields this cache can read, by lowercase name; any other
#: name given in ``CachePolicy.targets`` is read as RFC 9213 (a Structured Dictionary).
_TARGETED_READERS = {"surrogate-control": _surrogate_control}


def targeted_cache_control(
    headers: Iterable[tuple[str, str]], targets: Sequence[str]
) -> tuple[str, CacheControl] | None:
    """The first valid targeted cache-control field among ``targets`` (RFC 9213 section 2.1).

    ``targets`` lists field names in order of preference (``CDN-Cache-Control``,
    ``Surrogate-Control``...). Returns the name of the field used and its directives, or
    ``None`` when no listed field is present and valid; then ``Cache-Control`` and
    ``Expires`` govern. When one is found, the cache ignores ``Cache-Control`` and
    ``Expires`` for its own storage and freshness.

    >>> from bricolage.http.rfc9111 import targeted_cache_control
    >>> name, cc = targeted_cache_control(
    ...     [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600")],
    ...     ["CDN-Cache-Control"])
    >>> name, cc.max_age, cc.no_store
    ('CDN-Cache-Control', 600, False)
    >>> targeted_cache_control([("CDN-Cache-Control", 'max-age="600", &&')],
    ...     ["CDN-Cache-Control"]) is None
    True
    """
    items = list(headers)
    for target in targets:
        lname = target.lower()
        lines = _header_lines(items, lname)
        if not lines:
            continue
        reader = _TARGETED_READERS.get(lname, _cdn_cache_control)
        parsed = reader(", ".join(lines))
        if parsed is not None:
            return target, parsed
    return None


def _response_cache_control(
    headers: Iterable[tuple[str, str]], targets: Sequence[str]
) -> tuple[CacheControl, str | None]:
    """The directives that govern a stored response, and the targeted field they came from."""
    items = list(headers)
    if targets:
        found = targeted_cache_control(items, targets)
        if found is not None:
            return found[1], found[0]
    return parse_cache_control(_header_lines(items, "cache-control") or None), None


def stored_cache_control(
    headers: Iterable[tuple[str, str]], target: str | None = None
) -> CacheControl:
    """The directives of a stored response, read from the field that governed it.

    ``target`` is :attr:`CachedResponse.target` (``None``: ``Cache-Control``); storages
    call this when they decode an entry.

    >>> from bricolage.http.rfc9111 import stored_cache_control
    >>> stored_cache_control([("Cache-Control", "max-age=5")]).max_age
    5
    >>> stored_cache_control([("CDN-Cache-Control", "no-cache")], "CDN-Cache-Control").no_cache
    True
    """
    if target is None:
        return parse_cache_control(_header_lines(headers, "cache-control") or None)
    found = targeted_cache_control(headers, [target])
    return CacheControl() if found is None else found[1]


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LONG_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
_MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# RFC 9110 section 5.6.7, to the letter: case-sensitive, single spaces, GMT only.
_IMF_FIXDATE = re.compile(
    rf"(?:{'|'.join(_DAYS)}), ([0-9]{{2}}) {_MONTH} ([0-9]{{4}}) {_TIME} GMT"
)
_RFC850_DATE = re.compile(
    rf"(?:{'|'.join(_LONG_DAYS)}), ([0-9]{{2}})-{_MONTH}-([0-9]{{2}}) {_TIME} GMT"
)
_ASCTIME_DATE = re.compile(
    rf"(?:{'|'.join(_DAYS)}) {_MONTH} ([0-9]{{2}}| [0-9]) {_TIME} ([0-9]{{4}})"
)


def _timestamp(
    year: int, month: int, day: int, hour: int, minute: int, second: int
) -> float | None:
    if hour > 23 or minute > 59 or second > 60 or day < 1:
        return None
    if day > calendar.monthrange(year, month)[1] if 1 <= year <= 9999 else True:
        return None
    # A leap second (60) reads as the first second of the next minute.
    return float(calendar.timegm((year, month, day, hour, minute, 0, 0, 0, 0)) + second)


def parse_http_date(value: str | None, *, now: float | None = None) -> float | None:
    """Parse an HTTP-date (RFC 9110 section 5.6.7) into POSIX seconds, strictly.

    The three forms of the grammar are accepted exactly as written there: IMF-fixdate
    (``Sun, 06 Nov 1994 08:49:37 GMT``), the obsolete RFC 850 form
    (``Sunday, 06-Nov-94 08:49:37 GMT``) and asctime (``Sun Nov  6 08:49:37 1994``). Names
    are case-sensitive, spaces single, the zone ``GMT`` only; anything else (``UTC``,
    ``+0000``, a two-digit year in IMF-fixdate, a missing comma, one-digit hours, periods,
    an impossible day) is invalid and gives ``None``, and callers decide what that means (an
    invalid ``Expires`` is "already expired", RFC 9111 section 5.3). Leading and trailing
    whitespace is ignored.

    The two-digit year of the RFC 850 form is read as the RFC asks: a date more than 50
    years after ``now`` (POSIX seconds) falls in the previous century. Without ``now`` the
    years 70-99 are 1970-1999 and 00-69 are 2000-2069.

    >>> from bricolage.http.rfc9111 import parse_http_date
    >>> parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
    784111777.0
    >>> parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT")
    784111777.0
    >>> parse_http_date("Sun Nov  6 08:49:37 1994")
    784111777.0
    >>> parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC") is None
    True
    >>> parse_http_date("0") is None
    True
    """
    if not value:
        return None
    text = value.strip(" \t")
    if match := _IMF_FIXDATE.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
    elif match := _RFC850_DATE.fullmatch(text):
        day, month, short, hour, minute, second = match.groups()
        if now is None:
            year = str(1900 + int(short) if int(short) >= 70 else 2000 + int(short))
        else:
            this_year = time.gmtime(now).tm_year
            candidate = this_year - this_year % 100 + int(short)
            if candidate > this_year + 50:
                candidate -= 100
            year = str(candidate)
    elif match := _ASCTIME_DATE.fullmatch(text):
        month, day, hour, minute, second, year = match.groups()
    else:
        return None
    return _timestamp(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second))


_BYTE_RANGE = re.compile(r"[Bb][Yy][Tt][Ee][Ss][ \t]*=[ \t]*([0-9]*)-([0-9]*)[ \t]*")


def byte_range(value: str | None, length: int) -> tuple[int, int] | None:
    """The span ``(first, last)`` (inclusive) that a ``Range`` value asks of ``length`` bytes.

    One byte range (RFC 9110 section 14.1.2): ``bytes=0-1``, ``bytes=5-`` or the suffix
    ``bytes=-5``, the last position clipped to the body. ``None`` when the value is not
    a single satisfiable byte range (several ranges, another unit, ``first > last``, or
    ``first`` past the end): the caller then answers with the whole representation, as
    RFC 9110 section 14.2 allows.

    >>> from bricolage.http.rfc9111 import byte_range
    >>> byte_range("bytes=0-1", 11), byte_range("bytes=5-", 11), byte_range("bytes=-5", 11)
    ((0, 1), (5, 10), (6, 10))
    >>> byte_range("bytes=0-1, 4-5", 11) is None, byte_range("bytes=20-", 11) is None
    (True, True)
    """
    match = _BYTE_RANGE.fullmatch(value.strip()) if value else None
    if match is None or length <= 0:
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text or int(last_text) == 0:
            return None
        return max(0, length - int(last_text)), length - 1
    first = int(first_text)
    last = length - 1 if not last_text else min(int(last_text), length - 1)
    if first >= length or (last_text and int(last_text) < first):
        return None
    return first, last


def parse_age(values: Sequence[str] | str | None) -> int | None:
    """The value of the ``Age`` field lines (RFC 9111 section 5.1), or ``None`` to ignore it.

    ``Age`` is a single delta-seconds; when a field is repeated or holds a list, its first
    member counts. A first member that is not a non-negative integer (``abc``, ``-1``,
    ``1.5``, ``7200;x=y``) makes the field invalid: it is ignored. Values too large are
    capped at 2**31 (RFC 9111 section 1.2.2).

    >>> from bricolage.http.rfc9111 import parse_age
    >>> parse_age(["0, 7200"]), parse_age(["3600", "3600"]), parse_age(["2147483649"])
    (0, 3600, 2147483648)
    >>> parse_age(["abc"]) is None, parse_age(["-1"]) is None, parse_age([]) is None
    (True, True, True)
    """
    if values is None:
        return None
    lines = [values] if isinstance(values, str) else list(values)
    if not lines:
        return None
    first = ", ".join(lines).split(",", 1)[0].strip(" \t")
    if not _DELTA.fullmatch(first):
        return None
    return min(int(first), DELTA_SECONDS_MAX)


#: Status codes that RFC 9110 section 15.1 defines as heuristically cacheable.
HEURISTICALLY_CACHEABLE = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})

#: Status codes whose semantics this cache understands (for ``must-understand``).
_UNDERSTOOD = frozenset(
    {200, 203, 204, 300, 301, 302, 303, 307, 308, 400, 403, 404, 405, 410, 414, 451, 501}
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Header fields never stored or replayed (RFC 9111 section 3.1, RFC 9110 section 7.6.1).
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "transfer-encoding",
        "upgrade",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-authentication-info",
        "trailer",
    }
)
# Header fields a 304 must not overwrite in the stored response (RFC 9111 section 3.2).
_NOT_UPDATED = frozenset(
    {"content-length", "content-encoding", "content-range", "content-md5", "etag"}
)
_WS = re.compile(r"\s+")
_FIELD_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")


@dataclass(frozen=True, slots=True)
class CacheRule:
    """Force-cache a URL pattern for ``ttl`` seconds, whatever the server says.

    For APIs that send no cache headers, or wrong ones. ``pattern`` is a shell-style glob
    matched against the whole URL (``*`` crosses slashes). A matching successful ``GET``
    response is stored even without (or against) its own directives, and is fresh for
    ``ttl`` seconds; the request's own directives (``no-cache``, ``max-age``...) still apply.

    >>> from bricolage.http import CacheRule
    >>> rule = CacheRule("https://api.example.com/v1/countries*", ttl=3600)
    >>> rule.matches("https://api.example.com/v1/countries?page=2")
    True
    >>> rule.matches("https://api.example.com/v1/users")
    False
    """

    pattern: str
    ttl: float
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.pattern:
            raise PolicyError("CacheRule pattern must not be empty")
        if not self.ttl > 0:
            raise PolicyError(f"CacheRule ttl must be positive, got {self.ttl!r}")
        object.__setattr__(self, "_regex", re.compile(fnmatch.translate(self.pattern)))

    def matches(self, url: str) -> bool:
        """Whether ``url`` falls under this rule.

        >>> from bricolage.http import CacheRule
        >>> CacheRule("*/static/*", ttl=60).matches("http://a.test/static/app.js")
        True
        """
        return self._regex.match(url) is not None


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """How a cache behaves: private or shared, heuristics, limits and overrides.

    Args:
        shared: act as a shared cache (``s-maxage``, ``proxy-revalidate``, ``private`` and
            ``Authorization`` rules apply). The default is a private cache, as a client is.
        heuristic_fraction: the fraction of ``Date - Last-Modified`` used as freshness
            lifetime when the response gives none (RFC 9111 section 4.2.2).
        heuristic_max: the cap, in seconds, of a heuristic freshness lifetime.
        max_body_size: bodies larger than this many bytes stream through unstored.
        max_variants: how many ``Vary`` variants of one URL are kept.
        rules: force-cache overrides (:class:`CacheRule`), first match wins.
        stale_if_disconnected: when the origin cannot be reached at all, serve a stale
            stored response even without ``stale-if-error`` (RFC 9111 section 4.2.4 allows a
            disconnected cache to), unless a directive forbids it. Off by default: a client
            usually prefers the error.
        revalidate_in_background: serve within ``stale-while-revalidate`` and refresh in the
            background; when false the refresh is made before answering.
        targets: targeted cache-control fields this shared cache obeys, most specific
            first (RFC 9213), such as ``("CDN-Cache-Control",)`` or
            ``("Surrogate-Control", "CDN-Cache-Control")``. The first valid one present in a
            response replaces its ``Cache-Control`` and ``Expires`` for this cache (see
            :func:`~bricolage.http.rfc9111.targeted_cache_control`). Off (empty) by
            default; shared caches only.

    >>> from bricolage.http import CachePolicy
    >>> CachePolicy(shared=True, targets=("CDN-Cache-Control",)).targets
    ('CDN-Cache-Control',)
    >>> CachePolicy().shared
    False
    >>> CachePolicy(max_body_size=-1)
    Traceback (most recent call last):
    ...
    bricolage.http.errors.PolicyError: max_body_size must be >= 0, got -1
    """

    shared: bool = False
    heuristic_fraction: float = 0.1
    heuristic_max: float = 86400.0
    max_body_size: int = 16 * 1024 * 1024
    max_variants: int = 8
    rules: tuple[CacheRule, ...] = ()
    revalidate_in_background: bool = True
    stale_if_disconnected: bool = False
    targets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.heuristic_fraction <= 1.0:
            raise PolicyError(
                f"heuristic_fraction must be between 0 and 1, got {self.heuristic_fraction!r}"
            )
        if self.heuristic_max < 0:
            raise PolicyError(f"heuristic_max must be >= 0, got {self.heuristic_max!r}")
        if self.max_body_size < 0:
            raise PolicyError(f"max_body_size must be >= 0, got {self.max_body_size!r}")
        if self.max_variants < 1:
            raise PolicyError(f"max_variants must be >= 1, got {self.max_variants!r}")
        object.__setattr__(self, "rules", tuple(self.rules))
        object.__setattr__(self, "targets", tuple(self.targets))
        for target in self.targets:
            if not _FIELD_NAME.fullmatch(str(target)):
                raise PolicyError(f"targets must be header field names, got {target!r}")
        if self.targets and not self.shared:
            raise PolicyError(
                f"targets={self.targets!r} are for shared caches only: "
                "use CachePolicy(shared=True, targets=...)"
            )

    def rule_for(self, url: str) -> CacheRule | None:
        """The first :class:`CacheRule` that matches ``url``, if any.

        >>> from bricolage.http import CachePolicy, CacheRule
        >>> policy = CachePolicy(rules=(CacheRule("*.json", ttl=5),))
        >>> policy.rule_for("http://a.test/x.json").ttl
        5
        """
        for rule in self.rules:
            if rule.matches(url):
                return rule
        return None


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A stored response with what the cache computed when storing it.

    ``freshness_lifetime`` and ``initial_age`` (the corrected initial age of RFC 9111
    section 4.2.3) are fixed at storage time; the current age is
    ``initial_age + (now - response_time)``. ``vary`` holds the request header values the
    response was selected by. Build one with :func:`make_entry`.

    >>> from bricolage.http import CachePolicy
    >>> from bricolage.http.rfc9111 import current_age, make_entry
    >>> entry = make_entry(
    ...     url="http://a.test/", request_headers={}, status=200,
    ...     headers=[("Cache-Control", "max-age=60")], body=b"hi",
    ...     request_time=100.0, response_time=100.0, policy=CachePolicy())
    >>> entry.freshness_lifetime, current_age(entry, now=130.0)
    (60.0, 30.0)
    """

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    request_time: float
    response_time: float
    freshness_lifetime: float
    initial_age: float
    vary: tuple[tuple[str, str], ...] = ()
    forced: bool = False
    cache_control: CacheControl = field(default_factory=CacheControl, compare=False)
    target: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``.

        >>> from bricolage.http import CachedResponse
        >>> CachedResponse("u", 200, (("ETag", '"v1"'),), b"", 0, 0, 0, 0).header("etag")
        '"v1"'
        """
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    @property
    def size(self) -> int:
        """Approximate bytes held by this entry (body, headers, bookkeeping).

        >>> from bricolage.http import CachedResponse
        >>> CachedResponse("u", 200, (), b"x" * 10, 0, 0, 0, 0).size
        211
        """
        return (
            len(self.body)
            + sum(len(k) + len(v) for k, v in self.headers)
            + sum(len(k) + len(v) for k, v in self.vary)
            + len(self.url)
            + 200
        )


class CacheAction(enum.Enum):
    """What the cache does with a request, as decided by :func:`decide`.

    >>> from bricolage.http.rfc9111 import CacheAction
    >>> CacheAction.HIT.value
    'hit'
    """

    #: A fresh stored response is served.
    HIT = "hit"
    #: A stale stored response is served because the request allows it (``max-stale``).
    STALE = "stale"
    #: A stale response is served and refreshed in the background (``stale-while-revalidate``).
    STALE_WHILE_REVALIDATE = "stale-while-revalidate"
    #: The stored response must be validated with the origin before use.
    REVALIDATE = "revalidate"
    #: No usable response is stored, so the request is forwarded.
    MISS = "miss"
    #: The request says ``only-if-cached`` and nothing usable is stored (a ``504``).
    GATEWAY_TIMEOUT = "gateway-timeout"


@dataclass(frozen=True, slots=True)
class CacheDecision:
    """The outcome of :func:`decide`: an action, the entry it concerns, its age, and why.

    >>> from bricolage.http import CachePolicy
    >>> from bricolage.http.rfc9111 import CacheControl, decide_cache_use
    >>> decide_cache_use(None, request_cc=CacheControl(), now=0.0, policy=CachePolicy()).action
    <CacheAction.MISS: 'miss'>
    """

    action: CacheAction
    entry: CachedResponse | None
    age: float
    reason: str


def cache_key(method: str, url: str) -> str:
    """The primary cache key: the method (``HEAD`` is served from ``GET``) and the URL.

    >>> from bricolage.http.rfc9111 import cache_key
    >>> cache_key("HEAD", "http://a.test/x?q=1")
    'GET http://a.test/x?q=1'
    """
    if method == "HEAD":
        method = "GET"
    return f"{method} {url}"


def _header_lines(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k.lower() == name]


def _vary_names(headers: Iterable[tuple[str, str]]) -> list[str] | None:
    """Lowercase names listed by ``Vary``; ``None`` means ``Vary: *``."""
    names: list[str] = []
    for line in _header_lines(headers, "vary"):
        for part in line.split(","):
            name = part.strip().lower()
            if name == "*":
                return None
            if name and name not in names:
                names.append(name)
    return names


def vary_values(
    names: Iterable[str], request_headers: Mapping[str, str] | httpx.Headers
) -> tuple[tuple[str, str], ...]:
    """The normalised request header values a response varies on (RFC 9111 section 4.1).

    Lines are combined with ``", "`` and runs of whitespace collapse, so equivalent
    requests select the same stored variant.

    >>> from bricolage.http.rfc9111 import vary_values
    >>> vary_values(["accept-language"], {"Accept-Language": "en,   fr"})
    (('accept-language', 'en, fr'),)
    """
    headers = (
        request_headers
        if isinstance(request_headers, httpx.Headers)
        else httpx.Headers(request_headers)
    )
    result = []
    for name in names:
        values = headers.get_list(name)
        combined = ", ".join(_WS.sub(" ", v.strip()) for v in values)
        result.append((name, combined))
    return tuple(result)


def select_variant(
    variants: Sequence[CachedResponse], request_headers: Mapping[str, str] | httpx.Headers
) -> CachedResponse | None:
    """The most recent stored variant whose ``Vary`` values match the request.

    >>> from bricolage.http import CachePolicy
    >>> from bricolage.http.rfc9111 import make_entry, select_variant
    >>> policy = CachePolicy()
    >>> en = make_entry(url="u", request_headers={"Accept-Language": "en"}, status=200,
    ...     headers=[("Vary", "Accept-Language"), ("Cache-Control", "max-age=9")], body=b"en",
    ...     request_time=0, response_time=0, policy=policy)
    >>> select_variant([en], {"Accept-Language": "en"}).body
    b'en'
    >>> select_variant([en], {"Accept-Language": "fr"}) is None
    True
    """
    for entry in variants:
        if not entry.vary:
            return entry
        if vary_values((name for name, _ in entry.vary), request_headers) == entry.vary:
            return entry
    return None


def corrected_initial_age(
    *, age_value: float, date_value: float | None, request_time: float, response_time: float
) -> float:
    """The corrected initial age of RFC 9111 section 4.2.3.

    ``age_value`` is the received ``Age`` (0 if absent); ``date_value`` the ``Date``
    (``None`` if absent or invalid, read as ``response_time``).

    >>> from bricolage.http.rfc9111 import corrected_initial_age
    >>> corrected_initial_age(age_value=5, date_value=90.0, request_time=98.0,
    ...                       response_time=100.0)
    10.0
    """
    date = response_time if date_value is None else date_value
    apparent_age = max(0.0, response_time - date)
    response_delay = max(0.0, response_time - request_time)
    corrected_age_value = age_value + response_delay
    return float(max(apparent_age, corrected_age_value))


def current_age(entry: CachedResponse, now: float) -> float:
    """The current age of a stored response at ``now`` (RFC 9111 section 4.2.3).

    >>> from bricolage.http import CachedResponse
    >>> from bricolage.http.rfc9111 import current_age
    >>> entry = CachedResponse("u", 200, (), b"", 0.0, 10.0, 60.0, 3.0)
    >>> current_age(entry, now=15.0)
    8.0
    """
    return entry.initial_age + max(0.0, now - entry.response_time)


def freshness_lifetime(
    *,
    cache_control: CacheControl,
    status: int,
    date_value: float | None,
    expires: str | None,
    has_expires: bool,
    last_modified: float | None,
    response_time: float,
    policy: CachePolicy,
) -> float:
    """The freshness lifetime of a response, in seconds (RFC 9111 section 4.2.1, 4.2.2).

    ``s-maxage`` (shared caches only), then ``max-age``, then ``Expires - Date`` (an invalid
    ``Expires`` means already expired), then the heuristic from ``Last-Modified`` for
    heuristically cacheable statuses, else ``0``.

    >>> from bricolage.http import CachePolicy
    >>> from bricolage.http.rfc9111 import CacheControl, freshness_lifetime
    >>> from bricolage.http.rfc9111 import parse_cache_control
    >>> freshness_lifetime(cache_control=parse_cache_control("max-age=60, s-maxage=5"),
    ...     status=200, date_value=None, expires=None, has_expires=False,
    ...     last_modified=None, response_time=0.0, policy=CachePolicy())
    60.0
    >>> freshness_lifetime(cache_control=CacheControl(), status=200, date_value=1000.0,
    ...     expires=None, has_expires=False, last_modified=0.0, response_time=1000.0,
    ...     policy=CachePolicy())
    100.0
    """
    if policy.shared and cache_control.s_maxage is not None:
        return float(cache_control.s_maxage)
    if cache_control.max_age is not None:
        return float(cache_control.max_age)
    date = response_time if date_value is None else date_value
    if has_expires:
        expires_value = parse_http_date(expires)
        if expires_value is None:
            return 0.0
        return max(0.0, expires_value - date)
    if last_modified is not None and (status in HEURISTICALLY_CACHEABLE or cache_control.public):
        heuristic = max(0.0, date - last_modified) * policy.heuristic_fraction
        return min(heuristic, policy.heuristic_max)
    return 0.0


def why_not_storable(
    *,
    method: str,
    request_cc: CacheControl,
    request_has_authorization: bool,
    status: int,
    response_headers: Sequence[tuple[str, str]],
    policy: CachePolicy,
    rule: CacheRule | None = None,
) -> str | None:
    """Why a response may not be stored (RFC 9111 section 3), or ``None`` if it may.

    The reason is the answer to "why was this not cached?".

    >>> from bricolage.http import CachePolicy
    >>> from bricolage.http.rfc9111 import CacheControl, why_not_storable
    >>> why_not_storable(method="GET", request_cc=CacheControl(),
    ...     request_has_authorization=False, status=200,
    ...     response_headers=[("Cache-Control", "no-store")], policy=CachePolicy())
    'the response says no-store'
    >>> why_not_storable(method="POST", request_cc=CacheControl(),
    ...     request_has_authorization=False, status=200,
    ...     response_headers=[("Cache-Control", "max-age=60")], policy=CachePolicy())
    'method POST is not cached'
    """
    if method != "GET":
        return f"method {method} is not cached"
    if request_cc.no_store:
        return "the request says no-store"
    if status < 200 or status == 304:
        return f"status {status} is not a storable final response"
    if status == 206:
        return "partial content (206) is not stored"
    if _vary_names(response_headers) is None:
        return "the response varies on * (Vary: *)"
    if rule is not None:
        return (
            None
            if 200 <= status < 300 or status in HEURISTICALLY_CACHEABLE
            else (f"status {status} is not force-cached")
        )
    cc, target = _response_cache_control(response_headers, policy.targets)
    if cc.must_understand:
        if status not in _UNDERSTOOD:
            return f"must-understand and status {status} is not understood"
    elif cc.no_store:
        return "the response says no-store"
    if policy.shared and cc.private and not cc.private_fields:
        return "the response is private and this cache is shared"
    if (
        policy.shared
        and request_has_authorization
        and not (cc.must_revalidate or cc.public or cc.s_maxage is not None)
    ):
        return "the request carries Authorization and the response does not allow sharing"
    if (
        cc.public
        or (cc.private and not policy.shared)
        or cc.max_age is not None
        or (policy.shared and cc.s_maxage is not None)
        or (target is None and any(k.lower() == "expires" for k, _ in response_headers))
        or status in HEURISTICALLY_CACHEABLE
    ):
        return None
    return f"status {status} has no explicit freshness and is not heuristically cacheable"


def make_entry(
    *,
    url: str,
    request_headers: Mapping[str, str] | httpx.Headers,
    status: int,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    request_time: float,
    response_time: float,
    policy: CachePolicy,
    rule: CacheRule | None = None,
) -> CachedResponse:
    """Build the :class:`CachedResponse` to store for a response.

    Hop-by-hop fields and the fields named by ``no-cache="..."`` (and, in a shared cache,
    ``private="..."``) are removed; freshness and initial age are computed now.

    >>> from bricolage.http import CachePolicy
    >>> from bricolage.http.rfc9111 import make_entry
    >>> entry = make_entry(url="u", request_headers={}, status=200,
    ...     headers=[("Connection", "close"), ("Cache-Control", "max-age=5"), ("Age", "2")],
    ...     body=b"", request_time=0.0, response_time=1.0, policy=CachePolicy())
    >>> entry.headers, entry.initial_age
    ((('Cache-Control', 'max-age=5'), ('Age', '2')), 3.0)
    """
    cc, target = _response_cache_control(headers, policy.targets)
    dropped = set(_HOP_BY_HOP)
    for line in _header_lines(headers, "connection"):
        dropped.update(p.strip().lower() for p in line.split(","))
    dropped |= cc.no_cache_fields
    if policy.shared:
        dropped |= cc.private_fields
    kept = tuple((k, v) for k, v in headers if k.lower() not in dropped)
    date_value = parse_http_date(_first(kept, "date"))
    age_value = float(parse_age(_header_lines(kept, "age")) or 0)
    initial_age = corrected_initial_age(
        age_value=age_value,
        date_value=date_value,
        request_time=request_time,
        response_time=response_time,
    )
    if rule is not None:
        lifetime = float(rule.ttl)
        initial_age = 0.0
    else:
        expires_lines = _header_lines(kept, "expires")
        lifetime = freshness_lifetime(
            cache_control=cc,
            status=status,
            date_value=date_value,
            # Several Expires lines make the field invalid: already expired.
            expires=expires_lines[0] if len(expires_lines) == 1 and target is None else None,
            has_expires=bool(expires_lines) and target is None,
            last_modified=parse_http_date(_first(kept, "last-modified")),
            response_time=response_time,
            policy=policy,
        )
    names = _vary_names(kept) or []
    return CachedResponse(
        url=url,
        status=status,
        headers=kept,
        body=body,
        request_time=request_time,
        response_time=response_time,
        freshness_lifetime=lifetime,
        initial_age=initial_age,
        vary=vary_values(names, request_headers) if names else (),
        forced=rule is not None,
        cache_control=cc,
        target=target,
    )


def _first(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def decide_cache_use(
    entry: CachedResponse | None,
    *,
    request_cc: CacheControl,
    now: float,
    policy: CachePolicy,
    pragma_no_cache: bool = False,
) -> CacheDecision:
    """Decide how to answer a request given the stored response that matches it.

    Implements RFC 9111 section 4 (freshness, request directives, ``must-revalidate``,
    ``proxy-revalidate``, ``no-cache``, ``only-if-cached``), RFC 8246 ``immutable`` (a fresh
    immutable response ignores a request ``max-age``) and RFC 5861
    ``stale-while-revalidate``. ``pragma_no_cache`` is ``Pragma: no-cache`` on a request
    without ``Cache-Control``.

    >>> from bricolage.http import CachePolicy, CachedResponse
    >>> from bricolage.http.rfc9111 import CacheControl, decide_cache_use
    >>> entry = CachedResponse("u", 200, (), b"", 0.0, 0.0, 60.0, 0.0)
    >>> decide_cache_use(entry, request_cc=CacheControl(), now=30.0, policy=CachePolicy()).action
    <CacheAction.HIT: 'hit'>
    >>> decide_cache_use(entry, request_cc=CacheControl(), now=61.0, policy=CachePolicy()).action
    <CacheAction.REVALIDATE: 'revalidate'>
    """
    if entry is None:
        if request_cc.only_if_cached:
            return CacheDecision(
                CacheAction.GATEWAY_TIMEOUT, None, 0.0, "only-if-cached and nothing stored"
            )
        return CacheDecision(CacheAction.MISS, None, 0.0, "nothing stored for this request")
    age = current_age(entry, now)
    lifetime = entry.freshness_lifetime
    rcc = entry.cache_control
    result = _decide_stored(entry, age, lifetime, rcc, request_cc, policy, pragma_no_cache)
    if request_cc.only_if_cached and result.action is CacheAction.REVALIDATE:
        return CacheDecision(
            CacheAction.GATEWAY_TIMEOUT, entry, age, f"only-if-cached but {result.reason}"
        )
    return result


def _decide_stored(
    entry: CachedResponse,
    age: float,
    lifetime: float,
    rcc: CacheControl,
    request_cc: CacheControl,
    policy: CachePolicy,
    pragma_no_cache: bool,
) -> CacheDecision:
    if not entry.forced and rcc.no_cache and not rcc.no_cache_fields:
        return CacheDecision(
            CacheAction.REVALIDATE, entry, age, "the stored response says no-cache"
        )
    if request_cc.no_cache or pragma_no_cache:
        return CacheDecision(CacheAction.REVALIDATE, entry, age, "the request says no-cache")
    fresh = lifetime > age
    if fresh:
        immutable = rcc.immutable and not entry.forced
        if request_cc.max_age is not None and age > request_cc.max_age and not immutable:
            return CacheDecision(
                CacheAction.REVALIDATE,
                entry,
                age,
                f"age {age:.0f}s exceeds the request's max-age={request_cc.max_age}",
            )
        if request_cc.min_fresh is not None and lifetime - age < request_cc.min_fresh:
            return CacheDecision(
                CacheAction.REVALIDATE,
                entry,
                age,
                f"fresh for {lifetime - age:.0f}s, less than min-fresh={request_cc.min_fresh}",
            )
        return CacheDecision(CacheAction.HIT, entry, age, "fresh")
    staleness = age - lifetime
    if _must_revalidate(entry, policy):
        return CacheDecision(CacheAction.REVALIDATE, entry, age, "stale and must be revalidated")
    age_ok = request_cc.max_age is None or age <= request_cc.max_age
    if age_ok and (
        request_cc.max_stale_any
        or (request_cc.max_stale is not None and staleness <= request_cc.max_stale)
    ):
        return CacheDecision(
            CacheAction.STALE, entry, age, "stale, within the request's max-stale"
        )
    swr = rcc.stale_while_revalidate
    if swr is not None and staleness <= swr and request_cc.max_age is None:
        return CacheDecision(
            CacheAction.STALE_WHILE_REVALIDATE,
            entry,
            age,
            f"stale by {staleness:.0f}s, within stale-while-revalidate={swr}",
        )
    return CacheDecision(CacheAction.REVALIDATE, entry, age, f"stale by {staleness:.0f}s")


def _must_revalidate(entry: CachedResponse, policy: CachePolicy) -> bool:
    if entry.forced:
        return False
    rcc = entry.cache_control
    return rcc.must_revalidate or (
        policy.shared and (rcc.proxy_revalidate or rcc.s_maxage is not None)
    )


def serve_stale_on_error(
    entry: CachedResponse,
    *,
    request_cc: CacheControl,
    now: float,
    policy: CachePolicy,
    disconnected: bool = False,
) -> bool:
    """Whether ``entry`` may be served because the origin failed (RFC 5861 section 4).

    A fresh entry may be served; a stale one within ``stale-if-error`` (from the response or
    the request). ``disconnected`` says the origin could not be reached at all (rather than
    answering 5xx): with ``CachePolicy(stale_if_disconnected=True)`` any stale entry may then
    be served (RFC 9111 section 4.2.4), unless the request asks for validation. Never when
    the stored response says ``no-cache`` or must be revalidated.

    >>> from bricolage.http import CachePolicy
    >>> from bricolage.http.rfc9111 import CacheControl, make_entry, serve_stale_on_error
    >>> from bricolage.http.rfc9111 import parse_cache_control
    >>> entry = make_entry(url="u", request_headers={}, status=200,
    ...     headers=[("Cache-Control", "max-age=10, stale-if-error=60")], body=b"",
    ...     request_time=0.0, response_time=0.0, policy=CachePolicy())
    >>> serve_stale_on_error(entry, request_cc=CacheControl(), now=50.0, policy=CachePolicy())
    True
    >>> serve_stale_on_error(entry, request_cc=CacheControl(), now=80.0, policy=CachePolicy())
    False
    """
    rcc = entry.cache_control
    if not entry.forced and rcc.no_cache and not rcc.no_cache_fields:
        return False
    age = current_age(entry, now)
    staleness = age - entry.freshness_lifetime
    if staleness < 0:
        return True
    if _must_revalidate(entry, policy):
        return False
    windows = [w for w in (rcc.stale_if_error, request_cc.stale_if_error) if w is not None]
    if windows and staleness <= max(windows):
        return True
    return (
        disconnected
        and policy.stale_if_disconnected
        and not request_cc.no_cache
        and request_cc.max_age is None
    )


def conditional_headers(entry: CachedResponse) -> dict[str, str]:
    """The validators to send when revalidating ``entry`` (RFC 9111 section 4.3.1).

    >>> from bricolage.http import CachedResponse
    >>> from bricolage.http.rfc9111 import conditional_headers
    >>> entry = CachedResponse("u", 200, (("ETag", '"a"'), ("Last-Modified",
    ...     "Sun, 06 Nov 1994 08:49:37 GMT")), b"", 0, 0, 0, 0)
    >>> conditional_headers(entry)
    {'If-None-Match': '"a"', 'If-Modified-Since': 'Sun, 06 Nov 1994 08:49:37 GMT'}
    """
    result: dict[str, str] = {}
    etag = entry.header("etag")
    if etag is not None:
        result["If-None-Match"] = etag
    last_modified = entry.header("last-modified")
    if last_modified is not None:
        result["If-Modified-Since"] = last_modified
    return result


def _weak_equal(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return a.strip().removeprefix("W/") == b.strip().removeprefix("W/")


def merge_not_modified(
    entry: CachedResponse,
    *,
    headers: Sequence[tuple[str, str]],
    request_time: float,
    response_time: float,
    policy: CachePolicy,
) -> CachedResponse | None:
    """Freshen ``entry`` with a ``304 Not Modified`` (RFC 9111 sections 3.2 and 4.3.4).

    Header fields of the 304 replace the stored ones (except framing fields such as
    ``Content-Length``); freshness and age are recomputed. Returns ``None`` when the 304's
    validator names another representation, so ``entry`` must not be updated.

    >>> from bricolage.http import CachePolicy
    >>> from bricolage.http.rfc9111 import make_entry, merge_not_modified
    >>> entry = make_entry(url="u", request_headers={}, status=200,
    ...     headers=[("ETag", '"a"'), ("Cache-Control", "max-age=1"),
    ...              ("Content-Length", "2")],
    ...     body=b"ok", request_time=0, response_time=0, policy=CachePolicy())
    >>> new = merge_not_modified(entry, headers=[("ETag", '"a"'),
    ...     ("Cache-Control", "max-age=99"), ("Content-Length", "0")],
    ...     request_time=50, response_time=50, policy=CachePolicy())
    >>> new.freshness_lifetime, new.header("content-length"), new.body
    (99.0, '2', b'ok')
    """
    new_etag = _first(headers, "etag")
    if new_etag is not None and not _weak_equal(new_etag, entry.header("etag")):
        return None
    replaced = {k.lower() for k, _ in headers} - _NOT_UPDATED - _HOP_BY_HOP
    merged = [(k, v) for k, v in entry.headers if k.lower() not in replaced]
    merged.extend((k, v) for k, v in headers if k.lower() in replaced)
    rebuilt = make_entry(
        url=entry.url,
        request_headers={},
        status=entry.status,
        headers=merged,
        body=entry.body,
        request_time=request_time,
        response_time=response_time,
        policy=policy,
        rule=None,
    )
    if entry.forced:
        rebuilt = replace(
            rebuilt, freshness_lifetime=entry.freshness_lifetime, initial_age=0.0, forced=True
        )
    return replace(rebuilt, vary=entry.vary)


def invalidation_urls(
    *, method: str, url: str, status: int, headers: Sequence[tuple[str, str]]
) -> list[str]:
    """The URLs whose stored responses an unsafe request invalidates (RFC 9111 4.4).

    A non-error response to an unsafe method invalidates the target URI and the URIs in
    ``Location`` and ``Content-Location`` when they share its origin.

    >>> from bricolage.http.rfc9111 import invalidation_urls
    >>> invalidation_urls(method="POST", url="http://a.test/items", status=201,
    ...     headers=[("Location", "/items/7"), ("Content-Location", "http://b.test/x")])
    ['http://a.test/items', 'http://a.test/items/7']
    >>> invalidation_urls(method="GET", url="http://a.test/", status=200, headers=[])
    []
    """
    if method in _SAFE_METHODS or not 200 <= status < 400:
        return []
    base = httpx.URL(url)
    urls = [url]
    for name in ("location", "content-location"):
        value = _first(headers, name)
        if not value:
            continue
        try:
            target = base.join(value.strip())
        except httpx.InvalidURL:
            continue
        if (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port):
            text = str(target.copy_with(fragment=None))
            if text not in urls:
                urls.append(text)
    return urls
