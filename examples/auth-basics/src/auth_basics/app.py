"""The Flask application: registration, login, logout and password reset."""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template_string,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from auth_basics import templates
from auth_basics.outbox import Outbox
from auth_basics.store import User, UserStore
from bricolage.security import (
    Argon2Parameters,
    AuditEvent,
    AuditLog,
    CSRFProtection,
    LockoutPolicy,
    LoginThrottle,
    PasswordHasher,
    RateLimiter,
    SecurityHeaders,
    SecurityHeadersWSGI,
    TokenSigner,
    client_ip,
    random_token,
    safe_redirect,
    system_clock,
    validate_email,
)
from bricolage.security.errors import (
    AccountLockedError,
    CSRFError,
    InvalidTokenError,
    UnsafeInputError,
)

MIN_PASSWORD_LENGTH = 8
audit = AuditLog()


def _fingerprint(password_hash: str) -> str:
    """Changes whenever the password changes: a reset token is then good only once."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. ``config`` overrides the defaults (tests pass a clock)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("AUTH_BASICS_SECRET_KEY") or random_token(32),
        DATABASE=str(Path(app.instance_path) / "users.sqlite3"),
        SESSION_COOKIE_NAME="__Host-session",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        ORIGINS=["https://localhost"],
        TRUSTED_PROXIES=[],
        DEV_OUTBOX=False,
        ARGON2=Argon2Parameters(),
        CLOCK=system_clock,
        LOGIN_RATE=(10, 60.0),
        LOCKOUT=LockoutPolicy(free_attempts=5, base_delay=1.0, max_delay=900.0),
        RESET_MAX_AGE=3600,
    )
    app.config.update(config or {})
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    clock: Callable[[], float] = app.config["CLOCK"]
    secret = app.config["SECRET_KEY"]
    hasher = PasswordHasher(app.config["ARGON2"])
    csrf = CSRFProtection(secret, trusted_origins=app.config["ORIGINS"])
    resets = TokenSigner(
        [secret], purpose="password-reset", max_age=app.config["RESET_MAX_AGE"], clock=clock
    )
    limit, period = app.config["LOGIN_RATE"]
    per_client = RateLimiter(limit=limit, period=period, clock=clock, name="login")
    throttle = LoginThrottle(app.config["LOCKOUT"], clock=clock)
    outbox = Outbox()
    app.extensions["outbox"] = outbox
    app.wsgi_app = SecurityHeadersWSGI(app.wsgi_app, SecurityHeaders())  # type: ignore[method-assign]

    def store() -> UserStore:
        if "store" not in g:
            g.store = UserStore(app.config["DATABASE"])
        return g.store  # type: ignore[no-any-return]

    @app.teardown_appcontext
    def close_store(_: BaseException | None) -> None:
        current = g.pop("store", None)
        if current is not None:
            current.close()

    def current_user() -> User | None:
        user_id = session.get("user_id")
        return store().by_id(user_id) if isinstance(user_id, int) else None

    def session_id() -> str:
        if "sid" not in session:
            session["sid"] = random_token(16)
        return str(session["sid"])

    def client() -> str:
        return client_ip(
            request.remote_addr or "0.0.0.0",
            request.headers.get("X-Forwarded-For"),
            app.config["TRUSTED_PROXIES"],
        )

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "csrf_token": lambda: csrf.token(session_id()),
            "user": current_user(),
            "dev_outbox": app.config["DEV_OUTBOX"],
        }

    @app.before_request
    def check_csrf() -> None:
        try:
            csrf.check(
                method=request.method,
                session_id=session.get("sid"),
                token=request.form.get("csrf_token") or request.headers.get("X-CSRF-Token"),
                headers=request.headers,
            )
        except CSRFError as exc:
            audit.emit(
                AuditEvent.MALICIOUS_CORS
                if "Origin" in str(exc)
                else AuditEvent.INPUT_VALIDATION_FAIL,
                "csrf",
                ip=client(),
                reason=str(exc),
            )
            abort(403, description=str(exc))

    def page(title: str, body: str, **context: Any) -> str:
        inner = render_template_string(body, **context)
        return render_template_string(templates.LAYOUT, title=title, body=inner)

    def throttled(decision_allowed: bool, retry_after: float) -> Response | None:
        if decision_allowed:
            return None
        audit.emit(AuditEvent.EXCESS_RATE_LIMIT_EXCEEDED, client(), per_client.limit)
        response = Response("Too many requests; slow down.", status=429)
        response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
        return response

    @app.get("/")
    def home() -> str:
        return page("Home", templates.HOME)

    @app.route("/register", methods=["GET", "POST"])
    def register() -> str | Response:
        if request.method == "POST":
            try:
                email = validate_email(request.form.get("email", ""))
            except UnsafeInputError:
                flash("Please enter a valid email address.")
                return page(
                    "Register",
                    templates.FORM,
                    heading="Register",
                    with_email=True,
                    with_password=True,
                )
            password = request.form.get("password", "")
            if len(password) < MIN_PASSWORD_LENGTH:
                flash(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
            elif store().by_email(email) is not None:
                flash("That address is already registered; log in or reset the password.")
            else:
                user = store().add(email, hasher.hash(password))
                audit.emit(AuditEvent.USER_CREATED, user.id)
                return _log_in(user)
        return page(
            "Register", templates.FORM, heading="Register", with_email=True, with_password=True
        )

    def _log_in(user: User) -> Response:
        session.clear()  # a new session on login: no session fixation
        session["sid"] = random_token(16)
        session["user_id"] = user.id
        session.permanent = True
        audit.emit(AuditEvent.SESSION_CREATED, user.id)
        return redirect(safe_redirect(request.args.get("next"), default=url_for("home")))

    @app.route("/login", methods=["GET", "POST"])
    def login() -> str | Response:
        if request.method == "POST":
            ip = client()
            decision = per_client.hit(ip)
            refused = throttled(decision.allowed, decision.retry_after)
            if refused is not None:
                return refused
            email = request.form.get("email", "").strip()
            try:
                throttle.check(email, ip)
            except AccountLockedError as exc:
                audit.emit(AuditEvent.AUTHN_LOGIN_LOCK, email, "backoff", ip=ip)
                response = Response(
                    f"Too many failed logins. Try again in {exc.retry_after:.0f} s.", status=429
                )
                response.headers["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
                return response
            try:
                normalized = validate_email(email)
            except UnsafeInputError:
                normalized = ""
            user = store().by_email(normalized) if normalized else None
            result = hasher.verify_and_update(
                user.password_hash if user else None, request.form.get("password", "")
            )
            if user is None or not result.valid:
                throttle.failure(email, ip)
                audit.emit(AuditEvent.AUTHN_LOGIN_FAIL, email, ip=ip)
                flash("Wrong email or password.")
                return page(
                    "Log in", templates.FORM, heading="Log in", with_email=True, with_password=True
                )
            if result.new_hash is not None:
                store().set_password_hash(user.id, result.new_hash)
            throttle.success(email, ip)
            audit.emit(AuditEvent.AUTHN_LOGIN_SUCCESS, user.id, ip=ip)
            return _log_in(user)
        return page(
            "Log in", templates.FORM, heading="Log in", with_email=True, with_password=True
        )

    @app.post("/logout")
    def logout() -> Response:
        user_id = session.get("user_id")
        session.clear()
        if user_id is not None:
            audit.emit(AuditEvent.SESSION_EXPIRED, user_id, "logout")
        return redirect(url_for("home"))

    @app.route("/forgot", methods=["GET", "POST"])
    def forgot() -> str | Response:
        if request.method == "POST":
            decision = per_client.hit("reset:" + client())
            refused = throttled(decision.allowed, decision.retry_after)
            if refused is not None:
                return refused
            try:
                user = store().by_email(validate_email(request.form.get("email", "")))
            except UnsafeInputError:
                user = None
            if user is not None:
                token = resets.sign(f"{user.id}:{_fingerprint(user.password_hash)}")
                link = url_for("reset", token=token, _external=True)
                outbox.send(
                    user.email, "Reset your password", f"Open this link within an hour:\n{link}\n"
                )
                audit.emit(AuditEvent.AUTHN_TOKEN_CREATED, user.id, "password-reset")
            # The same answer whether or not the address exists: no account enumeration.
            flash("If that address is registered, a reset link is on its way.")
            return redirect(url_for("home"))
        return page(
            "Forgot password",
            templates.FORM,
            heading="Send reset link",
            with_email=True,
            with_password=False,
        )

    @app.route("/reset/<token>", methods=["GET", "POST"])
    def reset(token: str) -> str | Response:
        try:
            user_id_text, fingerprint = resets.verify(token).split(":", 1)
        except (InvalidTokenError, ValueError):
            audit.emit(AuditEvent.AUTHN_TOKEN_REUSE, "invalid-or-expired", ip=client())
            abort(400, description="This reset link is invalid or has expired.")
        user = store().by_id(int(user_id_text))
        if user is None or fingerprint != _fingerprint(user.password_hash):
            audit.emit(AuditEvent.AUTHN_TOKEN_REUSE, user_id_text, ip=client())
            abort(400, description="This reset link has already been used.")
        if request.method == "POST":
            password = request.form.get("password", "")
            if len(password) < MIN_PASSWORD_LENGTH:
                flash(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
            else:
                store().set_password_hash(user.id, hasher.hash(password))
                audit.emit(AuditEvent.AUTHN_PASSWORD_CHANGE, user.id, "reset")
                flash("Password changed; please log in.")
                session.clear()
                return redirect(url_for("login"))
        return page(
            "Choose a new password",
            templates.FORM,
            heading="Set new password",
            with_email=False,
            with_password=True,
        )

    @app.get("/dev/outbox", endpoint="outbox")
    def outbox_page() -> str:
        if not app.config["DEV_OUTBOX"]:
            abort(404)
        return page("Outbox", templates.OUTBOX, messages=outbox.messages)

    return app


def main(argv: list[str] | None = None) -> None:
    """Run the development server on 127.0.0.1 with the email outbox enabled."""
    parser = argparse.ArgumentParser(description="auth-basics development server")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument(
        "--database",
        default="auth-basics.sqlite3",
        help="SQLite file (default: ./auth-basics.sqlite3)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    app = create_app(
        {
            "DEV_OUTBOX": True,
            "DATABASE": str(Path(args.database).resolve()),
            "SESSION_COOKIE_SECURE": False,  # plain http on localhost during development
            "SESSION_COOKIE_NAME": "session",
            "ORIGINS": [f"http://127.0.0.1:{args.port}", f"http://localhost:{args.port}"],
            "ARGON2": Argon2Parameters.owasp_minimum(),
        }
    )
    app.run(host="127.0.0.1", port=args.port, debug=False)


if __name__ == "__main__":  # pragma: no cover
    main()
