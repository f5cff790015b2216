"""The cache transports' flow, driven by scripted origins (``httpx.MockTransport``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import anyio
import httpx
import pytest

from bricolage.http import (
    AsyncCacheTransport,
    CachedResponse,
    CacheMetrics,
    CacheOutcome,
    CachePolicy,
    CacheRule,
    CacheTransport,
    MemoryStorage,
    StorageError,
    cache_outcome,
)
from bricolage.http.testing import FrozenClock

Handler = Callable[[httpx.Request], httpx.Response]


class Origin:
    """A scripted origin that records the requests it receives."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._handler = handler

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._handler(request)


def make(
    handler: Handler, **kwargs: object
) -> tuple[httpx.Client, Origin, FrozenClock, CacheTransport]:
    origin = Origin(handler)
    clock = FrozenClock(1_000_000.0)
    transport = CacheTransport(httpx.MockTransport(origin), clock=clock, **kwargs)  # type: ignore[arg-type]
    return httpx.Client(transport=transport), origin, clock, transport


def action(response: httpx.Response) -> str:
    outcome = cache_outcome(response)
    assert outcome is not None
    return outcome.action


def fixed(status: int = 200, body: bytes = b"body", **headers: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status, headers={k.replace("_", "-"): v for k, v in headers.items()}, content=body
        )

    return handler


def test_hit_sends_age_and_counts_metrics() -> None:
    client, origin, clock, transport = make(fixed(Cache_Control="max-age=60"))
    with client:
        assert action(client.get("http://a.test/")) == "miss"
        clock.advance(10)
        response = client.get("http://a.test/")
        assert action(response) == "hit"
        assert response.headers["age"] == "10"
        assert response.content == b"body"
        head = client.head("http://a.test/")
        assert action(head) == "hit"
        assert head.content == b""
    assert len(origin.requests) == 1
    snapshot = transport.metrics.snapshot()
    assert (snapshot.hits, snapshot.misses, snapshot.stored) == (2, 1, 1)
    assert snapshot.bytes_from_cache == 4


def test_not_cached_responses_say_why() -> None:
    client, origin, _, _ = make(fixed(Cache_Control="no-store"))
    with client:
        response = client.get("http://a.test/")
        outcome = cache_outcome(response)
        assert outcome is not None
        assert not outcome.stored
        assert outcome.reason == "the response says no-store"
        client.get("http://a.test/")
    assert len(origin.requests) == 2


def test_revalidation_with_etag_merges_the_304() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(
                304, headers={"ETag": '"v1"', "Cache-Control": "max-age=30", "X-New": "yes"}
            )
        return httpx.Response(
            200, headers={"ETag": '"v1"', "Cache-Control": "max-age=0"}, content=b"payload"
        )

    client, origin, clock, transport = make(handler)
    with client:
        client.get("http://a.test/")
        clock.advance(1)
        response = client.get("http://a.test/")
        assert action(response) == "revalidated"
        assert response.content == b"payload"
        assert response.headers["x-new"] == "yes"
        clock.advance(5)
        assert action(client.get("http://a.test/")) == "hit"
    assert [r.headers.get("if-none-match") for r in origin.requests] == [None, '"v1"']
    assert transport.metrics.snapshot().revalidations == 1


def test_user_conditionals_get_a_304_from_a_fresh_entry() -> None:
    client, origin, _, _ = make(
        fixed(
            Cache_Control="max-age=60", ETag='"e"', Last_Modified="Sun, 06 Nov 1994 08:49:37 GMT"
        )
    )
    with client:
        client.get("http://a.test/")
        response = client.get("http://a.test/", headers={"If-None-Match": 'W/"e", "x"'})
        assert response.status_code == 304
        assert response.content == b""
        other = client.get("http://a.test/", headers={"If-None-Match": '"zzz"'})
        assert other.status_code == 200
        since = client.get(
            "http://a.test/", headers={"If-Modified-Since": "Mon, 07 Nov 1994 08:49:37 GMT"}
        )
        assert since.status_code == 304
    assert len(origin.requests) == 1


def test_user_conditional_revalidation_passes_the_304_through() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match"):
            return httpx.Response(304, headers={"ETag": '"e"', "Cache-Control": "max-age=60"})
        return httpx.Response(
            200, headers={"ETag": '"e"', "Cache-Control": "no-cache"}, content=b"x"
        )

    client, _origin, _, _ = make(handler)
    with client:
        client.get("http://a.test/")
        response = client.get("http://a.test/", headers={"If-None-Match": '"e"'})
        assert response.status_code == 304
        assert action(response) == "revalidated"


def test_a_304_for_another_representation_refetches() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match"):
            return httpx.Response(304, headers={"ETag": '"other"'})
        return httpx.Response(
            200, headers={"ETag": '"e"', "Cache-Control": "max-age=0"}, content=b"x"
        )

    client, origin, clock, _ = make(handler)
    with client:
        client.get("http://a.test/")
        clock.advance(1)
        response = client.get("http://a.test/")
        assert response.status_code == 200
        assert response.content == b"x"
    assert len(origin.requests) == 3


def test_stale_if_error_on_500_and_connection_error() -> None:
    state = {"mode": "ok"}

    def handler(request: httpx.Request) -> httpx.Response:
        if state["mode"] == "500":
            return httpx.Response(500)
        if state["mode"] == "down":
            raise httpx.ConnectError("refused")
        return httpx.Response(
            200, headers={"Cache-Control": "max-age=10, stale-if-error=100"}, content=b"good"
        )

    client, _, clock, transport = make(handler)
    with client:
        client.get("http://a.test/")
        clock.advance(20)
        state["mode"] = "500"
        response = client.get("http://a.test/")
        assert action(response) == "stale-if-error"
        assert response.content == b"good"
        state["mode"] = "down"
        assert action(client.get("http://a.test/")) == "stale-if-error"
        clock.advance(200)
        with pytest.raises(httpx.ConnectError):
            client.get("http://a.test/")
    assert transport.metrics.snapshot().stale_served == 2


def test_stale_while_revalidate_in_the_background_once() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(
            200,
            headers={"Cache-Control": "max-age=10, stale-while-revalidate=60"},
            content=f"v{len(calls)}".encode(),
        )

    client, _origin, clock, transport = make(handler)
    with client:
        client.get("http://a.test/")
        clock.advance(20)
        stale = client.get("http://a.test/")
        assert action(stale) == "stale-while-revalidate"
        assert stale.content == b"v1"
        transport.wait_for_refreshes()
        fresh = client.get("http://a.test/")
        assert action(fresh) == "hit"
        assert fresh.content == b"v2"
    assert len(calls) == 2


def test_identical_refreshes_in_flight_are_made_once() -> None:
    client, _, clock, transport = make(fixed(Cache_Control="max-age=1, stale-while-revalidate=60"))
    with client:
        client.get("http://a.test/")
        clock.advance(5)
        transport._in_flight.add(f"GET http://a.test/\x00{()!r}")
        assert action(client.get("http://a.test/")) == "stale-while-revalidate"
        assert transport._threads == []


def test_swr_without_background_revalidates_first() -> None:
    client, origin, clock, _ = make(
        fixed(Cache_Control="max-age=1, stale-while-revalidate=60"),
        policy=CachePolicy(revalidate_in_background=False),
    )
    with client:
        client.get("http://a.test/")
        clock.advance(5)
        assert action(client.get("http://a.test/")) == "miss"
    assert len(origin.requests) == 2


def test_only_if_cached_answers_504() -> None:
    client, origin, _, _ = make(fixed())
    with client:
        response = client.get("http://a.test/", headers={"Cache-Control": "only-if-cached"})
        assert response.status_code == 504
        assert action(response) == "gateway-timeout"
    assert origin.requests == []


def test_unsafe_methods_invalidate_related_urls() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201, headers={"Location": "/items/1"})
        return httpx.Response(200, headers={"Cache-Control": "max-age=60"}, content=b"x")

    client, _origin, _, _ = make(handler)
    with client:
        client.get("http://a.test/items")
        client.get("http://a.test/items/1")
        post = client.post("http://a.test/items", content=b"new")
        assert action(post) == "bypass"
        assert "invalidated 2" in (cache_outcome(post) or CacheOutcome("", False, "")).reason
        assert action(client.get("http://a.test/items")) == "miss"
        assert action(client.get("http://a.test/items/1")) == "miss"


def test_vary_keeps_several_variants() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        lang = request.headers.get("accept-language", "")
        return httpx.Response(
            200,
            headers={"Vary": "Accept-Language", "Cache-Control": "max-age=60"},
            content=lang.encode(),
        )

    client, origin, _, _ = make(handler, policy=CachePolicy(max_variants=2))
    with client:
        for lang in ["en", "fr", "en", "fr", "de", "en"]:
            response = client.get("http://a.test/", headers={"Accept-Language": lang})
            assert response.content == lang.encode()
    # en, fr miss; en, fr hit; de miss (evicts en: two variants kept); en miss again
    assert [r.headers["accept-language"] for r in origin.requests] == ["en", "fr", "de", "en"]


def test_force_cache_rules_custom_keys_and_manual_invalidation() -> None:
    rule = CacheRule("http://a.test/countries*", ttl=100)
    client, origin, clock, transport = make(
        fixed(Cache_Control="no-store, no-cache"),
        policy=CachePolicy(rules=(rule,)),
        key=lambda request: request.url.path,
    )
    with client:
        client.get("http://a.test/countries?page=1")
        assert action(client.get("http://b.test/countries?page=2")) == "hit"  # key is the path
        transport.invalidate("http://a.test/countries")
        assert action(client.get("http://a.test/countries")) == "miss"
        clock.advance(101)
        assert action(client.get("http://a.test/countries")) == "miss"
    assert len(origin.requests) == 3


def test_large_bodies_stream_through_unstored() -> None:
    chunks = [b"x" * 1000] * 10

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Cache-Control": "max-age=60"}
        if request.url.path == "/known":
            headers["Content-Length"] = "10000"
        return httpx.Response(
            200,
            headers=headers,
            stream=httpx.ByteStream(b"".join(chunks))
            if request.url.path == "/known"
            else _Chunks(chunks),
        )

    client, _origin, _, transport = make(handler, policy=CachePolicy(max_body_size=5000))
    with client:
        known = client.get("http://a.test/known")
        assert (
            "exceeds max_body_size" in (cache_outcome(known) or CacheOutcome("", False, "")).reason
        )
        with client.stream("GET", "http://a.test/streamed") as response:
            assert sum(len(c) for c in response.iter_raw()) == 10000
        assert action(client.get("http://a.test/streamed")) == "miss"
    assert transport.metrics.snapshot().stored == 0


class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks: Sequence[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield from self._chunks

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for chunk in self._chunks:
            yield chunk


def test_streamed_small_bodies_are_stored_once_read() -> None:
    client, origin, _, _transport = make(
        lambda r: httpx.Response(
            200, headers={"Cache-Control": "max-age=60"}, stream=_Chunks([b"a", b"b"])
        )
    )
    with client:
        assert client.get("http://a.test/").content == b"ab"
        assert client.get("http://a.test/").content == b"ab"
    assert len(origin.requests) == 1


class BrokenStorage:
    blocking = False

    def get(self, key: str) -> list[CachedResponse]:
        raise StorageError("disk on fire")

    def put(self, key: str, variants: Sequence[CachedResponse], ttl: float | None) -> None:
        raise StorageError("disk on fire")

    def delete(self, key: str) -> None:
        raise StorageError("disk on fire")

    def close(self) -> None:
        pass


def test_a_broken_storage_never_breaks_a_request(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bricolage.http")
    client, _origin, _, transport = make(
        fixed(Cache_Control="max-age=60"), storage=BrokenStorage()
    )
    with client:
        assert client.get("http://a.test/").content == b"body"
        client.post("http://a.test/")
        transport.invalidate("http://a.test/")
    assert transport.metrics.snapshot().errors == 4
    assert "disk on fire" in caplog.text


def test_metrics_hook_errors_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def hook(outcome: CacheOutcome) -> None:
        seen.append(outcome.action)
        raise RuntimeError("bad hook")

    client, _, _, transport = make(fixed(), metrics=CacheMetrics(hook))
    with client:
        client.get("http://a.test/")
    assert seen == ["miss"]
    assert "hook failed" in caplog.text
    snapshot = transport.metrics.snapshot()
    assert snapshot.hit_ratio == 0.0
    transport.metrics.reset()
    assert transport.metrics.snapshot().misses == 0


# --- async -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_hit_swr_and_invalidate() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(
            200,
            headers={"Cache-Control": "max-age=10, stale-while-revalidate=60"},
            content=f"v{len(calls)}".encode(),
        )

    clock = FrozenClock(0)
    transport = AsyncCacheTransport(httpx.MockTransport(handler), clock=clock)
    async with httpx.AsyncClient(transport=transport) as client:
        await client.get("http://a.test/")
        assert action(await client.get("http://a.test/")) == "hit"
        clock.advance(20)
        stale = await client.get("http://a.test/")
        assert action(stale) == "stale-while-revalidate"
        assert stale.content == b"v1"
        with anyio.fail_after(5):
            while len(calls) < 2 or transport._in_flight:
                await anyio.sleep(0.01)
        fresh = await client.get("http://a.test/")
        assert fresh.content == b"v2"
        await transport.invalidate("http://a.test/")
        assert action(await client.get("http://a.test/")) == "miss"


@pytest.mark.anyio
async def test_async_without_context_revalidates_inline_and_streams() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"Cache-Control": "max-age=1, stale-while-revalidate=60", "ETag": '"e"'},
            stream=_Chunks([b"a", b"b"]),
        )

    clock = FrozenClock(0)
    storage = MemoryStorage()
    transport = AsyncCacheTransport(httpx.MockTransport(handler), clock=clock, storage=storage)
    client = httpx.AsyncClient(transport=transport)
    assert (await client.get("http://a.test/")).content == b"ab"
    clock.advance(5)
    response = await client.get("http://a.test/")
    assert action(response) == "miss"
    assert response.content == b"ab"
    await client.aclose()
    assert len(storage) == 1


def test_hits_can_be_streamed_raw() -> None:
    client, _, _, _ = make(fixed(Cache_Control="max-age=60"))
    with client:
        client.get("http://a.test/")
        with client.stream("GET", "http://a.test/") as response:
            assert action(response) == "hit"
            assert b"".join(response.iter_raw()) == b"body"


def test_non_ascii_header_bytes_round_trip() -> None:
    disposition = "attachment; filename*=UTF-8''gr\u00fc\u00dfe.txt".encode()
    raw = "inline; filename=\u00fcber.txt".encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers=[
                (b"Cache-Control", b"max-age=60"),
                (b"Content-Disposition", disposition),
                (b"X-Raw", raw),
            ],
            content=b"x",
        )

    client, _, _, _ = make(handler)
    with client:
        client.get("http://a.test/")
        hit = client.get("http://a.test/")
        assert action(hit) == "hit"
        assert dict(hit.headers.raw)[b"Content-Disposition"] == disposition
        assert dict(hit.headers.raw)[b"X-Raw"] == raw


def test_if_modified_since_falls_back_to_date_then_reception_time() -> None:
    client, _, _, _ = make(
        fixed(Cache_Control="max-age=600", Date="Sun, 06 Nov 1994 08:49:37 GMT")
    )
    with client:
        client.get("http://a.test/dated")
        later = {"If-Modified-Since": "Mon, 07 Nov 1994 08:49:37 GMT"}
        earlier = {"If-Modified-Since": "Sat, 05 Nov 1994 08:49:37 GMT"}
        assert client.get("http://a.test/dated", headers=later).status_code == 304
        assert client.get("http://a.test/dated", headers=earlier).status_code == 200
    client, _origin, _clock, _ = make(fixed(Cache_Control="max-age=600"))
    with client:
        client.get("http://a.test/undated")
        received = {"If-Modified-Since": "Sun, 16 Nov 2031 00:00:00 GMT"}
        assert client.get("http://a.test/undated", headers=received).status_code == 304
        garbage = {"If-Modified-Since": "not a date"}
        assert client.get("http://a.test/undated", headers=garbage).status_code == 200


def test_stale_if_disconnected_policy() -> None:
    state = {"down": False}

    def handler(request: httpx.Request) -> httpx.Response:
        if state["down"]:
            raise httpx.ConnectError("refused")
        return httpx.Response(200, headers={"Cache-Control": "max-age=1"}, content=b"old")

    client, _, clock, _ = make(handler, policy=CachePolicy(stale_if_disconnected=True))
    with client:
        client.get("http://a.test/")
        clock.advance(100)
        state["down"] = True
        response = client.get("http://a.test/")
        assert action(response) == "stale-if-error"
        assert response.content == b"old"
        with pytest.raises(httpx.ConnectError):
            client.get("http://a.test/", headers={"Cache-Control": "no-cache"})


def test_head_200_freshens_the_stored_get() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Cache-Control": "max-age=1000", "X-New": "2"})
        return httpx.Response(
            200, headers={"Cache-Control": "max-age=1", "X-New": "1"}, content=b"body"
        )

    client, origin, clock, _ = make(handler)
    with client:
        client.get("http://a.test/")
        clock.advance(10)
        head = client.head("http://a.test/")
        outcome = cache_outcome(head)
        assert outcome is not None
        assert outcome.stored
        response = client.get("http://a.test/")
        assert action(response) == "hit"
        assert response.headers["x-new"] == "2"
        assert response.content == b"body"
        uncached = client.head("http://a.test/other")
        assert action(uncached) == "miss"
    assert [r.method for r in origin.requests] == ["GET", "HEAD", "HEAD"]


def test_if_none_match_star_lines_and_entries_without_etag() -> None:
    client, origin, _, _ = make(fixed(Cache_Control="max-age=60", ETag='"e"'))
    with client:
        client.get("http://a.test/tagged")
        assert (
            client.get("http://a.test/tagged", headers={"If-None-Match": "*"}).status_code == 304
        )
        # Two field lines are one list: the second line's tag matches.
        lines = [("If-None-Match", '"zzz"'), ("If-None-Match", 'W/"e"')]
        assert client.get("http://a.test/tagged", headers=lines).status_code == 304
    assert len(origin.requests) == 1
    client, origin, _, _ = make(fixed(Cache_Control="max-age=60"))
    with client:
        client.get("http://a.test/untagged")
        response = client.get("http://a.test/untagged", headers={"If-None-Match": '"e"'})
        assert (response.status_code, action(response)) == (200, "hit")


@pytest.mark.anyio
async def test_async_large_streamed_bodies_pass_through_unstored() -> None:
    chunks = [b"x" * 1000] * 10

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Cache-Control": "max-age=60"}, stream=_Chunks(chunks))

    storage = MemoryStorage()
    transport = AsyncCacheTransport(
        httpx.MockTransport(handler), storage=storage, policy=CachePolicy(max_body_size=5000)
    )
    async with httpx.AsyncClient(transport=transport) as client:
        async with client.stream("GET", "http://a.test/streamed") as response:
            received = [chunk async for chunk in response.aiter_raw()]
        assert received == chunks  # passed through as the origin sent them
        assert action(await client.get("http://a.test/streamed")) == "miss"
    assert len(storage) == 0
    assert transport.metrics.snapshot().stored == 0


def test_a_known_length_over_the_limit_is_the_inner_response_untouched() -> None:
    sent: list[httpx.Response] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(
            200,
            headers={"Cache-Control": "max-age=60", "Content-Length": "10000"},
            stream=_Chunks([b"x" * 5000] * 2),
        )
        sent.append(response)
        return response

    transport = CacheTransport(
        httpx.MockTransport(handler), policy=CachePolicy(max_body_size=5000)
    )
    response = transport.handle_request(httpx.Request("GET", "http://a.test/big"))
    # No wrapper, no buffer: the stream is the origin's own, read chunk by chunk as sent.
    assert response is sent[0]
    assert response.stream is sent[0].stream
    assert isinstance(response.stream, httpx.SyncByteStream)
    assert list(response.stream) == [b"x" * 5000] * 2
    assert action(response) == "miss"


def test_entries_with_list_fields_from_a_custom_storage_are_served() -> None:
    class ListStorage(MemoryStorage):
        """Hands back fields as lists, as a storage decoding JSON might."""

        def get(self, key: str) -> list[CachedResponse]:
            return [
                CachedResponse(
                    v.url,
                    v.status,
                    [list(field) for field in v.headers],  # type: ignore[arg-type]
                    v.body,
                    v.request_time,
                    v.response_time,
                    v.freshness_lifetime,
                    v.initial_age,
                    cache_control=v.cache_control,
                )
                for v in super().get(key)
            ]

    client, origin, _, _ = make(fixed(Cache_Control="max-age=60"), storage=ListStorage())
    with client:
        client.get("http://a.test/")
        hit = client.get("http://a.test/")
        assert (action(hit), hit.content, hit.headers["cache-control"]) == (
            "hit",
            b"body",
            "max-age=60",
        )
    assert len(origin.requests) == 1
