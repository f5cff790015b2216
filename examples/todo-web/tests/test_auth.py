"""Accounts: sign-up, login, logout, CSRF, rate limits, the lockout and password reset."""

from __future__ import annotations

import re

from flask import Flask
from helpers import PASSWORD, Browser, Factory
from sqlalchemy import select
from todo_web.models import OutboxMessage, User
from todo_web.web import Runtime

from bricolage.security.testing import FrozenClock


def _signup(browser: Browser, email: str = "new@example.com", **extra: str) -> object:
    form = {"email": email, "name": "New", "password": PASSWORD, "confirm": PASSWORD}
    form.update(extra)
    return browser.post("/signup", form)


def test_signup_creates_an_account_with_a_personal_list_and_signs_in(browser: Browser) -> None:
    response = browser.post(
        "/signup",
        {"email": "Ada@Example.com", "name": "Ada", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("__Host-session="))
    assert "Secure" in session_cookie
    assert "HttpOnly" in session_cookie
    assert "Path=/" in session_cookie
    assert "Domain" not in session_cookie
    assert any(c.startswith("__Host-device=") for c in cookies)
    home = browser.get("/")
    assert "Personal" in home.text
    assert "Ada" in home.text
    assert "Welcome, Ada!" in home.text


def test_signup_shows_an_error_next_to_each_bad_field(browser: Browser) -> None:
    response = browser.post(
        "/signup", {"email": "nope", "password": "short", "confirm": "short", "name": "x" * 81}
    )
    assert response.status_code == 400
    assert 'id="e-email"' in response.text
    assert "Enter a valid e-mail address (got &#39;nope&#39;)." in response.text
    assert 'id="e-password"' in response.text
    assert 'id="e-name"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_signup_refuses_mismatched_passwords_and_empty_email(browser: Browser) -> None:
    response = browser.post("/signup", {"email": "", "password": PASSWORD, "confirm": "other"})
    assert response.status_code == 400
    assert "Enter your e-mail address." in response.text
    assert "The two passwords differ." in response.text


def test_signup_refuses_an_address_already_used(browser: Browser, make: Factory) -> None:
    make.user("taken@example.com")
    response = _signup(browser, "TAKEN@example.com")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "An account already uses this address" in response.text  # type: ignore[attr-defined]


def test_login_and_logout(browser: Browser, make: Factory) -> None:
    make.user("ada@example.com", "Ada")
    assert browser.get("/login").status_code == 200
    response = browser.login("ada@example.com")
    assert response.headers["Location"] == "/"
    assert browser.get("/login").status_code == 302  # already signed in
    assert "Ada" in browser.get("/").text
    browser.logout()
    assert "Create an account" in browser.get("/").text
    assert browser.get("/lists/1").status_code == 302


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(
    browser: Browser, make: Factory
) -> None:
    make.user("ada@example.com")
    response = browser.get("/search?q=milk")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/search?q%3Dmilk"
    response = browser.post(
        "/login?next=/search?q%3Dmilk", {"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/search?q=milk"
    browser.logout()
    response = browser.post(
        "/login?next=https://evil.example/", {"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_wrong_password_and_unknown_user_get_the_same_answer(
    browser: Browser, make: Factory
) -> None:
    make.user("ada@example.com")
    wrong = browser.post("/login", {"email": "ada@example.com", "password": "wrong-password"})
    unknown = browser.post("/login", {"email": "bob@example.com", "password": "wrong-password"})
    empty = browser.post("/login", {"email": "", "password": ""})
    for response in (wrong, unknown, empty):
        assert response.status_code == 400
        assert "Wrong e-mail or password." in response.text


def test_every_form_needs_a_csrf_token(browser: Browser, make: Factory) -> None:
    make.user("ada@example.com")
    response = browser.post(
        "/login", {"email": "ada@example.com", "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 403
    assert "no session" in response.text
    browser.token()  # now there is a session, but the form still carries no token
    response = browser.post(
        "/login", {"email": "ada@example.com", "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 403
    assert "CSRF token missing" in response.text
    forged = browser.post(
        "/login", {"email": "ada@example.com", "password": PASSWORD, "csrf_token": "a.b"}
    )
    assert forged.status_code == 403


def test_a_post_from_another_origin_is_refused(browser: Browser, make: Factory) -> None:
    make.user("ada@example.com")
    response = browser.post(
        "/login",
        {"email": "ada@example.com", "password": PASSWORD},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert "Not allowed" in response.text


def test_a_token_from_another_session_is_refused(app: Flask, make: Factory) -> None:
    make.user("ada@example.com")
    mallory, victim = Browser(app.test_client()), Browser(app.test_client())
    stolen = mallory.token()
    victim.token()  # the victim has a session of their own
    response = victim.post(
        "/login", {"email": "ada@example.com", "password": PASSWORD, "csrf_token": stolen}
    )
    assert response.status_code == 403


def test_the_per_client_rate_limit_answers_429(app: Flask, make: Factory, rt: Runtime) -> None:
    make.user("ada@example.com")
    browser = Browser(app.test_client())
    statuses = [
        browser.post("/login", {"email": f"x{i}@example.com", "password": "nope"}).status_code
        for i in range(rt.settings.login_rate_limit + 1)
    ]
    assert statuses[:-1] == [400] * rt.settings.login_rate_limit
    assert statuses[-1] == 429
    assert "Too many attempts" in browser.post("/login", {"email": "a@b.c"}).text


def test_lockout_slows_the_attacker_but_not_the_owner_on_her_own_device(
    app: Flask, make: Factory, rt: Runtime, clock: FrozenClock
) -> None:
    make.user("ada@example.com")
    ada = Browser(app.test_client())
    ada.login("ada@example.com")  # her browser now carries a signed device cookie
    ada.logout()
    attacker = Browser(app.test_client())  # same address (127.0.0.1), no device cookie
    for _ in range(rt.settings.lockout_free_attempts + 1):
        attacker.post("/login", {"email": "ada@example.com", "password": "guess"})
    locked = attacker.post("/login", {"email": "ada@example.com", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many attempts. Try again in" in locked.text
    # Ada, on her own device, is not locked out by the attacker's failures.
    assert ada.login("ada@example.com").status_code == 302
    # The attacker's wait ends after the back-off.
    clock.advance(3600)
    assert attacker.login("ada@example.com").status_code == 302


def test_a_device_cookie_for_another_account_does_not_help(
    app: Flask, make: Factory, rt: Runtime
) -> None:
    make.user("ada@example.com")
    make.user("eve@example.com")
    eve = Browser(app.test_client())
    eve.login("eve@example.com")
    eve.logout()
    for _ in range(rt.settings.lockout_free_attempts + 1):
        eve.post("/login", {"email": "ada@example.com", "password": "guess"})
    assert (
        eve.post("/login", {"email": "ada@example.com", "password": PASSWORD}).status_code == 429
    )
    eve.client.set_cookie("__Host-device", "forged.value", domain="localhost")
    assert (
        eve.post("/login", {"email": "ada@example.com", "password": PASSWORD}).status_code == 429
    )


def _reset_link(rt: Runtime, email: str) -> str:
    with rt.sessions() as db:
        message = db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id.desc())
        ).first()
    assert message is not None
    match = re.search(r"https?://\S+/reset/\S+", message.body)
    assert match is not None
    return match.group(0).split("localhost", 1)[1]


def test_password_reset_through_the_outbox_works_once(
    browser: Browser, make: Factory, rt: Runtime
) -> None:
    make.user("ada@example.com")
    response = browser.post("/forgot", {"email": "ada@example.com"})
    assert response.status_code == 302
    outbox = browser.get("/dev/outbox")
    assert "Reset your password" in outbox.text
    link = _reset_link(rt, "ada@example.com")
    assert browser.get(link).status_code == 200
    short = browser.post(link, {"password": "short", "confirm": "short"})
    assert short.status_code == 400
    assert "Use at least 10 characters." in short.text
    differ = browser.post(link, {"password": "new-password-1", "confirm": "new-password-2"})
    assert "The two passwords differ." in differ.text
    done = browser.post(link, {"password": "new-password-1", "confirm": "new-password-1"})
    assert done.status_code == 302
    assert browser.login("ada@example.com", "new-password-1").status_code == 302
    browser.logout()
    reused = browser.get(link)
    assert reused.status_code == 400
    assert "already used" in reused.text


def test_reset_ends_the_lockout_from_this_client(app: Flask, make: Factory, rt: Runtime) -> None:
    make.user("ada@example.com")
    browser = Browser(app.test_client())
    for _ in range(rt.settings.lockout_free_attempts + 1):
        browser.post("/login", {"email": "ada@example.com", "password": "guess"})
    assert (
        browser.post("/login", {"email": "ada@example.com", "password": PASSWORD}).status_code
        == 429
    )
    browser.post("/forgot", {"email": "ada@example.com"})
    link = _reset_link(rt, "ada@example.com")
    browser.post(link, {"password": "new-password-1", "confirm": "new-password-1"})
    assert browser.login("ada@example.com", "new-password-1").status_code == 302


def test_forgot_answers_the_same_for_unknown_addresses(browser: Browser, rt: Runtime) -> None:
    assert browser.get("/forgot").status_code == 200
    response = browser.post("/forgot", {"email": "nobody@example.com"}, follow_redirects=True)
    assert "If an account uses that address" in response.text
    with rt.sessions() as db:
        assert db.scalars(select(OutboxMessage)).first() is None


def test_forgot_is_rate_limited(browser: Browser, rt: Runtime) -> None:
    for _ in range(rt.settings.login_rate_limit):
        browser.post("/forgot", {"email": "nobody@example.com"})
    assert browser.post("/forgot", {"email": "nobody@example.com"}).status_code == 429


def test_bad_and_expired_reset_links_are_refused(
    browser: Browser, make: Factory, rt: Runtime, clock: FrozenClock
) -> None:
    make.user("ada@example.com")
    assert browser.get("/reset/garbage").status_code == 400
    browser.post("/forgot", {"email": "ada@example.com"})
    link = _reset_link(rt, "ada@example.com")
    clock.advance(rt.settings.reset_max_age + 120)
    response = browser.get(link)
    assert response.status_code == 400
    assert "invalid or has expired" in response.text


def test_a_reset_link_for_a_deleted_account_is_refused(
    browser: Browser, make: Factory, rt: Runtime
) -> None:
    user = make.user("ada@example.com")
    browser.post("/forgot", {"email": "ada@example.com"})
    link = _reset_link(rt, "ada@example.com")
    with rt.sessions() as db:
        db.delete(db.get(User, user.id))
        db.commit()
    assert browser.get(link).status_code == 400


def test_an_old_hash_is_upgraded_at_login(browser: Browser, make: Factory, rt: Runtime) -> None:
    from bricolage.security import Argon2Parameters, PasswordHasher

    user = make.user("ada@example.com")
    weaker = PasswordHasher(Argon2Parameters.for_tests()).hash(PASSWORD)
    rt.hasher = PasswordHasher(Argon2Parameters.owasp_minimum())
    with rt.sessions() as db:
        stored = db.get(User, user.id)
        assert stored is not None
        stored.password_hash = weaker
        db.commit()
    browser.login("ada@example.com")
    with rt.sessions() as db:
        stored = db.get(User, user.id)
        assert stored is not None
        assert stored.password_hash != weaker
        assert rt.hasher.verify(stored.password_hash, PASSWORD)
