"""Fixtures: a private redis-server per session, and backends over both storages."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bricolage.jobs import Backend, RedisBackend, SQLiteBackend
from bricolage.jobs.testing import RedisServer

_namespaces = itertools.count()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        assert server.port != 6379
        yield server


@pytest.fixture
def redis_factory(redis_server: RedisServer) -> Callable[[], RedisBackend]:
    """Fresh Redis backends, each in a namespace of its own on the private server."""

    def make() -> RedisBackend:
        return RedisBackend(redis_server.url, namespace=f"test{next(_namespaces)}")

    return make


@pytest.fixture(params=["sqlite", "redis"])
def backend_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def backend_url(backend_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL for subprocesses: a fresh SQLite file, or a fresh Redis namespace."""
    if backend_kind == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    server: RedisServer = request.getfixturevalue("redis_server")
    return f"{server.url}?namespace=url{next(_namespaces)}"


@pytest.fixture
def backend(
    backend_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Backend]:
    made: Backend
    if backend_kind == "sqlite":
        made = SQLiteBackend(tmp_path / "jobs.db")
    else:
        made = request.getfixturevalue("redis_factory")()
    yield made
    made.close()


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name
