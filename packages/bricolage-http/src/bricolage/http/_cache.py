"""The caching transports: one flow (a generator of I/O steps), two thin drivers."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc
import anyio.to_thread
import httpx

from bricolage.http._clock import Clock, as_clock
from bricolage.http._driver import BodyTee, drive, drive_async
from bricolage.http._metrics import CacheMetrics, CacheOutcome, _attach
from bricolage.http._storage import CacheStorage, MemoryStorage
from bricolage.http.errors import StorageError
from bricolage.http.rfc9111 import (
    CacheAction,
    CacheControl,
    CachedResponse,
    CachePolicy,
    CacheRule,
    byte_range,
    cache_key,
    conditional_headers,
    current_age,
    decide_cache_use,
    invalidation_urls,
    make_entry,
    merge_not_modified,
    parse_cache_control,
    parse_http_date,
    select_variant,
    serve_stale_on_error,
    why_not_storable,
)

__all__ = ["AsyncCacheTransport", "CacheTransport"]

_log = logging.getLogger("bricolage.http")
_CONDITIONALS = ("if-none-match", "if-modified-since", "if-match", "if-unmodified-since")
_ERROR_STATUSES = frozenset({500, 502, 503, 504})

Stored = tuple[str, list[CachedResponse], float | None]


# --- the I/O steps a flow asks its driver to perform ----------------------------------


@dataclass(slots=True)
class _Storage:
    """Call ``call(argument)`` on the storage (in a worker thread for a blocking one)."""

    call: Callable[[Any], Any]
    argument: Any


@dataclass(slots=True)
class _Send:
    request: httpx.Request


@dataclass(slots=True)
class _Close:
    response: httpx.Response


@dataclass(slots=True)
class _Refresh:
    ident: str
    request: httpx.Request
    entry: CachedResponse
    key: str
    variants: list[CachedResponse]
    rule: CacheRule | None


_Op = _Storage | _Send | _Close | _Refresh
_Flow = Generator[_Op, Any, httpx.Response]


def _ttl(entry: CachedResponse) -> float | None:
    """How long an entry can be of use: forever if it can be revalidated."""
    if entry.header("etag") is not None or entry.header("last-modified") is not None:
        return None
    cc = entry.cache_control
    windows = max(cc.stale_while_revalidate or 0, cc.stale_if_error or 0)
    return max(0.0, entry.freshness_lifetime - entry.initial_age) + windows + 600.0


def _header_items(response: httpx.Response) -> list[tuple[str, str]]:
    """Header fields as text that round-trips byte for byte (latin-1), whatever the bytes."""
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]


#: Request fields read on the lookup path, found in one pass over the raw header list.
_LOOKUP_FIELDS = frozenset(
    {b"cache-control", b"pragma", b"if-none-match", b"if-modified-since", b"range", b"if-range"}
)


def _lookup_fields(request: httpx.Request) -> dict[bytes, list[str]]:
    """The request's ``Cache-Control``, ``Pragma`` and conditional field lines, by name.

    One pass over the raw fields (most requests carry none of them), decoded as latin-1
    like the stored response fields they are compared with.
    """
    found: dict[bytes, list[str]] = {}
    for name, value in request.headers.raw:
        lname = name.lower()
        if lname in _LOOKUP_FIELDS:
            found.setdefault(lname, []).append(value.decode("latin-1"))
    return found


def _encode_served(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[bytes, bytes], ...]:
    """Stored fields encoded for a served response, without ``Age`` (set per answer)."""
    return tuple(
        (k.encode("latin-1"), v.encode("latin-1")) for k, v in headers if k.lower() != "age"
    )


_encode_served_cached = functools.lru_cache(maxsize=512)(_encode_served)


def _served_headers(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[bytes, bytes], ...]:
    """:func:`_encode_served`, computed once per distinct set of stored fields."""
    try:
        return _encode_served_cached(headers)
    except TypeError:  # a custom storage handed back lists (unhashable): encode each time
        return _encode_served(headers)


def _range_for(fields: dict[bytes, list[str]], entry: CachedResponse) -> tuple[int, int] | None:
    """The byte span a request's single ``Range`` asks of ``entry``, if it is to be honoured.

    ``If-Range`` must name the stored response (its strong ``ETag``, or its exact
    ``Last-Modified``); otherwise, or for several ranges, the whole response is sent.
    """
    ranges = fields[b"range"]
    if len(ranges) != 1:
        return None
    if_range = fields.get(b"if-range")
    if if_range is not None:
        wanted = ", ".join(if_range).strip()
        etag = entry.header("etag")
        strong = etag is not None and not etag.startswith("W/") and wanted == etag.strip()
        if not strong and wanted != (entry.header("last-modified") or "").strip():
            return None
    return byte_range(ranges[0], len(entry.body))


def _etag_matches(header: str, etag: str | None) -> bool:
    if etag is None:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.strip().removeprefix("W/")
    return any(part.strip().removeprefix("W/") == wanted for part in header.split(","))


_T = TypeVar("_T", httpx.BaseTransport, httpx.AsyncBaseTransport)


class _CacheBase(Generic[_T]):
    """The constructor and the flow shared by both flavours of the cache transport."""

    def __init__(
        self,
        transport: _T | None = None,
        *,
        storage: CacheStorage | None = None,
        policy: CachePolicy | None = None,
        clock: Clock | Callable[[], float] | None = None,
        key: Callable[[httpx.Request], str] | None = None,
        metrics: CacheMetrics | None = None,
    ) -> None:
        self.transport: _T = self._default_transport() if transport is None else transport
        self.clock: Clock = as_clock(clock, owner=type(self).__name__)
        self._own_storage = storage is None
        self.storage: CacheStorage = MemoryStorage() if storage is None else storage
        self.policy: CachePolicy = CachePolicy() if policy is None else policy
        self.metrics: CacheMetrics = CacheMetrics() if metrics is None else metrics
        self._clock = self.clock.now
        self._key_function = key
        self._in_flight: set[str] = set()
        self._in_flight_lock = threading.Lock()
        self._setup()

    def _default_transport(self) -> _T:
        raise NotImplementedError

    def _setup(self) -> None:
        """What one flavour adds to the constructor."""

    def _key(self, request: httpx.Request) -> str:
        if self._key_function is not None:
            return self._key_function(request)
        return cache_key(request.method, str(request.url))

    def _key_for_url(self, url: str) -> str:
        return self._key(httpx.Request("GET", url))

    # -- building responses ------------------------------------------------------------

    def _serve(
        self,
        request: httpx.Request,
        entry: CachedResponse,
        age: float,
        action: str,
        reason: str,
        fields: dict[bytes, list[str]] | None = None,
    ) -> httpx.Response:
        if fields is None:
            fields = _lookup_fields(request)
        raw = [*_served_headers(entry.headers), (b"Age", b"%d" % int(age))]
        status = entry.status
        body = entry.body
        if action in ("hit", "stale") and self._not_modified_for(fields, entry):
            status = 304
            raw = [(k, v) for k, v in raw if k.lower() != b"content-length"]
            body = b""
        elif request.method == "HEAD":
            body = b""
        elif status == 200 and b"range" in fields:
            span = _range_for(fields, entry)
            if span is not None:
                # RFC 9111 section 3.4: a stored complete response answers a smaller range.
                first, last = span
                framing = (b"content-length", b"content-range")
                raw = [(k, v) for k, v in raw if k.lower() not in framing]
                raw += [
                    (b"Content-Range", b"bytes %d-%d/%d" % (first, last, len(body))),
                    (b"Content-Length", b"%d" % (last + 1 - first)),
                ]
                status, body = 206, body[first : last + 1]
        response = httpx.Response(status, headers=raw, stream=httpx.ByteStream(body))
        outcome = CacheOutcome(action, stored=True, reason=reason, key=None, age=age)
        _attach(response, outcome)
        self.metrics.record(outcome, body_bytes=len(body))
        return response

    @staticmethod
    def _not_modified_for(fields: dict[bytes, list[str]], entry: CachedResponse) -> bool:
        inm = fields.get(b"if-none-match")
        if inm is not None:
            return _etag_matches(", ".join(inm), entry.header("etag"))
        ims_lines = fields.get(b"if-modified-since")
        if ims_lines is None:
            return False
        ims = parse_http_date(", ".join(ims_lines))
        if ims is None:
            return False
        # RFC 9111 section 4.3.2: Last-Modified, else Date, else the time it was received.
        last_modified = parse_http_date(entry.header("last-modified"))
        if last_modified is None:
            last_modified = parse_http_date(entry.header("date"))
        if last_modified is None:
            last_modified = entry.response_time
        return last_modified <= ims

    def _freshened(
        self,
        key: str,
        merged: CachedResponse,
        entry: CachedResponse,
        variants: list[CachedResponse],
    ) -> Stored:
        """What to store once ``entry`` is freshened into ``merged``."""
        others: list[CachedResponse] = [v for v in variants if v is not entry]
        return key, [merged, *others][: self.policy.max_variants], _ttl(merged)

    def _tag(self, response: httpx.Response, outcome: CacheOutcome) -> httpx.Response:
        _attach(response, outcome)
        self.metrics.record(outcome)
        return response

    # -- the flow ------------------------------------------------------------------------

    def _flow(self, request: httpx.Request) -> _Flow:
        method = request.method
        if method not in ("GET", "HEAD"):
            response = yield _Send(request)
            urls = invalidation_urls(
                method=method,
                url=str(request.url),
                status=response.status_code,
                headers=_header_items(response),
            )
            for url in urls:
                yield _Storage(self._delete, self._key_for_url(url))
            reason = f"method {method} is not cached"
            if urls:
                reason += f"; invalidated {len(urls)} URL(s)"
            return self._tag(response, CacheOutcome("bypass", stored=False, reason=reason))
        url = str(request.url)
        rule = self.policy.rule_for(url)
        key = cache_key(method, url) if self._key_function is None else self._key_function(request)
        fields = _lookup_fields(request)
        cc_lines = fields.get(b"cache-control")
        request_cc = parse_cache_control(cc_lines)
        pragma = not cc_lines and "no-cache" in ", ".join(fields.get(b"pragma", ())).lower()
        variants: list[CachedResponse] = yield _Storage(self._load, key)
        entry = select_variant(variants, request.headers) if variants else None
        lookup = decide_cache_use(
            entry,
            request_cc=request_cc,
            now=self._clock(),
            policy=self.policy,
            pragma_no_cache=pragma,
        )
        action = lookup.action
        if (action is CacheAction.HIT or action is CacheAction.STALE) and lookup.entry is not None:
            return self._serve(
                request, lookup.entry, lookup.age, action.value, lookup.reason, fields
            )
        if action is CacheAction.GATEWAY_TIMEOUT:
            response = httpx.Response(
                504, headers={"Cache-Control": "no-store"}, stream=httpx.ByteStream(b"")
            )
            return self._tag(
                response, CacheOutcome("gateway-timeout", stored=False, reason=lookup.reason)
            )
        if action is CacheAction.STALE_WHILE_REVALIDATE and lookup.entry is not None:
            stale = lookup.entry
            if self.policy.revalidate_in_background:
                ident = f"{key}\x00{stale.vary!r}"
                spawned = yield _Refresh(ident, request, stale, key, variants, rule)
                if spawned:
                    return self._serve(request, stale, lookup.age, action.value, lookup.reason)
        if method == "HEAD":
            return (yield from self._head(request, key, variants, lookup.entry))
        return (yield from self._fetch(request, key, rule, request_cc, variants, lookup.entry))

    def _head(
        self,
        request: httpx.Request,
        key: str,
        variants: list[CachedResponse],
        entry: CachedResponse | None,
    ) -> _Flow:
        """Forward a HEAD; a 200 freshens the stored GET response (RFC 9111 4.3.5)."""
        request_time = self._clock()
        response: httpx.Response = yield _Send(request)
        if entry is not None and response.status_code == 200:
            merged = merge_not_modified(
                entry,
                headers=_header_items(response),
                request_time=request_time,
                response_time=self._clock(),
                policy=self.policy,
            )
            if merged is not None:
                yield _Storage(self._put, self._freshened(key, merged, entry, variants))
                reason = "the HEAD response freshened the stored response"
                return self._tag(response, CacheOutcome("miss", stored=True, reason=reason))
        reason = "HEAD responses are not stored"
        return self._tag(response, CacheOutcome("miss", stored=False, reason=reason))

    def _fetch(
        self,
        request: httpx.Request,
        key: str,
        rule: CacheRule | None,
        request_cc: CacheControl,
        variants: list[CachedResponse],
        entry: CachedResponse | None,
    ) -> _Flow:
        user_conditional = any(h in request.headers for h in _CONDITIONALS)
        send = request
        validating = False
        if entry is not None and not user_conditional:
            validators = conditional_headers(entry)
            if validators:
                headers = request.headers.copy()
                headers.update(validators)
                send = httpx.Request(
                    request.method,
                    request.url,
                    headers=headers,
                    extensions=request.extensions,
                )
                validating = True
        request_time = self._clock()
        try:
            response: httpx.Response = yield _Send(send)
        except httpx.TransportError as error:
            if entry is not None and serve_stale_on_error(
                entry,
                request_cc=request_cc,
                now=self._clock(),
                policy=self.policy,
                disconnected=True,
            ):
                reason = f"the origin failed ({type(error).__name__}); serving the stored copy"
                age = current_age(entry, self._clock())
                return self._serve(request, entry, age, "stale-if-error", reason)
            raise
        response_time = self._clock()
        status = response.status_code
        if entry is not None and status == 304 and (validating or user_conditional):
            merged = merge_not_modified(
                entry,
                headers=_header_items(response),
                request_time=request_time,
                response_time=response_time,
                policy=self.policy,
            )
            if merged is not None:
                yield _Storage(self._put, self._freshened(key, merged, entry, variants))
                if user_conditional:
                    return self._tag(
                        response,
                        CacheOutcome("revalidated", stored=True, reason="304 passed through"),
                    )
                yield _Close(response)
                age = current_age(merged, self._clock())
                return self._serve(
                    request, merged, age, "revalidated", "the origin answered 304 Not Modified"
                )
            if validating:
                # The 304 names another representation: ask again without validators.
                yield _Close(response)
                return (yield from self._fetch(request, key, rule, request_cc, [], None))
        if (
            entry is not None
            and status in _ERROR_STATUSES
            and serve_stale_on_error(
                entry, request_cc=request_cc, now=self._clock(), policy=self.policy
            )
        ):
            yield _Close(response)
            age = current_age(entry, self._clock())
            reason = f"the origin answered {status}; serving the stored copy"
            return self._serve(request, entry, age, "stale-if-error", reason)
        return (
            yield from self._store(
                request, key, rule, request_cc, variants, response, request_time, response_time
            )
        )

    def _store(
        self,
        request: httpx.Request,
        key: str,
        rule: CacheRule | None,
        request_cc: CacheControl,
        variants: list[CachedResponse],
        response: httpx.Response,
        request_time: float,
        response_time: float,
    ) -> _Flow:
        headers = _header_items(response)
        reason = why_not_storable(
            method=request.method,
            request_cc=request_cc,
            request_has_authorization="authorization" in request.headers,
            status=response.status_code,
            response_headers=headers,
            policy=self.policy,
            rule=rule,
        )
        limit = self.policy.max_body_size
        length = response.headers.get("content-length", "")
        if reason is None and length.isdigit() and int(length) > limit:
            reason = f"the body ({length} bytes) exceeds max_body_size={limit}"
        if reason is not None:
            return self._tag(response, CacheOutcome("miss", stored=False, reason=reason, key=key))
        policy = self.policy

        def finish(body: bytes) -> Stored:
            entry = make_entry(
                url=str(request.url),
                request_headers=request.headers,
                status=response.status_code,
                headers=headers,
                body=body,
                request_time=request_time,
                response_time=response_time,
                policy=policy,
                rule=rule,
            )
            kept = [entry]
            if entry.vary:
                names = [n for n, _ in entry.vary]
                kept += [
                    v for v in variants if [n for n, _ in v.vary] == names and v.vary != entry.vary
                ]
            return key, kept[: policy.max_variants], _ttl(entry)

        self._tag(
            response,
            CacheOutcome("miss", stored=True, reason="stored once the body is read", key=key),
        )
        try:
            body = response.content
        except httpx.ResponseNotRead:
            response.stream = BodyTee(response.stream, limit, self._store_later(finish))
        else:
            yield _Storage(self._put, finish(body))
        return response

    def _store_later(self, finish: Callable[[bytes], Stored]) -> Callable[[bytes], Any]:
        """What the body tee calls with the whole body (a coroutine function when async)."""
        raise NotImplementedError

    def _begin_refresh(self, ident: str) -> bool:
        with self._in_flight_lock:
            if ident in self._in_flight:
                return False
            self._in_flight.add(ident)
            return True

    def _end_refresh(self, ident: str) -> None:
        with self._in_flight_lock:
            self._in_flight.discard(ident)

    def _refresh_flow(self, op: _Refresh) -> _Flow:
        request = httpx.Request(
            "GET", op.request.url, headers=op.request.headers, extensions=op.request.extensions
        )
        return self._fetch(
            request, op.key, op.rule, parse_cache_control(None), op.variants, op.entry
        )

    def _load(self, key: str) -> list[CachedResponse]:
        """The stored responses under ``key``; a storage failure reads as a miss."""
        try:
            return self.storage.get(key)
        except StorageError as error:
            self.metrics.record_error()
            _log.warning("cache read failed, going to the origin: %s", error)
            return []

    def _put(self, item: Stored) -> None:
        """Store ``item``; a storage failure is counted and logged, never raised."""
        try:
            self.storage.put(*item)
        except StorageError as error:
            self.metrics.record_error()
            _log.warning("cache write failed: %s", error)
        else:
            self.metrics.record_stored()

    def _delete(self, key: str) -> None:
        """Drop ``key``; a storage failure is counted and logged, never raised."""
        try:
            self.storage.delete(key)
        except StorageError as error:
            self.metrics.record_error()
            _log.warning("cache delete failed: %s", error)


class CacheTransport(_CacheBase[httpx.BaseTransport], httpx.BaseTransport):
    """A caching ``httpx.BaseTransport`` (RFC 9111, RFC 5861) around any transport.

    Args:
        transport: the transport that talks to the network (default
            ``httpx.HTTPTransport``); a :class:`RetryTransport` fits here.
        storage: a :class:`CacheStorage` (default: a :class:`MemoryStorage` of 64 MiB).
            A storage passed in is not closed by :meth:`close`.
        policy: a :class:`CachePolicy` (private cache by default).
        clock: a :class:`Clock` (default :class:`SystemClock`); its ``now()`` dates
            responses (``testing.FrozenClock`` in tests).
        key: a custom cache key function of the request.
        metrics: a :class:`CacheMetrics` to count into (one is made if omitted).

    >>> from bricolage.http import CacheTransport
    >>> import httpx
    >>> calls = []
    >>> def origin(request):
    ...     calls.append(request.url.path)
    ...     return httpx.Response(200, headers={"Cache-Control": "max-age=60"}, text="hello")
    >>> client = httpx.Client(transport=CacheTransport(httpx.MockTransport(origin)))
    >>> [client.get("http://api.test/greeting").text for _ in range(3)]
    ['hello', 'hello', 'hello']
    >>> calls
    ['/greeting']
    >>> client.close()
    """

    def _default_transport(self) -> httpx.BaseTransport:
        return httpx.HTTPTransport()

    def _setup(self) -> None:
        self._threads: list[threading.Thread] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the cache or through the wrapped transport."""
        return drive(self._flow(request), self._perform)

    def _perform(self, op: _Op) -> Any:
        if isinstance(op, _Send):
            return self.transport.handle_request(op.request)
        if isinstance(op, _Storage):
            return op.call(op.argument)
        return op.response.close() if isinstance(op, _Close) else self._spawn(op)

    def _store_later(self, finish: Callable[[bytes], Stored]) -> Callable[[bytes], Any]:
        return lambda body: self._put(finish(body))

    def _spawn(self, op: _Refresh) -> bool:
        if not self._begin_refresh(op.ident):
            return True  # the same refresh is already running: serve the stale copy

        def job() -> None:
            try:
                response = drive(self._refresh_flow(op), self._perform)
                response.read()
                response.close()
            except Exception:  # noqa: BLE001 - a background refresh must not crash
                _log.warning("background revalidation of %s failed", op.entry.url, exc_info=True)
            finally:
                self._end_refresh(op.ident)

        thread = threading.Thread(target=job, name="bricolage-http-refresh", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()
        return True

    def wait_for_refreshes(self, timeout: float | None = None) -> None:
        """Wait until the background refreshes started so far have finished.

        ``stale-while-revalidate`` answers at once and refreshes in a thread; tests and
        demos call this to see the refreshed entry.

        >>> import httpx
        >>> from bricolage.http import CacheTransport
        >>> transport = CacheTransport(httpx.MockTransport(lambda r: httpx.Response(200)))
        >>> transport.wait_for_refreshes(timeout=1.0)
        """
        for thread in list(self._threads):
            thread.join(timeout)

    def invalidate(self, url: str | httpx.URL) -> None:
        """Forget what is stored for ``url`` (every variant).

        >>> from bricolage.http import CacheTransport
        >>> import httpx
        >>> transport = CacheTransport(httpx.MockTransport(lambda r: httpx.Response(200)))
        >>> transport.invalidate("http://api.test/users/1")
        """
        self._delete(self._key_for_url(str(url)))

    def close(self) -> None:
        """Wait for background refreshes, close the wrapped transport and own storage."""
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        self.transport.close()
        if self._own_storage:
            self.storage.close()


class AsyncCacheTransport(_CacheBase[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport):
    """The asynchronous twin of :class:`CacheTransport`, on anyio (asyncio or trio).

    Background refreshes (``stale-while-revalidate``) run in a task group opened when the
    client is entered (``async with httpx.AsyncClient(transport=...)``); without it, the
    refresh is made before answering. A blocking storage (SQLite, Redis) runs in a worker
    thread; :class:`MemoryStorage` is used directly.

    >>> from bricolage.http import AsyncCacheTransport
    >>> import anyio, httpx
    >>> def origin(request):
    ...     return httpx.Response(200, headers={"Cache-Control": "max-age=60"}, text="hi")
    >>> async def main():
    ...     transport = AsyncCacheTransport(httpx.MockTransport(origin))
    ...     async with httpx.AsyncClient(transport=transport) as client:
    ...         await client.get("http://api.test/")
    ...         response = await client.get("http://api.test/")
    ...         return cache_outcome(response).action
    >>> from bricolage.http import cache_outcome
    >>> anyio.run(main)
    'hit'
    """

    def _default_transport(self) -> httpx.AsyncBaseTransport:
        return httpx.AsyncHTTPTransport()

    def _setup(self) -> None:
        self._task_group: anyio.abc.TaskGroup | None = None

    @property
    def _blocking(self) -> bool:
        return bool(getattr(self.storage, "blocking", True))

    async def __aenter__(self) -> AsyncCacheTransport:
        await self.transport.__aenter__()
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        task_group, self._task_group = self._task_group, None
        try:
            if task_group is not None:
                await task_group.__aexit__(None, None, None)
        finally:
            await self.transport.__aexit__(*exc_info)
            if self._own_storage:
                self.storage.close()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the cache or through the wrapped transport."""
        return await drive_async(self._flow(request), self._perform)

    async def _perform(self, op: _Op) -> Any:
        if isinstance(op, _Send):
            return await self.transport.handle_async_request(op.request)
        if isinstance(op, _Storage):
            return await self._call(op.call, op.argument)
        return await (op.response.aclose() if isinstance(op, _Close) else self._spawn(op))

    async def _call(self, function: Callable[[Any], Any], argument: Any) -> Any:
        if self._blocking:
            return await anyio.to_thread.run_sync(function, argument)
        return function(argument)

    def _store_later(self, finish: Callable[[bytes], Stored]) -> Callable[[bytes], Any]:
        async def store(body: bytes) -> None:
            await self._call(self._put, finish(body))

        return store

    async def _spawn(self, op: _Refresh) -> bool:
        task_group = self._task_group
        if task_group is None:
            return False
        if not self._begin_refresh(op.ident):
            return True

        async def job() -> None:
            try:
                response = await drive_async(self._refresh_flow(op), self._perform)
                await response.aread()
                await response.aclose()
            except Exception:  # noqa: BLE001 - a background refresh must not crash
                _log.warning("background revalidation of %s failed", op.entry.url, exc_info=True)
            finally:
                self._end_refresh(op.ident)

        task_group.start_soon(job)
        return True

    async def invalidate(self, url: str | httpx.URL) -> None:
        """Forget what is stored for ``url`` (every variant)."""
        await self._call(self._delete, self._key_for_url(str(url)))

    async def aclose(self) -> None:
        """Close the wrapped transport and the storage this transport created."""
        await self.transport.aclose()
        if self._own_storage:
            self.storage.close()
