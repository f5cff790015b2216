from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).parent))

from _redis_server import RedisServer

from bricolage.security import Argon2Parameters, PasswordHasher


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(Argon2Parameters.for_tests())


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis_server.new_client()
    client.flushdb()
    try:
        yield client
    finally:
        client.close()
