"""Shared fixtures: async tests run on asyncio and on trio; a private PostgreSQL server."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from postgres_server import postgres_server

# Import the optional module under its real name before --doctest-modules imports it.
import bricolage.patterns.sqlalchemy  # noqa: F401


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every ``@pytest.mark.anyio`` test runs once per backend."""
    return str(request.param)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a private PostgreSQL server started for this test session."""
    with postgres_server() as url:
        yield url
