"""The security parts of the app, built once from its configuration by :func:`build`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import Flask, current_app

from auth_basics.outbox import Outbox
from bricolage.security import (
    Clock,
    CSRFProtection,
    LoginThrottle,
    PasswordHasher,
    RateLimiter,
    TokenSigner,
)

_EXTENSION = "auth_basics"


def fingerprint(password_hash: str) -> str:
    """Changes whenever the password changes: a reset token is then good only once."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Services:
    """What the views use: hashing, CSRF, reset tokens, rate limits, lockout, the outbox."""

    hasher: PasswordHasher
    csrf: CSRFProtection
    resets: TokenSigner
    per_client: RateLimiter
    throttle: LoginThrottle
    outbox: Outbox


def build(app: Flask) -> Services:
    """Make the services from ``app.config`` and keep them in ``app.extensions``."""
    config = app.config
    clock: Clock = config["CLOCK"]
    secret = config["SECRET_KEY"]
    limit, period = config["LOGIN_RATE"]
    services = Services(
        hasher=PasswordHasher(config["ARGON2"]),
        csrf=CSRFProtection(secret, trusted_origins=config["ORIGINS"]),
        resets=TokenSigner(
            [secret], purpose="password-reset", max_age=config["RESET_MAX_AGE"], clock=clock
        ),
        per_client=RateLimiter(limit=limit, period=period, clock=clock, name="login"),
        throttle=LoginThrottle(config["LOCKOUT"], clock=clock),
        outbox=Outbox(),
    )
    app.extensions[_EXTENSION] = services
    app.extensions["outbox"] = services.outbox
    return services


def services() -> Services:
    """The services of the app handling the current request."""
    found = current_app.extensions[_EXTENSION]
    assert isinstance(found, Services)
    return found
