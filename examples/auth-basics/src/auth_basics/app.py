"""The application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from auth_basics import security, web
from auth_basics.views import auth, dev, main
from bricolage.security import (
    Argon2Parameters,
    LockoutPolicy,
    SecurityHeaders,
    SecurityHeadersWSGI,
    SystemClock,
    random_token,
)


def defaults(app: Flask) -> dict[str, Any]:
    """The configuration a production deployment starts from (``__Host-`` cookies, HTTPS)."""
    return {
        "SECRET_KEY": os.environ.get("AUTH_BASICS_SECRET_KEY") or random_token(32),
        "DATABASE": str(Path(app.instance_path) / "users.sqlite3"),
        "SESSION_COOKIE_NAME": "__Host-session",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "ORIGINS": ["https://localhost"],
        "TRUSTED_PROXIES": [],
        "DEV_OUTBOX": False,
        "ARGON2": Argon2Parameters(),
        "CLOCK": SystemClock(),
        "LOGIN_RATE": (10, 60.0),
        "LOCKOUT": LockoutPolicy(free_attempts=5, base_delay=1.0, max_delay=900.0),
        "RESET_MAX_AGE": 3600,
    }


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. ``config`` overrides :func:`defaults` (tests pass a clock)."""
    app = Flask(__name__)
    app.config.update(defaults(app))
    app.config.update(config or {})
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    security.build(app)
    web.install(app)
    app.register_blueprint(main)
    app.register_blueprint(auth)
    app.register_blueprint(dev)

    @app.errorhandler(HTTPException)
    def error_page(error: HTTPException) -> tuple[str, int]:
        return render_template("error.html", error=error), error.code or 500

    app.wsgi_app = SecurityHeadersWSGI(app.wsgi_app, SecurityHeaders())  # type: ignore[method-assign]
    return app
