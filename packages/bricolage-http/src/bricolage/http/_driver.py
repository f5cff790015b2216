"""The one driver loop of both flavours, and the one body tee.

A flow is a generator that yields I/O steps and returns a response. :class:`_Run` advances
it; :func:`drive` and :func:`drive_async` hand each step to a ``perform`` callable (plain or
awaited) and send back its result, or throw its exception into the flow, which decides.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, TypeVar

import httpx

_Op = TypeVar("_Op")
_R = TypeVar("_R")


class _Run(Generic[_Op, _R]):
    """Where a flow stands: the value or error to resume it with, and its result."""

    __slots__ = ("error", "flow", "result", "value")

    def __init__(self, flow: Generator[_Op, Any, _R]) -> None:
        self.flow = flow
        self.value: Any = None
        self.error: Exception | None = None
        self.result: _R | None = None

    def next(self) -> _Op | None:
        """The next step of the flow, or ``None`` once it has returned (see ``result``)."""
        value, error = self.value, self.error
        self.value = self.error = None
        try:
            return self.flow.send(value) if error is None else self.flow.throw(error)
        except StopIteration as stop:
            self.result = stop.value
            return None


def drive(flow: Generator[_Op, Any, _R], perform: Callable[[_Op], Any]) -> _R:
    """Run ``flow`` to its end, performing each step synchronously."""
    run = _Run(flow)
    while (op := run.next()) is not None:
        try:
            run.value = perform(op)
        except Exception as exc:  # noqa: BLE001 - handed to the flow, which decides
            run.error = exc
    return run.result  # type: ignore[return-value]


async def drive_async(
    flow: Generator[_Op, Any, _R], perform: Callable[[_Op], Awaitable[Any]]
) -> _R:
    """Run ``flow`` to its end, awaiting each step."""
    run = _Run(flow)
    while (op := run.next()) is not None:
        try:
            run.value = await perform(op)
        except Exception as exc:  # noqa: BLE001 - handed to the flow, which decides
            run.error = exc
    return run.result  # type: ignore[return-value]


class _Collector:
    """Keeps the chunks of a body until it grows past ``limit``, then keeps nothing."""

    __slots__ = ("_chunks", "_limit", "_total")

    def __init__(self, limit: int) -> None:
        self._chunks: list[bytes] | None = []
        self._limit = limit
        self._total = 0

    def feed(self, chunk: bytes) -> bytes:
        if self._chunks is not None:
            self._total += len(chunk)
            if self._total > self._limit:
                self._chunks = None  # over the limit: the rest passes straight through
            else:
                self._chunks.append(chunk)
        return chunk

    def body(self) -> bytes | None:
        return None if self._chunks is None else b"".join(self._chunks)


class BodyTee(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Streams a response body to the caller and hands a copy to ``finish`` at its end.

    ``finish`` (plain for a sync stream, awaitable for an async one) is called only when the
    body was read to its end and stayed within ``limit`` bytes.
    """

    def __init__(
        self,
        inner: httpx.SyncByteStream | httpx.AsyncByteStream,
        limit: int,
        finish: Callable[[bytes], Any],
    ) -> None:
        self._inner = inner
        self._collector = _Collector(limit)
        self._finish = finish

    def __iter__(self) -> Iterator[bytes]:
        assert isinstance(self._inner, httpx.SyncByteStream)
        yield from map(self._collector.feed, self._inner)
        if (body := self._collector.body()) is not None:
            self._finish(body)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._inner, httpx.AsyncByteStream)
        async for chunk in self._inner:
            yield self._collector.feed(chunk)
        if (body := self._collector.body()) is not None:
            await self._finish(body)

    def close(self) -> None:
        assert isinstance(self._inner, httpx.SyncByteStream)
        self._inner.close()

    async def aclose(self) -> None:
        assert isinstance(self._inner, httpx.AsyncByteStream)
        await self._inner.aclose()
