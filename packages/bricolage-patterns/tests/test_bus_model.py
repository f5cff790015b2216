"""The bus against a simple model: a hypothesis state machine.

The model is a breadth-first queue over plain dictionaries of handler ids; the bus must
call the same handlers in the same order, return the same command results and raise the
same errors, whatever the sequence of registrations, removals and messages.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from bricolage.patterns import Command, DuplicateHandlerError, Event, MessageBus, NoHandlerError


@dataclass(frozen=True)
class Base(Event):
    depth: int


@dataclass(frozen=True)
class E0(Base):
    pass


@dataclass(frozen=True)
class E1(Base):
    pass


@dataclass(frozen=True)
class E2(Base):
    pass


@dataclass(frozen=True)
class C0(Command):
    pass


@dataclass(frozen=True)
class C1(Command):
    pass


EVENTS: list[type[Base]] = [E0, E1, E2]
EVENT_TARGETS: list[type[Base]] = [E0, E1, E2, Base]
COMMANDS: list[type[Command]] = [C0, C1]
MAX_DEPTH = 2

emits = st.lists(st.integers(0, 2), max_size=2).map(tuple)


class BusModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.bus = MessageBus()
        self.log: list[tuple[int, str, int]] = []
        self.next_id = 0
        # the model
        self.event_handlers: dict[type, list[tuple[int, tuple[int, ...]]]] = {}
        self.command_handlers: dict[type, tuple[int, tuple[int, ...]]] = {}
        self.funcs: dict[int, Callable[[Any], Any]] = {}

    def _make(self, hid: int, emitted: tuple[int, ...], is_async: bool) -> Callable[[Any], Any]:
        def body(message: Any) -> int:
            depth = message.depth if isinstance(message, Base) else 0
            self.log.append((hid, type(message).__name__, depth))
            if depth < MAX_DEPTH:
                self.bus.collect(*(EVENTS[k](depth + 1) for k in emitted))
            return hid

        if not is_async:
            return body

        async def async_body(message: Any) -> int:
            await anyio.sleep(0)
            return body(message)

        return async_body

    @rule(slot=st.integers(0, 3), emitted=emits, is_async=st.booleans())
    def register_event_handler(self, slot: int, emitted: tuple[int, ...], is_async: bool) -> None:
        hid = self.next_id
        self.next_id += 1
        func = self._make(hid, emitted, is_async)
        self.bus.register(func, message_type=EVENT_TARGETS[slot])
        self.funcs[hid] = func
        self.event_handlers.setdefault(EVENT_TARGETS[slot], []).append((hid, emitted))

    @rule(slot=st.integers(0, 1), emitted=emits, is_async=st.booleans())
    def register_command_handler(
        self, slot: int, emitted: tuple[int, ...], is_async: bool
    ) -> None:
        hid = self.next_id
        self.next_id += 1
        func = self._make(hid, emitted, is_async)
        kind = COMMANDS[slot]
        if kind in self.command_handlers:
            try:
                self.bus.register(func, message_type=kind)
            except DuplicateHandlerError:
                return
            raise AssertionError("a second command handler was accepted")
        self.bus.register(func, message_type=kind)
        self.funcs[hid] = func
        self.command_handlers[kind] = (hid, emitted)

    @rule(data=st.data())
    def unregister(self, data: st.DataObject) -> None:
        if not self.funcs:
            return
        hid = data.draw(st.sampled_from(sorted(self.funcs)))
        self.bus.unregister(self.funcs.pop(hid))
        for kind, entries in list(self.event_handlers.items()):
            self.event_handlers[kind] = [e for e in entries if e[0] != hid]
        for kind, (chid, _) in list(self.command_handlers.items()):
            if chid == hid:
                del self.command_handlers[kind]

    def _expected(self, message: Any) -> tuple[list[tuple[int, str, int]], Any]:
        log: list[tuple[int, str, int]] = []
        result: Any = None
        queue: deque[Any] = deque([message])
        first = True
        while queue:
            current = queue.popleft()
            if isinstance(current, Command):
                if type(current) not in self.command_handlers:
                    raise NoHandlerError
                handlers = [self.command_handlers[type(current)]]
            else:
                handlers = self.event_handlers.get(type(current), []) + self.event_handlers.get(
                    Base, []
                )
            depth = current.depth if isinstance(current, Base) else 0
            for hid, emitted in handlers:
                log.append((hid, type(current).__name__, depth))
                if depth < MAX_DEPTH:
                    queue.extend(EVENTS[k](depth + 1) for k in emitted)
                if first and isinstance(current, Command):
                    result = hid
            first = False
        return log, result

    def _check(self, message: Any) -> None:
        self.log.clear()
        try:
            expected_log, expected_result = self._expected(message)
        except NoHandlerError:
            try:
                anyio.run(self.bus.handle, message)
            except NoHandlerError:
                assert self.log == []
                return
            raise AssertionError("a command without a handler was handled") from None
        assert anyio.run(self.bus.handle, message) == expected_result
        assert self.log == expected_log

    @rule(kind=st.integers(0, 2))
    def handle_event(self, kind: int) -> None:
        self._check(EVENTS[kind](0))

    @rule(kind=st.integers(0, 1))
    def handle_command(self, kind: int) -> None:
        self._check(COMMANDS[kind]())

    @invariant()
    def registrations_match(self) -> None:
        for kind in EVENTS:
            expected = [
                self.funcs[hid]
                for hid, _ in self.event_handlers.get(kind, []) + self.event_handlers.get(Base, [])
            ]
            assert list(self.bus.handlers_for(kind)) == expected


TestBusModel = BusModel.TestCase
