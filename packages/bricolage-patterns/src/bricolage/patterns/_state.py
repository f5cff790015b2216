"""A finite state machine declared as data: states, transitions, guards and hooks."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio

from bricolage.patterns.errors import (
    GuardRejectedError,
    HandlerSignatureError,
    IllegalTransitionError,
    MachineDefinitionError,
)

__all__ = ["ANY_STATE", "Guard", "Hook", "StateChange", "StateMachine", "Transition"]

ANY_STATE = "*"
"""A transition source meaning "from every state".

>>> Transition("reset", ANY_STATE, "idle").source
'*'
"""


@dataclass(frozen=True, slots=True)
class StateChange:
    """What guards and hooks receive: the event, both states and the caller's context.

    >>> StateChange("pay", "cart", "paid", {"amount": 3}).target
    'paid'
    """

    event: str
    source: str
    target: str
    context: Any = None


Guard = Callable[[StateChange], "bool | Awaitable[bool]"]
"""A predicate on a :class:`StateChange`, sync or async; the transition is taken if true.

>>> def paid_in_full(change: StateChange) -> bool:
...     return change.context >= 100
>>> paid_in_full(StateChange("pay", "cart", "paid", 120))
True
"""

Hook = Callable[[StateChange], "Awaitable[None] | None"]
"""A callable run on leaving or entering a state, sync or async.

>>> def notify(change: StateChange) -> None:
...     print(f"{change.source} -> {change.target}")
>>> notify(StateChange("ship", "paid", "shipped"))
paid -> shipped
"""


@dataclass(frozen=True, slots=True)
class Transition:
    """One arrow of the machine: ``event`` moves ``source`` to ``target`` if ``guard`` agrees.

    Args:
        event: The name of the event that triggers it.
        source: A state, a tuple of states, or :data:`ANY_STATE`.
        target: The state it leads to.
        guard: An optional predicate; when several transitions share a source and an
            event, the first whose guard agrees is taken, in declaration order.

    >>> Transition("submit", ("draft", "rejected"), "review").sources(["draft", "x"])
    ('draft', 'rejected')
    """

    event: str
    source: str | tuple[str, ...]
    target: str
    guard: Guard | None = field(default=None, compare=False)

    def sources(self, states: Iterable[str]) -> tuple[str, ...]:
        """The states this transition leaves from, with :data:`ANY_STATE` expanded.

        >>> Transition("reset", ANY_STATE, "idle").sources(["idle", "busy"])
        ('idle', 'busy')
        """
        if self.source == ANY_STATE:
            return tuple(states)
        if isinstance(self.source, str):
            return (self.source,)
        return tuple(self.source)


class StateMachine:
    """A finite state machine: its definition as data and its current state.

    Firing an event looks up the transitions declared for the current state and that
    event, takes the first whose guard agrees, runs the ``on_exit`` hook of the state
    left, moves, and runs the ``on_enter`` hook of the state entered. :meth:`fire` is
    synchronous and refuses async guards and hooks; :meth:`afire` takes both kinds and
    serialises concurrent calls.

    Args:
        states: Every state, in display order.
        transitions: The :class:`Transition` declarations.
        initial: The starting state.
        on_enter: Hooks by state, run after entering it.
        on_exit: Hooks by state, run before leaving it.

    Raises:
        MachineDefinitionError: A state is declared twice or not at all, or there is none.

    >>> order = StateMachine(
    ...     states=["cart", "paid", "shipped"],
    ...     transitions=[
    ...         Transition("pay", "cart", "paid", guard=lambda c: c.context > 0),
    ...         Transition("ship", "paid", "shipped"),
    ...     ],
    ...     initial="cart",
    ...     on_enter={"shipped": lambda c: print("shipped after", c.event)},
    ... )
    >>> order.fire("pay", 12)
    'paid'
    >>> order.fire("ship")
    shipped after ship
    'shipped'
    >>> try:
    ...     order.fire("pay", 5)
    ... except IllegalTransitionError as exc:
    ...     print(exc)
    event 'pay' is not allowed in state 'shipped'
    """

    def __init__(
        self,
        states: Iterable[str],
        transitions: Iterable[Transition],
        initial: str,
        *,
        on_enter: Mapping[str, Hook] | None = None,
        on_exit: Mapping[str, Hook] | None = None,
    ) -> None:
        self._states = tuple(states)
        if not self._states:
            raise MachineDefinitionError("a state machine needs at least one state")
        known = set(self._states)
        if len(known) != len(self._states):
            dupes = sorted({s for s in self._states if self._states.count(s) > 1})
            raise MachineDefinitionError(f"states declared more than once: {dupes}")
        self._transitions = tuple(transitions)
        for transition in self._transitions:
            named = [transition.target]
            if transition.source != ANY_STATE:
                named.extend(transition.sources(self._states))
            for state in named:
                if state not in known:
                    raise MachineDefinitionError(
                        f"transition {transition.event!r} names the unknown state {state!r}; "
                        f"the states are {list(self._states)}"
                    )
        self._on_enter = dict(on_enter or {})
        self._on_exit = dict(on_exit or {})
        for kind, hooks in (("on_enter", self._on_enter), ("on_exit", self._on_exit)):
            for state in hooks:
                if state not in known:
                    raise MachineDefinitionError(
                        f"{kind} hook for the unknown state {state!r}; "
                        f"the states are {list(self._states)}"
                    )
        if initial not in known:
            raise MachineDefinitionError(
                f"initial state {initial!r} is not one of the states {list(self._states)}"
            )
        self._initial = initial
        self._state = initial
        self._table: dict[tuple[str, str], list[Transition]] = {}
        for transition in self._transitions:
            for source in transition.sources(self._states):
                self._table.setdefault((source, transition.event), []).append(transition)
        self._lock: anyio.Lock | None = None

    @property
    def state(self) -> str:
        """The current state.

        >>> StateMachine(["on", "off"], [], "off").state
        'off'
        """
        return self._state

    @property
    def states(self) -> tuple[str, ...]:
        """Every state, in declaration order.

        >>> StateMachine(["on", "off"], [], "off").states
        ('on', 'off')
        """
        return self._states

    @property
    def transitions(self) -> tuple[Transition, ...]:
        """Every transition, in declaration order.

        >>> len(StateMachine(["on"], [Transition("poke", "on", "on")], "on").transitions)
        1
        """
        return self._transitions

    def allowed_events(self) -> tuple[str, ...]:
        """The events the current state has transitions for (guards not consulted).

        >>> m = StateMachine(["a", "b"], [Transition("go", "a", "b")], "a")
        >>> m.allowed_events()
        ('go',)
        """
        return tuple(
            dict.fromkeys(
                t.event for t in self._transitions if self._state in t.sources(self._states)
            )
        )

    def _candidates(self, event: str) -> list[Transition]:
        candidates = self._table.get((self._state, event))
        if not candidates:
            raise IllegalTransitionError(self._state, event)
        return candidates

    def fire(self, event: str, context: Any = None) -> str:
        """Fire ``event`` with sync guards and hooks; return the new state.

        Raises:
            IllegalTransitionError: The current state has no transition for ``event``;
                the state is unchanged.
            GuardRejectedError: It has, but every guard refused; the state is unchanged.
            HandlerSignatureError: A guard or hook is async; use :meth:`afire`.

        >>> m = StateMachine(["a", "b"], [Transition("go", "a", "b")], "a")
        >>> m.fire("go")
        'b'
        """
        for transition in self._candidates(event):
            change = StateChange(event, self._state, transition.target, context)
            if transition.guard is None or _sync(transition.guard(change), "guard", change):
                self._run_sync(self._on_exit.get(change.source), change)
                self._state = change.target
                self._run_sync(self._on_enter.get(change.target), change)
                return self._state
        raise GuardRejectedError(self._state, event, "every guard refused")

    async def afire(self, event: str, context: Any = None) -> str:
        """Fire ``event``, awaiting async guards and hooks; return the new state.

        Concurrent calls on one machine run one after the other.

        Raises:
            IllegalTransitionError: The current state has no transition for ``event``.
            GuardRejectedError: Every guard refused.

        >>> import anyio
        >>> async def audit(change):
        ...     print(change.source, "->", change.target)
        >>> m = StateMachine(["a", "b"], [Transition("go", "a", "b")], "a", on_exit={"a": audit})
        >>> anyio.run(m.afire, "go")
        a -> b
        'b'
        """
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            for transition in self._candidates(event):
                change = StateChange(event, self._state, transition.target, context)
                if transition.guard is None or await _maybe_await(transition.guard(change)):
                    await _maybe_await(_call(self._on_exit.get(change.source), change))
                    self._state = change.target
                    await _maybe_await(_call(self._on_enter.get(change.target), change))
                    return self._state
            raise GuardRejectedError(self._state, event, "every guard refused")

    def _run_sync(self, hook: Hook | None, change: StateChange) -> None:
        if hook is not None:
            _sync(hook(change), "hook", change)

    # -- diagrams -----------------------------------------------------------------------

    def to_dot(self, name: str = "machine") -> str:
        """The machine as a Graphviz DOT digraph; guarded arrows show the guard's name.

        >>> m = StateMachine(["a", "b"], [Transition("go", "a", "b")], "a")
        >>> print(m.to_dot())
        digraph "machine" {
            rankdir=LR;
            node [shape=box, style=rounded];
            "__initial__" [shape=point, label=""];
            "a";
            "b";
            "__initial__" -> "a";
            "a" -> "b" [label="go"];
        }
        """
        lines = [f"digraph {_dot_quote(name)} {{", "    rankdir=LR;"]
        lines.append("    node [shape=box, style=rounded];")
        lines.append('    "__initial__" [shape=point, label=""];')
        lines.extend(f"    {_dot_quote(state)};" for state in self._states)
        lines.append(f'    "__initial__" -> {_dot_quote(self._initial)};')
        for transition in self._transitions:
            label = _dot_quote(_label(transition))
            for source in transition.sources(self._states):
                lines.append(
                    f"    {_dot_quote(source)} -> {_dot_quote(transition.target)} [label={label}];"
                )
        lines.append("}")
        return "\n".join(lines)

    def to_mermaid(self) -> str:
        """The machine as a Mermaid ``stateDiagram-v2``.

        States whose names are not plain identifiers get an alias.

        >>> m = StateMachine(["a", "in review"], [Transition("go", "a", "in review")], "a")
        >>> print(m.to_mermaid())
        stateDiagram-v2
            state "in review" as s1
            [*] --> a
            a --> s1 : go
        """
        ids = {
            state: state if _IDENTIFIER.fullmatch(state) else f"s{index}"
            for index, state in enumerate(self._states)
        }
        lines = ["stateDiagram-v2"]
        for state, ident in ids.items():
            if ident != state:
                text = state.replace('"', "#quot;")
                lines.append(f'    state "{text}" as {ident}')
        lines.append(f"    [*] --> {ids[self._initial]}")
        for transition in self._transitions:
            label = _label(transition).replace(":", "#colon;")
            for source in transition.sources(self._states):
                lines.append(f"    {ids[source]} --> {ids[transition.target]} : {label}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<StateMachine state={self._state!r} states={list(self._states)!r}>"


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _label(transition: Transition) -> str:
    if transition.guard is None:
        return transition.event
    guard = getattr(transition.guard, "__name__", "guard")
    return f"{transition.event} [{guard}]"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _call(hook: Hook | None, change: StateChange) -> Any:
    return None if hook is None else hook(change)


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


def _sync(value: Any, what: str, change: StateChange) -> Any:
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()  # never awaited: close it so Python does not warn
        raise HandlerSignatureError(
            f"a {what} of event {change.event!r} from state {change.source!r} is async; "
            "use await machine.afire(...)"
        )
    return value
