"""A deliberately slow weather API on 127.0.0.1, with cache headers and ETags."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class WeatherAPI:
    """The API's state: its latency, its data version, and how often it was called."""

    url: str
    latency: float
    calls: Counter[str] = field(default_factory=Counter)
    version: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bump(self) -> None:
        """Publish new data: the next full answer carries a new ETag."""
        with self.lock:
            self.version += 1


def _handler(api: WeatherAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            city = self.path.rsplit("/", 1)[-1] or "paris"
            with api.lock:
                api.calls[city] += 1
                version = api.version
            time.sleep(api.latency)
            body = json.dumps({"city": city, "temperature": 12 + version, "version": version})
            etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
            headers = {
                "Cache-Control": "max-age=2, stale-while-revalidate=30, stale-if-error=300",
                "ETag": etag,
                "Date": formatdate(usegmt=True),
                "Content-Type": "application/json",
            }
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                return
            data = body.encode()
            self.send_response(200)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def serve(latency: float = 0.3) -> Iterator[WeatherAPI]:
    """Run the API on a free port of 127.0.0.1 for the duration of the block."""
    api = WeatherAPI("", latency)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
