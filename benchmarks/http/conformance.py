"""Run the HTTP working group's cache tests against bricolage-http in a reverse proxy.

The suite (https://github.com/http-tests/cache-tests, published on npm as
``http-cache-tests``) is not vendored. Fetch it once, then point this script at it::

    cd /tmp && npm pack http-cache-tests && tar xzf http-cache-tests-*.tgz
    (cd package && npm install --omit=dev)
    python benchmarks/http/conformance.py /tmp/package            # shared cache
    python benchmarks/http/conformance.py /tmp/package --private  # private cache
    python benchmarks/http/conformance.py /tmp/package --stale-if-disconnected

The script starts the suite's origin server (node) on a free port of 127.0.0.1, a small
threaded reverse proxy whose only cache is ``CacheTransport`` in front of it, runs the
suite's command-line client against the proxy, and prints how many tests passed, by the
suite's own classification (``lib/display.mjs``). ``--compare squid`` also classifies a
stored result file of the suite the same way, as a yardstick.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from bricolage.http import CachePolicy, CacheTransport, RetryPolicy, RetryTransport

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
    "host",
    "content-length",
}

CLASSIFY = """
import tests from './tests/index.mjs'
import surrogate from './tests/surrogate-control.mjs'
import { determineTestResult } from './lib/display.mjs'
import fs from 'fs'
tests.push(surrogate)
const results = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const counts = {}
let total = 0
for (const suite of tests) {
  for (const test of suite.tests) {
    total += 1
    const kind = determineTestResult(tests, test.id, results)[2]
    counts[kind] = (counts[kind] || 0) + 1
  }
}
console.log(JSON.stringify({ total, counts }))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_proxy(origin: str, transport: CacheTransport) -> ThreadingHTTPServer:
    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            return

        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length", "0") or 0)
            body = self.rfile.read(length) if length else b""
            headers = [
                (k.encode("latin-1"), v.strip().encode("latin-1"))
                for k, v in self.headers.items()
                if k.lower() not in HOP_BY_HOP
            ]
            request = httpx.Request(
                self.command, origin + self.path, headers=headers, content=body
            )
            try:
                response = transport.handle_request(request)
                payload = b"".join(response.iter_raw())
                response.close()
            except httpx.HTTPError as error:
                print(
                    f"upstream failed for {self.command} {self.path}: {error!r}", file=sys.stderr
                )
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.log_error("upstream failed: %s", error)
                return
            self.send_response_only(response.status_code)
            for key, value in response.headers.raw:
                if key.lower().decode("latin-1") not in HOP_BY_HOP:
                    self.send_header(key.decode("latin-1"), value.decode("latin-1"))
            if response.status_code not in (204, 304) and self.command != "HEAD":
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD" and response.status_code not in (204, 304):
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any

    setattr(Proxy, "do_M-SEARCH", Proxy.handle_any)  # a method name that is no identifier

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # the suite opens many connections at once

    return Server(("127.0.0.1", free_port()), Proxy)


def classify(suite: Path, results: Path) -> dict[str, object]:
    script = suite / "_classify.mjs"
    script.write_text(CLASSIFY)
    try:
        out = subprocess.run(
            ["node", str(script), str(results)],
            cwd=suite,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        script.unlink()
    data: dict[str, object] = json.loads(out)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite", type=Path, help="the unpacked http-cache-tests package")
    parser.add_argument("--private", action="store_true", help="run as a private cache")
    parser.add_argument(
        "--stale-if-disconnected",
        action="store_true",
        help="CachePolicy(stale_if_disconnected=True), as a gateway would run",
    )
    parser.add_argument(
        "--compare",
        nargs="*",
        default=["squid", "nginx"],
        help="stored results to classify alongside (results/<name>.json)",
    )
    parser.add_argument("--out", type=Path, default=Path("cache-tests-results.json"))
    parser.add_argument("--id", default="", help="run this one test and show its details")
    args = parser.parse_args()
    suite: Path = args.suite.resolve()
    origin_port = free_port()
    env = {
        **os.environ,
        "npm_config_port": str(origin_port),
        "npm_config_protocol": "http",
        "npm_config_pidfile": str(suite / "server.pid"),
    }
    origin = subprocess.Popen(
        ["node", "server/server.mjs"],
        cwd=suite,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Retries only for connections the origin closed while idle, never for statuses.
    upstream = RetryTransport(
        policy=RetryPolicy(attempts=2, base_delay=0.01, statuses=frozenset())
    )
    policy = CachePolicy(shared=not args.private, stale_if_disconnected=args.stale_if_disconnected)
    transport = CacheTransport(upstream, policy=policy)
    proxy = make_proxy(f"http://localhost:{origin_port}", transport)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", origin_port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        base = f"http://127.0.0.1:{proxy.server_address[1]}"
        run = subprocess.run(
            ["node", "--no-warnings", "cli.mjs"],
            cwd=suite,
            check=True,
            capture_output=True,
            text=True,
            env={**env, "npm_config_base": base, "npm_package_config_id": args.id},
        )
        if args.id:
            print(run.stdout)
            return
        args.out.write_text(run.stdout)
    finally:
        proxy.shutdown()
        proxy.server_close()
        transport.close()
        origin.terminate()
        origin.wait(10)
    mode = "private" if args.private else "shared"
    if args.stale_if_disconnected:
        mode += ", stale_if_disconnected"
    ours = classify(suite, args.out.resolve())
    print(f"bricolage-http ({mode} cache): {json.dumps(ours)}")
    for name in args.compare:
        stored = suite / "results" / f"{name}.json"
        if stored.is_file():
            print(f"{name} (stored results of the suite): {json.dumps(classify(suite, stored))}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
