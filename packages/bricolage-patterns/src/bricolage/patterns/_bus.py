"""The message bus: commands with one handler, events with any number, run on anyio."""

from __future__ import annotations

import inspect
import types
import typing
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread

from bricolage.patterns.errors import (
    DuplicateHandlerError,
    HandlerSignatureError,
    MessageTypeError,
    NoHandlerError,
)

__all__ = ["Command", "Event", "MessageBus", "Middleware", "NextHandler"]

_H = TypeVar("_H", bound=Callable[..., Any])


class Command:
    """The base of a command: a request to do one thing, handled by exactly one handler.

    Subclass it, usually as a frozen dataclass; the handler's parameter type picks it.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class PlaceOrder(Command):
    ...     sku: str
    >>> isinstance(PlaceOrder("chair"), Command)
    True
    """

    __slots__ = ()


class Event:
    """The base of an event: a fact that happened, handled by any number of handlers.

    A handler registered for a base class also receives the events of its subclasses, so
    a handler of ``Event`` itself sees every event.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class OrderPlaced(Event):
    ...     order_id: int
    >>> isinstance(OrderPlaced(1), Event)
    True
    """

    __slots__ = ()


NextHandler = Callable[[Command | Event], Awaitable[Any]]
"""What a middleware calls to pass the message on: ``await call_next(message)``.

>>> async def passthrough(message: Command | Event, call_next: NextHandler) -> Any:
...     return await call_next(message)
"""

Middleware = Callable[[Command | Event, NextHandler], Awaitable[Any]]
"""An async callable ``(message, call_next) -> result`` wrapped around every message.

>>> import anyio
>>> async def log_names(message, call_next):
...     print("handling", type(message).__name__)
...     return await call_next(message)
>>> class Tick(Event): ...
>>> anyio.run(MessageBus([log_names]).handle, Tick())
handling Tick
"""


@dataclass(frozen=True, slots=True)
class _Handler:
    func: Callable[[Any], Any]
    in_thread: bool
    is_async: bool


class _Frame:
    """The state of one ``handle()`` call: its queue and the current handler's events."""

    __slots__ = ("pending", "queue")

    def __init__(self) -> None:
        self.queue: deque[Event] = deque()
        self.pending: list[Event] | None = None


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - instances with an async __call__
    )


def _message_types(handler: Callable[..., Any]) -> tuple[Any, ...]:
    """The message types a handler takes, read from its first parameter's annotation."""
    name = getattr(handler, "__qualname__", repr(handler))
    try:
        params = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError) as exc:
        raise HandlerSignatureError(
            f"cannot read the signature of handler {name}; pass message_type=..."
        ) from exc
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(positional) != 1:
        raise HandlerSignatureError(
            f"handler {name} must take exactly one required positional parameter, the "
            f"message; it takes {len(positional)}"
        )
    target: Any = handler
    if not (inspect.isfunction(handler) or inspect.ismethod(handler)):
        target = getattr(handler, "__call__", handler)  # noqa: B004 - instances with __call__
    try:
        hints = typing.get_type_hints(target)
    except Exception as exc:
        raise HandlerSignatureError(
            f"cannot resolve the type hints of handler {name}: {exc}; pass message_type=..."
        ) from exc
    hint = hints.get(positional[0].name)
    if hint is None:
        raise HandlerSignatureError(
            f"handler {name} has no type annotation on its parameter "
            f"{positional[0].name!r}; annotate it with the message class or pass "
            "message_type=..."
        )
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return tuple(typing.get_args(hint))
    return (hint,)


class MessageBus:
    """Dispatches commands to their one handler and events to all of theirs.

    Handlers are plain functions, sync or async, registered by the type of their one
    parameter. The bus holds strong references: a handler stays registered until
    :meth:`unregister` is called, whether or not anything else refers to it (a lambda or a
    bound method of a temporary object works).

    :meth:`handle` processes one message, then every event that its handlers
    :meth:`collect`\\ ed, in order, breadth first: the events a handler collects are
    queued only when it returns without raising, so a unit of work that publishes its
    domain events on commit publishes nothing when it rolls back.

    Args:
        middleware: Async callables ``(message, call_next)`` wrapped around the handling of
            every message, the first one outermost.

    >>> import anyio
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Greet(Command):
    ...     name: str
    >>> @dataclass(frozen=True)
    ... class Greeted(Event):
    ...     text: str
    >>> bus = MessageBus()
    >>> @bus.register
    ... def greet(command: Greet) -> str:
    ...     text = f"hello {command.name}"
    ...     bus.collect(Greeted(text))
    ...     return text
    >>> @bus.register
    ... async def show(event: Greeted) -> None:
    ...     print("event:", event.text)
    >>> anyio.run(bus.handle, Greet("Ada"))
    event: hello Ada
    'hello Ada'
    """

    def __init__(self, middleware: Iterable[Middleware] = ()) -> None:
        self._commands: dict[type, _Handler] = {}
        self._events: dict[type, list[_Handler]] = {}
        self._resolved: dict[type, tuple[_Handler, ...]] = {}
        self._middleware: list[Middleware] = list(middleware)
        self._chain: NextHandler = self._build_chain()
        self._backlog: deque[Event] = deque()
        self._frame: ContextVar[_Frame | None] = ContextVar(
            f"bricolage.patterns.bus.frame.{id(self)}", default=None
        )

    # -- registration -------------------------------------------------------------------

    def register(
        self, handler: _H, *, message_type: type | None = None, in_thread: bool = False
    ) -> _H:
        """Register ``handler`` for the message type of its parameter, and return it.

        Usable as a decorator. A union annotation (``OrderPlaced | OrderCancelled``)
        registers the handler for each member.

        Args:
            handler: A callable taking one message; sync or async.
            message_type: The message class, when the annotation cannot say it.
            in_thread: Run a sync handler in a worker thread (``anyio.to_thread``) so that
                blocking work does not stall the event loop.

        Raises:
            DuplicateHandlerError: The type is a command that already has a handler.
            HandlerSignatureError: The message type cannot be read from the signature.
            MessageTypeError: The type is neither a Command nor an Event subclass.

        >>> bus = MessageBus()
        >>> class Ping(Command): ...
        >>> def on_ping(command: Ping) -> str:
        ...     return "pong"
        >>> bus.register(on_ping) is on_ping
        True
        >>> try:
        ...     bus.register(lambda c: "again", message_type=Ping)
        ... except DuplicateHandlerError as exc:
        ...     print(exc)
        command Ping already has the handler on_ping; a command takes exactly one handler
        """
        if in_thread and inspect.iscoroutinefunction(handler):
            name = getattr(handler, "__qualname__", repr(handler))
            raise HandlerSignatureError(
                f"handler {name} is async; in_thread=True is only for sync handlers"
            )
        types_: tuple[Any, ...] = (
            (message_type,) if message_type is not None else _message_types(handler)
        )
        for kind in types_:
            if not isinstance(kind, type) or not issubclass(kind, Command | Event):
                raise MessageTypeError(
                    f"handler {getattr(handler, '__qualname__', handler)!r} takes {kind!r}, "
                    "which is neither a Command nor an Event subclass"
                )
        entry = _Handler(handler, in_thread, _is_async(handler))
        for kind in types_:
            if issubclass(kind, Command):
                existing = self._commands.get(kind)
                if existing is not None:
                    raise DuplicateHandlerError(
                        f"command {kind.__qualname__} already has the handler "
                        f"{_name(existing.func)}; a command takes exactly one handler"
                    )
        for kind in types_:
            if issubclass(kind, Command):
                self._commands[kind] = entry
            else:
                self._events.setdefault(kind, []).append(entry)
        self._resolved.clear()
        return handler

    def unregister(self, handler: Callable[..., Any]) -> None:
        """Remove ``handler`` from every message type it was registered for.

        Raises:
            LookupError: The handler is not registered.

        >>> bus = MessageBus()
        >>> class Tick(Event): ...
        >>> def on_tick(event: Tick) -> None: ...
        >>> _ = bus.register(on_tick)
        >>> bus.unregister(on_tick)
        >>> bus.handlers_for(Tick)
        ()
        """
        found = False
        for kind, entry in list(self._commands.items()):
            if entry.func == handler:
                del self._commands[kind]
                found = True
        for kind, entries in list(self._events.items()):
            kept = [e for e in entries if e.func != handler]
            if len(kept) != len(entries):
                found = True
                if kept:
                    self._events[kind] = kept
                else:
                    del self._events[kind]
        if not found:
            raise LookupError(f"handler {_name(handler)} is not registered on this bus")
        self._resolved.clear()

    def add_middleware(self, middleware: Middleware) -> None:
        """Wrap ``middleware`` around every message, inside the ones already added.

        >>> import anyio
        >>> bus = MessageBus()
        >>> class Ping(Command): ...
        >>> _ = bus.register(lambda c: "pong", message_type=Ping)
        >>> async def shout(message, call_next):
        ...     return (await call_next(message)).upper()
        >>> bus.add_middleware(shout)
        >>> anyio.run(bus.handle, Ping())
        'PONG'
        """
        self._middleware.append(middleware)
        self._chain = self._build_chain()

    def handlers_for(self, message_type: type) -> tuple[Callable[..., Any], ...]:
        """The handlers a message of ``message_type`` would be given to, in call order.

        >>> bus = MessageBus()
        >>> class Tick(Event): ...
        >>> def first(event: Tick) -> None: ...
        >>> def everything(event: Event) -> None: ...
        >>> _ = bus.register(everything); _ = bus.register(first)
        >>> [h.__name__ for h in bus.handlers_for(Tick)]
        ['first', 'everything']
        """
        return tuple(entry.func for entry in self._resolve(message_type))

    def _resolve(self, message_type: type) -> tuple[_Handler, ...]:
        cached = self._resolved.get(message_type)
        if cached is not None:
            return cached
        found: list[_Handler] = []
        if issubclass(message_type, Command):
            for kind in message_type.__mro__:
                entry = self._commands.get(kind)
                if entry is not None:
                    found.append(entry)
                    break
        else:
            for kind in message_type.__mro__:
                found.extend(self._events.get(kind, ()))
        resolved = tuple(found)
        self._resolved[message_type] = resolved
        return resolved

    # -- handling -----------------------------------------------------------------------

    def collect(self, *events: Event) -> None:
        """Queue ``events`` to be handled after the current handler returns.

        Called from inside a handler, the events are handled by the same :meth:`handle`
        call, after the message in hand, in the order collected; if the handler raises,
        they are dropped. Called outside any handler, they wait for :meth:`drain`.

        Raises:
            MessageTypeError: One of the values is not an Event.

        >>> import anyio
        >>> bus = MessageBus()
        >>> class Tick(Event): ...
        >>> _ = bus.register(lambda e: print("tick"), message_type=Tick)
        >>> bus.collect(Tick(), Tick())
        >>> anyio.run(bus.drain)
        tick
        tick
        """
        for event in events:
            if not isinstance(event, Event):
                raise MessageTypeError(
                    f"collect() takes events; {event!r} is a {type(event).__qualname__}"
                )
        frame = self._frame.get()
        if frame is None:
            self._backlog.extend(events)
        elif frame.pending is None:
            frame.pending = list(events)
        else:
            frame.pending.extend(events)

    async def drain(self) -> None:
        """Handle every event collected outside a handler, oldest first.

        >>> import anyio
        >>> anyio.run(MessageBus().drain)
        """
        while self._backlog:
            await self.handle(self._backlog.popleft())

    async def handle(self, message: Command | Event) -> Any:
        """Handle ``message``, then every event its handlers collected, and so on.

        Returns:
            The command handler's result, or ``None`` for an event.

        Raises:
            NoHandlerError: ``message`` is a command with no handler.
            MessageTypeError: ``message`` is neither a Command nor an Event.
            Exception: Whatever a handler raised; the events still queued are dropped.

        >>> import anyio
        >>> class Unknown(Command): ...
        >>> try:
        ...     anyio.run(MessageBus().handle, Unknown())
        ... except NoHandlerError as exc:
        ...     print(exc)
        no handler is registered for the command Unknown; register one with bus.register(handler)
        """
        if not isinstance(message, (Command, Event)):
            raise MessageTypeError(
                f"handle() takes a Command or an Event; got {message!r} "
                f"({type(message).__qualname__})"
            )
        frame = _Frame()
        token = self._frame.set(frame)
        try:
            result = await self._chain(message)
            queue = frame.queue
            if frame.pending:  # collected by a middleware, outside any handler
                queue.extend(frame.pending)
                frame.pending = None
            while queue:
                await self._chain(queue.popleft())
                if frame.pending:
                    queue.extend(frame.pending)
                    frame.pending = None
        finally:
            self._frame.reset(token)
        return result

    def _build_chain(self) -> NextHandler:
        chain: NextHandler = self._dispatch
        for middleware in reversed(self._middleware):
            chain = _bind(middleware, chain)
        return chain

    async def _dispatch(self, message: Command | Event) -> Any:
        handlers = self._resolved.get(type(message))
        if handlers is None:
            handlers = self._resolve(type(message))
        frame = self._frame.get()
        if frame is None:  # a middleware kept call_next and used it after handle() returned
            return await self.handle(message)
        if isinstance(message, Command):
            if not handlers:
                raise NoHandlerError(
                    f"no handler is registered for the command {type(message).__qualname__}; "
                    "register one with bus.register(handler)"
                )
            return await self._call(handlers[0], message, frame)
        saved = frame.pending
        try:
            for entry in handlers:
                if entry.is_async or entry.in_thread:
                    frame.pending = None
                    await self._call(entry, message, frame)
                    continue
                # The common case, inlined: a plain function, no coroutine to create.
                frame.pending = None
                result = entry.func(message)
                if result is not None and inspect.isawaitable(result):
                    await result
                collected = typing.cast("list[Event] | None", frame.pending)  # set by collect()
                if collected:
                    frame.queue.extend(collected)
        finally:
            frame.pending = saved
        return None

    async def _call(self, entry: _Handler, message: Command | Event, frame: _Frame) -> Any:
        saved = frame.pending
        frame.pending = None
        try:
            if entry.is_async:
                result = await entry.func(message)
            elif entry.in_thread:
                result = await anyio.to_thread.run_sync(entry.func, message)
            else:
                result = entry.func(message)
                if result is not None and inspect.isawaitable(result):
                    result = await result
            collected = typing.cast("list[Event] | None", frame.pending)  # set by collect()
        finally:
            frame.pending = saved
        if collected:
            frame.queue.extend(collected)
        return result


def _bind(middleware: Middleware, call_next: NextHandler) -> NextHandler:
    async def step(message: Command | Event) -> Any:
        return await middleware(message, call_next)

    return step


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__qualname__", None) or repr(func)
