"""The auth-basics application served over HTTPS on 127.0.0.1, driven as a browser would.

The production configuration is served (``__Host-`` cookies need HTTPS), with a frozen clock,
cheap argon2 parameters and 127.0.0.1 as a trusted proxy, so that ``X-Forwarded-For`` can
stand for the different clients (the real user, an attacker) the tests need.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from auth_basics import create_app
from auth_basics._server import serving
from auth_basics.outbox import Outbox
from auth_basics.store import UserStore
from flask import Flask
from werkzeug.serving import generate_adhoc_ssl_context

from bricolage.security import Argon2Parameters, LockoutPolicy
from bricolage.security.testing import FrozenClock

EMAIL, PASSWORD = "alice@example.com", "correct horse battery"
ALICE_IP = "198.51.100.7"


@dataclass
class Site:
    """The running server: its base URL (no trailing slash) and the app behind it."""

    base: str
    app: Flask

    @property
    def outbox(self) -> Outbox:
        found = self.app.extensions["outbox"]
        assert isinstance(found, Outbox)
        return found


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Message
    text: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _trusting() -> ssl.SSLContext:
    """A client context that accepts the test server's throwaway self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Client:
    """One browser: its own cookies; redirects are returned, not followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=_trusting()),
            urllib.request.HTTPCookieProcessor(self.jar),
            _NoRedirect,
        )

    def request(
        self,
        path: str,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        body = None if data is None else urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            self.base + path,
            data=body,
            headers=headers or {},
            method="GET" if data is None else "POST",
        )
        try:
            with self._opener.open(request, timeout=10) as response:
                return Reply(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, error.headers, error.read().decode())

    def get(self, path: str) -> Reply:
        return self.request(path)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


def csrf_token(client: Client, path: str) -> str:
    page = client.get(path).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def post(
    client: Client,
    path: str,
    data: dict[str, str],
    *,
    ip: str = ALICE_IP,
    form: str | None = None,
) -> Reply:
    token = csrf_token(client, form or path)
    return client.request(
        path,
        {**data, "csrf_token": token},
        {"Origin": client.base, "Sec-Fetch-Site": "same-origin", "X-Forwarded-For": ip},
    )


@pytest.fixture(scope="module")
def tls() -> ssl.SSLContext:
    return generate_adhoc_ssl_context()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(1_700_000_000)


@pytest.fixture
def site(tmp_path: Path, clock: FrozenClock, tls: ssl.SSLContext) -> Iterator[Site]:
    made: list[Flask] = []

    def make(port: int) -> Flask:
        made.append(
            create_app(
                {
                    "SECRET_KEY": "test-secret-key-0123456789abcdef",
                    "DATABASE": str(tmp_path / "users.sqlite3"),
                    "DEV_OUTBOX": True,
                    "ORIGINS": [f"https://127.0.0.1:{port}"],
                    "TRUSTED_PROXIES": ["127.0.0.1"],
                    "ARGON2": Argon2Parameters.for_tests(),
                    "CLOCK": clock,
                    "LOGIN_RATE": (20, 60.0),
                    "LOCKOUT": LockoutPolicy(free_attempts=3, base_delay=30, max_delay=900),
                }
            )
        )
        return made[-1]

    with serving(make, tls=tls) as url:
        yield Site(url.rstrip("/"), made[0])


@pytest.fixture
def client(site: Site) -> Client:
    return Client(site.base)


def register(client: Client, email: str = EMAIL, password: str = PASSWORD) -> Reply:
    response = post(client, "/register", {"email": email, "password": password})
    assert response.status == 302, response.text
    return response


def logged_in_as(client: Client) -> str | None:
    match = re.search(r"Welcome, ([^<]+)</h1>", client.get("/").text)
    return match.group(1) if match else None


def test_register_login_logout(client: Client, site: Site) -> None:
    register(client)
    assert logged_in_as(client) == EMAIL
    response = post(client, "/logout", {}, form="/")
    assert response.status == 302
    assert logged_in_as(client) is None
    assert post(client, "/login", {"email": EMAIL, "password": PASSWORD}).status == 302
    assert logged_in_as(client) == EMAIL
    store = UserStore(site.app.config["DATABASE"])
    try:
        stored = store.by_email(EMAIL)
    finally:
        store.close()
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash


def test_wrong_password_and_unknown_user_get_the_same_answer(client: Client) -> None:
    register(client)
    post(client, "/logout", {}, form="/")
    wrong = post(client, "/login", {"email": EMAIL, "password": "nope nope"})
    unknown = post(client, "/login", {"email": "nobody@example.com", "password": "nope nope"})
    assert wrong.status == unknown.status == 200
    assert "Wrong email or password." in wrong.text
    assert "Wrong email or password." in unknown.text


def test_session_cookie_is_secure_and_renewed_on_login(client: Client) -> None:
    csrf_token(client, "/login")
    before = client.cookie("__Host-session")
    response = register(client)
    after = client.cookie("__Host-session")
    assert after is not None
    assert before is None or before != after
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith("__Host-session=")
    attributes = {part.strip().split("=")[0] for part in set_cookie.split(";")}
    assert {"Secure", "HttpOnly", "Path"} <= attributes
    assert "Domain" not in attributes  # a __Host- cookie is bound to this host
    assert "SameSite=Lax" in set_cookie


def test_security_headers_on_every_response(client: Client) -> None:
    for response in (client.get("/"), client.get("/static/style.css"), client.get("/nowhere")):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_csrf_is_enforced(client: Client) -> None:
    token = csrf_token(client, "/register")
    form = {"email": EMAIL, "password": PASSWORD}
    forged = client.request(
        "/register", {**form, "csrf_token": token}, {"Origin": "https://evil.example"}
    )
    assert forged.status == 403
    missing = client.request("/register", form, {"Origin": client.base})
    assert missing.status == 403
    cross = client.request(
        "/register", {**form, "csrf_token": token}, {"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status == 403
    assert logged_in_as(client) is None


def test_lockout_grows_but_does_not_lock_out_the_real_user(
    client: Client, site: Site, clock: FrozenClock
) -> None:
    register(client)
    post(client, "/logout", {}, form="/")
    attacker = Client(site.base)
    evil = "203.0.113.66"
    for _ in range(4):
        post(attacker, "/login", {"email": EMAIL, "password": "guess guess"}, ip=evil)
    locked = post(attacker, "/login", {"email": EMAIL, "password": PASSWORD}, ip=evil)
    assert locked.status == 429
    assert locked.headers["Retry-After"] == "30"
    # The real Alice, from her own address, logs in while the attacker waits.
    assert post(client, "/login", {"email": EMAIL, "password": PASSWORD}).status == 302
    clock.advance(31)
    assert post(attacker, "/login", {"email": EMAIL, "password": "guess 5"}, ip=evil).status == 200
    assert post(attacker, "/login", {"email": EMAIL, "password": "guess 6"}, ip=evil).status == 429
    clock.advance(59)
    assert post(attacker, "/login", {"email": EMAIL, "password": "guess 7"}, ip=evil).status == 429


def test_rate_limit_per_client(client: Client) -> None:
    codes = [
        post(
            client, "/login", {"email": f"u{i}@example.com", "password": "x" * 8}, ip="192.0.2.9"
        ).status
        for i in range(21)
    ]
    assert codes[:20] == [200] * 20
    assert codes[20] == 429
    # Another address is not slowed down by that one.
    assert post(client, "/login", {"email": EMAIL, "password": "x" * 8}).status == 200


def _reset_path(site: Site, body: str) -> str:
    link = re.search(re.escape(site.base) + r"(/reset/\S+)", body)
    assert link, body
    return link.group(1)


def test_password_reset_by_token_through_the_outbox(client: Client, site: Site) -> None:
    register(client)
    post(client, "/logout", {}, form="/")
    assert post(client, "/forgot", {"email": EMAIL}).status == 302
    assert post(client, "/forgot", {"email": "nobody@example.com"}).status == 302  # same answer
    mails = site.outbox.messages
    assert [m.to for m in mails] == [EMAIL]
    assert "Reset your password" in client.get("/dev/outbox").text
    path = _reset_path(site, mails[0].body)
    short = post(client, path, {"password": "short"})
    assert short.status == 200
    assert "at least 8" in short.text
    assert post(client, path, {"password": "brand new password"}).status == 302
    assert post(client, "/login", {"email": EMAIL, "password": PASSWORD}).status == 200  # old one
    assert post(client, "/login", {"email": EMAIL, "password": "brand new password"}).status == 302
    # The link works once only: the password changed, so its fingerprint no longer matches.
    used = client.get(path)
    assert used.status == 400
    assert "already been used" in used.text


def test_reset_token_expires_and_cannot_be_forged(
    client: Client, site: Site, clock: FrozenClock
) -> None:
    register(client)
    post(client, "/forgot", {"email": EMAIL})
    path = _reset_path(site, site.outbox.messages[0].body)
    assert client.get(path).status == 200
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.get(tampered).status == 400
    clock.advance(3601)
    expired = client.get(path)
    assert expired.status == 400
    assert "invalid or has expired" in expired.text


def test_legacy_werkzeug_hash_is_migrated_on_login(client: Client, site: Site) -> None:
    digest = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), b"salt1234", 1000).hex()
    store = UserStore(site.app.config["DATABASE"])
    try:
        store.add(EMAIL, f"pbkdf2:sha256:1000$salt1234${digest}")
    finally:
        store.close()
    assert post(client, "/login", {"email": EMAIL, "password": PASSWORD}).status == 302
    store = UserStore(site.app.config["DATABASE"])
    try:
        user = store.by_email(EMAIL)
    finally:
        store.close()
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")


def test_registration_validates_input_beside_each_field(client: Client) -> None:
    bad_email = post(client, "/register", {"email": "not-an-email", "password": PASSWORD})
    assert bad_email.status == 200
    assert 'id="email-error"' in bad_email.text
    assert "valid email" in bad_email.text
    assert 'value="not-an-email"' in bad_email.text  # what was typed is kept
    short = post(client, "/register", {"email": EMAIL, "password": "short"})
    assert 'aria-describedby="password-error"' in short.text
    assert "at least 8" in short.text
    assert 'value="short"' not in short.text  # passwords are never sent back
    register(client)
    again = post(client, "/register", {"email": EMAIL, "password": PASSWORD})
    assert "already registered" in again.text
    assert again.status == 200


def test_open_redirect_after_login_is_refused(client: Client) -> None:
    register(client)
    post(client, "/logout", {}, form="/")
    response = post(
        client,
        "/login?next=//evil.example/",
        {"email": EMAIL, "password": PASSWORD},
        form="/login",
    )
    assert response.status == 302
    assert response.headers["Location"] == "/"


def test_outbox_is_hidden_outside_development(tmp_path: Path, tls: ssl.SSLContext) -> None:
    def make(port: int) -> Flask:
        del port
        return create_app({"DATABASE": str(tmp_path / "db.sqlite3")})

    with serving(make, tls=tls) as url:
        assert Client(url.rstrip("/")).get("/dev/outbox").status == 404
