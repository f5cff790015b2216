"""JWKS: a real HTTP server on 127.0.0.1 serves the key set; caching and bounded refetch."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bricolage.security import JWKSClient, JWTIssuer, JWTKey, JWTVerifier
from bricolage.security.errors import ConfigurationError, JWKSError, JWTError
from bricolage.security.testing import FrozenClock

ISS, AUD = "https://auth.example", "api"


class JWKSServer:
    """A loopback HTTP server whose JWKS document and status the test controls."""

    def __init__(self) -> None:
        self.document: Any = {"keys": []}
        self.status = 200
        self.body: bytes | None = None
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                body = (
                    server.body
                    if server.body is not None
                    else json.dumps(server.document).encode()
                )
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def publish(self, *keys: JWTKey) -> None:
        self.document = {"keys": [k.public_jwk() for k in keys]}


@pytest.fixture
def server() -> Iterator[JWKSServer]:
    srv = JWKSServer()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
        srv.thread.join()


def make(server: JWKSServer, clock: FrozenClock, **options: Any) -> tuple[JWKSClient, JWTVerifier]:
    client = JWKSClient(
        server.url, algorithms=["ES256", "RS256"], allow_insecure_http=True, clock=clock, **options
    )
    return client, JWTVerifier(client, issuer=ISS, audience=AUD, clock=clock)


def token(key: JWTKey, clock: FrozenClock) -> str:
    return JWTIssuer(key, issuer=ISS, audience=AUD, clock=clock).encode(subject="alice")


def test_keys_are_fetched_once_and_cached(server: JWKSServer) -> None:
    clock = FrozenClock()
    key = JWTKey.generate("ES256", kid="k1")
    server.publish(key)
    _, verifier = make(server, clock)
    for _ in range(20):
        assert verifier.decode(token(key, clock))["sub"] == "alice"
    assert server.requests == 1
    clock.advance(301)
    verifier.decode(token(key, clock))
    assert server.requests == 2  # cache_ttl passed


def test_rotation_new_kid_triggers_one_refetch(server: JWKSServer) -> None:
    clock = FrozenClock()
    old, new = JWTKey.generate("ES256", kid="old"), JWTKey.generate("ES256", kid="new")
    server.publish(old)
    _, verifier = make(server, clock)
    verifier.decode(token(old, clock))
    clock.advance(31)
    server.publish(new, old)
    assert verifier.decode(token(new, clock))["sub"] == "alice"
    assert server.requests == 2


def test_pitfall_forged_kids_cannot_flood_the_issuer(server: JWKSServer) -> None:
    clock = FrozenClock()
    key = JWTKey.generate("ES256", kid="real")
    server.publish(key)
    client, verifier = make(server, clock)
    verifier.decode(token(key, clock))
    for i in range(200):
        forged = JWTKey.generate("ES256", kid=f"forged-{i}")
        with pytest.raises(JWTError, match="no key for kid"):
            verifier.decode(token(forged, clock))
    assert server.requests == 1
    clock.advance(30)
    with pytest.raises(JWTError):
        verifier.decode(token(JWTKey.generate("ES256", kid="x"), clock))
    assert server.requests == 2 == client.fetch_count


def test_pitfall_concurrent_unknown_kids_fetch_once(server: JWKSServer) -> None:
    clock = FrozenClock()
    server.publish(JWTKey.generate("ES256", kid="real"))
    client, _ = make(server, clock)
    threads = [threading.Thread(target=client.get_keys, args=(f"k{i}",)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.requests == 1


def test_failed_refetch_serves_cached_keys(server: JWKSServer) -> None:
    clock = FrozenClock()
    key = JWTKey.generate("ES256", kid="k1")
    server.publish(key)
    _, verifier = make(server, clock)
    verifier.decode(token(key, clock))
    server.status = 503
    clock.advance(301)
    assert verifier.decode(token(key, clock))["sub"] == "alice"
    assert server.requests == 2


def test_unreachable_or_bad_jwks_is_a_clear_error(server: JWKSServer) -> None:
    clock = FrozenClock()
    server.status = 503
    client, verifier = make(server, clock)
    with pytest.raises(JWKSError, match="cannot fetch JWKS"):
        verifier.decode(token(JWTKey.generate("ES256"), clock))
    server.status = 200
    server.body = b"<html>"
    with pytest.raises(JWKSError, match="not a JWK Set"):
        client.refresh()
    server.body = b'{"keys": {}}'
    with pytest.raises(JWKSError, match="not a JWK Set"):
        client.refresh()
    server.body = b'{"keys": [' + b'{"kty": "EC"},' * 60_000 + b"{}]}"
    with pytest.raises(JWKSError, match="larger than"):
        client.refresh()


def test_pitfall_jwks_oct_and_unwanted_keys_are_ignored(server: JWKSServer) -> None:
    clock = FrozenClock()
    es = JWTKey.generate("ES256", kid="es")
    ed = JWTKey.generate("EdDSA", kid="ed")
    enc = {**JWTKey.generate("ES256", kid="enc").public_jwk(), "use": "enc"}
    no_alg = {
        k: v for k, v in JWTKey.generate("ES256", kid="noalg").public_jwk().items() if k != "alg"
    }
    broken = {"kty": "RSA", "kid": "broken", "alg": "RS256", "n": "!!", "e": "AQAB"}
    server.document = {
        "keys": [
            {"kty": "oct", "kid": "hs", "alg": "HS256", "k": "c2VjcmV0"},
            es.public_jwk(),
            ed.public_jwk(),
            enc,
            no_alg,
            broken,
            "junk",
        ]
    }
    client, _ = make(server, clock)
    assert sorted(k.kid or "" for k in client.refresh()) == ["es", "noalg"]


def test_configuration_is_checked() -> None:
    with pytest.raises(ConfigurationError, match="must use https"):
        JWKSClient("http://issuer.example/jwks", algorithms=["RS256"])
    with pytest.raises(ConfigurationError, match="asymmetric"):
        JWKSClient("https://issuer.example/jwks", algorithms=["HS256"])
    with pytest.raises(ConfigurationError, match="asymmetric"):
        JWKSClient("https://issuer.example/jwks", algorithms=[])
