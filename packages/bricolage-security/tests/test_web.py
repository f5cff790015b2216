"""CSRF, security headers (ASGI on asyncio and trio, WSGI) and trusted client IPs."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.security import (
    ContentSecurityPolicy,
    CSRFProtection,
    SecurityHeaders,
    SecurityHeadersASGI,
    SecurityHeadersWSGI,
    TrustedProxies,
    client_ip,
)
from bricolage.security.errors import ConfigurationError, CSRFError

ORIGIN = "https://app.example"


@pytest.fixture
def csrf() -> CSRFProtection:
    return CSRFProtection("k" * 32, trusted_origins=[ORIGIN])


def test_csrf_accepts_same_origin_post(csrf: CSRFProtection) -> None:
    token = csrf.token("s1")
    csrf.check(
        method="post",
        session_id="s1",
        token=token,
        headers={"origin": ORIGIN, "sec-fetch-site": "same-origin"},
    )
    csrf.check(
        method="POST", session_id="s1", token=token, headers={"Origin": "https://APP.example:443"}
    )
    csrf.check(method="PUT", session_id="s1", token=token, headers={"Sec-Fetch-Site": "none"})
    csrf.check(method="DELETE", session_id="s1", token=token, headers={})  # an old browser


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Sec-Fetch-Site": "cross-site"}, "cross-site"),
        ({"Sec-Fetch-Site": "same-site"}, "same-site"),
        ({"Origin": "https://evil.example"}, "not trusted"),
        ({"Origin": "null"}, "not trusted"),
        ({"Origin": "https://app.example.evil.example"}, "not trusted"),
        ({"Origin": "http://app.example"}, "not trusted"),
    ],
)
def test_pitfall_csrf_cross_site_requests_are_refused(
    csrf: CSRFProtection, headers: dict[str, str], message: str
) -> None:
    with pytest.raises(CSRFError, match=message):
        csrf.check(method="POST", session_id="s1", token=csrf.token("s1"), headers=headers)


def test_pitfall_csrf_token_from_another_session_or_key(csrf: CSRFProtection) -> None:
    other_key = CSRFProtection("o" * 32, trusted_origins=[ORIGIN])
    for token, message in (
        (csrf.token("attacker-session"), "does not belong"),
        (other_key.token("s1"), "does not belong"),
        ("", "missing"),
        (None, "missing"),
        ("A.B", "malformed"),
        ("AAAA.AAAA", "does not belong"),
    ):
        with pytest.raises(CSRFError, match=message):
            csrf.check(method="POST", session_id="s1", token=token, headers={"Origin": ORIGIN})
    with pytest.raises(CSRFError, match="no session"):
        csrf.check(method="POST", session_id=None, token=csrf.token("s1"), headers={})
    with pytest.raises(CSRFError, match="without a session id"):
        csrf.token("")


def test_csrf_same_site_can_be_allowed_and_config_is_checked() -> None:
    lenient = CSRFProtection("k" * 32, trusted_origins=[ORIGIN], allow_same_site=True)
    lenient.check(
        method="POST",
        session_id="s",
        token=lenient.token("s"),
        headers={"Sec-Fetch-Site": "same-site"},
    )
    with pytest.raises(ConfigurationError, match="own origin"):
        CSRFProtection("k" * 32, trusted_origins=[])
    with pytest.raises(ConfigurationError, match="must look like"):
        CSRFProtection("k" * 32, trusted_origins=["app.example"])
    ipv6 = CSRFProtection("k" * 32, trusted_origins=["http://[::1]:8000"])
    ipv6.check(
        method="POST",
        session_id="s",
        token=ipv6.token("s"),
        headers={"Origin": "http://[::1]:8000"},
    )


@given(session=st.text(min_size=1, max_size=50), other=st.text(min_size=1, max_size=50))
def test_csrf_token_round_trip(session: str, other: str) -> None:
    csrf = CSRFProtection("k" * 32, trusted_origins=[ORIGIN])
    token = csrf.token(session)
    csrf.check(method="POST", session_id=session, token=token, headers={"Origin": ORIGIN})
    if other != session:
        with pytest.raises(CSRFError):
            csrf.check(method="POST", session_id=other, token=token, headers={"Origin": ORIGIN})


# --- headers ---------------------------------------------------------------------------


async def _asgi_call(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.mark.anyio
async def test_asgi_middleware_adds_headers_and_nonce() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["nonce"] = scope["state"]["csp_nonce"]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"x-frame-options", b"SAMEORIGIN")],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})

    wrapped = SecurityHeadersASGI(app)
    sent = await _asgi_call(wrapped, {"type": "http", "scheme": "https"})
    headers = dict(sent[0]["headers"])
    assert headers[b"x-frame-options"] == b"SAMEORIGIN"  # the app's own value wins
    assert f"'nonce-{seen['nonce']}'".encode() in headers[b"content-security-policy"]
    assert headers[b"strict-transport-security"].startswith(b"max-age=63072000")
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert b"camera=()" in headers[b"permissions-policy"]
    assert b"frame-ancestors 'none'" in headers[b"content-security-policy"]
    assert sent[1]["body"] == b"ok"
    first = seen["nonce"]
    sent = await _asgi_call(wrapped, {"type": "http", "scheme": "http"})
    assert seen["nonce"] != first  # a fresh nonce per request
    assert b"strict-transport-security" not in dict(sent[0]["headers"])


@pytest.mark.anyio
async def test_asgi_middleware_passes_other_scopes_through() -> None:
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["type"])

    await _asgi_call(SecurityHeadersASGI(app), {"type": "lifespan"})
    assert calls == ["lifespan"]


def test_wsgi_middleware_adds_headers_and_keeps_exc_info() -> None:
    captured: list[tuple[str, list[tuple[str, str]], Any]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.append((status, headers, exc_info))
        return lambda data: None

    def app(environ: dict[str, Any], start: Any) -> list[bytes]:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            import sys

            start("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"err"]

    policy = SecurityHeaders(
        csp=ContentSecurityPolicy(report_only=True), https_only_hsts=False, hsts_preload=True
    )
    body = SecurityHeadersWSGI(app, policy)({"wsgi.url_scheme": "http"}, start_response)
    assert list(body) == [b"err"]
    _status, headers, exc_info = captured[0]
    names = dict(headers)
    assert exc_info is not None
    assert names["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"
    assert "Content-Security-Policy-Report-Only" in names


def test_header_configuration_refuses_injection() -> None:
    with pytest.raises(ConfigurationError, match="separator"):
        ContentSecurityPolicy({"script-src": ["'self'; report-uri https://evil"]})
    with pytest.raises(ConfigurationError, match="separator"):
        SecurityHeaders(referrer_policy="no-referrer\r\nSet-Cookie: x=1")
    with pytest.raises(ConfigurationError, match="list of sources"):
        ContentSecurityPolicy({"script-src": "'self'"})
    with pytest.raises(ConfigurationError, match="preload"):
        SecurityHeaders(hsts_max_age=100, hsts_preload=True)
    with pytest.raises(ConfigurationError, match="hsts_max_age"):
        SecurityHeaders(hsts_max_age=-1)
    bare = SecurityHeaders(
        csp=None,
        permissions_policy={},
        frame_options=None,
        cross_origin_opener_policy=None,
        hsts_include_subdomains=False,
    )
    assert bare.headers(https=True) == [
        ("Strict-Transport-Security", "max-age=63072000"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ]


# --- client IP ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "xff", "trusted", "expected"),
    [
        ("203.0.113.7", "1.2.3.4", ["10.0.0.0/8"], "203.0.113.7"),  # spoofed header, no proxy
        ("10.0.0.1", "1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),
        ("10.0.0.1", "6.6.6.6, 1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),  # client prepended a lie
        ("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.7", ["10.0.0.0/8"], "1.2.3.4"),
        ("10.0.0.1", "10.0.0.5, 10.0.0.7", ["10.0.0.0/8"], "10.0.0.5"),
        ("10.0.0.1", "garbage, 10.0.0.7", ["10.0.0.0/8"], "10.0.0.7"),
        ("10.0.0.1", None, ["10.0.0.0/8"], "10.0.0.1"),
        ("::ffff:10.0.0.1", "[2001:db8::1]:443", ["10.0.0.0/8"], "2001:db8::1"),
        ("10.0.0.1", "192.0.2.1:5555", ["10.0.0.0/8"], "192.0.2.1"),
        ("10.0.0.1", ["6.6.6.6", "1.2.3.4"], ["10.0.0.0/8"], "1.2.3.4"),
    ],
)
def test_pitfall_client_ip_only_from_trusted_proxies(
    remote: str, xff: Any, trusted: list[str], expected: str
) -> None:
    assert client_ip(remote, xff, TrustedProxies(trusted)) == expected
    assert client_ip(remote, xff, trusted) == expected


def test_client_ip_errors() -> None:
    with pytest.raises(ConfigurationError, match="not an IP"):
        client_ip("nonsense", None)
    with pytest.raises(ConfigurationError, match="trusted proxy"):
        TrustedProxies(["10.0.0.0/33"])
    assert 5 not in TrustedProxies(["10.0.0.0/8"])


@given(
    st.lists(st.ip_addresses(v=4).map(str), min_size=1, max_size=6), st.ip_addresses(v=4).map(str)
)
def test_client_ip_never_returns_a_spoofed_left_entry(chain: list[str], spoof: str) -> None:
    proxies = ["10.0.0.0/8"]
    real = chain[-1]
    result = client_ip("10.0.0.1", ", ".join([spoof, *chain]), proxies)
    if real not in TrustedProxies(proxies):
        assert result == real
