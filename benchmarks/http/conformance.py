"""Run the HTTP working group's cache tests against bricolage-http and its peers.

The suite (https://github.com/http-tests/cache-tests) is vendored outside the repository,
read-only, at ``../shared/vendor/cache-tests`` from the repository root; this script runs it
from there and writes nothing into it::

    python benchmarks/http/conformance.py                       # every contender
    python benchmarks/http/conformance.py --only bricolage-shared --fail-on-required
    python benchmarks/http/conformance.py --only hishel --id age-parse-dup-0
    python benchmarks/http/conformance.py --stored squid nginx varnish trafficserver

For each contender it starts the suite's origin server (node) on a free port of 127.0.0.1
and a small threaded reverse proxy whose only cache is the contender, runs the suite's own
command-line client (``test-engine/cli.mjs``) against the proxy, and classifies the results
with the suite's ``test-engine/lib/results.mjs``: required pass and fail, optional pass and
fail, check yes and no, setup, harness and dependency failures. ``--stored`` classifies the
suite's stored results of other caches (``results/<name>.json``) the same way.

Contenders: ``bricolage-shared`` (``CachePolicy(shared=True, targets=("CDN-Cache-Control",))``
over ``SQLiteStorage``), ``bricolage-private`` (``CachePolicy()``), ``hishel`` (its httpx
transport with ``CacheOptions(shared=True)`` over its SQLite storage), ``cachecontrol`` and
``requests-cache`` (requests sessions; both are private caches by design). Peers that are not
installed are skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CLI = Path("test-engine") / "cli.mjs"
DEFAULT_SUITE = ROOT.parent / "shared" / "vendor" / "cache-tests"

Headers = list[tuple[bytes, bytes]]
Fetch = Callable[[str, str, Headers, bytes], tuple[int, Headers, bytes]]

HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"proxy-authorization",
    b"proxy-authenticate",
    b"host",
    b"content-length",
}

CLASSIFY = """
import fs from 'fs'
const suite = process.argv[2]
const tests = (await import(suite + '/tests/index.mjs')).default
const { determineTestResult, resultTypes } = await import(suite + '/test-engine/lib/results.mjs')
const names = new Map(Object.entries(resultTypes).map(([name, type]) => [type, name]))
const out = {}
for (const file of process.argv.slice(3)) {
  const results = JSON.parse(fs.readFileSync(file, 'utf8'))
  const counts = {}
  const failed = {}
  for (const suite of tests) {
    for (const test of suite.tests) {
      const type = determineTestResult(tests, test.id, results)
      const name = (test.kind || 'required') + ':' + names.get(type)
      counts[name] = (counts[name] || 0) + 1
      if (type !== resultTypes.pass && type !== resultTypes.yes && type !== resultTypes.no &&
          type !== resultTypes.untested) {
        const detail = results[test.id]
        failed[test.id] = [name, Array.isArray(detail) ? detail.join(': ') : String(detail)]
      }
    }
  }
  out[file] = { counts, failed }
}
console.log(JSON.stringify(out))
"""


#: The suite's client imports ``undici`` (>= 7) for its interim-response tests; the vendored
#: copy has no ``node_modules`` and is read-only, so undici is installed once, with npm, into
#: a cache folder of its own (``$CACHE_TESTS_NODE_PREFIX`` to choose another), and a
#: resolve hook points the suite's ``import('undici')`` at it.
NODE_PREFIX = Path(
    os.environ.get("CACHE_TESTS_NODE_PREFIX")
    or Path.home() / ".cache" / "bricolage-http" / "cache-tests"
)
UNDICI = NODE_PREFIX / "node_modules" / "undici" / "index.js"

LOADER = """
import { register } from 'node:module'
register('data:text/javascript,' + encodeURIComponent(`
export async function resolve (specifier, context, next) {
  if (specifier === 'undici') return { url: UNDICI_URL, shortCircuit: true, format: 'commonjs' }
  return next(specifier, context)
}`))
"""


def ensure_undici() -> bool:
    """Install the suite's one runtime dependency into ``NODE_PREFIX`` unless it is there."""
    if UNDICI.is_file():
        return True
    print(f"installing undici@7 into {NODE_PREFIX} (once) ...", file=sys.stderr)
    NODE_PREFIX.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_PREFIX), "undici@^7"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        print(f"npm could not install undici: {done.stderr.strip()}", file=sys.stderr)
    return UNDICI.is_file()


def node_hooks(folder: Path) -> list[str]:
    """``node`` options that make the suite's ``import('undici')`` work."""
    if not ensure_undici():
        return []
    script = folder / "undici-hook.mjs"
    script.write_text(LOADER.replace("UNDICI_URL", repr(UNDICI.as_uri())))
    return ["--import", script.as_uri()]


# --- relaying interim (1xx) responses --------------------------------------------------
#
# httpx (httpcore, h11) reads interim responses and drops them, so neither a cache on httpx
# nor this proxy would see them. A real reverse proxy relays them to its client; to do the
# same here, the upstream connection is tapped below httpx: every 1xx head read from the
# origin after a request is written is handed to the proxy thread's relay, which writes it
# to its client at once. The bytes themselves reach httpx unchanged.

_relay = threading.local()


class _TapStream:
    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._head = b""
        self._watching = False

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._head, self._watching = b"", True
        self._inner.write(buffer, timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = self._inner.read(max_bytes, timeout)
        if self._watching:
            self._head += data
            while self._watching and b"\r\n\r\n" in self._head:
                block, self._head = self._head.split(b"\r\n\r\n", 1)
                if block[9:10] == b"1" and block.startswith(b"HTTP/1.1 1"):
                    relay = getattr(_relay, "send", None)
                    if relay is not None:
                        relay(block + b"\r\n\r\n")
                else:
                    self._watching = False
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _TapBackend:
    def __init__(self) -> None:
        import httpcore

        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, *args: Any, **kwargs: Any) -> _TapStream:
        return _TapStream(self._inner.connect_tcp(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def tapped_transport() -> Any:
    """An ``httpx.HTTPTransport`` whose connections relay interim responses (see above)."""
    import httpcore
    import httpx

    transport = httpx.HTTPTransport()
    # One connection per request: some tests send deliberately wrong framing (a false
    # Content-Length...), which must not spill into the next test's response on a reused
    # connection (it did: the proxy then retried, and the origin counted a request twice).
    transport._pool = httpcore.ConnectionPool(
        network_backend=_TapBackend(),  # type: ignore[arg-type]
        max_keepalive_connections=0,
    )
    return transport


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_proxy(fetch: Fetch, origin: str) -> ThreadingHTTPServer:
    """A threaded HTTP/1.1 reverse proxy to ``origin`` whose only cache is ``fetch``."""

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
                if k.lower().encode() not in HOP_BY_HOP
            ]
            _relay.send = self.wfile.write
            try:
                status, answer, payload = fetch(self.command, origin + self.path, headers, body)
            except Exception as error:  # any failure is the proxy's 502
                print(
                    f"upstream failed for {self.command} {self.path}: {error!r}", file=sys.stderr
                )
                _relay.send = None
                self.send_response_only(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            _relay.send = None
            self.send_response_only(status)
            for key, value in answer:
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key.decode("latin-1"), value.decode("latin-1"))
            bodiless = status in (204, 304) or self.command == "HEAD"
            if not bodiless:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if not bodiless:
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any

    setattr(Proxy, "do_M-SEARCH", Proxy.handle_any)  # a method name that is no identifier

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # the suite opens many connections at once

    return Server(("127.0.0.1", free_port()), Proxy)


# --- the contenders -------------------------------------------------------------------


@contextmanager
def bricolage(folder: Path, *, shared: bool) -> Iterator[Fetch]:
    import httpx

    from bricolage.http import CachePolicy, CacheTransport, SQLiteStorage

    upstream = tapped_transport()
    # The shared cache runs as a gateway would: obeying CDN-Cache-Control (RFC 9213) and
    # serving a stale response when the origin cannot be reached (RFC 9111 section 4.2.4).
    policy = (
        CachePolicy(shared=True, targets=("CDN-Cache-Control",), stale_if_disconnected=True)
        if shared
        else CachePolicy()
    )
    transport = CacheTransport(
        upstream, storage=SQLiteStorage(folder / "bricolage.db"), policy=policy
    )

    def fetch(method: str, url: str, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        request = httpx.Request(method, url, headers=headers, content=body)
        response = transport.handle_request(request)
        try:
            payload = b"".join(response.iter_raw())
        finally:
            response.close()
        return response.status_code, list(response.headers.raw), payload

    try:
        yield fetch
    finally:
        transport.close()
        transport.storage.close()


@contextmanager
def hishel_transport(folder: Path) -> Iterator[Fetch]:
    import hishel
    import hishel.httpx
    import httpx

    storage = hishel.SqliteStorage(database_path=folder / "hishel.db")
    transport = hishel.httpx.CacheTransport(
        tapped_transport(), storage=storage, rfc=hishel.CacheOptions(shared=True)
    )

    def fetch(method: str, url: str, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        request = httpx.Request(method, url, headers=headers, content=body)
        response = transport.handle_request(request)
        try:
            payload = b"".join(response.iter_raw())
        finally:
            response.close()
        return response.status_code, list(response.headers.raw), payload

    try:
        yield fetch
    finally:
        transport.close()


def _requests_fetch(session: Any) -> Fetch:
    def fetch(method: str, url: str, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        response = session.request(
            method,
            url,
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in headers},
            data=body or None,
            allow_redirects=False,
        )
        payload = response.content
        raw = getattr(response.raw, "headers", None) or response.headers
        items = raw.items()
        answer = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in items]
        # requests decodes the body: do not announce an encoding that is no longer there.
        answer = [(k, v) for k, v in answer if k.lower() != b"content-encoding"]
        return response.status_code, answer, payload

    return fetch


@contextmanager
def cachecontrol_session(folder: Path) -> Iterator[Fetch]:
    import requests
    from cachecontrol import CacheControl
    from cachecontrol.caches import SeparateBodyFileCache

    session = CacheControl(requests.Session(), cache=SeparateBodyFileCache(folder / "cc"))
    session.headers.clear()
    try:
        yield _requests_fetch(session)
    finally:
        session.close()


@contextmanager
def requests_cache_session(folder: Path) -> Iterator[Fetch]:
    import requests_cache

    # Its documented setting for HTTP semantics: obey the response's headers, and let a
    # response without freshness information expire at once (the default keeps it forever).
    session = requests_cache.CachedSession(
        str(folder / "requests-cache"),
        backend="sqlite",
        cache_control=True,
        expire_after=requests_cache.EXPIRE_IMMEDIATELY,
    )
    session.headers.clear()
    try:
        yield _requests_fetch(session)
    finally:
        session.close()


CONTENDERS: dict[str, Callable[[Path], Any]] = {
    "bricolage-shared": lambda folder: bricolage(folder, shared=True),
    "bricolage-private": lambda folder: bricolage(folder, shared=False),
    "hishel": hishel_transport,
    "cachecontrol": cachecontrol_session,
    "requests-cache": requests_cache_session,
}


# --- running the suite ------------------------------------------------------------------


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def run_suite(suite: Path, name: str, folder: Path, test_id: str = "") -> Path | str:
    """Run the suite against contender ``name``; the results file (or, with an id, the log)."""
    origin_port = free_port()
    env = {
        **os.environ,
        "npm_config_port": str(origin_port),
        "npm_config_protocol": "http",
        "npm_config_pidfile": str(folder / "server.pid"),
    }
    origin = subprocess.Popen(
        ["node", str(suite / "test-engine" / "server" / "server.mjs")],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with CONTENDERS[name](folder) as fetch:
            proxy = make_proxy(fetch, f"http://localhost:{origin_port}")
            threading.Thread(target=proxy.serve_forever, daemon=True).start()
            try:
                _wait_for_port(origin_port, 20)
                base = f"http://127.0.0.1:{proxy.server_address[1]}"
                run = subprocess.run(
                    [
                        "node",
                        "--no-warnings",
                        *node_hooks(folder),
                        str(suite / "test-engine" / "cli.mjs"),
                    ],
                    cwd=folder,
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=600,
                    env={
                        **env,
                        "npm_config_base": base,
                        "npm_config_id": test_id,
                        "npm_package_config_id": test_id,
                    },
                )
            finally:
                proxy.shutdown()
                proxy.server_close()
    finally:
        origin.terminate()
        origin.wait(10)
    if test_id:
        return run.stdout
    out = folder / f"{name}.json"
    out.write_text(run.stdout)
    return out


def classify(suite: Path, files: list[Path], folder: Path) -> dict[str, Any]:
    """Classify result files with the suite's own rules: ``{file: {counts, failed}}``."""
    script = folder / "classify.mjs"
    script.write_text(CLASSIFY)
    out = subprocess.run(
        ["node", str(script), suite.as_uri(), *map(str, files)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data: dict[str, Any] = json.loads(out)
    return data


COLUMNS = [
    ("required pass", "required:pass"),
    ("required fail", "required:fail"),
    ("optional pass", "optimal:pass"),
    ("optional fail", "optimal:optional_fail"),
    ("check yes", "check:yes"),
    ("check no", "check:no"),
    ("setup fail", ":setup_fail"),
    ("harness fail", ":harness_fail"),
    ("dependency fail", ":dependency_fail"),
]


def summarise(counts: dict[str, int]) -> dict[str, int]:
    """The classes of the table from the classified counts."""
    row = {}
    for column, key in COLUMNS:
        if key.startswith(":"):
            row[column] = sum(n for k, n in counts.items() if k.endswith(key))
        else:
            row[column] = counts.get(key, 0)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", type=Path, default=DEFAULT_SUITE, help="the cache-tests folder")
    parser.add_argument(
        "--only", nargs="*", default=list(CONTENDERS), choices=list(CONTENDERS), metavar="NAME"
    )
    parser.add_argument(
        "--stored",
        nargs="*",
        default=["squid", "nginx", "varnish", "trafficserver"],
        help="stored results of the suite to classify alongside (results/<name>.json)",
    )
    parser.add_argument("--id", default="", help="run this one test and show its log")
    parser.add_argument("--json", type=Path, help="also write the table and failures here")
    parser.add_argument(
        "--fail-on-required",
        action="store_true",
        help="exit 1 when bricolage-shared fails a required test (the CI check)",
    )
    args = parser.parse_args()
    suite: Path = args.suite.resolve()
    if not (suite / "test-engine" / "cli.mjs").is_file():
        print(f"no cache-tests suite at {suite} (test-engine/cli.mjs is missing)", file=sys.stderr)
        return 3
    rows: dict[str, dict[str, int]] = {}
    failures: dict[str, dict[str, list[str]]] = {}
    with tempfile.TemporaryDirectory(prefix="cache-tests-") as tmp:
        folder = Path(tmp)
        files: dict[str, Path] = {}
        for name in args.only:
            work = folder / name
            work.mkdir()
            try:
                result = run_suite(suite, name, work, args.id)
            except ImportError as error:
                print(f"{name}: skipped, not installed ({error})", file=sys.stderr)
                continue
            if isinstance(result, str):
                print(result)
                continue
            files[name] = result
        for name in args.stored:
            stored = suite / "results" / f"{name}.json"
            if stored.is_file():
                files[f"{name} (stored)"] = stored
        if not files:
            return 0
        classified = classify(suite, list(files.values()), folder)
        for name, path in files.items():
            entry = classified[str(path)]
            rows[name] = summarise(entry["counts"])
            failures[name] = entry["failed"]
    width = max(len(name) for name in rows)
    header = " | ".join(column for column, _ in COLUMNS)
    print(f"{'':{width}} | {header}")
    for name, row in rows.items():
        cells = " | ".join(f"{row[column]:>{len(column)}}" for column, _ in COLUMNS)
        print(f"{name:{width}} | {cells}")
    for name in (n for n in args.only if n.startswith("bricolage")):
        bad = {k: v for k, v in failures.get(name, {}).items() if v[0].startswith("required:")}
        for test_id, (kind, detail) in sorted(bad.items()):
            print(f"{name}: {test_id} [{kind}] {detail}")
    if args.json is not None:
        args.json.write_text(json.dumps({"rows": rows, "failures": failures}, indent=1))
    if args.fail_on_required and rows.get("bricolage-shared", {}).get("required fail"):
        return 1
    return 0


if __name__ == "__main__":
    with suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
