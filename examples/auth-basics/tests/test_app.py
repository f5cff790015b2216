"""The auth-basics application, through Flask's test client."""

from __future__ import annotations

import hashlib
import re

from auth_basics.store import UserStore
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bricolage.security.testing import FrozenClock


# Driving the app through its forms, as a browser would.
def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path, base_url="https://localhost").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def post(
    client: FlaskClient,
    path: str,
    data: dict[str, str],
    *,
    ip: str = "198.51.100.7",
    form: str | None = None,
) -> TestResponse:
    token = csrf_token(client, form or path)
    return client.post(
        path,
        data={**data, "csrf_token": token},
        base_url="https://localhost",
        headers={"Origin": "https://localhost", "Sec-Fetch-Site": "same-origin"},
        environ_base={"REMOTE_ADDR": ip},
    )


EMAIL, PASSWORD = "alice@example.com", "correct horse battery"


def register(client: FlaskClient, email: str = EMAIL, password: str = PASSWORD) -> None:
    response = post(client, "/register", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def logged_in_as(client: FlaskClient) -> str | None:
    page = client.get("/", base_url="https://localhost").get_data(as_text=True)
    match = re.search(r"Welcome, ([^<]+)</h1>", page)
    return match.group(1) if match else None


def test_register_login_logout(client: FlaskClient, app: Flask) -> None:
    register(client)
    assert logged_in_as(client) == EMAIL
    response = post(client, "/logout", {}, form="/")
    assert response.status_code == 302
    assert logged_in_as(client) is None
    assert post(client, "/login", {"email": EMAIL, "password": PASSWORD}).status_code == 302
    assert logged_in_as(client) == EMAIL
    store = UserStore(app.config["DATABASE"])
    try:
        stored = store.by_email(EMAIL)
    finally:
        store.close()
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash


def test_wrong_password_and_unknown_user_get_the_same_answer(client: FlaskClient) -> None:
    register(client)
    post(client, "/logout", {}, form="/")
    wrong = post(client, "/login", {"email": EMAIL, "password": "nope nope"})
    unknown = post(client, "/login", {"email": "nobody@example.com", "password": "nope nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong email or password." in wrong.get_data(as_text=True)
    assert "Wrong email or password." in unknown.get_data(as_text=True)


def test_session_cookie_is_secure_and_renewed_on_login(client: FlaskClient) -> None:
    csrf_token(client, "/login")
    before = client.get_cookie("__Host-session", domain="localhost")
    register(client)
    cookie = client.get_cookie("__Host-session", domain="localhost")
    assert cookie is not None
    assert before is None or before.value != cookie.value
    assert cookie.secure
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    response = client.get("/", base_url="https://localhost")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_csrf_is_enforced(client: FlaskClient) -> None:
    token = csrf_token(client, "/register")
    forged = client.post(
        "/register",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    missing = client.post(
        "/register", data={"email": EMAIL, "password": PASSWORD}, base_url="https://localhost"
    )
    assert missing.status_code == 403
    cross = client.post(
        "/register",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403


def test_lockout_grows_but_does_not_lock_out_the_real_user(
    client: FlaskClient, app: Flask, clock: FrozenClock
) -> None:
    register(client)
    post(client, "/logout", {}, form="/")
    attacker = app.test_client()
    for _ in range(4):
        post(attacker, "/login", {"email": EMAIL, "password": "guess guess"}, ip="203.0.113.66")
    locked = post(attacker, "/login", {"email": EMAIL, "password": PASSWORD}, ip="203.0.113.66")
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "30"
    # The real Alice, from her own address, logs in while the attacker waits.
    assert post(client, "/login", {"email": EMAIL, "password": PASSWORD}).status_code == 302
    clock.advance(31)
    assert (
        post(
            attacker, "/login", {"email": EMAIL, "password": "guess 5"}, ip="203.0.113.66"
        ).status_code
        == 200
    )
    assert (
        post(
            attacker, "/login", {"email": EMAIL, "password": "guess 6"}, ip="203.0.113.66"
        ).status_code
        == 429
    )
    clock.advance(59)
    assert (
        post(
            attacker, "/login", {"email": EMAIL, "password": "guess 7"}, ip="203.0.113.66"
        ).status_code
        == 429
    )


def test_rate_limit_per_client(client: FlaskClient) -> None:
    codes = [
        post(
            client, "/login", {"email": f"u{i}@example.com", "password": "x" * 8}, ip="192.0.2.9"
        ).status_code
        for i in range(21)
    ]
    assert codes[:20] == [200] * 20
    assert codes[20] == 429


def test_password_reset_by_token_through_the_outbox(client: FlaskClient, app: Flask) -> None:
    register(client)
    post(client, "/logout", {}, form="/")
    response = post(client, "/forgot", {"email": EMAIL})
    assert response.status_code == 302
    assert (
        post(client, "/forgot", {"email": "nobody@example.com"}).status_code == 302
    )  # same answer
    mails = app.extensions["outbox"].messages
    assert [m.to for m in mails] == [EMAIL]
    outbox_page = client.get("/dev/outbox", base_url="https://localhost").get_data(as_text=True)
    assert "Reset your password" in outbox_page
    link = re.search(r"https://localhost(/reset/\S+)", mails[0].body)
    assert link
    path = link.group(1)
    assert post(client, path, {"password": "brand new password"}).status_code == 302
    assert (
        post(client, "/login", {"email": EMAIL, "password": PASSWORD}).status_code == 200
    )  # old one gone
    assert (
        post(client, "/login", {"email": EMAIL, "password": "brand new password"}).status_code
        == 302
    )
    # The link works once only: the password changed, so its fingerprint no longer matches.
    assert client.get(path, base_url="https://localhost").status_code == 400


def test_reset_token_expires_and_cannot_be_forged(
    client: FlaskClient, app: Flask, clock: FrozenClock
) -> None:
    register(client)
    post(client, "/forgot", {"email": EMAIL})
    path = re.search(
        r"https://localhost(/reset/\S+)", app.extensions["outbox"].messages[0].body
    ).group(1)  # type: ignore[union-attr]
    assert client.get(path, base_url="https://localhost").status_code == 200
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.get(tampered, base_url="https://localhost").status_code == 400
    clock.advance(3601)
    assert client.get(path, base_url="https://localhost").status_code == 400


def test_legacy_werkzeug_hash_is_migrated_on_login(client: FlaskClient, app: Flask) -> None:
    digest = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), b"salt1234", 1000).hex()
    store = UserStore(app.config["DATABASE"])
    try:
        store.add(EMAIL, f"pbkdf2:sha256:1000$salt1234${digest}")
    finally:
        store.close()
    assert post(client, "/login", {"email": EMAIL, "password": PASSWORD}).status_code == 302
    store = UserStore(app.config["DATABASE"])
    try:
        user = store.by_email(EMAIL)
    finally:
        store.close()
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")


def test_registration_validates_input(client: FlaskClient) -> None:
    bad_email = post(client, "/register", {"email": "not-an-email", "password": PASSWORD})
    assert "valid email" in bad_email.get_data(as_text=True)
    short = post(client, "/register", {"email": EMAIL, "password": "short"})
    assert "at least 8" in short.get_data(as_text=True)
    register(client)
    again = app_client_register_again = post(
        client, "/register", {"email": EMAIL, "password": PASSWORD}
    )
    assert "already registered" in app_client_register_again.get_data(as_text=True)
    assert again.status_code == 200


def test_open_redirect_after_login_is_refused(client: FlaskClient) -> None:
    register(client)
    post(client, "/logout", {}, form="/")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Origin": "https://localhost"},
    )
    assert response.headers["Location"] == "/"


def test_outbox_is_hidden_outside_development(tmp_path: object) -> None:
    from auth_basics import create_app

    app = create_app({"TESTING": True, "DATABASE": f"{tmp_path}/db.sqlite3"})
    assert app.test_client().get("/dev/outbox", base_url="https://localhost").status_code == 404
