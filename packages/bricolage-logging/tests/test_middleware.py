"""ASGI and WSGI middleware behind real servers on 127.0.0.1, the httpx hooks, job hooks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
import uvicorn

from bricolage.logging import (
    ASGICorrelationMiddleware,
    ConfigurationError,
    JobMiddleware,
    MemorySink,
    WSGICorrelationMiddleware,
    configure,
    correlation_from,
    correlation_job_middleware,
    correlation_scope,
    get_correlation_id,
    get_logger,
    httpx_async_request_hook,
    httpx_request_hook,
    inject_correlation_id,
)

Scope = MutableMapping[str, Any]


# -- WSGI, served by wsgiref on a free loopback port -------------------------------------


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    log = get_logger("web.wsgi")
    log.info("request", path=environ["PATH_INFO"])
    if environ["PATH_INFO"] == "/own-header":
        start_response("200 OK", [("X-Request-ID", "set-by-app")])
        return [b"own"]

    def body() -> Iterator[bytes]:
        log.info("streaming")  # runs after the app returned: must keep the id
        yield (get_correlation_id() or "").encode()

    start_response("200 OK", [("Content-Type", "text/plain")])
    return body()


@pytest.fixture
def wsgi_server() -> Iterator[str]:
    server: WSGIServer = make_server(
        "127.0.0.1", 0, WSGICorrelationMiddleware(wsgi_app), handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_wsgi_adopts_the_incoming_id_and_returns_it(wsgi_server: str, sink: MemorySink) -> None:
    configure(service="web", stream=None, sinks=[sink])
    with httpx.Client(event_hooks={"request": [httpx_request_hook]}) as client:
        with correlation_scope("req-from-client"):
            response = client.get(f"{wsgi_server}/a")
        fresh = client.get(f"{wsgi_server}/b")
    assert response.headers["X-Request-ID"] == "req-from-client"
    assert response.text == "req-from-client"
    made = fresh.headers["X-Request-ID"]
    assert len(made) == 32
    assert fresh.text == made
    records = [r for r in sink.records() if r["logger"] == "web.wsgi"]
    assert [(r["message"], r["correlation_id"]) for r in records] == [
        ("request", "req-from-client"),
        ("streaming", "req-from-client"),
        ("request", made),
        ("streaming", made),
    ]
    # httpx's own standard-library records came out in the same JSON, with the id.
    client_lines = [r for r in sink.records() if r["logger"] == "httpx"]
    assert client_lines[0]["correlation_id"] == "req-from-client"
    assert "correlation_id" not in client_lines[1]


def test_wsgi_refuses_a_malicious_id_and_keeps_the_apps_header(wsgi_server: str) -> None:
    with httpx.Client() as client:
        injected = client.get(f"{wsgi_server}/a", headers={"X-Request-ID": 'x" y'})
        own = client.get(f"{wsgi_server}/own-header", headers={"X-Request-ID": "req-1"})
    assert injected.headers["X-Request-ID"] != 'x" y'
    assert len(injected.headers["X-Request-ID"]) == 32
    assert own.headers.get_list("X-Request-ID") == ["set-by-app"]


def test_wsgi_options_and_exc_info_passthrough() -> None:
    calls: list[tuple[str, list[tuple[str, str]], Any]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        calls.append((status, headers, exc_info))
        return lambda data: None

    class Closing:
        closed = False

        def __iter__(self) -> Iterator[bytes]:
            yield (get_correlation_id() or "").encode()

        def close(self) -> None:
            Closing.closed = get_correlation_id() == "fixed"

    def app(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        try:
            raise ValueError("x")
        except ValueError as error:
            start("500 Oops", [], (ValueError, error, None))
        return Closing()

    middleware = WSGICorrelationMiddleware(
        app, header="X-Correlation-ID", generate=lambda: "fixed", trust_incoming=False
    )
    result = middleware({"HTTP_X_CORRELATION_ID": "ignored"}, start_response)
    assert list(result) == [b"fixed"]
    result.close()  # type: ignore[attr-defined]
    assert Closing.closed
    status, headers, exc_info = calls[0]
    assert status == "500 Oops"
    assert headers == [("X-Correlation-ID", "fixed")]
    assert exc_info[0] is ValueError
    assert get_correlation_id() is None


def test_wsgi_result_without_close() -> None:
    middleware = WSGICorrelationMiddleware(lambda environ, start: [b"x"])
    result = middleware({}, lambda status, headers, exc_info=None: lambda data: None)
    result.close()  # type: ignore[attr-defined]
    assert list(result) == [b"x"]


@pytest.mark.parametrize("header", ["", "X Request", "X:Y"])
def test_bad_header_names_are_refused(header: str) -> None:
    with pytest.raises(ConfigurationError, match="invalid header name"):
        WSGICorrelationMiddleware(lambda environ, start: [], header=header)
    with pytest.raises(ConfigurationError, match="invalid header name"):
        ASGICorrelationMiddleware(asgi_app, header=header)


# -- ASGI, served by uvicorn on a free loopback port ---------------------------------------


async def asgi_app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    get_logger("web.asgi").info("request", path=scope["path"])
    headers = [(b"content-type", b"text/plain")]
    if scope["path"] == "/own-header":
        headers.append((b"X-Request-ID", b"set-by-app"))
    body = (get_correlation_id() or "").encode()
    body += b"|" + scope["state"]["correlation_id"].encode()
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def asgi_server() -> Iterator[str]:
    config = uvicorn.Config(
        ASGICorrelationMiddleware(asgi_app),
        host="127.0.0.1",
        port=0,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_asgi_behind_uvicorn_with_the_async_httpx_hook(
    asgi_server: str, sink: MemorySink, anyio_backend: str
) -> None:
    configure(service="web", stream=None, sinks=[sink])
    async with httpx.AsyncClient(event_hooks={"request": [httpx_async_request_hook]}) as client:
        with correlation_scope("req-async"):
            response = await client.get(f"{asgi_server}/a")
        fresh = await client.get(f"{asgi_server}/b")
        own = await client.get(f"{asgi_server}/own-header")
        bad = await client.get(f"{asgi_server}/c", headers={"X-Request-ID": "a b"})
    assert response.headers["x-request-id"] == "req-async"
    assert response.text == "req-async|req-async"
    made = fresh.headers["x-request-id"]
    assert fresh.text == f"{made}|{made}"
    assert own.headers.get_list("x-request-id") == ["set-by-app"]
    assert bad.headers["x-request-id"] != "a b"
    logged = [r["correlation_id"] for r in sink.records() if r["logger"] == "web.asgi"]
    assert logged[:2] == ["req-async", made]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_asgi_websocket_scope_and_untrusted_edge(anyio_backend: str) -> None:
    seen: list[str | None] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        seen.append(get_correlation_id())

    middleware = ASGICorrelationMiddleware(app, generate=lambda: "made", trust_incoming=False)

    async def receive() -> dict[str, Any]:
        return {}

    async def send(message: Any) -> None:
        pass

    await middleware(
        {"type": "websocket", "headers": [(b"x-request-id", b"given")]}, receive, send
    )
    await middleware({"type": "lifespan"}, receive, send)
    assert seen == ["made", None]


# -- httpx hooks and job metadata ---------------------------------------------------------


def test_httpx_hook_keeps_a_header_the_caller_set() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Request-ID"))
        return httpx.Response(204)

    transport = httpx.MockTransport(handler)
    with httpx.Client(transport=transport, event_hooks={"request": [httpx_request_hook]}) as c:
        c.get("http://example.invalid/")
        with correlation_scope("req-h"):
            c.get("http://example.invalid/")
            c.get("http://example.invalid/", headers={"X-Request-ID": "explicit"})
    assert seen == [None, "req-h", "explicit"]


def test_job_metadata_carries_the_id_to_the_worker() -> None:
    sink = MemorySink()
    configure(service="jobs", stream=None, sinks=[sink])
    metadata: dict[str, Any] = {}
    assert inject_correlation_id(metadata) is None
    assert metadata == {}
    with correlation_scope("req-job"):
        assert inject_correlation_id(metadata) == "req-job"

    def job() -> str:
        get_logger("worker").info("job ran")
        return "done"

    middleware: JobMiddleware = correlation_job_middleware
    result: str = middleware(metadata, job)
    assert result == "done"
    assert sink.records()[0]["correlation_id"] == "req-job"
    with correlation_from({"correlation_id": "bad id"}, generate=lambda: "fresh") as cid:
        assert cid == "fresh"
    with correlation_from({}, key="cid", generate=lambda: "fresh2") as cid:
        assert cid == "fresh2"
    assert get_correlation_id() is None
