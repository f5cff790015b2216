"""Serving the app on a thread: a free port unless one is given, the app made for the port."""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


class _Deferred:
    """A WSGI app whose target is set once the port is known (CSRF needs the origin)."""

    def __init__(self) -> None:
        self.app: WSGIApp | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        assert self.app is not None
        return self.app(environ, start_response)


@contextmanager
def serving(
    make_app: Callable[[int], WSGIApp],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    tls: ssl.SSLContext | None = None,
) -> Iterator[str]:
    """Bind ``host:port`` (0: a free port), serve ``make_app(port)`` in a thread, yield the URL.

    With ``tls`` (a server-side context) it serves HTTPS.
    """
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    deferred = _Deferred()
    server = make_server(host, port, deferred, threaded=True, ssl_context=tls)
    scheme = "https" if tls is not None else "http"
    deferred.app = make_app(server.server_port)
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    try:
        yield f"{scheme}://{host}:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
