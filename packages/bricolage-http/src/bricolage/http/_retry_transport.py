"""The retrying transports: one flow, two thin drivers."""

from __future__ import annotations

import random as _random
import warnings
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

from bricolage.http._clock import Clock, as_clock
from bricolage.http._driver import drive, drive_async
from bricolage.http._metrics import RetryMetrics
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


def _deprecated(owner: str, old: str, new: str) -> None:
    warnings.warn(
        f"{owner}({old}=...) is deprecated and will be removed in 0.3: use {new}",
        DeprecationWarning,
        stacklevel=3,
    )


def _replayable(request: httpx.Request) -> bool:
    try:
        request.content  # noqa: B018 - raises when the body is an unread stream
    except httpx.RequestNotRead:
        return False
    return True


_T = TypeVar("_T", httpx.BaseTransport, httpx.AsyncBaseTransport)


class _RetryBase(Generic[_T]):
    """The constructor and the flow shared by both flavours of the retry transport."""

    def __init__(
        self,
        transport: _T | None = None,
        *,
        policy: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
        clock: Clock | Callable[[], float] | None = None,
        random: Callable[[], float] = _random.random,
        metrics: RetryMetrics | None = None,
        wall_clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        owner = type(self).__name__
        self.transport: _T = self._default_transport() if transport is None else transport
        self.policy: RetryPolicy = RetryPolicy() if policy is None else policy
        self.budget: RetryBudget | None = budget
        self._on_attempt = on_attempt
        self.clock: Clock = as_clock(clock, owner=owner, monotonic=True)
        self._clock = self.clock.monotonic
        self._wall_clock = self.clock.now
        if wall_clock is not None:
            _deprecated(owner, "wall_clock", "the clock's now()")
            self._wall_clock = wall_clock
        self._sleep: Callable[[float], Any] = self._clock_sleep()
        if sleep is not None:
            _deprecated(owner, "sleep", "the clock's sleep() and async_sleep()")
            self._sleep = sleep
        self._random = random
        self.metrics: RetryMetrics = RetryMetrics() if metrics is None else metrics

    def _default_transport(self) -> _T:
        raise NotImplementedError

    def _clock_sleep(self) -> Callable[[float], Any]:
        raise NotImplementedError

    def _flow(self, request: httpx.Request) -> _Flow:
        policy = self.policy
        budget = self.budget
        metrics = self.metrics
        metrics.add(requests=1)
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
            metrics.add(attempts=1)
            if decision.retry and budget is not None and not budget.try_withdraw():
                decision = RetryDecision(False, 0.0, "the client's retry budget is exhausted")
                metrics.add(budget_exhausted=1)
            if self._on_attempt is not None:
                self._on_attempt(Attempt(number, response, error, decision, self._clock() - start))
            if not decision.retry:
                if response is None:
                    assert error is not None
                    metrics.add(failures=1)
                    error.add_note(
                        f"bricolage.http: gave up after {number} attempt(s): {decision.reason}"
                    )
                    raise error
                response.extensions[_EXTENSION] = RetryOutcome(number, decision.reason)
                return response
            metrics.add(retries=1, delay_seconds=decision.delay)
            if response is not None:
                yield _Close(response)
            yield _Sleep(decision.delay)


class RetryTransport(_RetryBase[httpx.BaseTransport], httpx.BaseTransport):
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
        clock: a :class:`Clock` (default :class:`SystemClock`): ``monotonic()`` for the
            deadline, ``now()`` for ``Retry-After`` dates, ``sleep()`` (``async_sleep()`` in
            the async flavour) to wait. ``testing.FrozenClock`` makes retries instant.
        random: a function returning a float in ``[0, 1)`` for the jitter.
        metrics: a :class:`RetryMetrics` to count into (one is made if omitted).
        wall_clock, sleep: deprecated (0.1): pass a ``clock`` instead.

    >>> from bricolage.http import RetryTransport, retry_outcome
    >>> import httpx
    >>> replies = iter([503, 503, 200])
    >>> origin = httpx.MockTransport(lambda request: httpx.Response(next(replies)))
    >>> from bricolage.http.testing import FrozenClock
    >>> transport = RetryTransport(origin, clock=FrozenClock())
    >>> with httpx.Client(transport=transport) as client:
    ...     response = client.get("http://api.test/")
    >>> response.status_code, retry_outcome(response).attempts
    (200, 3)
    """

    def _default_transport(self) -> httpx.BaseTransport:
        return httpx.HTTPTransport()

    def _clock_sleep(self) -> Callable[[float], Any]:
        return self.clock.sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying as the policy says."""
        return drive(self._flow(request), self._perform)

    def _perform(self, op: _Op) -> Any:
        if isinstance(op, _Send):
            return self.transport.handle_request(op.request)
        return op.response.close() if isinstance(op, _Close) else self._sleep(op.seconds)

    def close(self) -> None:
        """Close the wrapped transport."""
        self.transport.close()


class AsyncRetryTransport(_RetryBase[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport):
    """The asynchronous twin of :class:`RetryTransport`, on anyio (asyncio or trio).

    >>> from bricolage.http import AsyncRetryTransport, retry_outcome
    >>> from bricolage.http.testing import FrozenClock
    >>> import anyio, httpx
    >>> replies = iter([429, 200])
    >>> def origin(request):
    ...     return httpx.Response(next(replies), headers={"Retry-After": "0"})
    >>> async def main():
    ...     transport = AsyncRetryTransport(httpx.MockTransport(origin), clock=FrozenClock())
    ...     async with httpx.AsyncClient(transport=transport) as client:
    ...         response = await client.get("http://api.test/")
    ...     return response.status_code, retry_outcome(response).attempts
    >>> anyio.run(main)
    (200, 2)
    """

    def _default_transport(self) -> httpx.AsyncBaseTransport:
        return httpx.AsyncHTTPTransport()

    def _clock_sleep(self) -> Callable[[float], Any]:
        return self.clock.async_sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying as the policy says."""
        return await drive_async(self._flow(request), self._perform)

    async def _perform(self, op: _Op) -> Any:
        if isinstance(op, _Send):
            return await self.transport.handle_async_request(op.request)
        return await (op.response.aclose() if isinstance(op, _Close) else self._sleep(op.seconds))

    async def __aenter__(self) -> AsyncRetryTransport:
        await self.transport.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.transport.__aexit__(*exc_info)

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self.transport.aclose()
