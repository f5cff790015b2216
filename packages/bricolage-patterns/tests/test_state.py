"""The state machine: transitions, guards, hooks, errors, diagrams, and a model."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.patterns import (
    ANY_STATE,
    GuardRejectedError,
    HandlerSignatureError,
    IllegalTransitionError,
    MachineDefinitionError,
    StateChange,
    StateMachine,
    Transition,
)

STATES = ["draft", "review", "published", "archived"]


def has_reviewer(change: StateChange) -> bool:
    return isinstance(change.context, dict) and bool(change.context.get("reviewer"))


def article(**hooks: Any) -> StateMachine:
    return StateMachine(
        STATES,
        [
            Transition("submit", "draft", "review"),
            Transition("approve", "review", "published", guard=has_reviewer),
            Transition("approve", "review", "review", guard=lambda c: c.context == "retry"),
            Transition("reject", "review", "draft"),
            Transition("archive", ("draft", "published"), "archived"),
            Transition("restore", ANY_STATE, "draft"),
        ],
        "draft",
        **hooks,
    )


def test_events_move_the_machine_and_return_the_new_state() -> None:
    m = article()
    assert m.state == "draft"
    assert m.fire("submit") == "review"
    assert m.fire("approve", {"reviewer": "ada"}) == "published"
    assert m.fire("archive") == "archived"
    assert m.fire("restore") == "draft"
    assert m.states == tuple(STATES)
    assert len(m.transitions) == 6
    assert repr(m) == f"<StateMachine state='draft' states={STATES!r}>"


def test_an_illegal_event_names_the_state_and_the_event_and_changes_nothing() -> None:
    m = article()
    with pytest.raises(IllegalTransitionError) as caught:
        m.fire("approve")
    assert caught.value.state == "draft"
    assert caught.value.event == "approve"
    assert str(caught.value) == "event 'approve' is not allowed in state 'draft'"
    assert isinstance(caught.value, ValueError)
    with pytest.raises(IllegalTransitionError, match="'nonsense'"):
        m.fire("nonsense")
    assert m.state == "draft"


def test_guards_pick_the_first_transition_that_agrees() -> None:
    m = article()
    m.fire("submit")
    assert m.fire("approve", "retry") == "review"
    with pytest.raises(
        GuardRejectedError, match="event 'approve' is not allowed in state 'review'"
    ):
        m.fire("approve", {"reviewer": ""})
    assert m.state == "review"
    assert m.fire("approve", {"reviewer": "ada"}) == "published"


def test_hooks_run_exit_then_enter_with_the_change() -> None:
    log: list[str] = []
    m = article(
        on_exit={"draft": lambda c: log.append(f"exit {c.source} on {c.event}")},
        on_enter={"review": lambda c: log.append(f"enter {c.target} ctx={c.context}")},
    )
    m.fire("submit", 7)
    assert log == ["exit draft on submit", "enter review ctx=7"]


def test_a_failing_exit_hook_leaves_the_state_unchanged() -> None:
    def refuse(change: StateChange) -> None:
        raise RuntimeError("cannot leave")

    m = article(on_exit={"draft": refuse})
    with pytest.raises(RuntimeError, match="cannot leave"):
        m.fire("submit")
    assert m.state == "draft"


def test_allowed_events_lists_the_current_states_events_once() -> None:
    m = article()
    assert m.allowed_events() == ("submit", "archive", "restore")
    m.fire("submit")
    assert m.allowed_events() == ("approve", "reject", "restore")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"states": [], "transitions": [], "initial": "a"}, "at least one state"),
        ({"states": ["a", "a"], "transitions": [], "initial": "a"}, r"more than once: \['a'\]"),
        (
            {"states": ["a"], "transitions": [Transition("go", "a", "b")], "initial": "a"},
            "transition 'go' names the unknown state 'b'",
        ),
        (
            {"states": ["a"], "transitions": [Transition("go", ("a", "z"), "a")], "initial": "a"},
            "unknown state 'z'",
        ),
        ({"states": ["a"], "transitions": [], "initial": "x"}, "initial state 'x'"),
        (
            {"states": ["a"], "transitions": [], "initial": "a", "on_enter": {"q": print}},
            "on_enter hook for the unknown state 'q'",
        ),
    ],
)
def test_contradictory_definitions_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(MachineDefinitionError, match=message):
        StateMachine(**kwargs)


def test_sync_fire_refuses_async_guards_and_hooks() -> None:
    async def guard(change: StateChange) -> bool:
        return True

    m = StateMachine(["a", "b"], [Transition("go", "a", "b", guard=guard)], "a")
    with pytest.raises(HandlerSignatureError, match=r"guard of event 'go' .* use await"):
        m.fire("go")
    assert m.state == "a"

    async def hook(change: StateChange) -> None: ...

    m = StateMachine(["a", "b"], [Transition("go", "a", "b")], "a", on_exit={"a": hook})
    with pytest.raises(HandlerSignatureError, match="hook of event 'go' from state 'a'"):
        m.fire("go")
    assert m.state == "a"


@pytest.mark.anyio
async def test_afire_awaits_async_guards_and_hooks() -> None:
    log: list[str] = []

    async def slow_guard(change: StateChange) -> bool:
        await anyio.sleep(0)
        return bool(change.context == "ok")

    async def enter(change: StateChange) -> None:
        await anyio.sleep(0)
        log.append(f"enter {change.target}")

    m = StateMachine(
        ["a", "b", "c"],
        [Transition("go", "a", "b", guard=slow_guard), Transition("go", "b", "c")],
        "a",
        on_enter={"b": enter},
        on_exit={"b": lambda c: log.append("exit b")},
    )
    with pytest.raises(GuardRejectedError):
        await m.afire("go", "no")
    assert await m.afire("go", "ok") == "b"
    assert await m.afire("go") == "c"
    assert log == ["enter b", "exit b"]
    with pytest.raises(IllegalTransitionError, match="state 'c'"):
        await m.afire("go")


@pytest.mark.anyio
async def test_concurrent_afire_calls_are_serialised() -> None:
    inside: list[int] = []
    overlaps: list[int] = []

    async def hook(change: StateChange) -> None:
        inside.append(1)
        overlaps.append(len(inside))
        await anyio.sleep(0.01)
        inside.pop()

    m = StateMachine(["a"], [Transition("poke", "a", "a")], "a", on_enter={"a": hook})
    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(m.afire, "poke")
    assert overlaps == [1] * 5


def test_dot_export_quotes_names_and_shows_guards() -> None:
    dot = article().to_dot(name='the "article"')
    assert dot.startswith('digraph "the \\"article\\"" {')
    assert '"__initial__" -> "draft";' in dot
    assert '"review" -> "published" [label="approve [has_reviewer]"];' in dot
    assert '"review" -> "review" [label="approve [<lambda>]"];' in dot
    for state in STATES:  # ANY_STATE expands to every state
        assert f'"{state}" -> "draft" [label="restore"];' in dot
    assert '"draft" -> "archived" [label="archive"];' in dot
    assert '"published" -> "archived" [label="archive"];' in dot
    assert dot.endswith("}")


def test_mermaid_export_aliases_awkward_names() -> None:
    m = StateMachine(
        ["new", 'on "hold"', "done"],
        [Transition("pause", "new", 'on "hold"'), Transition("a:b", 'on "hold"', "done")],
        "new",
    )
    assert m.to_mermaid().splitlines() == [
        "stateDiagram-v2",
        '    state "on #quot;hold#quot;" as s1',
        "    [*] --> new",
        "    new --> s1 : pause",
        "    s1 --> done : a#colon;b",
    ]


transitions_strategy = st.lists(
    st.tuples(st.sampled_from("xyz"), st.integers(0, 3), st.integers(0, 3)), max_size=12
)


@given(transitions_strategy, st.lists(st.sampled_from("xyz"), max_size=20))
def test_the_machine_agrees_with_a_lookup_table(
    table: list[tuple[str, int, int]], events: list[str]
) -> None:
    states = ["s0", "s1", "s2", "s3"]
    machine = StateMachine(
        states, [Transition(e, states[a], states[b]) for e, a, b in table], "s0"
    )
    model: dict[tuple[str, str], str] = {}
    for e, a, b in table:
        model.setdefault((states[a], e), states[b])  # the first declared wins
    current = "s0"
    for event in events:
        expected = model.get((current, event))
        if expected is None:
            with pytest.raises(IllegalTransitionError):
                machine.fire(event)
        else:
            assert machine.fire(event) == expected
            current = expected
        assert machine.state == current
