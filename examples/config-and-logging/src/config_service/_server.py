"""Serving a WSGI app on a thread (free port unless one is given) and a worker beside it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from anyio.from_thread import start_blocking_portal
from werkzeug.serving import BaseWSGIServer, make_server

from bricolage.jobs import Worker


class Server:
    """A threaded HTTP server running ``app`` until :meth:`stop`."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="http")

    def start(self) -> None:
        """Serve in a thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()


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
