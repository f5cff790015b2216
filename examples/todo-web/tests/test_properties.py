"""Properties: the SQL filter agrees with the pure predicate, pages partition the results,
and the role rules hold for any team."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import attrs
import pytest
from helpers import TODAY
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from todo_web import filters
from todo_web.db import make_engine, make_sessionmaker, migrate
from todo_web.models import Tag, Todo, TodoList
from todo_web.permissions import (
    Action,
    PermissionError_,
    Role,
    allowed,
    can_change_role,
    check_role_change,
    visible_list_ids,
)
from todo_web.services import list_page

TAGS = ["home", "work", "urgent"]
todo_rows = st.lists(
    st.fixed_dictionaries(
        {
            "title": st.text(alphabet="abcAB xyz", min_size=1, max_size=6),
            "done": st.booleans(),
            "due": st.one_of(st.none(), st.integers(-10, 10)),
            "priority": st.integers(1, 3),
            "tags": st.lists(st.sampled_from(TAGS), unique=True, max_size=3),
            "created": st.integers(0, 5),
        }
    ),
    max_size=25,
)
todo_filters = st.builds(
    filters.TodoFilter,
    status=st.sampled_from(filters.STATUSES),
    tag=st.one_of(st.none(), st.sampled_from([*TAGS, "missing"])),
    due=st.sampled_from(filters.DUE),
    sort=st.sampled_from(filters.SORTS),
    descending=st.booleans(),
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("props") / "props.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    yield engine
    engine.dispose()


def _store(db: Session, rows: list[dict[str, object]]) -> int:
    db.execute(delete(Tag))
    db.execute(delete(Todo))
    db.execute(delete(TodoList))
    todo_list = TodoList(name="props")
    db.add(todo_list)
    db.flush()
    base = dt.datetime(2026, 1, 1)
    for row in rows:
        due = row["due"]
        todo = Todo(
            list_id=todo_list.id,
            title=row["title"],
            notes="",
            done=row["done"],
            due=None if due is None else TODAY + dt.timedelta(days=int(str(due))),
            priority=row["priority"],
            created_at=base + dt.timedelta(minutes=int(str(row["created"]))),
            tags=[Tag(name=name) for name in row["tags"]],  # type: ignore[attr-defined]
        )
        db.add(todo)
    db.commit()
    return todo_list.id


@settings(max_examples=60)
@given(rows=todo_rows, flt=todo_filters)
def test_sql_filter_and_order_match_the_pure_definition(
    engine: Engine, rows: list[dict[str, object]], flt: filters.TodoFilter
) -> None:
    with make_sessionmaker(engine)() as db:
        list_id = _store(db, rows)
        query = filters.apply(select(Todo).where(Todo.list_id == list_id), flt, TODAY)
        got = [todo.id for todo in db.scalars(query)]
        everything = list(db.scalars(select(Todo)))
        expected = sorted(
            (t for t in everything if filters.matches(t, flt, TODAY)),
            key=lambda t: filters.sort_key(t, flt),
            reverse=flt.descending,
        )
        assert got == [t.id for t in expected]


@settings(max_examples=40)
@given(rows=todo_rows, flt=todo_filters, size=st.integers(1, 7))
def test_pages_partition_the_filtered_results(
    engine: Engine, rows: list[dict[str, object]], flt: filters.TodoFilter, size: int
) -> None:
    with make_sessionmaker(engine)() as db:
        list_id = _store(db, rows)
        whole = [
            t.id
            for t in db.scalars(
                filters.apply(select(Todo).where(Todo.list_id == list_id), flt, TODAY)
            )
        ]
        first, _ = list_page(db, list_id, flt, TODAY, size)
        seen: list[int] = []
        for number in range(1, first.pages + 1):
            page, _ = list_page(db, list_id, attrs.evolve(flt, page=number), TODAY, size)
            assert page.number == number
            assert page.total == len(whole)
            assert len(page.items) == (size if number < page.pages else len(whole) - len(seen))
            seen.extend(t.id for t in page.items)
        assert seen == whole
        beyond, _ = list_page(db, list_id, attrs.evolve(flt, page=first.pages + 3), TODAY, size)
        assert beyond.number == first.pages


@given(total=st.integers(0, 10_000), number=st.integers(-5, 10_000), size=st.integers(1, 200))
def test_paginate_clamps_to_an_existing_page(total: int, number: int, size: int) -> None:
    shown, offset = filters.paginate(total, number, size)
    page: filters.Page[int] = filters.Page(items=[], number=shown, size=size, total=total)
    assert 1 <= shown <= page.pages
    assert offset == (shown - 1) * size
    assert offset <= max(0, total - 1) or total == 0
    assert page.has_previous == (shown > 1)
    assert page.has_next == (shown < page.pages)


def test_paginate_refuses_a_page_size_below_one() -> None:
    with pytest.raises(ValueError, match="page size must be >= 1; got 0"):
        filters.paginate(10, 1, 0)


@given(
    args=st.fixed_dictionaries(
        {},
        optional={
            "status": st.sampled_from(filters.STATUSES),
            "tag": st.sampled_from(["", "Home", " work "]),
            "due": st.sampled_from(filters.DUE),
            "sort": st.sampled_from(filters.SORTS),
            "order": st.sampled_from(["asc", "desc"]),
            "page": st.integers(1, 50).map(str),
        },
    )
)
def test_query_args_round_trip(args: dict[str, str]) -> None:
    flt = filters.TodoFilter.from_args(args)
    assert filters.TodoFilter.from_args(flt.query_args()) == flt


@given(text=st.text(max_size=8))
def test_from_args_accepts_only_known_values(text: str) -> None:
    for name, allowed_values in (
        ("status", filters.STATUSES),
        ("due", filters.DUE),
        ("sort", filters.SORTS),
    ):
        if text and text not in allowed_values:
            with pytest.raises(filters.FilterError, match=f"{name} must be one of"):
                filters.TodoFilter.from_args({name: text})
    if text and not (text.isascii() and text.isdigit() and int(text) >= 1):
        with pytest.raises(filters.FilterError, match="page must be a whole number"):
            filters.TodoFilter.from_args({"page": text})


roles = st.sampled_from(list(Role))
teams = st.dictionaries(st.integers(1, 6), roles, max_size=6)


@given(role=st.one_of(st.none(), roles), action=st.sampled_from(list(Action)))
def test_roles_are_nested(role: Role | None, action: Action) -> None:
    order = [None, Role.VIEWER, Role.MEMBER, Role.ADMIN]
    if allowed(role, action):
        for stronger in order[order.index(role) :]:
            assert allowed(stronger, action)
    assert allowed(role, Action.VIEW) == (role is not None)
    assert allowed(role, Action.MANAGE_MEMBERS) == (role == Role.ADMIN)


@given(
    team=teams,
    actor=st.integers(1, 7),
    target=st.integers(1, 7),
    new_role=st.one_of(st.none(), roles),
)
def test_role_changes_keep_an_admin_and_need_one(
    team: dict[int, Role], actor: int, target: int, new_role: Role | None
) -> None:
    ok = can_change_role(team, actor, target, new_role)
    if not ok:
        with pytest.raises(PermissionError_):
            check_role_change(team, actor, target, new_role)
        return
    after = dict(team)
    if new_role is None:
        del after[target]
    else:
        after[target] = new_role
    if team:
        assert Role.ADMIN in after.values()
    leaving = actor == target and new_role is None
    assert leaving or team.get(actor) == Role.ADMIN


@given(pairs=st.lists(st.tuples(st.integers(1, 50), roles)))
def test_every_role_sees_its_lists(pairs: list[tuple[int, Role]]) -> None:
    assert visible_list_ids(pairs) == {list_id for list_id, _ in pairs}
