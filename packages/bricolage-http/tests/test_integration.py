"""Against a real HTTP server on 127.0.0.1 that misbehaves on command (see conftest)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from bricolage.http import (
    AsyncCacheTransport,
    AsyncRetryTransport,
    CachePolicy,
    CacheTransport,
    MemoryStorage,
    RetryPolicy,
    RetryTransport,
    SQLiteStorage,
    cache_outcome,
    retry_outcome,
)
from bricolage.http.testing import FrozenClock


class Origin(Protocol):
    """The ``origin`` fixture of conftest.py: a misbehaving server on 127.0.0.1."""

    url: str
    state: Any

    def hits(self, name: str) -> int: ...


FAST = RetryPolicy(max_attempts=5, initial=0.01, maximum=0.05, retry_after_cap=5)


def action(response: httpx.Response) -> str:
    outcome = cache_outcome(response)
    assert outcome is not None
    return outcome.action


def test_retries_a_503_burst(origin: Origin) -> None:
    with httpx.Client(transport=RetryTransport(policy=FAST)) as client:
        response = client.get(f"{origin.url}/burst?id=b1&n=3")
    assert response.text == "ok after burst"
    assert origin.hits("b1") == 4
    outcome = retry_outcome(response)
    assert outcome is not None
    assert outcome.attempts == 4


def test_retries_connection_resets(origin: Origin) -> None:
    with httpx.Client(transport=RetryTransport(policy=FAST)) as client:
        response = client.get(f"{origin.url}/reset?id=r1&n=2")
    assert response.text == "ok after resets"
    assert origin.hits("r1") == 3


def test_gives_up_on_resets_with_a_note(origin: Origin) -> None:
    policy = RetryPolicy(max_attempts=2, initial=0.01)
    with (
        httpx.Client(transport=RetryTransport(policy=policy)) as client,
        pytest.raises(httpx.TransportError) as info,
    ):
        client.get(f"{origin.url}/reset?id=r2&n=5")
    assert any("gave up after 2 attempt(s)" in note for note in info.value.__notes__)


def test_honours_retry_after_on_429(origin: Origin) -> None:
    clock = FrozenClock()
    slept = clock.sleeps
    transport = RetryTransport(policy=FAST, clock=clock)
    with httpx.Client(transport=transport) as client:
        response = client.get(f"{origin.url}/ratelimit?id=l1&after=3")
    assert response.text == "ok after 429"
    assert slept == [3.0]
    capped = RetryTransport(policy=RetryPolicy(retry_after_cap=1), clock=clock)
    with httpx.Client(transport=capped) as client:
        response = client.get(f"{origin.url}/ratelimit?id=l2&after=30")
    assert response.status_code == 429
    outcome = retry_outcome(response)
    assert outcome is not None
    assert "exceeds the cap" in outcome.reason


def test_read_timeouts_on_slow_bodies_are_retried(origin: Origin) -> None:
    attempts: list[int] = []
    transport = RetryTransport(
        policy=RetryPolicy(max_attempts=2, initial=0.01),
        on_attempt=lambda attempt: attempts.append(attempt.number),
    )
    with (
        httpx.Client(transport=transport, timeout=0.2) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get(f"{origin.url}/slow?id=s1&delay=0.6&where=headers")
    assert attempts == [1, 2]
    assert origin.hits("s1") == 2


def test_slow_bodies_after_the_headers_are_the_callers_to_read(origin: Origin) -> None:
    # The response is handed over once its headers arrive; a body that stalls later times
    # out in the caller's read, after the retry transport has returned.
    transport = RetryTransport(policy=RetryPolicy(max_attempts=3, initial=0.01))
    with (
        httpx.Client(transport=transport, timeout=0.2) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get(f"{origin.url}/slow?id=s2&delay=0.5")
    assert origin.hits("s2") == 1


def test_etag_revalidation_against_the_server(origin: Origin, tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "cache.db")
    with httpx.Client(transport=CacheTransport(storage=storage)) as client:
        first = client.get(f"{origin.url}/etag?id=e1")
        assert first.text == "body v1"
        assert action(first) == "miss"
        second = client.get(f"{origin.url}/etag?id=e1")
        assert second.text == "body v1"
        assert action(second) == "revalidated"
        origin.state.versions["e1"] = "v2"
        third = client.get(f"{origin.url}/etag?id=e1")
        assert third.text == "body v2"
        assert action(third) == "miss"
    assert origin.hits("304 e1") == 1
    storage.close()


def test_vary_against_the_server(origin: Origin) -> None:
    with httpx.Client(transport=CacheTransport()) as client:
        for language in ("en", "fr", "en", "fr"):
            response = client.get(
                f"{origin.url}/vary?id=v1", headers={"Accept-Language": language}
            )
            assert response.text == f"lang={language}"
    assert origin.hits("v1") == 2


def test_cache_over_retry_stack_and_stale_if_error(origin: Origin) -> None:
    clock = FrozenClock(time.time())
    transport = CacheTransport(
        RetryTransport(policy=RetryPolicy(max_attempts=2, initial=0.01)), clock=clock
    )
    with httpx.Client(transport=transport) as client:
        url = f"{origin.url}/flaky?id=f1&cc=max-age%3D1,stale-if-error%3D60"
        assert client.get(url).text == "good copy"
        clock.advance(5)
        response = client.get(url)  # the origin now resets the connection
        assert response.text == "good copy"
        assert action(response) == "stale-if-error"
        url500 = f"{origin.url}/flaky?id=f2&fail=500&cc=max-age%3D1,stale-if-error%3D60"
        client.get(url500)
        clock.advance(5)
        assert action(client.get(url500)) == "stale-if-error"


def test_large_streamed_download_is_not_buffered(origin: Origin) -> None:
    storage = MemoryStorage()
    transport = CacheTransport(storage=storage, policy=CachePolicy(max_body_size=100_000))
    with httpx.Client(transport=transport) as client:
        with client.stream("GET", f"{origin.url}/big?id=g1&size=3000000") as response:
            total = sum(len(chunk) for chunk in response.iter_bytes())
        assert total == 3_000_000
        small = client.get(f"{origin.url}/big?id=g2&size=50000")
        assert len(small.content) == 50_000
        assert action(client.get(f"{origin.url}/big?id=g2&size=50000")) == "hit"
    assert len(storage) == 1


def test_post_invalidates_against_the_server(origin: Origin) -> None:
    with httpx.Client(transport=CacheTransport()) as client:
        client.get(f"{origin.url}/cc/items?id=i1")
        assert action(client.get(f"{origin.url}/cc/items?id=i1")) == "hit"
        client.post(f"{origin.url}/cc/items?id=i1", content=b"new")
        assert action(client.get(f"{origin.url}/cc/items?id=i1")) == "miss"


@pytest.mark.anyio
async def test_async_stack_against_the_server(origin: Origin, tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "cache.db")
    transport = AsyncCacheTransport(AsyncRetryTransport(policy=FAST), storage=storage)
    async with httpx.AsyncClient(transport=transport) as client:
        burst = await client.get(f"{origin.url}/burst?id=ab&n=2")
        assert burst.text == "ok after burst"
        reset = await client.get(f"{origin.url}/reset?id=ar&n=1")
        assert reset.text == "ok after resets"
        first = await client.get(f"{origin.url}/cc?id=ac")
        second = await client.get(f"{origin.url}/cc?id=ac")
        assert action(first) == "miss"
        assert action(second) == "hit"
        assert second.text == first.text
        revalidated = [await client.get(f"{origin.url}/etag?id=ae") for _ in range(2)]
        assert [action(r) for r in revalidated] == ["miss", "revalidated"]
        async with client.stream("GET", f"{origin.url}/big?id=ag&size=2000000") as response:
            total = 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
        assert total == 2_000_000
    storage.close()
    assert origin.hits("ac") == 1


@pytest.mark.anyio
async def test_async_retry_after_and_timeouts(origin: Origin) -> None:
    clock = FrozenClock()
    transport = AsyncRetryTransport(policy=FAST, clock=clock)
    async with httpx.AsyncClient(transport=transport, timeout=0.2) as client:
        response = await client.get(f"{origin.url}/ratelimit?id=al&after=2")
        assert response.status_code == 200
        assert clock.sleeps == [2.0]
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{origin.url}/slow?id=as&delay=0.5&where=headers")
    assert origin.hits("as") == FAST.max_attempts


# --- what the cache-tests suite checks, on a real server -----------------------------------


def test_interim_not_cached_only_the_final_response_is_stored(
    origin: Origin, tmp_path: Path
) -> None:
    """interim-not-cached: a 103 before the final 200 is never stored nor replayed."""
    storage = SQLiteStorage(tmp_path / "c.db")
    with httpx.Client(transport=CacheTransport(storage=storage)) as client:
        first = client.get(f"{origin.url}/hints?id=h1")
        second = client.get(f"{origin.url}/hints?id=h1")
    assert (first.status_code, first.text, action(first)) == (200, "final", "miss")
    assert (second.status_code, second.text, action(second)) == (200, "final", "hit")
    assert "x-interim" not in second.headers
    assert origin.hits("h1") == 1
    (entry,) = storage.get(f"GET {origin.url}/hints?id=h1")
    assert entry.status == 200
    storage.close()


def test_headers_store_content_encoding_is_kept(origin: Origin) -> None:
    """headers-store-Content-Encoding: the stored response keeps its Content-Encoding."""
    with httpx.Client(transport=CacheTransport()) as client:
        client.get(f"{origin.url}/gzip?id=g1").read()
        hit = client.get(f"{origin.url}/gzip?id=g1")
    assert action(hit) == "hit"
    assert hit.headers["content-encoding"] == "gzip"
    assert hit.text == "compressed body"  # decoded by httpx from the stored gzip bytes
    assert origin.hits("g1") == 1


def test_partial_content_passes_through_unstored_and_ranges_come_from_storage(
    origin: Origin,
) -> None:
    """A 206 from the origin is passed through untouched and never stored; a Range request
    answered from a stored complete response gets that range (partial-use-headers,
    partial-use-stored-headers, partial-store-complete-reuse-partial)."""
    with httpx.Client(transport=CacheTransport()) as client:
        part = client.get(f"{origin.url}/range?id=r1", headers={"Range": "bytes=2-4"})
        assert (part.status_code, part.content) == (206, b"234")
        outcome = cache_outcome(part)
        assert outcome is not None
        assert not outcome.stored
        assert "partial content (206) is not stored" in outcome.reason
        whole = client.get(f"{origin.url}/range?id=r1")
        assert (whole.status_code, action(whole)) == (200, "miss")
        again = client.get(f"{origin.url}/range?id=r1", headers={"Range": "bytes=2-4"})
        suffix = client.get(f"{origin.url}/range?id=r1", headers={"Range": "bytes=-3"})
        several = client.get(f"{origin.url}/range?id=r1", headers={"Range": "bytes=0-1,4-5"})
        other = client.get(
            f"{origin.url}/range?id=r1", headers={"Range": "bytes=0-1", "If-Range": '"nope"'}
        )
    assert (again.status_code, again.content, action(again)) == (206, b"234", "hit")
    assert again.headers["content-range"] == "bytes 2-4/10"
    assert again.headers["content-length"] == "3"
    assert again.headers["cache-control"] == "max-age=60"  # the stored fields are kept
    assert (suffix.status_code, suffix.content) == (206, b"789")
    assert (several.status_code, several.content) == (200, b"0123456789")
    assert (other.status_code, other.content) == (200, b"0123456789")
    assert origin.hits("r1") == 2
