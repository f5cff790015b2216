"""Per-request helpers (the user store, the session, the client's address) and the hooks
that run around every request: CSRF checks, the store's teardown, template globals."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from auth_basics.security import services
from auth_basics.store import User, UserStore
from bricolage.security import AuditEvent, AuditLog, client_ip, random_token, safe_redirect
from bricolage.security.errors import CSRFError

audit = AuditLog()


def store() -> UserStore:
    """The request's connection to the user database (closed when the request ends)."""
    if "store" not in g:
        g.store = UserStore(current_app.config["DATABASE"])
    found = g.store
    assert isinstance(found, UserStore)
    return found


def current_user() -> User | None:
    """The logged-in user, if any."""
    user_id = session.get("user_id")
    return store().by_id(user_id) if isinstance(user_id, int) else None


def session_id() -> str:
    """The session's random id (made on first use); CSRF tokens are bound to it."""
    if "sid" not in session:
        session["sid"] = random_token(16)
    return str(session["sid"])


def client() -> str:
    """The client's address, ``X-Forwarded-For`` believed only from trusted proxies."""
    return client_ip(
        request.remote_addr or "0.0.0.0",
        request.headers.get("X-Forwarded-For"),
        current_app.config["TRUSTED_PROXIES"],
    )


def log_in(user: User) -> Response:
    """Start a new session for ``user`` (no session fixation) and go where ``next`` says."""
    session.clear()
    session["sid"] = random_token(16)
    session["user_id"] = user.id
    session.permanent = True
    audit.emit(AuditEvent.SESSION_CREATED, user.id)
    return redirect(safe_redirect(request.args.get("next"), default=url_for("main.home")))


def too_many(retry_after: float, message: str) -> Response:
    """A 429 answer with ``Retry-After`` in whole seconds."""
    response = Response(message, status=429)
    response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
    return response


def install(app: Flask) -> None:
    """Register the hooks every request goes through."""

    @app.teardown_appcontext
    def close_store(_: BaseException | None) -> None:
        current = g.pop("store", None)
        if current is not None:
            current.close()

    @app.context_processor
    def template_globals() -> dict[str, Any]:
        return {
            "csrf_token": lambda: services().csrf.token(session_id()),
            "user": current_user(),
            "dev_outbox": app.config["DEV_OUTBOX"],
        }

    @app.before_request
    def check_csrf() -> None:
        try:
            services().csrf.check(
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
