from __future__ import annotations

import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).parent))

from auth_basics import create_app

from bricolage.security import Argon2Parameters, LockoutPolicy
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
            "LOCKOUT": LockoutPolicy(free_attempts=3, base_delay=30, max_delay=900),
        }
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
