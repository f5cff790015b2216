"""Correlation ids carried on a :class:`contextvars.ContextVar`.

One variable holds the id of the unit of work in progress (a web request, a job). Every
line logged while it is bound carries it. Context variables follow asyncio and trio tasks
on their own; threads need :func:`carry_context`.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Final, ParamSpec, TypeVar, cast, overload

from bricolage.logging.errors import ConfigurationError

__all__ = [
    "bind_correlation_id",
    "carry_context",
    "correlated",
    "correlation_scope",
    "get_correlation_id",
    "is_valid_correlation_id",
    "new_correlation_id",
    "unbind_correlation_id",
]

P = ParamSpec("P")
R = TypeVar("R")

_CORRELATION_ID: Final[contextvars.ContextVar[str | None]] = contextvars.ContextVar(
    "bricolage_logging_correlation_id", default=None
)

#: Longest correlation id accepted from outside (a header, a job's metadata).
MAX_CORRELATION_ID_LENGTH: Final = 128
_VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]*")


def new_correlation_id() -> str:
    """Make a fresh correlation id: 32 lowercase hex digits from a random UUID.

    >>> cid = new_correlation_id()
    >>> len(cid), cid == cid.lower(), is_valid_correlation_id(cid)
    (32, True, True)
    """
    return uuid.uuid4().hex


def is_valid_correlation_id(value: object) -> bool:
    """Tell whether ``value`` is safe to adopt as a correlation id from outside.

    An id is 1 to 128 characters of letters, digits and ``. _ : + / = -``, starting
    with a letter or digit. Anything else (control characters, spaces, quotes, a
    megabyte of header) is refused, so a client cannot inject text into the logs.

    >>> is_valid_correlation_id("req-42")
    True
    >>> is_valid_correlation_id("bad id\\n")
    False
    >>> is_valid_correlation_id("x" * 129)
    False
    """
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_CORRELATION_ID_LENGTH
        and _VALID.fullmatch(value) is not None
    )


def _checked(value: str) -> str:
    if not is_valid_correlation_id(value):
        raise ConfigurationError(
            f"invalid correlation id {value!r}: use 1 to {MAX_CORRELATION_ID_LENGTH} "
            "letters, digits or '._:+/=-', starting with a letter or digit"
        )
    return value


def get_correlation_id() -> str | None:
    """The correlation id bound in the current context, or ``None``.

    >>> get_correlation_id() is None
    True
    >>> with correlation_scope("req-1"):
    ...     get_correlation_id()
    'req-1'
    """
    return _CORRELATION_ID.get()


def bind_correlation_id(value: str | None = None) -> contextvars.Token[str | None]:
    """Bind ``value`` (or a new id) in the current context; return a token to undo it.

    Prefer :func:`correlation_scope` or :func:`correlated`, which always undo the
    binding. Raises :class:`~bricolage.logging.errors.ConfigurationError` for an id
    that :func:`is_valid_correlation_id` refuses.

    >>> token = bind_correlation_id("job-7")
    >>> get_correlation_id()
    'job-7'
    >>> unbind_correlation_id(token)
    >>> get_correlation_id() is None
    True
    """
    return _CORRELATION_ID.set(new_correlation_id() if value is None else _checked(value))


def unbind_correlation_id(token: contextvars.Token[str | None] | None = None) -> None:
    """Undo :func:`bind_correlation_id`: restore what ``token`` saved, or clear the id.

    >>> _ = bind_correlation_id("a")
    >>> unbind_correlation_id()
    >>> print(get_correlation_id())
    None
    """
    if token is None:
        _CORRELATION_ID.set(None)
    else:
        _CORRELATION_ID.reset(token)


@contextmanager
def correlation_scope(value: str | None = None, *, reuse: bool = False) -> Iterator[str]:
    """Bind a correlation id for the ``with`` block and yield it.

    Args:
        value: the id to bind; a new one is made when ``None``.
        reuse: keep the id already bound, if any, instead of binding ``value``
            (a job started inside a request keeps the request's id).

    >>> with correlation_scope("outer") as outer:
    ...     with correlation_scope(reuse=True) as inner:
    ...         print(outer, inner)
    outer outer
    >>> print(get_correlation_id())
    None
    """
    current = _CORRELATION_ID.get()
    if reuse and current is not None:
        yield current
        return
    token = bind_correlation_id(value)
    try:
        yield cast(str, _CORRELATION_ID.get())
    finally:
        _CORRELATION_ID.reset(token)


@overload
def correlated(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def correlated(*, reuse: bool = True) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def correlated(
    func: Callable[P, R] | None = None, /, *, reuse: bool = True
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function (sync or async) so that each call runs under a correlation id.

    The signature is kept (``ParamSpec``). By default a call inside an existing scope
    keeps that scope's id; ``@correlated(reuse=False)`` always makes a new one.

    >>> @correlated
    ... def handle(order: int) -> str | None:
    ...     return get_correlation_id()
    >>> len(handle(1) or "")
    32
    >>> with correlation_scope("req-9"):
    ...     handle(2)
    'req-9'
    """

    def decorate(f: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(f):
            coroutine = cast(Callable[P, Awaitable[object]], f)

            @functools.wraps(f)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> object:
                with correlation_scope(reuse=reuse):
                    return await coroutine(*args, **kwargs)

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(f)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with correlation_scope(reuse=reuse):
                return f(*args, **kwargs)

        return wrapper

    if func is not None:
        return decorate(func)
    return decorate


def carry_context(func: Callable[P, R], /) -> Callable[P, R]:
    """Wrap ``func`` to run in a copy of the context captured now, wherever it is called.

    Threads start with an empty context: pass ``carry_context(work)`` to
    :class:`threading.Thread`, an executor's ``submit`` or ``anyio.to_thread.run_sync``
    so the worker logs under the caller's correlation id. Each call runs in its own
    copy, so what the worker binds never leaks back.

    >>> import threading
    >>> seen = []
    >>> with correlation_scope("req-5"):
    ...     work = carry_context(lambda: seen.append(get_correlation_id()))
    ...     worker = threading.Thread(target=work)
    ...     worker.start()
    >>> worker.join()
    >>> seen
    ['req-5']
    """
    captured = contextvars.copy_context()

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return captured.copy().run(func, *args, **kwargs)

    return run
