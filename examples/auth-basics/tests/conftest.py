from __future__ import annotations

from pathlib import Path

import pytest
from auth_basics import create_app
from auth_basics.security import lockout_policy
from flask import Flask
from flask.testing import FlaskClient

from bricolage.security import Argon2Parameters
from bricolage.security.testing import FrozenClock


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(1_700_000_000)


@pytest.fixture
def app(tmp_path: Path, clock: FrozenClock) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-0123456789abcdef",
            "DATABASE": str(tmp_path / "users.sqlite3"),
            "DEV_OUTBOX": True,
            "ORIGINS": ["https://localhost"],
            "ARGON2": Argon2Parameters.for_tests(),
            "CLOCK": clock,
            "LOGIN_RATE": (20, 60.0),
            "LOCKOUT": lockout_policy(free_attempts=3, first_delay=30, max_delay=900),
        }
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
