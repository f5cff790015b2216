"""Typed job registration: a decorator that keeps the signature, JSON arguments, pydantic."""

from __future__ import annotations

import datetime as dt
import inspect
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

import attrs
import pydantic
import pydantic_core

from bricolage.jobs import _typing
from bricolage.jobs._policy import RetryPolicy
from bricolage.jobs.errors import ConfigurationError, InvalidArgumentsError, UnknownJobError

__all__ = ["EnqueueOptions", "JobFunction", "JobRegistry"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


@attrs.frozen(slots=True)
class EnqueueOptions:
    """Per-call options: when, where, how urgently, and under which idempotency key.

    >>> EnqueueOptions(delay=5.0).delay
    5.0
    """

    delay: float = 0.0
    at: float | None = None
    key: str | None = None
    priority: int | None = None
    queue: str | None = None
    job_id: str | None = None
    meta: Mapping[str, str] | None = None
    max_attempts: int | None = None
    timeout: float | None = None


def _seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _timestamp(value: float | dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ConfigurationError(
                f"at={value.isoformat()!r} has no time zone; pass an aware datetime"
            )
        return value.timestamp()
    return float(value)


class JobFunction(Generic[_P, _R]):
    """A registered job: call it directly, or hand it to ``Queue.enqueue`` with its arguments.

    The arguments are checked against the signature and validated by pydantic when the job
    is enqueued and again on the worker, and travel as JSON. Made by
    :meth:`JobRegistry.job`, not by hand.

    Args:
        fn (Callable): the sync or async function.
        name (str): the name workers know it by.
        queue (str): the queue it goes to unless an enqueue says otherwise.
        priority (int): its priority within the queue (higher first).
        retry (RetryPolicy): attempts and backoff.
        timeout (float | None): seconds an attempt may take.
        result_ttl (float): seconds its result is kept.
        max_deliveries (int): crashes it may cause before it is buried: times its worker
            is lost while it runs alone (see the poison isolation rule).
        enqueue_options (EnqueueOptions | None): options for the next enqueue.
        coerce (bool): accept values pydantic can convert (``"1"`` for an ``int``);
            by default validation is strict and such values are refused.

    >>> registry = JobRegistry()
    >>> @registry.job()
    ... def add(a: int, b: int = 1) -> int:
    ...     return a + b
    >>> add(2, 3), add.name, add.encode_args(2, b=5)
    (5, 'add', '{"a":2,"b":5}')
    """

    def __init__(
        self,
        fn: Callable[_P, _R] | Callable[_P, Awaitable[_R]],
        *,
        name: str,
        queue: str,
        priority: int,
        retry: RetryPolicy,
        timeout: float | None,
        result_ttl: float,
        max_deliveries: int,
        enqueue_options: EnqueueOptions | None = None,
        coerce: bool = False,
    ) -> None:
        if not callable(fn):
            raise ConfigurationError(f"job {name!r}: {fn!r} is not a function")
        self.fn: Callable[_P, _R] | Callable[_P, Awaitable[_R]] = fn
        self.coerce: bool = coerce
        self.name: str = name
        self.queue: str = queue
        self.priority: int = priority
        self.retry: RetryPolicy = retry
        self.timeout: float | None = timeout
        self.result_ttl: float = result_ttl
        self.max_deliveries: int = max_deliveries
        self.enqueue_options: EnqueueOptions = enqueue_options or EnqueueOptions()
        self.is_async: bool = inspect.iscoroutinefunction(fn)
        self.signature: inspect.Signature = inspect.signature(fn)
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn
        try:
            hints = typing.get_type_hints(fn)
        except Exception as exc:
            raise ConfigurationError(
                f"job {name!r}: cannot resolve the type hints of {fn!r}: {exc}"
            ) from exc
        fields: dict[str, Any] = {}
        for param in self.signature.parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise ConfigurationError(
                    f"job {name!r}: parameter {param.name!r} is *args/**kwargs; jobs need "
                    "named parameters so their arguments can travel as JSON"
                )
            if param.kind is param.POSITIONAL_ONLY:
                raise ConfigurationError(
                    f"job {name!r}: parameter {param.name!r} is positional-only; jobs need "
                    "parameters that can be passed by name"
                )
            default = ... if param.default is param.empty else param.default
            fields[param.name] = (hints.get(param.name, Any), default)
        try:
            self._args = pydantic.create_model(
                f"{name}_arguments",
                __config__=pydantic.ConfigDict(
                    extra="forbid", arbitrary_types_allowed=False, strict=not coerce
                ),
                **fields,
            )
        except (pydantic.PydanticUserError, NameError, TypeError) as exc:
            raise ConfigurationError(
                f"job {name!r}: its parameters cannot be described as JSON: {exc}"
            ) from exc
        self._names = tuple(fields)
        self._result: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(hints.get("return", Any))

    def __repr__(self) -> str:
        return f"<JobFunction {self.name!r} queue={self.queue!r}>"

    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R | Awaitable[_R]:
        """Run the function here and now, without a queue."""
        return self.fn(*args, **kwargs)

    def options(
        self,
        *,
        delay: float | dt.timedelta = 0.0,
        at: float | dt.datetime | None = None,
        key: str | None = None,
        priority: int | None = None,
        queue: str | None = None,
        job_id: str | None = None,
        meta: Mapping[str, str] | None = None,
        max_attempts: int | None = None,
        timeout: float | None = None,
    ) -> JobFunction[_P, _R]:
        """The same job with options for the next enqueue (``delay``, ``at``, ``key``, ...).

        Returns:
            JobFunction: a copy carrying the options; the original is unchanged.

        >>> registry = JobRegistry()
        >>> @registry.job()
        ... def ping() -> None: ...
        >>> ping.options(delay=10, key="once").enqueue_options.key
        'once'
        """
        clone = object.__new__(JobFunction)
        clone.__dict__.update(self.__dict__)
        clone.enqueue_options = EnqueueOptions(
            delay=_seconds(delay),
            at=None if at is None else _timestamp(at),
            key=key,
            priority=priority,
            queue=queue,
            job_id=job_id,
            meta=meta,
            max_attempts=max_attempts,
            timeout=timeout,
        )
        return clone

    def encode_args(self, *args: Any, **kwargs: Any) -> str:
        """Bind and validate the arguments, and give their JSON text.

        >>> registry = JobRegistry()
        >>> @registry.job()
        ... def greet(name: str) -> str:
        ...     return "hi " + name
        >>> greet.encode_args(42)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bricolage.jobs.errors.InvalidArgumentsError: job 'greet': invalid arguments: name: ...
        """
        unexpected = [k for k in kwargs if k not in self.signature.parameters]
        if unexpected:
            shown = ", ".join(f"{k}={kwargs[k]!r}" for k in unexpected)
            raise InvalidArgumentsError(
                f"job {self.name!r}: unexpected keyword argument(s) {shown}; it takes "
                f"{', '.join(self._names) or 'no arguments'}"
            )
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidArgumentsError(f"job {self.name!r}: {exc}") from None
        model = self._validate(bound.arguments)
        try:
            return model.model_dump_json()
        except pydantic_core.PydanticSerializationError as exc:
            raise InvalidArgumentsError(
                f"job {self.name!r}: an argument cannot travel as JSON: {exc}"
            ) from None

    def _validate(self, values: Mapping[str, Any]) -> pydantic.BaseModel:
        try:
            return self._args.model_validate(values)  # type: ignore[no-any-return]
        except pydantic.ValidationError as exc:
            raise InvalidArgumentsError(
                f"job {self.name!r}: invalid arguments: {_explain(exc)}"
            ) from None

    def decode_args(self, text: str) -> dict[str, Any]:
        """Validate JSON arguments (as a worker receives them) into keyword arguments.

        >>> registry = JobRegistry()
        >>> @registry.job()
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> double.decode_args('{"x": 21}')
        {'x': 21}
        """
        try:
            model = self._args.model_validate_json(text)
        except pydantic.ValidationError as exc:
            raise InvalidArgumentsError(
                f"job {self.name!r}: invalid arguments {text[:200]!r}: {_explain(exc)}"
            ) from None
        return {name: getattr(model, name) for name in self._names}

    def encode_result(self, value: Any) -> str:
        """The JSON text of a return value.

        >>> registry = JobRegistry()
        >>> @registry.job()
        ... def pair() -> tuple[int, int]:
        ...     return (1, 2)
        >>> pair.encode_result((1, 2))
        '[1,2]'
        """
        return self._result.dump_json(value).decode()

    def decode_result(self, text: str) -> _R:
        """A stored result, validated back into the declared return type.

        Returns:
            object: the value, of the function's declared return type.

        >>> registry = JobRegistry()
        >>> @registry.job()
        ... def pair() -> tuple[int, int]:
        ...     return (1, 2)
        >>> pair.decode_result("[1, 2]")
        (1, 2)
        """
        return self._result.validate_json(text)  # type: ignore[no-any-return]


def _explain(exc: pydantic.ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(x) for x in error["loc"]) or "(arguments)"
        parts.append(f"{where}: {error['msg']} (got {error.get('input')!r})")
    return "; ".join(parts)


class JobRegistry:
    """Job functions by name, as both the enqueueing side and the worker know them.

    >>> registry = JobRegistry()
    >>> @registry.job(queue="emails", max_attempts=5)
    ... async def send(to: str) -> None: ...
    >>> registry.get("send").queue, registry.queues
    ('emails', ('emails',))
    """

    def __init__(self) -> None:
        self._jobs: dict[str, JobFunction[Any, Any]] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._jobs

    def __len__(self) -> int:
        return len(self._jobs)

    @property
    def queues(self) -> tuple[str, ...]:
        """The queues the registered jobs go to, in order of first registration."""
        return tuple(dict.fromkeys(job.queue for job in self._jobs.values()))

    def get(self, name: str) -> JobFunction[Any, Any]:
        """The job registered as ``name``; ``UnknownJobError`` names the known ones."""
        try:
            return self._jobs[name]
        except KeyError:
            known = ", ".join(sorted(self._jobs)) or "none"
            raise UnknownJobError(
                f"no job is registered as {name!r} (known: {known}); import the module that "
                "defines it in the worker"
            ) from None

    @_typing.overload
    def job(self, fn: Callable[_P, Awaitable[_R]], /) -> JobFunction[_P, _R]: ...
    @_typing.overload
    def job(self, fn: Callable[_P, _R], /) -> JobFunction[_P, _R]: ...  # noqa: F811
    @_typing.overload
    def job(  # noqa: F811
        self,
        fn: None = None,
        /,
        *,
        name: str | None = None,
        queue: str = "default",
        priority: int = 0,
        max_attempts: int | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        result_ttl: float = 86400.0,
        max_deliveries: int = 5,
        coerce: bool = False,
    ) -> _Decorator: ...

    def job(  # noqa: F811 - the implementation behind the overloads above
        self,
        fn: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        queue: str = "default",
        priority: int = 0,
        max_attempts: int | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        result_ttl: float = 86400.0,
        max_deliveries: int = 5,
        coerce: bool = False,
    ) -> Any:
        """Register a sync or async function as a job (bare, or with options).

        ``max_attempts`` is a shortcut for ``retry=RetryPolicy(max_attempts=...)``.
        Arguments are validated strictly (``"1"`` is not an ``int``, ``True`` is not an
        ``int``); ``coerce=True`` lets pydantic convert what it can instead.

        >>> registry = JobRegistry()
        >>> @registry.job(coerce=True)
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> double.encode_args("21")
        '{"x":21}'
        """
        policy = retry or RetryPolicy()
        if max_attempts is not None:
            policy = attrs.evolve(policy, max_attempts=max_attempts)

        def register(func: Callable[..., Any]) -> JobFunction[Any, Any]:
            job_name = name or func.__name__
            if job_name in self._jobs:
                raise ConfigurationError(
                    f"a job is already registered as {job_name!r}; pass name= to tell them apart"
                )
            job = JobFunction(
                func,
                name=job_name,
                queue=queue,
                priority=priority,
                retry=policy,
                timeout=timeout,
                result_ttl=result_ttl,
                max_deliveries=max_deliveries,
                coerce=coerce,
            )
            self._jobs[job_name] = job
            return job

        if fn is not None:
            return register(fn)
        return _Decorator(register)


class _Register(Protocol):
    """The type of ``JobRegistry.job`` (and ``Queue.job``): bare, or with options."""

    @overload
    def __call__(self, fn: Callable[_P, Awaitable[_R]], /) -> JobFunction[_P, _R]: ...
    @overload
    def __call__(self, fn: Callable[_P, _R], /) -> JobFunction[_P, _R]: ...
    @overload
    def __call__(
        self,
        fn: None = None,
        /,
        *,
        name: str | None = None,
        queue: str = "default",
        priority: int = 0,
        max_attempts: int | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        result_ttl: float = 86400.0,
        max_deliveries: int = 5,
        coerce: bool = False,
    ) -> _Decorator: ...


class _Decorator:
    """Registers the function it decorates, with the options given to ``job(...)``."""

    def __init__(self, register: Callable[[Callable[..., Any]], JobFunction[Any, Any]]) -> None:
        self._register: Callable[[Callable[..., Any]], JobFunction[Any, Any]] = register

    @overload
    def __call__(self, fn: Callable[_P, Awaitable[_R]], /) -> JobFunction[_P, _R]: ...
    @overload
    def __call__(self, fn: Callable[_P, _R], /) -> JobFunction[_P, _R]: ...
    def __call__(self, fn: Callable[..., Any], /) -> JobFunction[Any, Any]:
        return self._register(fn)
