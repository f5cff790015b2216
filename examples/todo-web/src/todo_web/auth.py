"""Accounts: sign-up, login with a lockout that spares the real user, logout and
password reset by a signed, single-use link sent to the outbox."""

from __future__ import annotations

import hashlib
import logging

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response

from bricolage.security import random_token, safe_redirect
from bricolage.security.errors import AccountLockedError, InvalidTokenError
from todo_web import forms
from todo_web.models import User
from todo_web.services import create_user, send_mail
from todo_web.web import client_address, current_user, db, form_dict, runtime

__all__ = ["DEVICE_COOKIE", "bp", "password_fingerprint"]

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
DEVICE_COOKIE = "device"
DEVICE_MAX_AGE = 180 * 86400


def password_fingerprint(password_hash: str) -> str:
    """Changes whenever the password does, so that a reset link works only once."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _cookie_name(base: str) -> str:
    secure = runtime().settings.cookie_name.startswith("__Host-")
    return f"__Host-{base}" if secure else base


def _start_session(user: User) -> Response:
    session.clear()  # a fresh session at every login: no session fixation
    session["sid"] = random_token(16)
    session["uid"] = user.id
    session.permanent = True
    target = safe_redirect(request.args.get("next"), default=url_for("lists.index"))
    return redirect(target)


def _remember_device(response: Response, email: str) -> Response:
    """A signed device cookie: failures from this browser count apart from strangers'."""
    token = runtime().devices.sign(f"{email}:{random_token(16)}")
    name = _cookie_name(DEVICE_COOKIE)
    response.set_cookie(
        name,
        token,
        max_age=DEVICE_MAX_AGE,
        secure=name.startswith("__Host-"),
        httponly=True,
        samesite="Lax",
        path="/",
    )
    return response


def _login_client(email: str) -> str:
    """Whom failed logins are counted against: this browser, if it signed in as
    ``email`` before (a valid device cookie), else the client address."""
    token = request.cookies.get(_cookie_name(DEVICE_COOKIE))
    if token:
        try:
            owner, nonce = runtime().devices.verify(token).rsplit(":", 1)
        except (InvalidTokenError, ValueError):
            owner, nonce = "", ""
        if owner == email and nonce:
            return f"device:{nonce}"
    return client_address()


def _too_many(retry_after: float, template: str, **context: object) -> tuple[str, int]:
    seconds = max(1, int(retry_after + 0.999))
    flash(f"Too many attempts. Try again in {seconds} s.", "error")
    return render_template(template, **context), 429


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> str | Response | tuple[str, int]:
    """Create an account (with a private list) and sign in."""
    if request.method == "GET":
        return render_template("auth/signup.html", values={}, errors={})
    values, errors = forms.validate_signup(form_dict())
    if not errors and db().scalar(select(User.id).where(User.email == values["email"])):
        errors["email"] = "An account already uses this address. Log in or reset the password."
    if errors:
        return render_template("auth/signup.html", values=values, errors=errors), 400
    password_hash = runtime().hasher.hash(values["password"])
    user = create_user(db(), values["email"], values["name"], password_hash)
    db().commit()
    log.info("account created", extra={"user_id": user.id})
    response = _start_session(user)
    flash(f"Welcome, {user.name}! Your Personal list is ready.", "success")
    return _remember_device(response, user.email)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """Sign in; failures slow down the client that makes them, not the account."""
    if request.method == "GET":
        if current_user() is not None:
            return redirect(url_for("lists.index"))
        return render_template("auth/login.html", values={}, errors={})
    rt = runtime()
    form = form_dict()
    email = (form.get("email") or "").strip().lower()
    values = {"email": email}
    decision = rt.login_limiter.hit(client_address())
    if not decision.allowed:
        return _too_many(decision.retry_after, "auth/login.html", values=values, errors={})
    who = _login_client(email)
    try:
        rt.throttle.check(email, who)
    except AccountLockedError as exc:
        log.warning("login refused during back-off", extra={"client": who})
        return _too_many(exc.retry_after, "auth/login.html", values=values, errors={})
    user = db().scalar(select(User).where(User.email == email)) if email else None
    result = rt.hasher.verify_and_update(
        user.password_hash if user else None, form.get("password") or ""
    )
    if user is None or not result.valid:
        rt.throttle.failure(email, who)
        log.info("login failed", extra={"client": who})
        errors = {"password": "Wrong e-mail or password."}
        return render_template("auth/login.html", values=values, errors=errors), 400
    if result.new_hash is not None:
        user.password_hash = result.new_hash
        db().commit()
    rt.throttle.success(email, who)
    log.info("login", extra={"user_id": user.id})
    return _remember_device(_start_session(user), user.email)


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST with a CSRF token, never a link)."""
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
def forgot() -> str | Response | tuple[str, int]:
    """Send a reset link; the answer is the same whether the address exists or not."""
    if request.method == "GET":
        return render_template("auth/forgot.html", values={}, errors={})
    rt = runtime()
    email = (request.form.get("email") or "").strip().lower()
    decision = rt.login_limiter.hit("reset:" + client_address())
    if not decision.allowed:
        return _too_many(
            decision.retry_after, "auth/forgot.html", values={"email": email}, errors={}
        )
    user = db().scalar(select(User).where(User.email == email)) if email else None
    if user is not None:
        token = rt.resets.sign(f"{user.id}:{password_fingerprint(user.password_hash)}")
        link = url_for("auth.reset", token=token, _external=True)
        minutes = rt.settings.reset_max_age // 60
        send_mail(
            db(),
            user.email,
            "Reset your password",
            f"Someone asked to reset the password of {user.email}.\n"
            f"To choose a new one, open this link within {minutes} minutes:\n{link}\n"
            "If it was not you, ignore this message.",
        )
        db().commit()
    flash("If an account uses that address, a reset link is on its way.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> str | Response | tuple[str, int]:
    """Choose a new password through a valid, unused reset link."""
    rt = runtime()
    try:
        user_id, fingerprint = rt.resets.verify(token).split(":", 1)
    except (InvalidTokenError, ValueError):
        abort(400, description="This reset link is invalid or has expired. Ask for a new one.")
    user = db().get(User, int(user_id))
    if user is None or fingerprint != password_fingerprint(user.password_hash):
        abort(400, description="This reset link was already used. Ask for a new one.")
    if request.method == "GET":
        return render_template("auth/reset.html", token=token, errors={})
    password = request.form.get("password") or ""
    errors = {}
    if len(password) < forms.MIN_PASSWORD_LENGTH:
        errors["password"] = f"Use at least {forms.MIN_PASSWORD_LENGTH} characters."
    elif password != (request.form.get("confirm") or ""):
        errors["confirm"] = "The two passwords differ."
    if errors:
        return render_template("auth/reset.html", token=token, errors=errors), 400
    user.password_hash = rt.hasher.hash(password)
    db().commit()
    rt.throttle.success(user.email, client_address())
    log.info("password reset", extra={"user_id": user.id})
    session.clear()
    flash("Your password is changed. Log in with the new one.", "success")
    return redirect(url_for("auth.login"))
