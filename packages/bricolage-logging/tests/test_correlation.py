"""Correlation ids: binding, scopes, the decorator, threads, executors and anyio tasks."""

from __future__ import annotations

import asyncio
import inspect
import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.logging import (
    ConfigurationError,
    MemorySink,
    bind_correlation_id,
    carry_context,
    configure,
    correlated,
    correlation_scope,
    get_correlation_id,
    get_logger,
    is_valid_correlation_id,
    new_correlation_id,
    unbind_correlation_id,
)


@pytest.fixture
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "anyio_backend" in metafunc.fixturenames:
        metafunc.parametrize("anyio_backend", ["asyncio", "trio"], indirect=True)


def test_bind_and_unbind_with_token() -> None:
    outer = bind_correlation_id("outer")
    inner = bind_correlation_id()
    made = get_correlation_id()
    assert made is not None
    assert made != "outer"
    assert len(made) == 32
    unbind_correlation_id(inner)
    assert get_correlation_id() == "outer"
    unbind_correlation_id(outer)
    assert get_correlation_id() is None


def test_unbind_without_token_clears() -> None:
    bind_correlation_id("x")
    unbind_correlation_id()
    assert get_correlation_id() is None


@pytest.mark.parametrize("bad", ["", " x", "a b", "a\nb", "x" * 129, 'quote"', "é"])
def test_invalid_ids_are_refused_with_the_value(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="invalid correlation id"):
        bind_correlation_id(bad)
    assert get_correlation_id() is None


@given(st.text(max_size=200))
def test_validity_matches_the_documented_alphabet(value: str) -> None:
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:+/=-")
    expected = (
        0 < len(value) <= 128
        and set(value) <= allowed
        and value[0].isascii()
        and value[0].isalnum()
    )
    assert is_valid_correlation_id(value) is expected


def test_non_strings_are_not_ids() -> None:
    assert not is_valid_correlation_id(42)
    assert not is_valid_correlation_id(None)


def test_new_ids_are_unique() -> None:
    assert len({new_correlation_id() for _ in range(1000)}) == 1000


def test_scope_restores_on_exception() -> None:
    seen: list[str | None] = []

    def fail() -> None:
        with correlation_scope("a"):
            seen.append(get_correlation_id())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail()
    assert seen == ["a"]
    assert get_correlation_id() is None


def test_scope_reuse_and_replace() -> None:
    with correlation_scope("outer"):
        with correlation_scope(reuse=True) as kept:
            assert kept == "outer"
        with correlation_scope("inner") as replaced:
            assert replaced == "inner"
        assert get_correlation_id() == "outer"
    with correlation_scope(reuse=True) as fresh:
        assert len(fresh) == 32


def test_decorator_keeps_the_signature_and_binds() -> None:
    @correlated
    def handle(order: int, *, note: str = "") -> tuple[int, str | None]:
        """Handle an order."""
        return order, get_correlation_id()

    assert handle.__name__ == "handle"
    assert handle.__doc__ == "Handle an order."
    assert (
        str(inspect.signature(handle))
        == "(order: 'int', *, note: 'str' = '') -> 'tuple[int, str | None]'"
    )
    order, cid = handle(3, note="x")
    assert order == 3
    assert cid is not None
    assert get_correlation_id() is None
    with correlation_scope("req"):
        assert handle(1)[1] == "req"


def test_decorator_without_reuse_always_makes_a_new_id() -> None:
    @correlated(reuse=False)
    def job() -> str | None:
        return get_correlation_id()

    with correlation_scope("req"):
        made = job()
        assert made != "req"
        assert made is not None
        assert get_correlation_id() == "req"


def test_decorator_on_a_coroutine_function() -> None:
    @correlated
    async def fetch(n: int) -> tuple[int, str | None]:
        await asyncio.sleep(0)
        return n, get_correlation_id()

    assert inspect.iscoroutinefunction(fetch)
    n, cid = asyncio.run(fetch(5))
    assert n == 5
    assert cid is not None

    async def inside() -> tuple[int, str | None]:
        with correlation_scope("req-a"):
            return await fetch(6)

    assert asyncio.run(inside()) == (6, "req-a")


def test_carry_context_into_threads_and_executors() -> None:
    seen: list[str | None] = []

    def work(tag: str) -> str | None:
        seen.append(get_correlation_id())
        bind_correlation_id(f"changed-{tag}")  # must not leak back
        return get_correlation_id()

    with correlation_scope("req-t"):
        thread = threading.Thread(target=carry_context(work), args=("t",))
        thread.start()
        thread.join()
        with ThreadPoolExecutor(max_workers=2) as pool:
            wrapped = carry_context(work)
            results = list(pool.map(wrapped, ["a", "b", "c"]))
        assert get_correlation_id() == "req-t"
    assert seen == ["req-t"] * 4
    assert results == ["changed-a", "changed-b", "changed-c"]

    plain: list[str | None] = []
    with correlation_scope("req-u"):
        thread = threading.Thread(target=lambda: plain.append(get_correlation_id()))
        thread.start()
        thread.join()
    assert plain == [None]  # threads do not inherit without carry_context


def test_threads_log_under_the_request_id() -> None:
    sink = MemorySink()
    configure(service="svc", stream=None, sinks=[sink])
    log = get_logger("bg")
    with correlation_scope("req-bg"):

        def work() -> None:
            log.info("in thread")

        thread = threading.Thread(target=carry_context(work))
        thread.start()
    thread.join()
    assert sink.records()[0]["correlation_id"] == "req-bg"


@pytest.mark.anyio
async def test_anyio_tasks_and_worker_threads_inherit(anyio_backend: str) -> None:
    seen: dict[str, str | None] = {}

    async def child(name: str) -> None:
        await anyio.sleep(0)
        seen[name] = get_correlation_id()

    def in_thread() -> str | None:
        return get_correlation_id()

    async def from_thread() -> str | None:
        return get_correlation_id()

    with correlation_scope("req-anyio"):
        async with anyio.create_task_group() as group:
            group.start_soon(child, "task")
        seen["to_thread"] = await anyio.to_thread.run_sync(in_thread)
        seen["from_thread"] = await anyio.to_thread.run_sync(
            lambda: anyio.from_thread.run(from_thread)
        )
    assert seen == {"task": "req-anyio", "to_thread": "req-anyio", "from_thread": "req-anyio"}


@pytest.mark.anyio
async def test_concurrent_tasks_keep_their_own_ids(anyio_backend: str) -> None:
    results: dict[int, tuple[str, str | None]] = {}

    @correlated(reuse=False)
    async def request(n: int) -> None:
        mine = get_correlation_id()
        assert mine is not None
        await anyio.sleep(0.01 * (3 - n))
        results[n] = (mine, get_correlation_id())

    async with anyio.create_task_group() as group:
        for n in range(3):
            group.start_soon(request, n)
    assert all(mine == later for mine, later in results.values())
    assert len({mine for mine, _ in results.values()}) == 3
