"""The decorator keeps signatures: mypy (run over the tests) checks these lines.

An ``enqueue`` with wrong argument types must be an error for the type checker; the
``type: ignore[...]`` comments below would be reported as unused (strict mode) if it
were not.
"""

from __future__ import annotations

from typing import assert_type

import pytest

from bricolage.jobs import InvalidArgumentsError, JobHandle, Queue


def test_enqueue_is_typed_by_the_job_signature() -> None:
    queue = Queue("sqlite://:memory:")

    @queue.job()
    def add(a: int, b: int = 1) -> int:
        return a + b

    @queue.job()
    async def fetch(url: str) -> bytes:
        return url.encode()

    handle = queue.enqueue(add, 1, b=2)
    assert_type(handle, JobHandle[int])
    assert_type(queue.enqueue(fetch, "https://example.org"), JobHandle[bytes])
    with pytest.raises(InvalidArgumentsError):
        queue.enqueue(add, "one")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentsError):
        queue.enqueue(fetch, url=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentsError):
        queue.enqueue(add, 1, c=3)  # type: ignore[call-arg]
    queue.close()
