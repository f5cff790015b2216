"""Filtering, sorting and pagination of to-dos: parsed from the query string, applied
in SQL, and mirrored by a pure predicate that the property tests compare with the SQL.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs
from sqlalchemy import Select, and_, exists, func

from todo_web.models import Tag, Todo

__all__ = [
    "DUE",
    "SORTS",
    "STATUSES",
    "FilterError",
    "Page",
    "TodoFilter",
    "apply",
    "matches",
    "paginate",
    "sort_key",
]

STATUSES = ("all", "open", "done")
DUE = ("any", "overdue", "today", "week", "none")
SORTS = ("due", "priority", "created", "title")
_T = TypeVar("_T")
_S = TypeVar("_S", bound=Select[Any])


class FilterError(ValueError):
    """A query-string value that is not one of the allowed ones."""


def _choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise FilterError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


@attrs.frozen
class TodoFilter:
    """What to show: status, tag, due window, sort order and page.

    >>> TodoFilter.from_args({"status": "open", "tag": "Home", "page": "2"})
    TodoFilter(status='open', tag='home', due='any', sort='due', descending=False, page=2)
    """

    status: str = "all"
    tag: str | None = None
    due: str = "any"
    sort: str = "due"
    descending: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> TodoFilter:
        """Read a filter from query-string arguments; a bad value raises FilterError.

        >>> TodoFilter.from_args({"due": "someday"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        todo_web.filters.FilterError: due must be one of any, ...; got 'someday'
        """
        page_text = args.get("page", "1") or "1"
        if not (page_text.isascii() and page_text.isdigit()) or int(page_text) < 1:
            raise FilterError(f"page must be a whole number from 1; got {page_text!r}")
        tag = (args.get("tag") or "").strip().lower() or None
        return cls(
            status=_choice("status", args.get("status") or "all", STATUSES),
            tag=tag,
            due=_choice("due", args.get("due") or "any", DUE),
            sort=_choice("sort", args.get("sort") or "due", SORTS),
            descending=(args.get("order") or "asc") == "desc",
            page=int(page_text),
        )

    def query_args(self, **changes: Any) -> dict[str, str]:
        """The query-string arguments for this filter with ``changes`` (for links).

        >>> TodoFilter(status="done").query_args(page=3)
        {'status': 'done', 'page': '3'}
        """
        values = attrs.evolve(self, **changes)
        out: dict[str, str] = {}
        if values.status != "all":
            out["status"] = values.status
        if values.tag:
            out["tag"] = values.tag
        if values.due != "any":
            out["due"] = values.due
        if values.sort != "due":
            out["sort"] = values.sort
        if values.descending:
            out["order"] = "desc"
        if values.page != 1:
            out["page"] = str(values.page)
        return out


def matches(todo: Todo, flt: TodoFilter, today: dt.date) -> bool:
    """The pure form of :func:`apply`'s WHERE clause, for one to-do."""
    if flt.status == "open" and todo.done:
        return False
    if flt.status == "done" and not todo.done:
        return False
    if flt.tag is not None and flt.tag not in todo.tag_names:
        return False
    due = todo.due
    if flt.due == "none":
        return due is None
    if flt.due == "overdue":
        return due is not None and due < today and not todo.done
    if flt.due == "today":
        return due == today
    if flt.due == "week":
        return due is not None and today <= due <= today + dt.timedelta(days=7)
    return True


def sort_key(todo: Todo, flt: TodoFilter) -> tuple[Any, ...]:
    """The pure form of :func:`apply`'s ORDER BY (undated to-dos last, then by id).

    Sort with ``reverse=flt.descending``. Titles compare lower-cased, as SQL's
    ``lower()`` does for ASCII text.
    """
    if flt.sort == "due":
        primary: tuple[Any, ...] = (todo.due is None, todo.due or dt.date.min)
    elif flt.sort == "priority":
        primary = (-todo.priority,)
    elif flt.sort == "created":
        primary = (todo.created_at,)
    else:
        primary = (todo.title.lower(),)
    return (*primary, todo.id)


def apply(query: _S, flt: TodoFilter, today: dt.date) -> _S:
    """Add the filter's WHERE and ORDER BY clauses to a query over to-dos."""
    if flt.status == "open":
        query = query.where(Todo.done.is_(False))
    elif flt.status == "done":
        query = query.where(Todo.done.is_(True))
    if flt.tag is not None:
        query = query.where(exists().where(and_(Tag.todo_id == Todo.id, Tag.name == flt.tag)))
    if flt.due == "none":
        query = query.where(Todo.due.is_(None))
    elif flt.due == "overdue":
        query = query.where(Todo.due < today, Todo.done.is_(False))
    elif flt.due == "today":
        query = query.where(Todo.due == today)
    elif flt.due == "week":
        query = query.where(Todo.due >= today, Todo.due <= today + dt.timedelta(days=7))
    # (expression, ascending) pairs; descending is the exact reverse of ascending.
    if flt.sort == "due":
        columns: list[tuple[Any, bool]] = [(Todo.due.is_(None), True), (Todo.due, True)]
    elif flt.sort == "priority":
        columns = [(Todo.priority, False)]
    elif flt.sort == "created":
        columns = [(Todo.created_at, True)]
    else:
        columns = [(func.lower(Todo.title), True)]
    columns.append((Todo.id, True))
    return query.order_by(
        *(
            expr.asc() if ascending != flt.descending else expr.desc()
            for expr, ascending in columns
        )
    )


@attrs.frozen
class Page(Generic[_T]):
    """One page of results, with what the pager needs.

    >>> page = Page(items=["a"], number=2, size=1, total=3)
    >>> page.pages, page.has_previous, page.has_next
    (3, True, True)
    """

    items: list[_T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        """Whether a page comes before this one."""
        return self.number > 1

    @property
    def has_next(self) -> bool:
        """Whether a page comes after this one."""
        return self.number < self.pages


def paginate(total: int, number: int, size: int) -> tuple[int, int]:
    """The page actually shown (clamped to the last one) and its offset.

    >>> paginate(total=45, number=9, size=20)
    (3, 40)
    """
    if size < 1:
        raise ValueError(f"page size must be >= 1; got {size!r}")
    last = max(1, math.ceil(total / size))
    shown = min(max(1, number), last)
    return shown, (shown - 1) * size
