"""Serving a WSGI app on a thread (free port unless one is given) and a worker beside it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from anyio.from_thread import start_blocking_portal
from werkzeug.serving import make_server

from bricolage.jobs import Worker


@contextmanager
def serving(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` on ``host:port`` (0: a free port) in a thread; yield its URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def working(worker: Worker) -> Iterator[Worker]:
    """Run ``worker`` on an event loop in a thread until the block ends, then stop it."""
    with start_blocking_portal() as portal:
        done = portal.start_task_soon(worker.serve)
        try:
            yield worker
        finally:
            portal.call(worker.stop)
            done.result(timeout=60)
