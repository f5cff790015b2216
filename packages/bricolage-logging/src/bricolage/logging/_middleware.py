"""Carrying the correlation id across boundaries: ASGI, WSGI, httpx and job queues."""

from __future__ import annotations

import contextvars
from collections.abc import (
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
)
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Protocol, TypeVar

from bricolage.logging._correlation import (
    _CORRELATION_ID,
    is_valid_correlation_id,
    new_correlation_id,
)
from bricolage.logging.errors import ConfigurationError

__all__ = [
    "ASGICorrelationMiddleware",
    "JobMiddleware",
    "OutgoingRequest",
    "WSGICorrelationMiddleware",
    "correlation_from",
    "correlation_job_middleware",
    "httpx_async_request_hook",
    "httpx_request_hook",
    "inject_correlation_id",
]

T = TypeVar("T")

#: The header read and written by the middleware and the httpx hooks.
REQUEST_ID_HEADER = "X-Request-ID"
#: The key under which job metadata carries the id.
JOB_METADATA_KEY = "correlation_id"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]


def _check_header(header: str) -> str:
    if not header or not all(c.isalnum() or c in "-_" for c in header):
        raise ConfigurationError(
            f"invalid header name {header!r}: use letters, digits, '-' or '_'"
        )
    return header


def _adopt(incoming: str | None, trust_incoming: bool, generate: Callable[[], str]) -> str:
    if trust_incoming and incoming is not None and is_valid_correlation_id(incoming):
        return incoming
    return generate()


class ASGICorrelationMiddleware:
    """ASGI middleware: one correlation id per HTTP request or WebSocket, echoed back.

    It reads ``X-Request-ID`` from the request (ignored unless
    :func:`~bricolage.logging.is_valid_correlation_id` accepts it), or makes a new id;
    binds it while the application runs, so every line logged for the request carries
    it; puts it in ``scope["state"]["correlation_id"]``; and adds the header to the
    response unless the application set one.

    Args:
        app: the ASGI application to wrap.
        header: the header to read and write.
        generate: makes an id when the request has none (inject one in tests).
        trust_incoming: set ``False`` at an edge facing untrusted clients, to always
            make a fresh id.

    >>> import asyncio
    >>> async def app(scope, receive, send):
    ...     await send({"type": "http.response.start", "status": 204, "headers": []})
    ...     await send({"type": "http.response.body", "body": b""})
    >>> sent = []
    >>> async def send(message):
    ...     sent.append(message)
    >>> async def receive():
    ...     return {"type": "http.request"}
    >>> scope = {"type": "http", "headers": [(b"x-request-id", b"req-1")]}
    >>> asyncio.run(ASGICorrelationMiddleware(app)(scope, receive, send))
    >>> sent[0]["headers"]
    [(b'x-request-id', b'req-1')]
    """

    # ``app`` is typed loosely on purpose: starlette's, asgiref's and hand-written
    # applications all fit.
    def __init__(
        self,
        app: Callable[[Any, Any, Any], Awaitable[None]],
        *,
        header: str = "X-Request-ID",
        generate: Callable[[], str] = new_correlation_id,
        trust_incoming: bool = True,
    ) -> None:
        self.app = app
        self.header: str = _check_header(header)
        self._raw_header = header.lower().encode("latin-1")
        self._generate = generate
        self._trust_incoming = trust_incoming

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the wrapped application under the request's correlation id."""
        if scope.get("type") not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        incoming: str | None = None
        for name, value in scope.get("headers") or ():
            if name.lower() == self._raw_header:
                incoming = value.decode("latin-1")
                break
        correlation_id = _adopt(incoming, self._trust_incoming, self._generate)
        state = scope.setdefault("state", {})
        if isinstance(state, MutableMapping):
            state["correlation_id"] = correlation_id
        raw_header, raw_value = self._raw_header, correlation_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message.get("type") == "http.response.start":
                headers = list(message.get("headers") or ())
                if all(name.lower() != raw_header for name, _ in headers):
                    headers.append((raw_header, raw_value))
                    message = {**message, "headers": headers}
            await send(message)

        token = _CORRELATION_ID.set(correlation_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _CORRELATION_ID.reset(token)


class _InContext:
    """A WSGI response iterable whose iteration and ``close`` run in one context."""

    def __init__(self, result: Iterable[bytes], context: contextvars.Context) -> None:
        self._result = result
        self._context = context
        self._iterator: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._iterator is None:
            self._iterator = self._context.run(iter, self._result)
        return self._context.run(next, self._iterator)

    def close(self) -> None:
        close = getattr(self._result, "close", None)
        if close is not None:
            self._context.run(close)


class WSGICorrelationMiddleware:
    """WSGI middleware: one correlation id per request, echoed back in the response.

    Works like :class:`ASGICorrelationMiddleware`; the id is also in
    ``environ["bricolage.correlation_id"]``. The application runs, and its response is
    iterated and closed, in a context of its own, so streaming responses log under the
    request's id too and nothing leaks into the server's context.

    >>> def app(environ, start_response):
    ...     start_response("200 OK", [("Content-Type", "text/plain")])
    ...     return [environ["bricolage.correlation_id"].encode()]
    >>> seen = []
    >>> def start_response(status, headers, exc_info=None):
    ...     seen.extend(headers)
    ...     return lambda data: None
    >>> body = WSGICorrelationMiddleware(app)({"HTTP_X_REQUEST_ID": "req-2"}, start_response)
    >>> list(body), seen[-1]
    ([b'req-2'], ('X-Request-ID', 'req-2'))
    """

    def __init__(
        self,
        app: Callable[[Any, Any], Iterable[bytes]],
        *,
        header: str = "X-Request-ID",
        generate: Callable[[], str] = new_correlation_id,
        trust_incoming: bool = True,
    ) -> None:
        self.app = app
        self.header: str = _check_header(header)
        self._environ_key = "HTTP_" + header.upper().replace("-", "_")
        self._generate = generate
        self._trust_incoming = trust_incoming

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Run the wrapped application under the request's correlation id."""
        incoming = environ.get(self._environ_key)
        correlation_id = _adopt(
            incoming if isinstance(incoming, str) else None,
            self._trust_incoming,
            self._generate,
        )
        environ["bricolage.correlation_id"] = correlation_id
        header, lowered = self.header, self.header.lower()

        def start_with_id(
            status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
        ) -> Callable[[bytes], object]:
            if all(name.lower() != lowered for name, _ in headers):
                headers = [*headers, (header, correlation_id)]
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        context = contextvars.copy_context()
        context.run(_CORRELATION_ID.set, correlation_id)
        result = context.run(self.app, environ, start_with_id)
        return _InContext(result, context)


class OutgoingRequest(Protocol):
    """What the httpx hooks need of a request: its headers (``httpx.Request`` fits).

    >>> class Request:
    ...     def __init__(self) -> None:
    ...         self.headers: dict[str, str] = {}
    >>> request: OutgoingRequest = Request()
    """

    @property
    def headers(self) -> MutableMapping[str, str]:
        """The request's headers, to read and write."""
        ...


def _stamp(request: OutgoingRequest) -> None:
    correlation_id = _CORRELATION_ID.get()
    if correlation_id is not None and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = correlation_id


def httpx_request_hook(request: OutgoingRequest) -> None:
    """httpx request hook: send the bound correlation id as ``X-Request-ID``.

    Use it as ``httpx.Client(event_hooks={"request": [httpx_request_hook]})``. A header
    the caller set is kept; with no id bound nothing is added.

    >>> from bricolage.logging import correlation_scope
    >>> class Request:
    ...     headers: dict[str, str] = {}
    >>> request = Request()
    >>> with correlation_scope("req-3"):
    ...     httpx_request_hook(request)
    >>> request.headers
    {'X-Request-ID': 'req-3'}
    """
    _stamp(request)


async def httpx_async_request_hook(request: OutgoingRequest) -> None:
    """The same as :func:`httpx_request_hook`, for ``httpx.AsyncClient`` (hooks are awaited).

    >>> import asyncio
    >>> from bricolage.logging import correlation_scope
    >>> class Request:
    ...     headers: dict[str, str] = {}
    >>> request = Request()
    >>> with correlation_scope("req-4"):
    ...     asyncio.run(httpx_async_request_hook(request))
    >>> request.headers
    {'X-Request-ID': 'req-4'}
    """
    _stamp(request)


def inject_correlation_id(
    metadata: MutableMapping[str, Any], *, key: str = "correlation_id"
) -> str | None:
    """Store the bound correlation id in a job's metadata when it is enqueued.

    Returns the id stored, or ``None`` when none is bound (then nothing is stored).

    >>> from bricolage.logging import correlation_scope
    >>> metadata = {}
    >>> with correlation_scope("req-5"):
    ...     inject_correlation_id(metadata)
    'req-5'
    >>> metadata
    {'correlation_id': 'req-5'}
    """
    correlation_id = _CORRELATION_ID.get()
    if correlation_id is not None:
        metadata[key] = correlation_id
    return correlation_id


@contextmanager
def correlation_from(
    metadata: Mapping[str, Any],
    *,
    key: str = "correlation_id",
    generate: Callable[[], str] = new_correlation_id,
) -> Iterator[str]:
    """Bind the correlation id found in a job's metadata (a new one if absent or invalid).

    >>> from bricolage.logging import get_correlation_id
    >>> with correlation_from({"correlation_id": "req-6"}) as cid:
    ...     cid == get_correlation_id() == "req-6"
    True
    """
    found = metadata.get(key)
    correlation_id = (
        found if isinstance(found, str) and is_valid_correlation_id(found) else generate()
    )
    token = _CORRELATION_ID.set(correlation_id)
    try:
        yield correlation_id
    finally:
        _CORRELATION_ID.reset(token)


class JobMiddleware(Protocol):
    """The shape of a job-queue middleware: run ``call_next`` for a job with ``metadata``.

    A queue that accepts such callables gets correlation ids carried from the code that
    enqueued a job to the worker that runs it, with :func:`correlation_job_middleware`.

    >>> middleware: JobMiddleware = correlation_job_middleware
    """

    def __call__(self, metadata: Mapping[str, Any], call_next: Callable[[], T]) -> T:
        """Run ``call_next()`` and return its result."""
        ...


def correlation_job_middleware(metadata: Mapping[str, Any], call_next: Callable[[], T]) -> T:
    """A :class:`JobMiddleware` that runs a job under the id its metadata carries.

    Pair it with :func:`inject_correlation_id` on the enqueueing side.

    >>> from bricolage.logging import get_correlation_id
    >>> correlation_job_middleware({"correlation_id": "req-7"}, get_correlation_id)
    'req-7'
    """
    with correlation_from(metadata):
        return call_next()
