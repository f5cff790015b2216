"""The pages, as three blueprints: ``main`` (home), ``auth`` (register, log in and out,
password reset) and ``dev`` (the development outbox)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session
from flask import url_for as link
from werkzeug.wrappers import Response

from auth_basics.security import fingerprint, services
from auth_basics.web import audit, client, log_in, store, too_many
from bricolage.security import AuditEvent, validate_email
from bricolage.security.errors import AccountLockedError, InvalidTokenError, UnsafeInputError

MIN_PASSWORD_LENGTH = 8

main = Blueprint("main", __name__)
auth = Blueprint("auth", __name__)
dev = Blueprint("dev", __name__)


def _form(
    template: str, errors: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    """Render a form page, with the user's email kept and any field errors beside fields."""
    return render_template(
        template, errors=errors or {}, email=request.form.get("email", "")
    ), status


def _password_error(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Passwords need at least {MIN_PASSWORD_LENGTH} characters."
    return None


@main.get("/")
def home() -> str:
    """Welcome, by name when logged in."""
    return render_template("home.html")


@auth.route("/register", methods=["GET", "POST"])
def register() -> tuple[str, int] | Response:
    """Make an account (argon2id hash) and log in."""
    if request.method == "GET":
        return _form("register.html")
    errors: dict[str, str] = {}
    email = ""
    try:
        email = validate_email(request.form.get("email", ""))
    except UnsafeInputError:
        errors["email"] = "Please enter a valid email address."
    password_error = _password_error(request.form.get("password", ""))
    if password_error:
        errors["password"] = password_error
    if not errors and store().by_email(email) is not None:
        errors["email"] = "That address is already registered; log in or reset the password."
    if errors:
        return _form("register.html", errors)
    user = store().add(email, services().hasher.hash(request.form["password"]))
    audit.emit(AuditEvent.USER_CREATED, user.id)
    return log_in(user)


@auth.route("/login", methods=["GET", "POST"])
def login() -> tuple[str, int] | Response:
    """Log in: rate-limited per client, locked out per (account, client) after failures."""
    if request.method == "GET":
        return _form("login.html")
    tools = services()
    ip = client()
    decision = tools.per_client.hit(ip)
    if not decision.allowed:
        audit.emit(AuditEvent.EXCESS_RATE_LIMIT_EXCEEDED, ip, tools.per_client.limit)
        return too_many(decision.retry_after, "Too many requests; slow down.")
    email = request.form.get("email", "").strip()
    try:
        tools.throttle.check(email, ip)
    except AccountLockedError as exc:
        audit.emit(AuditEvent.AUTHN_LOGIN_LOCK, email, "backoff", ip=ip)
        return too_many(
            exc.retry_after, f"Too many failed logins. Try again in {exc.retry_after:.0f} s."
        )
    try:
        normalized = validate_email(email)
    except UnsafeInputError:
        normalized = ""
    user = store().by_email(normalized) if normalized else None
    result = tools.hasher.verify_and_update(
        user.password_hash if user else None, request.form.get("password", "")
    )
    if user is None or not result.valid:
        tools.throttle.failure(email, ip)
        audit.emit(AuditEvent.AUTHN_LOGIN_FAIL, email, ip=ip)
        # One answer for a wrong password and an unknown address: no account enumeration.
        return _form("login.html", {"form": "Wrong email or password."})
    if result.new_hash is not None:
        store().set_password_hash(user.id, result.new_hash)
    tools.throttle.success(email, ip)
    audit.emit(AuditEvent.AUTHN_LOGIN_SUCCESS, user.id, ip=ip)
    return log_in(user)


@auth.post("/logout")
def logout() -> Response:
    """End the session (POST only, CSRF-checked)."""
    user_id = session.get("user_id")
    session.clear()
    if user_id is not None:
        audit.emit(AuditEvent.SESSION_EXPIRED, user_id, "logout")
    return redirect(link("main.home"))


@auth.route("/forgot", methods=["GET", "POST"])
def forgot() -> tuple[str, int] | Response:
    """Send a signed, expiring, single-use reset link to a registered address."""
    if request.method == "GET":
        return _form("forgot.html")
    tools = services()
    decision = tools.per_client.hit("reset:" + client())
    if not decision.allowed:
        audit.emit(AuditEvent.EXCESS_RATE_LIMIT_EXCEEDED, client(), tools.per_client.limit)
        return too_many(decision.retry_after, "Too many requests; slow down.")
    try:
        user = store().by_email(validate_email(request.form.get("email", "")))
    except UnsafeInputError:
        user = None
    if user is not None:
        token = tools.resets.sign(f"{user.id}:{fingerprint(user.password_hash)}")
        url = link("auth.reset", token=token, _external=True)
        tools.outbox.send(
            user.email, "Reset your password", f"Open this link within an hour:\n{url}\n"
        )
        audit.emit(AuditEvent.AUTHN_TOKEN_CREATED, user.id, "password-reset")
    # The same answer whether or not the address exists: no account enumeration.
    flash("If that address is registered, a reset link is on its way.")
    return redirect(link("main.home"))


@auth.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> tuple[str, int] | Response:
    """Choose a new password with a reset link; the link then stops working."""
    tools = services()
    try:
        user_id_text, mark = tools.resets.verify(token).split(":", 1)
    except (InvalidTokenError, ValueError):
        audit.emit(AuditEvent.AUTHN_TOKEN_REUSE, "invalid-or-expired", ip=client())
        abort(400, description="This reset link is invalid or has expired.")
    user = store().by_id(int(user_id_text))
    if user is None or mark != fingerprint(user.password_hash):
        audit.emit(AuditEvent.AUTHN_TOKEN_REUSE, user_id_text, ip=client())
        abort(400, description="This reset link has already been used.")
    if request.method == "GET":
        return _form("reset.html")
    password = request.form.get("password", "")
    password_error = _password_error(password)
    if password_error:
        return _form("reset.html", {"password": password_error})
    store().set_password_hash(user.id, tools.hasher.hash(password))
    audit.emit(AuditEvent.AUTHN_PASSWORD_CHANGE, user.id, "reset")
    session.clear()
    flash("Password changed; please log in.")
    return redirect(link("auth.login"))


@dev.get("/dev/outbox")
def outbox() -> str:
    """The email the app would have sent (development mode only)."""
    if not current_app.config["DEV_OUTBOX"]:
        abort(404)
    return render_template("outbox.html", messages=services().outbox.messages)
