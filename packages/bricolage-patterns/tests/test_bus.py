"""The message bus: registration, dispatch, follow-up events, middleware, errors."""

from __future__ import annotations

import functools
import gc
import threading
from dataclasses import dataclass
from typing import Any

import pytest

from bricolage.patterns import (
    Command,
    DuplicateHandlerError,
    Event,
    HandlerSignatureError,
    MessageBus,
    MessageTypeError,
    NextHandler,
    NoHandlerError,
)

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class PlaceOrder(Command):
    sku: str


@dataclass(frozen=True)
class CancelOrder(Command):
    order_id: int


@dataclass(frozen=True)
class OrderPlaced(Event):
    sku: str


@dataclass(frozen=True)
class OrderShipped(Event):
    sku: str


@dataclass(frozen=True)
class RushOrderPlaced(OrderPlaced):
    pass


async def test_a_command_returns_its_handlers_result_sync_or_async() -> None:
    bus = MessageBus()

    def place(command: PlaceOrder) -> str:
        return f"placed {command.sku}"

    async def cancel(command: CancelOrder) -> int:
        return command.order_id * 2

    bus.register(place)
    bus.register(cancel)
    assert await bus.handle(PlaceOrder("chair")) == "placed chair"
    assert await bus.handle(CancelOrder(21)) == 42


async def test_events_go_to_every_handler_in_registration_order_and_return_none() -> None:
    bus = MessageBus()
    seen: list[str] = []

    def first(event: OrderPlaced) -> None:
        seen.append(f"first {event.sku}")

    async def second(event: OrderPlaced) -> None:
        seen.append(f"second {event.sku}")

    def every(event: Event) -> None:
        seen.append(f"every {type(event).__name__}")

    bus.register(every)
    bus.register(first)
    bus.register(second)
    assert await bus.handle(OrderPlaced("lamp")) is None
    assert seen == ["first lamp", "second lamp", "every OrderPlaced"]
    seen.clear()
    await bus.handle(RushOrderPlaced("desk"))
    assert seen == ["first desk", "second desk", "every RushOrderPlaced"]
    seen.clear()
    await bus.handle(OrderShipped("desk"))
    assert seen == ["every OrderShipped"]


async def test_an_event_without_handlers_is_a_no_op() -> None:
    assert await MessageBus().handle(OrderShipped("x")) is None


async def test_a_command_subclass_uses_the_nearest_handler() -> None:
    @dataclass(frozen=True)
    class PlaceGiftOrder(PlaceOrder):
        pass

    bus = MessageBus()
    bus.register(lambda c: "base", message_type=PlaceOrder)
    assert await bus.handle(PlaceGiftOrder("x")) == "base"
    bus.register(lambda c: "gift", message_type=PlaceGiftOrder)
    assert await bus.handle(PlaceGiftOrder("x")) == "gift"


async def test_a_command_without_a_handler_names_it() -> None:
    with pytest.raises(NoHandlerError, match="command PlaceOrder"):
        await MessageBus().handle(PlaceOrder("x"))


def test_a_second_command_handler_is_refused_naming_the_first() -> None:
    bus = MessageBus()

    def place(command: PlaceOrder) -> None: ...

    def other(command: PlaceOrder) -> None: ...

    bus.register(place)
    with pytest.raises(DuplicateHandlerError, match=r"PlaceOrder already has the handler .*place"):
        bus.register(other)
    assert bus.handlers_for(PlaceOrder) == (place,)


def test_a_union_registers_for_each_member_atomically() -> None:
    bus = MessageBus()

    def on_both(event: OrderPlaced | OrderShipped) -> None: ...

    bus.register(on_both)
    assert bus.handlers_for(OrderPlaced) == (on_both,)
    assert bus.handlers_for(OrderShipped) == (on_both,)

    def taken(command: PlaceOrder) -> None: ...

    def mixed(message: CancelOrder | PlaceOrder) -> None: ...

    bus.register(taken)
    with pytest.raises(DuplicateHandlerError):
        bus.register(mixed)
    assert bus.handlers_for(CancelOrder) == ()


def test_signatures_the_bus_cannot_read_are_refused_clearly() -> None:
    bus = MessageBus()

    def unannotated(event) -> None:  # type: ignore[no-untyped-def]
        ...

    with pytest.raises(HandlerSignatureError, match="no type annotation on its parameter 'event'"):
        bus.register(unannotated)

    def two(a: OrderPlaced, b: OrderPlaced) -> None: ...

    with pytest.raises(HandlerSignatureError, match="takes 2"):
        bus.register(two)

    def not_a_message(value: int) -> None: ...

    with pytest.raises(MessageTypeError, match="neither a Command nor an Event"):
        bus.register(not_a_message)

    def dangling(event: NoSuchType) -> None:  # type: ignore[name-defined]  # noqa: F821
        ...

    with pytest.raises(HandlerSignatureError, match="cannot resolve the type hints"):
        bus.register(dangling)

    async def coro(event: OrderPlaced) -> None: ...

    with pytest.raises(HandlerSignatureError, match="in_thread=True is only for sync"):
        bus.register(coro, in_thread=True)

    with pytest.raises(HandlerSignatureError, match="cannot read the signature"):
        bus.register(type)  # a builtin without a signature
    assert bus.handlers_for(OrderPlaced) == ()


async def test_partials_and_callable_objects_register() -> None:
    bus = MessageBus()
    seen: list[str] = []

    class Recorder:
        def __call__(self, event: OrderShipped) -> None:
            seen.append(f"object {event.sku}")

    def tagged(tag: str, event: OrderPlaced) -> None:
        seen.append(f"{tag} {event.sku}")

    bus.register(Recorder())
    bus.register(functools.partial(tagged, "partial"), message_type=OrderPlaced)
    await bus.handle(OrderShipped("a"))
    await bus.handle(OrderPlaced("b"))
    assert seen == ["object a", "partial b"]


async def test_handlers_are_held_strongly() -> None:
    bus = MessageBus()
    seen: list[str] = []

    class Listener:
        def on_placed(self, event: OrderPlaced) -> None:
            seen.append(event.sku)

    bus.register(Listener().on_placed)  # nothing else refers to the object
    bus.register(lambda e: seen.append("lambda"), message_type=OrderPlaced)
    gc.collect()
    await bus.handle(OrderPlaced("kept"))
    assert seen == ["kept", "lambda"]


async def test_unregister_removes_every_registration() -> None:
    bus = MessageBus()

    def both(event: OrderPlaced | OrderShipped) -> None: ...

    def place(command: PlaceOrder) -> None: ...

    def other(event: OrderPlaced) -> None: ...

    bus.register(both)
    bus.register(other)
    bus.register(place)
    assert bus.handlers_for(OrderPlaced) == (both, other)
    bus.unregister(both)
    bus.unregister(place)
    assert bus.handlers_for(OrderPlaced) == (other,)
    assert bus.handlers_for(OrderShipped) == ()
    with pytest.raises(NoHandlerError):
        await bus.handle(PlaceOrder("x"))
    with pytest.raises(LookupError, match="is not registered"):
        bus.unregister(both)


async def test_collected_events_follow_in_order_breadth_first() -> None:
    bus = MessageBus()
    log: list[str] = []

    def place(command: PlaceOrder) -> str:
        log.append("place")
        bus.collect(OrderPlaced(command.sku), OrderShipped(command.sku))
        return "ok"

    def on_placed(event: OrderPlaced) -> None:
        log.append("placed")
        bus.collect(OrderShipped("from placed"))

    def on_shipped(event: OrderShipped) -> None:
        log.append(f"shipped {event.sku}")

    for handler in (place, on_placed, on_shipped):
        bus.register(handler)
    assert await bus.handle(PlaceOrder("chair")) == "ok"
    assert log == ["place", "placed", "shipped chair", "shipped from placed"]


async def test_a_failing_handler_publishes_nothing_and_stops_the_queue() -> None:
    bus = MessageBus()
    log: list[str] = []

    def place(command: PlaceOrder) -> None:
        bus.collect(OrderPlaced(command.sku))
        raise RuntimeError("rolled back")

    bus.register(place)
    bus.register(lambda e: log.append("placed"), message_type=OrderPlaced)
    with pytest.raises(RuntimeError, match="rolled back"):
        await bus.handle(PlaceOrder("x"))
    assert log == []
    await bus.drain()
    assert log == []


async def test_middleware_wraps_every_message_outermost_first() -> None:
    log: list[str] = []

    async def outer(message: Command | Event, call_next: NextHandler) -> Any:
        log.append(f"outer> {type(message).__name__}")
        result = await call_next(message)
        log.append("outer<")
        return result

    async def inner(message: Command | Event, call_next: NextHandler) -> Any:
        log.append("inner>")
        return await call_next(message)

    bus = MessageBus(middleware=[outer])
    bus.add_middleware(inner)

    def place(command: PlaceOrder) -> str:
        bus.collect(OrderPlaced("x"))
        return "done"

    bus.register(place)
    bus.register(lambda e: log.append("handler"), message_type=OrderPlaced)
    assert await bus.handle(PlaceOrder("x")) == "done"
    assert log == [
        "outer> PlaceOrder",
        "inner>",
        "outer<",
        "outer> OrderPlaced",
        "inner>",
        "handler",
        "outer<",
    ]


async def test_a_retrying_middleware_keeps_only_the_successful_attempts_events() -> None:
    attempts: list[int] = []
    seen: list[str] = []

    async def retry(message: Command | Event, call_next: NextHandler) -> Any:
        try:
            return await call_next(message)
        except ConnectionError:
            return await call_next(message)

    bus = MessageBus([retry])

    def flaky(command: PlaceOrder) -> str:
        attempts.append(1)
        bus.collect(OrderPlaced(f"attempt {len(attempts)}"))
        if len(attempts) == 1:
            raise ConnectionError("first attempt fails")
        return "second"

    bus.register(flaky)
    bus.register(lambda e: seen.append(e.sku), message_type=OrderPlaced)
    assert await bus.handle(PlaceOrder("x")) == "second"
    assert seen == ["attempt 2"]


async def test_sync_handlers_may_run_in_a_worker_thread_and_still_collect() -> None:
    bus = MessageBus()
    threads: list[int] = []
    seen: list[str] = []

    def blocking(command: PlaceOrder) -> str:
        threads.append(threading.get_ident())
        bus.collect(OrderPlaced(command.sku))
        return "threaded"

    bus.register(blocking, in_thread=True)
    bus.register(lambda e: seen.append(e.sku), message_type=OrderPlaced)
    assert await bus.handle(PlaceOrder("t")) == "threaded"
    assert threads != [threading.get_ident()]
    assert seen == ["t"]


async def test_events_collected_outside_a_handler_wait_for_drain() -> None:
    bus = MessageBus()
    seen: list[str] = []
    bus.register(lambda e: seen.append(e.sku), message_type=OrderPlaced)
    bus.collect(OrderPlaced("a"), OrderPlaced("b"))
    assert seen == []
    await bus.drain()
    assert seen == ["a", "b"]


async def test_a_handler_may_handle_a_nested_command() -> None:
    bus = MessageBus()
    log: list[str] = []

    async def outer(command: PlaceOrder) -> str:
        bus.collect(OrderPlaced("outer"))
        inner = await bus.handle(CancelOrder(1))
        log.append(f"after inner {inner}")
        return "outer"

    def inner(command: CancelOrder) -> str:
        bus.collect(OrderShipped("inner"))
        return "inner"

    bus.register(outer)
    bus.register(inner)
    bus.register(lambda e: log.append(f"event {e.sku}"), message_type=OrderPlaced)
    bus.register(lambda e: log.append(f"event {e.sku}"), message_type=OrderShipped)
    assert await bus.handle(PlaceOrder("x")) == "outer"
    # The nested call finishes its own events before returning; the outer ones follow.
    assert log == ["event inner", "after inner inner", "event outer"]


async def test_values_that_are_not_messages_are_refused() -> None:
    bus = MessageBus()
    with pytest.raises(MessageTypeError, match=r"got 'hello' \(str\)"):
        await bus.handle("hello")  # type: ignore[arg-type]
    with pytest.raises(MessageTypeError, match="collect\\(\\) takes events"):
        bus.collect(PlaceOrder("x"))  # type: ignore[arg-type]
    with pytest.raises(MessageTypeError):
        bus.register(lambda m: None, message_type=str)


async def test_middleware_may_collect_events_around_any_message() -> None:
    log: list[str] = []

    async def audit(message: Command | Event, call_next: NextHandler) -> Any:
        if isinstance(message, PlaceOrder):
            bus.collect(OrderShipped("audited before"))
        result = await call_next(message)
        if isinstance(message, OrderPlaced):
            bus.collect(OrderShipped("audited after"))
        return result

    bus = MessageBus([audit])

    def place(command: PlaceOrder) -> None:
        bus.collect(OrderPlaced("a"), OrderPlaced("b"))
        bus.collect(OrderPlaced("c"))

    bus.register(place)
    bus.register(lambda e: log.append(f"placed {e.sku}"), message_type=OrderPlaced)
    bus.register(lambda e: log.append(f"shipped {e.sku}"), message_type=OrderShipped)
    await bus.handle(PlaceOrder("x"))
    assert log == [
        "placed a",
        "placed b",
        "placed c",
        "shipped audited before",
        "shipped audited after",
        "shipped audited after",
        "shipped audited after",
    ]


async def test_a_kept_call_next_used_later_handles_the_message_fully() -> None:
    kept: list[NextHandler] = []
    log: list[str] = []

    async def keep(message: Command | Event, call_next: NextHandler) -> Any:
        kept.append(call_next)
        return await call_next(message)

    bus = MessageBus([keep])

    def place(command: PlaceOrder) -> str:
        bus.collect(OrderPlaced(command.sku))
        return command.sku

    bus.register(place)
    bus.register(lambda e: log.append(e.sku), message_type=OrderPlaced)
    await bus.handle(PlaceOrder("first"))
    assert await kept[0](PlaceOrder("later")) == "later"
    assert log == ["first", "later"]


async def test_sync_callables_returning_awaitables_are_awaited() -> None:
    bus = MessageBus()
    log: list[str] = []

    async def place_async(command: PlaceOrder) -> str:
        return f"async {command.sku}"

    async def record(event: OrderPlaced) -> None:
        log.append(event.sku)

    bus.register(lambda c: place_async(c), message_type=PlaceOrder)
    bus.register(lambda e: record(e), message_type=OrderPlaced)
    assert await bus.handle(PlaceOrder("x")) == "async x"
    await bus.handle(OrderPlaced("y"))
    assert log == ["y"]
