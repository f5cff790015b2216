"""A small generated web site on 127.0.0.1 to crawl: links, robots.txt, a flaky page."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROBOTS = "User-agent: *\nDisallow: /private/\n"


@dataclass
class Site:
    """The running site: its URL, and what it saw."""

    url: str
    pages: int
    latency: float
    hits: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _page(site: Site, number: int) -> str:
    links = [
        f'<a href="/page/{(number + 1) % site.pages}">next</a>',
        f'<a href="/page/{(number * 3 + 2) % site.pages}">jump</a>',
    ]
    links.append('<a href="/private/secret">secret</a>')
    links.append('<a href="/flaky">flaky</a>')
    links.append('<a href="https://elsewhere.example/">elsewhere</a>')
    return (
        f"<html><head><title>Page {number}</title></head><body>"
        f"<h1>Page {number}</h1>{''.join(links)}</body></html>"
    )


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            return

        def _send(self, status: int, body: str, content_type: str = "text/html") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if status == 200:
                self.send_header("Cache-Control", "max-age=300")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            with site.lock:
                site.hits[self.path] += 1
                hits = site.hits[self.path]
                site.in_flight += 1
                site.max_in_flight = max(site.max_in_flight, site.in_flight)
            try:
                time.sleep(site.latency)
                if self.path == "/robots.txt":
                    self._send(200, ROBOTS, "text/plain")
                elif self.path == "/":
                    self._send(200, _page(site, 0))
                elif self.path.startswith("/page/"):
                    self._send(200, _page(site, int(self.path.rsplit("/", 1)[1])))
                elif self.path == "/flaky" and hits == 1:
                    self._send(503, "try again")
                elif self.path == "/flaky":
                    self._send(200, "<title>Flaky</title>recovered")
                else:
                    self._send(404, "<title>Not found</title>")
            finally:
                with site.lock:
                    site.in_flight -= 1

    return Handler


@contextmanager
def serve_site(pages: int = 20, latency: float = 0.02) -> Iterator[Site]:
    """Serve the site on a free port of 127.0.0.1 for the duration of the block."""
    site = Site("", pages, latency)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
