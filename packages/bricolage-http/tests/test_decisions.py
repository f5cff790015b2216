"""The pure decisions: directive parsing, freshness and age, storability, lookups."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import formatdate

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.http import (
    CachedResponse,
    CachePolicy,
    CacheRule,
    PolicyError,
)
from bricolage.http.rfc9111 import (
    DELTA_SECONDS_MAX,
    CacheAction,
    CacheControl,
    byte_range,
    cache_key,
    conditional_headers,
    corrected_initial_age,
    current_age,
    decide_cache_use,
    freshness_lifetime,
    invalidation_urls,
    make_entry,
    merge_not_modified,
    parse_age,
    parse_cache_control,
    parse_http_date,
    select_variant,
    serve_stale_on_error,
    targeted_cache_control,
    why_not_storable,
)

PRIVATE = CachePolicy()
SHARED = CachePolicy(shared=True)
seconds = st.integers(min_value=0, max_value=10**9)
times = st.floats(min_value=0, max_value=2e9, allow_nan=False)


def entry_with(
    headers: list[tuple[str, str]],
    *,
    at: float = 0.0,
    policy: CachePolicy = PRIVATE,
    status: int = 200,
) -> CachedResponse:
    return make_entry(
        url="http://a.test/",
        request_headers={},
        status=status,
        headers=headers,
        body=b"body",
        request_time=at,
        response_time=at,
        policy=policy,
    )


# --- Cache-Control parsing ---------------------------------------------------------------


@given(
    st.integers(min_value=0, max_value=2**40), st.sampled_from(["max-age", "MAX-AGE", "Max-Age"])
)
def test_max_age_round_trips_and_caps(value: int, name: str) -> None:
    cc = parse_cache_control(f"{name}={value}")
    assert cc.max_age == min(value, DELTA_SECONDS_MAX)


@given(
    st.lists(
        st.sampled_from(
            [
                "no-cache",
                "no-store",
                "public",
                "private",
                "immutable",
                "must-revalidate",
                "proxy-revalidate",
                "only-if-cached",
                "no-transform",
                "must-understand",
            ]
        ),
        unique=True,
    ),
    st.sampled_from([",", ", ", " ,", ",,"]),
)
def test_flags_parse_whatever_the_separators(flags: list[str], separator: str) -> None:
    cc = parse_cache_control(separator.join(flags))
    for flag in flags:
        assert getattr(cc, flag.replace("-", "_")) is True


@given(st.text(alphabet=st.characters(codec="latin-1"), max_size=60))
def test_parser_never_raises(text: str) -> None:
    assert isinstance(parse_cache_control(text), CacheControl)


def test_quoted_values_may_hold_commas() -> None:
    cc = parse_cache_control('private="Set-Cookie, X-Token", no-cache="a", max-age=5')
    assert cc.private_fields == {"set-cookie", "x-token"}
    assert cc.no_cache_fields == {"a"}
    assert cc.max_age == 5


def test_quoted_delta_seconds_and_escapes() -> None:
    assert parse_cache_control('max-age="30"').max_age == 30
    assert parse_cache_control('ext="a\\"b", max-age=1').extensions == (("ext", 'a"b'),)


def test_first_duplicate_wins_and_invalid_ages_are_stale() -> None:
    assert parse_cache_control("max-age=5, max-age=50").max_age == 5
    assert parse_cache_control("max-age=-1").max_age == 0
    assert parse_cache_control("s-maxage=x").s_maxage == 0
    assert parse_cache_control("stale-if-error=x").stale_if_error is None
    assert parse_cache_control("max-stale").max_stale_any
    assert parse_cache_control("max-stale=5").max_stale == 5
    assert parse_cache_control("").max_age is None


@given(times)
def test_http_date_round_trip(value: float) -> None:
    whole = float(int(value))
    assert parse_http_date(formatdate(whole, usegmt=True)) == whole


def test_invalid_dates() -> None:
    assert parse_http_date(None) is None
    assert parse_http_date("yesterday") is None
    assert parse_http_date("Sun, 06 Nov 1994 08:49:37 +0100") is None


def _forms(value: float) -> tuple[str, str, str]:
    t = time.gmtime(value)
    day, long_day = time.strftime("%a", t), time.strftime("%A", t)
    month = time.strftime("%b", t)
    clock = time.strftime("%H:%M:%S", t)
    return (
        f"{day}, {t.tm_mday:02d} {month} {t.tm_year:04d} {clock} GMT",
        f"{long_day}, {t.tm_mday:02d}-{month}-{t.tm_year % 100:02d} {clock} GMT",
        f"{day} {month} {t.tm_mday:2d} {clock} {t.tm_year:04d}",
    )


@given(st.integers(0, 3_000_000_000))
def test_the_three_date_forms_round_trip(value: int) -> None:
    imf, rfc850, asctime = _forms(value)
    assert parse_http_date(imf) == value
    assert parse_http_date(asctime) == value
    # The two-digit year is read within 50 years of "now".
    assert parse_http_date(rfc850, now=float(value)) == value


@given(
    st.integers(0, 3_000_000_000),
    st.sampled_from(
        [
            lambda d: d.replace("GMT", "UTC"),
            lambda d: d.replace("GMT", "+0000"),
            lambda d: d.replace(",", ""),
            lambda d: d.replace(" ", "  ", 1),
            lambda d: d.replace(":", ".", 1),
            lambda d: d.lower(),
            lambda d: d[:12] + d[14:],  # a two-digit year
            lambda d: d.replace(" ", "-", 2),
            lambda d: d + " GMT",
        ]
    ),
)
def test_mangled_imf_dates_are_invalid(value: int, mangle: Callable[[str], str]) -> None:
    imf = _forms(value)[0]
    mangled = mangle(imf)
    assert mangled != imf
    assert parse_http_date(mangled) is None


@pytest.mark.parametrize(
    "value",
    [
        "Thu, 01 Jan 2026 00:00:00 UTC",  # freshness-expires-invalid-utc
        "Thu, 01 Jan 2026 00:00:00 AEST",  # freshness-expires-invalid-aest
        "Thu, 01 Jan 26 00:00:00 GMT",  # freshness-expires-invalid-2-digit-year
        "Thu 01 Jan 2026 00:00:00 GMT",  # freshness-expires-invalid-no-comma
        "Thu,  01 Jan 2026 00:00:00 GMT",  # freshness-expires-invalid-multiple-spaces
        "Thu, 01-Jan-2026 00:00:00 GMT",  # freshness-expires-invalid-date-dashes
        "Thu, 01 Jan 2026 00.00.00 GMT",  # freshness-expires-invalid-time-periods
        "Thu, 01 Jan 2026 0:00:00 GMT",  # freshness-expires-invalid-1-digit-hour
        "Thu, 31 Feb 2026 00:00:00 GMT",
        "Thu, 01 Jan 2026 24:00:00 GMT",
    ],
)
def test_freshness_expires_invalid_dates_are_refused(value: str) -> None:
    assert parse_http_date(value) is None
    entry = entry_with([("Expires", value), ("Date", "Thu, 01 Jan 2026 00:00:00 GMT")])
    assert entry.freshness_lifetime == 0.0


def test_freshness_expires_invalid_multiple_lines() -> None:
    good = "Fri, 01 Jan 2100 00:00:00 GMT"
    assert entry_with([("Expires", good)]).freshness_lifetime > 0
    assert entry_with([("Expires", good), ("Expires", good)]).freshness_lifetime == 0.0


def test_rfc850_two_digit_years_follow_the_fifty_year_rule() -> None:
    now = 1_700_000_000.0  # 2023
    assert parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now=now) == 784111777.0
    assert time.gmtime(parse_http_date("Monday, 06-Nov-73 08:49:37 GMT", now=now)).tm_year == 2073
    assert time.gmtime(parse_http_date("Tuesday, 06-Nov-74 08:49:37 GMT", now=now)).tm_year == 1974


# --- age and freshness ---------------------------------------------------------------------


@given(age=seconds, date=times, request_time=times, delay=st.floats(0, 1e4))
def test_corrected_initial_age_is_never_below_the_received_age(
    age: int, date: float, request_time: float, delay: float
) -> None:
    response_time = request_time + delay
    initial = corrected_initial_age(
        age_value=age, date_value=date, request_time=request_time, response_time=response_time
    )
    assert initial >= age
    assert initial >= response_time - date - 1e-6
    assert initial >= 0


@given(initial=st.floats(0, 1e6), response_time=times, later=st.floats(0, 1e6))
def test_current_age_grows_with_time(initial: float, response_time: float, later: float) -> None:
    entry = CachedResponse("u", 200, (), b"", response_time, response_time, 60.0, initial)
    assert current_age(entry, response_time + later) == pytest.approx(initial + later, abs=1e-3)
    assert current_age(entry, response_time - 5) == initial  # a clock going back adds no age


@given(max_age=seconds, s_maxage=seconds)
def test_s_maxage_wins_in_shared_caches_only(max_age: int, s_maxage: int) -> None:
    cc = parse_cache_control(f"max-age={max_age}, s-maxage={s_maxage}")

    def lifetime(policy: CachePolicy) -> float:
        return freshness_lifetime(
            cache_control=cc,
            status=200,
            date_value=None,
            expires=None,
            has_expires=False,
            last_modified=None,
            response_time=0.0,
            policy=policy,
        )

    assert lifetime(PRIVATE) == min(max_age, DELTA_SECONDS_MAX)
    assert lifetime(SHARED) == min(s_maxage, DELTA_SECONDS_MAX)


@given(date=times, lifetime=st.integers(0, 10**7))
def test_expires_minus_date(date: float, lifetime: int) -> None:
    date = float(int(date))
    entry = entry_with(
        [
            ("Date", formatdate(date, usegmt=True)),
            ("Expires", formatdate(date + lifetime, usegmt=True)),
        ],
        at=date,
    )
    assert entry.freshness_lifetime == lifetime


def test_invalid_expires_is_already_expired() -> None:
    assert entry_with([("Expires", "0")]).freshness_lifetime == 0.0


@given(age=st.integers(0, 10**7), fraction=st.floats(0, 1), cap=st.floats(0, 1e6))
def test_heuristic_is_a_capped_fraction(age: int, fraction: float, cap: float) -> None:
    policy = CachePolicy(heuristic_fraction=fraction, heuristic_max=cap)
    now = 2e9
    entry = entry_with(
        [
            ("Date", formatdate(now, usegmt=True)),
            ("Last-Modified", formatdate(now - age, usegmt=True)),
        ],
        at=now,
        policy=policy,
    )
    assert entry.freshness_lifetime == pytest.approx(min(age * fraction, cap))


def test_heuristic_needs_a_heuristically_cacheable_status_or_public() -> None:
    headers = [("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")]
    assert entry_with(headers, status=201, at=1e9).freshness_lifetime == 0
    assert (
        entry_with([*headers, ("Cache-Control", "public")], status=201, at=1e9).freshness_lifetime
        > 0
    )


@given(lifetime=st.integers(0, 10**6), elapsed=st.integers(0, 2 * 10**6))
def test_fresh_exactly_while_age_is_below_lifetime(lifetime: int, elapsed: int) -> None:
    entry = entry_with([("Cache-Control", f"max-age={lifetime}")])
    lookup = decide_cache_use(entry, request_cc=CacheControl(), now=float(elapsed), policy=PRIVATE)
    assert (lookup.action is CacheAction.HIT) == (elapsed < lifetime)
    assert lookup.action in (CacheAction.HIT, CacheAction.REVALIDATE)


# --- storability -------------------------------------------------------------------------


def storable(
    headers: list[tuple[str, str]],
    *,
    status: int = 200,
    policy: CachePolicy = PRIVATE,
    request: str = "",
    auth: bool = False,
    method: str = "GET",
) -> str | None:
    return why_not_storable(
        method=method,
        request_cc=parse_cache_control(request or None),
        request_has_authorization=auth,
        status=status,
        response_headers=headers,
        policy=policy,
    )


def test_storability_rules() -> None:
    assert storable([("Cache-Control", "max-age=5")]) is None
    assert storable([]) is None  # 200 is heuristically cacheable
    assert storable([], status=201) is not None
    assert storable([("Cache-Control", "max-age=5")], status=500) is None
    assert storable([("Expires", "0")], status=302) is None
    assert "no-store" in (storable([], request="no-store") or "")
    assert "private" in (storable([("Cache-Control", "private")], policy=SHARED) or "")
    assert storable([("Cache-Control", "private")]) is None
    assert storable([("Cache-Control", "s-maxage=5")], status=201, policy=SHARED) is None
    assert "Authorization" in (
        storable([("Cache-Control", "max-age=5")], policy=SHARED, auth=True) or ""
    )
    assert storable([("Cache-Control", "max-age=5, public")], policy=SHARED, auth=True) is None
    assert storable([("Cache-Control", "max-age=5")], auth=True) is None  # private cache
    assert "Vary: *" in (storable([("Vary", "*")]) or "")
    assert "206" in (storable([], status=206) or "")
    assert "304" in (storable([], status=304) or "")
    assert "POST" in (storable([], method="POST") or "")


def test_must_understand_overrides_no_store_for_understood_statuses() -> None:
    assert storable([("Cache-Control", "no-store, must-understand, max-age=5")]) is None
    assert (
        storable([("Cache-Control", "no-store, must-understand, max-age=5")], status=299)
        is not None
    )


def test_force_cache_rule_ignores_the_response_directives() -> None:
    rule = CacheRule("http://a.test/*", ttl=30)
    reason = why_not_storable(
        method="GET",
        request_cc=CacheControl(),
        request_has_authorization=False,
        status=200,
        response_headers=[("Cache-Control", "no-store")],
        policy=PRIVATE,
        rule=rule,
    )
    assert reason is None
    assert (
        why_not_storable(
            method="GET",
            request_cc=CacheControl(),
            request_has_authorization=False,
            status=500,
            response_headers=[],
            policy=PRIVATE,
            rule=rule,
        )
        is not None
    )
    entry = make_entry(
        url="http://a.test/x",
        request_headers={},
        status=200,
        headers=[("Cache-Control", "no-cache, max-age=0")],
        body=b"",
        request_time=0,
        response_time=0,
        policy=PRIVATE,
        rule=rule,
    )
    assert (
        decide_cache_use(entry, request_cc=CacheControl(), now=29, policy=PRIVATE).action
        is CacheAction.HIT
    )
    assert (
        decide_cache_use(entry, request_cc=CacheControl(), now=31, policy=PRIVATE).action
        is CacheAction.REVALIDATE
    )


def test_bad_rules_and_policies_are_refused() -> None:
    with pytest.raises(PolicyError, match="ttl"):
        CacheRule("*", ttl=0)
    with pytest.raises(PolicyError, match="empty"):
        CacheRule("", ttl=1)
    with pytest.raises(PolicyError, match="heuristic_max"):
        CachePolicy(heuristic_max=-1)
    with pytest.raises(PolicyError, match="max_variants"):
        CachePolicy(max_variants=0)
    assert CachePolicy().rule_for("http://x") is None


def test_hop_by_hop_and_no_cache_fields_are_not_stored() -> None:
    entry = entry_with(
        [
            ("Connection", "x-hop"),
            ("X-Hop", "1"),
            ("Keep-Alive", "5"),
            ("Cache-Control", 'max-age=5, no-cache="set-cookie"'),
            ("Set-Cookie", "a=b"),
            ("X-Kept", "1"),
        ]
    )
    names = {k.lower() for k, _ in entry.headers}
    assert names == {"cache-control", "x-kept"}
    shared = entry_with(
        [("Cache-Control", 'max-age=5, private="x-user"'), ("X-User", "me")], policy=SHARED
    )
    assert shared.header("x-user") is None


# --- lookups -----------------------------------------------------------------------------


def lookup(
    headers: list[tuple[str, str]],
    now: float,
    request: str = "",
    policy: CachePolicy = PRIVATE,
    pragma: bool = False,
) -> CacheAction:
    entry = entry_with(headers, policy=policy)
    return decide_cache_use(
        entry,
        request_cc=parse_cache_control(request or None),
        now=now,
        policy=policy,
        pragma_no_cache=pragma,
    ).action


def test_request_directives() -> None:
    fresh = [("Cache-Control", "max-age=100")]
    assert lookup(fresh, 10) is CacheAction.HIT
    assert lookup(fresh, 10, "no-cache") is CacheAction.REVALIDATE
    assert lookup(fresh, 10, pragma=True) is CacheAction.REVALIDATE
    assert lookup(fresh, 10, "max-age=5") is CacheAction.REVALIDATE
    assert lookup(fresh, 10, "max-age=50") is CacheAction.HIT
    assert lookup(fresh, 10, "min-fresh=95") is CacheAction.REVALIDATE
    assert lookup(fresh, 10, "min-fresh=50") is CacheAction.HIT
    assert lookup(fresh, 150, "max-stale=60") is CacheAction.STALE
    assert lookup(fresh, 170, "max-stale=60") is CacheAction.REVALIDATE
    assert lookup(fresh, 10**6, "max-stale") is CacheAction.STALE
    assert lookup(fresh, 150, "max-stale=60, max-age=120") is CacheAction.REVALIDATE
    assert lookup(fresh, 150, "only-if-cached") is CacheAction.GATEWAY_TIMEOUT
    assert lookup(fresh, 10, "only-if-cached") is CacheAction.HIT
    miss = decide_cache_use(
        None, request_cc=parse_cache_control("only-if-cached"), now=0, policy=PRIVATE
    )
    assert miss.action is CacheAction.GATEWAY_TIMEOUT


def test_response_directives() -> None:
    assert lookup([("Cache-Control", "max-age=100, no-cache")], 1) is CacheAction.REVALIDATE
    assert lookup([("Cache-Control", 'max-age=100, no-cache="x"')], 1) is CacheAction.HIT
    must = [("Cache-Control", "max-age=10, must-revalidate")]
    assert lookup(must, 20, "max-stale") is CacheAction.REVALIDATE
    proxy = [("Cache-Control", "max-age=10, proxy-revalidate")]
    assert lookup(proxy, 20, "max-stale") is CacheAction.STALE
    assert lookup(proxy, 20, "max-stale", policy=SHARED) is CacheAction.REVALIDATE
    s_maxage = [("Cache-Control", "s-maxage=10")]
    assert lookup(s_maxage, 20, "max-stale", policy=SHARED) is CacheAction.REVALIDATE
    immutable = [("Cache-Control", "max-age=100, immutable")]
    assert lookup(immutable, 10, "max-age=0") is CacheAction.HIT
    assert lookup(immutable, 10, "no-cache") is CacheAction.REVALIDATE


@given(lifetime=st.integers(0, 1000), window=st.integers(0, 1000), elapsed=st.integers(0, 3000))
def test_stale_while_revalidate_window(lifetime: int, window: int, elapsed: int) -> None:
    action = lookup(
        [("Cache-Control", f"max-age={lifetime}, stale-while-revalidate={window}")], float(elapsed)
    )
    if elapsed < lifetime:
        assert action is CacheAction.HIT
    elif elapsed - lifetime <= window:
        assert action is CacheAction.STALE_WHILE_REVALIDATE
    else:
        assert action is CacheAction.REVALIDATE


@given(
    lifetime=st.integers(0, 1000),
    window=st.integers(0, 1000),
    elapsed=st.integers(0, 3000),
    must=st.booleans(),
)
def test_stale_if_error_window(lifetime: int, window: int, elapsed: int, must: bool) -> None:
    extra = ", must-revalidate" if must else ""
    entry = entry_with([("Cache-Control", f"max-age={lifetime}, stale-if-error={window}{extra}")])
    allowed = serve_stale_on_error(
        entry, request_cc=CacheControl(), now=float(elapsed), policy=PRIVATE
    )
    staleness = elapsed - lifetime
    assert allowed == (staleness < 0 or (not must and staleness <= window))


def test_request_stale_if_error() -> None:
    entry = entry_with([("Cache-Control", "max-age=1")])
    assert not serve_stale_on_error(entry, request_cc=CacheControl(), now=50, policy=PRIVATE)
    assert serve_stale_on_error(
        entry, request_cc=parse_cache_control("stale-if-error=100"), now=50, policy=PRIVATE
    )


def test_vary_selects_variants() -> None:
    policy = PRIVATE

    def variant(lang: str) -> CachedResponse:
        return make_entry(
            url="u",
            request_headers={"Accept-Language": lang},
            status=200,
            headers=[("Vary", "accept-language, Accept-Encoding"), ("Cache-Control", "max-age=5")],
            body=lang.encode(),
            request_time=0,
            response_time=0,
            policy=policy,
        )

    variants = [variant("en"), variant("fr")]
    assert select_variant(variants, {"accept-language": "fr"}) is variants[1]
    assert select_variant(variants, {"Accept-Language": "de"}) is None
    assert select_variant(variants, {"Accept-Language": "en", "Accept-Encoding": "gzip"}) is None
    assert select_variant([variant("en ,  fr")], {"Accept-Language": "en , fr"}) is not None


def test_validators_and_not_modified_merge() -> None:
    entry = entry_with(
        [
            ("ETag", 'W/"1"'),
            ("Cache-Control", "max-age=1"),
            ("X-Old", "a"),
            ("Content-Type", "text/plain"),
        ]
    )
    assert conditional_headers(entry) == {"If-None-Match": 'W/"1"'}
    merged = merge_not_modified(
        entry,
        headers=[
            ("ETag", '"1"'),
            ("Cache-Control", "max-age=60"),
            ("X-Old", "b"),
            ("Content-Type", "x/y"),
            ("Connection", "close"),
        ],
        request_time=100,
        response_time=100,
        policy=PRIVATE,
    )
    assert merged is not None
    assert merged.header("x-old") == "b"
    assert merged.header("content-type") == "x/y"
    assert merged.freshness_lifetime == 60
    assert (
        decide_cache_use(merged, request_cc=CacheControl(), now=150, policy=PRIVATE).action
        is CacheAction.HIT
    )
    assert (
        merge_not_modified(
            entry, headers=[("ETag", '"2"')], request_time=0, response_time=0, policy=PRIVATE
        )
        is None
    )
    forced = make_entry(
        url="u",
        request_headers={},
        status=200,
        headers=[],
        body=b"",
        request_time=0,
        response_time=0,
        policy=PRIVATE,
        rule=CacheRule("*", ttl=9),
    )
    again = merge_not_modified(forced, headers=[], request_time=5, response_time=5, policy=PRIVATE)
    assert again is not None
    assert again.forced
    assert again.freshness_lifetime == 9


def test_invalidation_urls() -> None:
    urls = invalidation_urls(
        method="DELETE",
        url="http://a.test/x/1",
        status=204,
        headers=[("Location", "../y"), ("Content-Location", "/x/1")],
    )
    assert urls == ["http://a.test/x/1", "http://a.test/y"]
    assert invalidation_urls(method="PUT", url="http://a.test/", status=500, headers=[]) == []
    assert invalidation_urls(
        method="POST", url="http://a.test/", status=200, headers=[("Location", "http://[bad")]
    ) == ["http://a.test/"]


def test_cache_key() -> None:
    assert cache_key("GET", "http://a/") == cache_key("HEAD", "http://a/")
    assert cache_key("OPTIONS", "http://a/") != cache_key("GET", "http://a/")


@pytest.mark.parametrize(
    ("suite_id", "ages", "expected"),
    [
        ("age-parse-nonnumeric", ["abc"], None),
        ("age-parse-negative", ["-7200"], None),
        ("age-parse-float", ["7200.0"], None),
        ("age-parse-large", ["2147483648"], 2**31),
        ("age-parse-larger", ["2147483649"], 2**31),
        ("age-parse-suffix", ["7200, 0"], 7200),
        ("age-parse-prefix", ["0, 7200"], 0),
        ("age-parse-suffix-twoline", ["7200", "0"], 7200),
        ("age-parse-prefix-twoline", ["0", "7200"], 0),
        ("age-parse-dup-0", ["0, 0"], 0),
        ("age-parse-dup-0-twoline", ["0", "0"], 0),
        ("age-parse-dup-old", ["3600", "3600"], 3600),
        ("age-parse-parameter", ["7200;foo=bar"], None),
    ],
)
def test_age_parse_reads_the_first_member_or_ignores_the_field(
    suite_id: str, ages: list[str], expected: int | None
) -> None:
    assert parse_age(ages) == expected, suite_id
    entry = entry_with([("Cache-Control", "max-age=3600"), *(("Age", a) for a in ages)])
    assert entry.initial_age == (expected or 0)


@given(st.lists(st.text(max_size=12), max_size=3))
def test_age_parse_is_total_and_bounded(lines: list[str]) -> None:
    value = parse_age(lines)
    assert value is None or 0 <= value <= 2**31


def test_a_valid_age_counts() -> None:
    entry = entry_with([("Cache-Control", "max-age=3600"), ("Age", "3000")])
    assert entry.initial_age == 3000
    assert (
        decide_cache_use(entry, request_cc=CacheControl(), now=599.0, policy=PRIVATE).action
        is CacheAction.HIT
    )
    assert decide_cache_use(
        entry, request_cc=CacheControl(), now=601.0, policy=PRIVATE
    ).action is (CacheAction.REVALIDATE)


def test_stale_when_disconnected_only_if_configured_and_allowed() -> None:
    entry = entry_with([("Cache-Control", "max-age=1")])
    allowing = CachePolicy(stale_if_disconnected=True)
    none = CacheControl()
    assert not serve_stale_on_error(
        entry, request_cc=none, now=50, policy=PRIVATE, disconnected=True
    )
    assert serve_stale_on_error(entry, request_cc=none, now=50, policy=allowing, disconnected=True)
    assert not serve_stale_on_error(entry, request_cc=none, now=50, policy=allowing)
    assert not serve_stale_on_error(
        entry,
        request_cc=parse_cache_control("no-cache"),
        now=50,
        policy=allowing,
        disconnected=True,
    )
    must = entry_with([("Cache-Control", "max-age=1, must-revalidate")])
    assert not serve_stale_on_error(
        must, request_cc=none, now=50, policy=allowing, disconnected=True
    )
    no_cache = entry_with([("Cache-Control", "max-age=100, no-cache, stale-if-error=60")])
    assert not serve_stale_on_error(
        no_cache, request_cc=none, now=5, policy=allowing, disconnected=True
    )


# --- targeted cache-control (RFC 9213) -------------------------------------------------------

CDN = CachePolicy(shared=True, targets=("CDN-Cache-Control",))


def cdn_storable(headers: list[tuple[str, str]], policy: CachePolicy = CDN) -> bool:
    reason = why_not_storable(
        method="GET",
        request_cc=CacheControl(),
        request_has_authorization=False,
        status=200,
        response_headers=headers,
        policy=policy,
    )
    return reason is None


def fresh_for(headers: list[tuple[str, str]], policy: CachePolicy = CDN) -> float:
    return entry_with(headers, policy=policy).freshness_lifetime


def _cdn(value: str) -> tuple[str, str]:
    return ("CDN-Cache-Control", value)


NO_STORE = ("Cache-Control", "no-store")
CC_99 = ("Cache-Control", "max-age=99")
LATER = ("Expires", "Fri, 01 Jan 2100 00:00:00 GMT")


@pytest.mark.parametrize(
    ("suite_id", "headers", "stored", "lifetime"),
    [
        ("cdn-max-age", [_cdn("max-age=3600")], True, 3600),
        ("cdn-max-age-max-plus", [_cdn("max-age=99999999999")], True, 2**31),
        ("cdn-max-age-extension", [_cdn("foobar, max-age=3600")], True, 3600),
        ("cdn-fresh-cc-nostore", [_cdn("max-age=99"), NO_STORE], True, 99),
        ("cdn-no-store-cc-fresh", [_cdn("no-store"), CC_99], False, 0),
        ("cdn-private", [_cdn("private"), CC_99], False, 0),
        ("cdn-max-age-0-expires", [_cdn("max-age=0"), LATER], True, 0),
        ("cdn-cc-invalid-sh-type-unknown", [_cdn("max-age=10000, &&&&&"), NO_STORE], False, 0),
        ("cdn-cc-invalid-sh-type-wrong", [_cdn('max-age="10000"'), NO_STORE], True, 0),
        ("cdn-max-age-case-insensitive", [_cdn("MaX-aGe=3600")], True, 0),
        (
            "cdn-max-age-space-before-equals",
            [("Cache-Control", "max-age=1"), _cdn("max-age =100")],
            True,
            1,
        ),
    ],
)
def test_cdn_cache_control_replaces_cache_control_when_valid(
    suite_id: str, headers: list[tuple[str, str]], stored: bool, lifetime: float
) -> None:
    assert cdn_storable(headers) is stored, suite_id
    if stored:
        assert fresh_for(headers) == lifetime, suite_id


def test_cdn_no_cache_revalidates_and_survives_the_storage_codec() -> None:
    from bricolage.http import decode_entries, encode_entries

    entry = entry_with(
        [("CDN-Cache-Control", "no-cache"), ("Cache-Control", "max-age=99")], policy=CDN
    )
    assert entry.target == "CDN-Cache-Control"
    decoded = decode_entries(encode_entries([entry]))[0]
    assert decoded.target == "CDN-Cache-Control"
    assert decoded.cache_control.no_cache
    action = decide_cache_use(decoded, request_cc=CacheControl(), now=1.0, policy=CDN).action
    assert action is CacheAction.REVALIDATE


def test_targets_are_off_by_default_and_for_shared_caches_only() -> None:
    headers = [("CDN-Cache-Control", "max-age=3600"), ("Cache-Control", "no-store")]
    assert not cdn_storable(headers, CachePolicy(shared=True))
    with pytest.raises(PolicyError, match=r"for shared caches only"):
        CachePolicy(targets=("CDN-Cache-Control",))
    with pytest.raises(PolicyError, match=r"header field names, got 'bad name'"):
        CachePolicy(shared=True, targets=("bad name",))


def test_surrogate_control_per_the_edge_architecture() -> None:
    policy = CachePolicy(shared=True, targets=("Surrogate-Control", "CDN-Cache-Control"))
    entry = entry_with(
        [
            ("Surrogate-Control", 'content="ESI/1.0", max-age=60+30, no-store;other'),
            ("CDN-Cache-Control", "max-age=5"),
            ("Cache-Control", "no-store"),
        ],
        policy=policy,
    )
    assert entry.target == "Surrogate-Control"
    assert entry.freshness_lifetime == 60
    assert entry.cache_control.stale_while_revalidate == 30
    assert not cdn_storable([("Surrogate-Control", "no-store-remote")], policy)
    # An unreadable Surrogate-Control falls through to the next target.
    assert (
        fresh_for(
            [("Surrogate-Control", "max-age=ten"), ("CDN-Cache-Control", "max-age=5")], policy
        )
        == 5
    )


@given(st.text(max_size=40))
def test_targeted_parsing_is_total(text: str) -> None:
    found = targeted_cache_control([("CDN-Cache-Control", text)], ["CDN-Cache-Control"])
    assert found is None or found[0] == "CDN-Cache-Control"


def test_structured_dictionary_details() -> None:
    def parsed(text: str) -> CacheControl | None:
        found = targeted_cache_control([("CDN-Cache-Control", text)], ["CDN-Cache-Control"])
        return None if found is None else found[1]

    assert parsed("max-age=60;a=1;b, no-cache, x=(1 2), y=?0, z=:AA==:, w=1.5") is not None
    assert parsed("max-age=60, ") is None
    assert parsed("max-age=60 junk") is None
    assert parsed("x=(1 2") is None
    assert parsed("max-age=60;A") is None
    assert parsed("max-age=60;a=&") is None
    assert parsed("max-age=-5") == CacheControl()
    assert parsed("   ") == CacheControl()
    assert parsed("private=?0").private is False  # type: ignore[union-attr]


@given(st.integers(0, 50), st.integers(0, 60), st.integers(1, 40))
def test_byte_ranges_stay_inside_the_body(first: int, last: int, length: int) -> None:
    for value in (f"bytes={first}-{last}", f"bytes={first}-", f"bytes=-{last}"):
        span = byte_range(value, length)
        if span is not None:
            assert 0 <= span[0] <= span[1] < length
    assert byte_range(f"bytes={first}-{last}", length) == (
        (first, min(last, length - 1)) if first < length and first <= last else None
    )


def test_byte_range_refuses_what_it_does_not_serve() -> None:
    assert byte_range(None, 10) is None
    assert byte_range("items=0-1", 10) is None
    assert byte_range("bytes=-0", 10) is None
    assert byte_range("bytes=-", 10) is None
    assert byte_range("bytes=0-1", 0) is None
    assert byte_range(" Bytes = 0-1 ", 10) == (0, 1)
    assert byte_range("bytes=-50", 10) == (0, 9)
