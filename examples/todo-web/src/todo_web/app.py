"""The application factory: settings in, a configured Flask application out."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, abort, g, render_template, request, session
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from bricolage.logging import WSGICorrelationMiddleware
from bricolage.security import (
    Argon2Parameters,
    Clock,
    CSRFProtection,
    LockoutPolicy,
    LoginThrottle,
    PasswordHasher,
    RateLimiter,
    SecurityHeaders,
    SecurityHeadersWSGI,
    SystemClock,
    TokenSigner,
    random_token,
)
from bricolage.security.errors import CSRFError
from todo_web import auth, lists, pages
from todo_web.db import make_engine, make_sessionmaker, migrate
from todo_web.forms import PRIORITIES
from todo_web.models import Todo
from todo_web.search_index import TodoIndex
from todo_web.settings import AppSettings, load_settings
from todo_web.web import Runtime, current_user, role_label

__all__ = ["create_app"]

log = logging.getLogger(__name__)

_HASHING = {
    "owasp": Argon2Parameters.owasp_minimum,
    "strong": Argon2Parameters,
    "fast-for-tests": Argon2Parameters.for_tests,
}

_TITLES = {
    400: "That request did not make sense",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    429: "Slow down",
    500: "Something went wrong",
}


def _build_runtime(settings: AppSettings, clock: Clock) -> tuple[Runtime, str]:
    secret = settings.secret_key.get_secret_value() or random_token(32)
    engine = make_engine(settings.sqlalchemy_url())
    migrate(engine)
    sessions = make_sessionmaker(engine)
    index = TodoIndex(settings.data_dir.resolve() / "search")
    if index.fresh:  # a new or damaged index: the database is the source of truth
        with sessions() as db:
            index.rebuild(db.scalars(select(Todo)))
    origins = settings.origins or ["http://localhost", "http://127.0.0.1"]
    return Runtime(
        settings=settings,
        sessions=sessions,
        index=index,
        hasher=PasswordHasher(_HASHING[settings.password_hashing]()),
        csrf=CSRFProtection(secret, trusted_origins=origins),
        resets=TokenSigner(
            [secret], purpose="password-reset", max_age=settings.reset_max_age, clock=clock
        ),
        devices=TokenSigner([secret], purpose="device", max_age=180 * 86400, clock=clock),
        login_limiter=RateLimiter(
            limit=settings.login_rate_limit,
            period=settings.login_rate_period,
            clock=clock,
            name="login",
        ),
        throttle=LoginThrottle(
            LockoutPolicy(
                free_attempts=settings.lockout_free_attempts,
                base_delay=settings.lockout_base_delay,
                max_delay=900.0,
            ),
            clock=clock,
        ),
        clock=clock.now,
    ), secret


def create_app(settings: AppSettings | None = None, *, clock: Clock | None = None) -> Flask:
    """Build the application: migrate the database, open the search index, wire routes.

    >>> import tempfile
    >>> from todo_web.settings import load_settings
    >>> app = create_app(load_settings("test", data_dir=tempfile.mkdtemp()))
    >>> app.test_client().get("/healthz").json
    {'database': 'ok', 'status': 'ok'}
    """
    settings = settings or load_settings()
    app = Flask(__name__)
    rt, secret = _build_runtime(settings, clock or SystemClock())
    secure = settings.cookie_name.startswith("__Host-")
    app.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_NAME=settings.cookie_name,
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=14 * 86400,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.extensions["todo_web"] = rt
    app.register_blueprint(auth.bp)
    app.register_blueprint(lists.bp)
    app.register_blueprint(pages.bp)
    app.jinja_env.globals.update(PRIORITIES=PRIORITIES, role_label=role_label)

    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        try:
            rt.csrf.check(
                method=request.method,
                session_id=session.get("sid"),
                token=request.form.get("csrf_token") or request.headers.get("X-CSRF-Token"),
                headers=request.headers,
            )
        except CSRFError as exc:
            log.warning("csrf refused", extra={"reason": str(exc)})
            abort(403, description=f"The form was refused ({exc}). Reload the page and retry.")

    @app.context_processor
    def inject() -> dict[str, Any]:
        def csrf_token() -> str:
            if "sid" not in session:
                session["sid"] = random_token(16)
            return rt.csrf.token(str(session["sid"]))

        return {
            "csrf_token": csrf_token,
            "user": current_user(),
            "dev_outbox": rt.settings.dev_outbox,
        }

    @app.after_request
    def finish(response: Response) -> Response:
        if request.endpoint != "static" and "started" in g:
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - g.started) * 1000, 2),
                },
            )
        return response

    @app.teardown_appcontext
    def close_db(_: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        code = exc.code or 500
        return render_template(
            "errors/error.html",
            code=code,
            title=_TITLES.get(code, exc.name),
            message=exc.description,
        ), code

    @app.errorhandler(Exception)
    def crash(exc: Exception) -> tuple[str, int]:
        log.error("unhandled error")
        return render_template(
            "errors/error.html",
            code=500,
            title=_TITLES[500],
            message="The error was logged. Try again in a moment.",
        ), 500

    app.wsgi_app = SecurityHeadersWSGI(app.wsgi_app, SecurityHeaders())  # type: ignore[method-assign]
    app.wsgi_app = WSGICorrelationMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app
