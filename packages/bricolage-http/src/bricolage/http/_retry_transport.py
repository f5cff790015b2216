"""The retrying transports: one flow, two thin drivers."""

from __future__ import annotations

import random as _random
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from bricolage.http._retry import RetryBudget, RetryDecision, RetryPolicy, decide_retry

__all__ = ["AsyncRetryTransport", "Attempt", "RetryOutcome", "RetryTransport", "retry_outcome"]

_EXTENSION = "bricolage.http.retry"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One finished attempt, as passed to the ``on_attempt`` hook.

    ``number`` counts from 1; exactly one of ``response`` and ``error`` is set;
    ``decision`` says whether another attempt follows, after how long, and why.

    >>> import httpx
    >>> from bricolage.http import Attempt
    >>> from bricolage.http import RetryDecision
    >>> Attempt(1, None, httpx.ConnectError("refused"), RetryDecision(True, 0.2, "x"), 0.0).failed
    True
    """

    number: int
    response: httpx.Response | None
    error: BaseException | None
    decision: RetryDecision
    elapsed: float

    @property
    def failed(self) -> bool:
        """Whether the attempt raised instead of answering.

        >>> import httpx
        >>> from bricolage.http import Attempt
        >>> from bricolage.http import RetryDecision
        >>> Attempt(1, httpx.Response(200), None, RetryDecision(False, 0, "ok"), 0.1).failed
        False
        """
        return self.error is not None


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    """How many attempts a response took and why no further one was made.

    >>> from bricolage.http import RetryOutcome
    >>> RetryOutcome(attempts=2, reason="status 200 is not retried").attempts
    2
    """

    attempts: int
    reason: str


def retry_outcome(response: httpx.Response) -> RetryOutcome | None:
    """The :class:`RetryOutcome` a retry transport attached to ``response``, if any.

    >>> import httpx
    >>> from bricolage.http import retry_outcome
    >>> retry_outcome(httpx.Response(200)) is None
    True
    """
    outcome = response.extensions.get(_EXTENSION)
    return outcome if isinstance(outcome, RetryOutcome) else None


@dataclass(slots=True)
class _Send:
    request: httpx.Request


@dataclass(slots=True)
class _Sleep:
    seconds: float


@dataclass(slots=True)
class _Close:
    response: httpx.Response


_Op = _Send | _Sleep | _Close
_Flow = Generator[_Op, Any, httpx.Response]


def _replayable(request: httpx.Request) -> bool:
    try:
        request.content  # noqa: B018 - raises when the body is an unread stream
    except httpx.RequestNotRead:
        return False
    return True


class _RetryBase:
    def __init__(
        self,
        policy: RetryPolicy | None,
        budget: RetryBudget | None,
        on_attempt: Callable[[Attempt], None] | None,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        random: Callable[[], float],
    ) -> None:
        self.policy = RetryPolicy() if policy is None else policy
        self.budget = budget
        self._on_attempt = on_attempt
        self._clock = clock
        self._wall_clock = wall_clock
        self._random = random

    def _flow(self, request: httpx.Request) -> _Flow:
        policy = self.policy
        budget = self.budget
        if budget is not None:
            budget.deposit()
        replayable = _replayable(request)
        idempotency_key = "idempotency-key" in request.headers
        start = self._clock()
        number = 0
        while True:
            number += 1
            response: httpx.Response | None = None
            error: Exception | None = None
            try:
                response = yield _Send(request)
            except Exception as exc:  # noqa: BLE001 - handed to the flow, which decides
                error = exc
            decision = decide_retry(
                policy,
                method=request.method,
                attempt=number,
                elapsed=self._clock() - start,
                status=None if response is None else response.status_code,
                error=error,
                retry_after=None if response is None else response.headers.get("retry-after"),
                idempotency_key=idempotency_key,
                replayable=replayable,
                now=self._wall_clock(),
                random=self._random(),
            )
            if decision.retry and budget is not None and not budget.try_withdraw():
                decision = RetryDecision(False, 0.0, "the client's retry budget is exhausted")
            if self._on_attempt is not None:
                self._on_attempt(Attempt(number, response, error, decision, self._clock() - start))
            if not decision.retry:
                if response is None:
                    assert error is not None
                    error.add_note(
                        f"bricolage.http: gave up after {number} attempt(s): {decision.reason}"
                    )
                    raise error
                response.extensions[_EXTENSION] = RetryOutcome(number, decision.reason)
                return response
            if response is not None:
                yield _Close(response)
            yield _Sleep(decision.delay)


class RetryTransport(_RetryBase, httpx.BaseTransport):
    """A retrying ``httpx.BaseTransport`` around any transport.

    Retries what :class:`RetryPolicy` says (connect errors, read timeouts, 429, 502, 503,
    504; idempotent methods or an ``Idempotency-Key``), honours ``Retry-After`` up to a cap,
    waits with exponential backoff and full jitter, stops at the deadline, and draws from a
    shared :class:`RetryBudget` when given. The last response carries a
    :class:`RetryOutcome`; the last error is re-raised with a note saying why it stopped.

    Args:
        transport: the wrapped transport (default ``httpx.HTTPTransport``).
        policy: the :class:`RetryPolicy`.
        budget: a :class:`RetryBudget`, shared by every transport of a client.
        on_attempt: called with an :class:`Attempt` after each attempt.
        clock: monotonic seconds, for the deadline.
        wall_clock: POSIX seconds, for ``Retry-After`` dates.
        sleep: how to wait (``time.sleep``).
        random: a function returning a float in ``[0, 1)`` for the jitter.

    >>> from bricolage.http import RetryTransport, retry_outcome
    >>> import httpx
    >>> replies = iter([503, 503, 200])
    >>> origin = httpx.MockTransport(lambda request: httpx.Response(next(replies)))
    >>> transport = RetryTransport(origin, sleep=lambda seconds: None)
    >>> with httpx.Client(transport=transport) as client:
    ...     response = client.get("http://api.test/")
    >>> response.status_code, retry_outcome(response).attempts
    (200, 3)
    """

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        policy: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        super().__init__(policy, budget, on_attempt, clock, wall_clock, random)
        self.transport = httpx.HTTPTransport() if transport is None else transport
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying as the policy says."""
        flow = self._flow(request)
        value: Any = None
        error: Exception | None = None
        while True:
            try:
                op = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                result: httpx.Response = stop.value
                return result
            value, error = None, None
            if isinstance(op, _Send):
                try:
                    value = self.transport.handle_request(op.request)
                except Exception as exc:  # noqa: BLE001 - handed to the flow, which decides
                    error = exc
            elif isinstance(op, _Close):
                op.response.close()
            else:
                self._sleep(op.seconds)

    def close(self) -> None:
        """Close the wrapped transport."""
        self.transport.close()


class AsyncRetryTransport(_RetryBase, httpx.AsyncBaseTransport):
    """The asynchronous twin of :class:`RetryTransport`, on anyio (asyncio or trio).

    >>> from bricolage.http import AsyncRetryTransport, retry_outcome
    >>> import anyio, httpx
    >>> replies = iter([429, 200])
    >>> def origin(request):
    ...     return httpx.Response(next(replies), headers={"Retry-After": "0"})
    >>> async def main():
    ...     transport = AsyncRetryTransport(httpx.MockTransport(origin))
    ...     async with httpx.AsyncClient(transport=transport) as client:
    ...         response = await client.get("http://api.test/")
    ...     return response.status_code, retry_outcome(response).attempts
    >>> anyio.run(main)
    (200, 2)
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        policy: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        super().__init__(policy, budget, on_attempt, clock, wall_clock, random)
        self.transport = httpx.AsyncHTTPTransport() if transport is None else transport
        self._sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying as the policy says."""
        flow = self._flow(request)
        value: Any = None
        error: Exception | None = None
        while True:
            try:
                op = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                result: httpx.Response = stop.value
                return result
            value, error = None, None
            if isinstance(op, _Send):
                try:
                    value = await self.transport.handle_async_request(op.request)
                except Exception as exc:  # noqa: BLE001 - handed to the flow, which decides
                    error = exc
            elif isinstance(op, _Close):
                await op.response.aclose()
            else:
                await self._sleep(op.seconds)

    async def __aenter__(self) -> AsyncRetryTransport:
        await self.transport.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.transport.__aexit__(*exc_info)

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self.transport.aclose()
