"""Fixtures: a misbehaving HTTP server on 127.0.0.1 and a private redis-server."""

from __future__ import annotations

import gzip
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class ServerState:
    """What the server has seen, and what it has been told to do."""

    hits: Counter[str] = field(default_factory=Counter)
    remaining: dict[str, int] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str) -> int:
        with self.lock:
            self.hits[name] += 1
            return self.hits[name]

    def take(self, name: str, initial: int) -> bool:
        """True while the misbehaviour named ``name`` still has rounds left."""
        with self.lock:
            left = self.remaining.setdefault(name, initial)
            if left > 0:
                self.remaining[name] = left - 1
                return True
            return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 304:
            self.wfile.write(body)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send a TCP RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        url = urlsplit(self.path)
        state = self.server.state
        state.count("POST " + url.path)
        self._send(201, b"created", {"Location": url.path + "/1"})

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        state = self.server.state
        name = query.get("id", url.path)
        state.count(name)
        kind = url.path.strip("/").split("/")[0]
        if kind == "burst":
            if state.take(name, int(query.get("n", "3"))):
                self._send(503, b"busy")
            else:
                self._send(200, b"ok after burst")
        elif kind == "reset":
            if state.take(name, int(query.get("n", "2"))):
                self._reset()
            else:
                self._send(200, b"ok after resets")
        elif kind == "ratelimit":
            if state.take(name, 1):
                self._send(429, b"slow down", {"Retry-After": query.get("after", "1")})
            else:
                self._send(200, b"ok after 429")
        elif kind == "slow":
            if query.get("where") == "headers":
                time.sleep(float(query.get("delay", "1")))
            self.send_response(200)
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.flush()
            time.sleep(float(query.get("delay", "1")))
            self.wfile.write(b"slow")
        elif kind == "etag":
            version = state.versions.get(name, "v1")
            etag = f'"{version}"'
            headers = {
                "ETag": etag,
                "Cache-Control": query.get("cc", "max-age=0"),
                "Date": formatdate(usegmt=True),
            }
            if self.headers.get("If-None-Match") == etag:
                state.count("304 " + name)
                self._send(304, b"", headers)
            else:
                self._send(200, f"body {version}".encode(), headers)
        elif kind == "hints":
            # An interim 103 (with a header of its own), then the final response.
            self.wfile.write(
                b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n"
                b"X-Interim: yes\r\n\r\n"
            )
            self._send(200, b"final", {"Cache-Control": "max-age=60"})
        elif kind == "gzip":
            body = gzip.compress(b"compressed body")
            self._send(200, body, {"Cache-Control": "max-age=60", "Content-Encoding": "gzip"})
        elif kind == "range":
            body = b"0123456789"
            wanted = self.headers.get("Range")
            if wanted == "bytes=2-4":
                self._send(
                    206,
                    body[2:5],
                    {"Cache-Control": "max-age=60", "Content-Range": "bytes 2-4/10"},
                )
            else:
                self._send(200, body, {"Cache-Control": "max-age=60"})
        elif kind == "vary":
            language = self.headers.get("Accept-Language", "none")
            self._send(
                200,
                f"lang={language}".encode(),
                {"Vary": "Accept-Language", "Cache-Control": "max-age=60"},
            )
        elif kind == "cc":
            self._send(
                int(query.get("status", "200")),
                f"response {state.hits[name]}".encode(),
                {"Cache-Control": query.get("cc", "max-age=60"), "Date": formatdate(usegmt=True)},
            )
        elif kind == "flaky":
            # Fresh for a moment, then answers 500 (for stale-if-error).
            if state.hits[name] > 1 and query.get("fail") == "500":
                self._send(500, b"broken")
            elif state.hits[name] > 1:
                self._reset()
            else:
                self._send(200, b"good copy", {"Cache-Control": query.get("cc", "max-age=0")})
        elif kind == "big":
            size = int(query.get("size", "1000000"))
            self.send_response(200)
            self.send_header("Cache-Control", "max-age=60")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            sent = 0
            while sent < size:
                part = chunk[: min(len(chunk), size - sent)]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                sent += len(part)
            self.wfile.write(b"0\r\n\r\n")
        else:
            self._send(404, b"not found")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ServerState

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that time out or hang up mid-body are part of the tests.
        return


@dataclass
class Origin:
    """A running test server: its base URL and its state."""

    url: str
    state: ServerState

    def hits(self, name: str) -> int:
        with self.state.lock:
            return self.state.hits[name]


@pytest.fixture
def origin() -> Iterator[Origin]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = ServerState()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield Origin(f"http://{host!s}:{port}", server.state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free port in a temporary folder, stopped afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not on PATH; install it (apt-get install redis-server)")
    folder: Path = tmp_path_factory.mktemp("redis")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
