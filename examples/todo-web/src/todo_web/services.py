"""The application's operations on the database, shared by the routes, jobs and seeding."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from todo_web import filters
from todo_web.models import Membership, OutboxMessage, Tag, Todo, TodoList, User, utcnow
from todo_web.permissions import Role, check_role_change
from todo_web.search_index import TodoIndex

__all__ = [
    "add_member",
    "change_role",
    "create_list",
    "create_todo",
    "create_user",
    "delete_list",
    "delete_todo",
    "list_page",
    "role_of",
    "roles_in",
    "send_mail",
    "update_todo",
    "user_lists",
]


def create_user(db: Session, email: str, name: str, password_hash: str) -> User:
    """A new account with a private list of its own, named "Personal"."""
    user = User(email=email, name=name, password_hash=password_hash)
    db.add(user)
    db.flush()
    create_list(db, user, "Personal")
    return user


def create_list(db: Session, owner: User, name: str) -> TodoList:
    """A new list whose only member, ``owner``, is its admin."""
    todo_list = TodoList(name=name)
    todo_list.memberships.append(Membership(user_id=owner.id, role=Role.ADMIN.value))
    db.add(todo_list)
    db.flush()
    return todo_list


def role_of(db: Session, user_id: int, list_id: int) -> Role | None:
    """The user's role in the list, or None when they are not a member."""
    role = db.scalar(
        select(Membership.role).where(Membership.user_id == user_id, Membership.list_id == list_id)
    )
    return None if role is None else Role(role)


def roles_in(db: Session, list_id: int) -> dict[int, Role]:
    """Every member of the list and their role."""
    rows = db.execute(
        select(Membership.user_id, Membership.role).where(Membership.list_id == list_id)
    )
    return {user_id: Role(role) for user_id, role in rows}


def user_lists(db: Session, user_id: int) -> list[tuple[TodoList, Role, int, int]]:
    """The user's lists with their role, open and total to-do counts, by name."""
    counts = (
        select(
            Todo.list_id,
            func.count(Todo.id).label("total"),
            func.count(Todo.id).filter(Todo.done.is_(False)).label("open"),
        )
        .group_by(Todo.list_id)
        .subquery()
    )
    rows = db.execute(
        select(TodoList, Membership.role, counts.c.open, counts.c.total)
        .join(Membership, Membership.list_id == TodoList.id)
        .outerjoin(counts, counts.c.list_id == TodoList.id)
        .where(Membership.user_id == user_id)
        .order_by(func.lower(TodoList.name), TodoList.id)
    )
    return [(lst, Role(role), open_ or 0, total or 0) for lst, role, open_, total in rows]


def add_member(db: Session, actor: User, list_id: int, email: str, role: Role) -> User:
    """Share the list with the account ``email`` under ``role``.

    Raises LookupError for an unknown address, ValueError for an existing member and
    :class:`~todo_web.permissions.PermissionError_` when the actor may not.
    """
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise LookupError(f"no account uses {email!r}; ask them to sign up first")
    roles = roles_in(db, list_id)
    if user.id in roles:
        raise ValueError(f"{user.email} is already a {roles[user.id]} of this list")
    check_role_change(roles, actor.id, user.id, role)
    db.add(Membership(list_id=list_id, user_id=user.id, role=role.value))
    db.flush()
    return user


def change_role(db: Session, actor: User, list_id: int, user_id: int, role: Role | None) -> None:
    """Give a member another role, or remove them (``None``), within the rules."""
    check_role_change(roles_in(db, list_id), actor.id, user_id, role)
    membership = db.scalar(
        select(Membership).where(Membership.list_id == list_id, Membership.user_id == user_id)
    )
    assert membership is not None  # check_role_change refuses non-members
    if role is None:
        db.delete(membership)
    else:
        membership.role = role.value
    db.flush()


def delete_list(db: Session, index: TodoIndex, todo_list: TodoList) -> None:
    """Delete the list, its to-dos and memberships, and their search entries."""
    todo_ids = list(db.scalars(select(Todo.id).where(Todo.list_id == todo_list.id)))
    db.delete(todo_list)
    db.commit()
    index.delete(todo_ids)


def _set_tags(todo: Todo, names: Sequence[str]) -> None:
    wanted = set(names)
    todo.tags = [tag for tag in todo.tags if tag.name in wanted]
    have = {tag.name for tag in todo.tags}
    todo.tags.extend(Tag(name=name) for name in sorted(wanted - have))


def create_todo(
    db: Session, index: TodoIndex, list_id: int, author: User, values: dict[str, Any]
) -> Todo:
    """A new to-do in the list, committed and indexed."""
    todo = Todo(
        list_id=list_id,
        title=values["title"],
        notes=values.get("notes", ""),
        due=values.get("due"),
        priority=values.get("priority", 2),
        created_by=author.id,
        done=False,
    )
    _set_tags(todo, values.get("tags", []))
    db.add(todo)
    db.commit()
    index.upsert([todo])
    return todo


def update_todo(db: Session, index: TodoIndex, todo: Todo, values: dict[str, Any]) -> None:
    """Change the to-do's fields (a changed due date may remind again); commit, re-index."""
    if values["due"] != todo.due:
        todo.reminded_at = None
    todo.title = values["title"]
    todo.notes = values["notes"]
    todo.due = values["due"]
    todo.priority = values["priority"]
    _set_tags(todo, values["tags"])
    todo.updated_at = utcnow()
    db.commit()
    index.upsert([todo])


def delete_todo(db: Session, index: TodoIndex, todo: Todo) -> None:
    """Delete the to-do and its search entry."""
    todo_id = todo.id
    db.delete(todo)
    db.commit()
    index.delete([todo_id])


def list_page(
    db: Session, list_id: int, flt: filters.TodoFilter, today: dt.date, size: int
) -> tuple[filters.Page[Todo], list[str]]:
    """One page of the list's to-dos under the filter, and every tag used in the list."""
    base = select(Todo).where(Todo.list_id == list_id)
    filtered = filters.apply(base, flt, today)
    total = db.scalar(select(func.count()).select_from(filtered.order_by(None).subquery())) or 0
    number, offset = filters.paginate(total, flt.page, size)
    items = list(db.scalars(filtered.limit(size).offset(offset)))
    tags = list(
        db.scalars(
            select(Tag.name)
            .join(Todo, Todo.id == Tag.todo_id)
            .where(Todo.list_id == list_id)
            .distinct()
            .order_by(Tag.name)
        )
    )
    return filters.Page(items=items, number=number, size=size, total=total), tags


def send_mail(db: Session, recipient: str, subject: str, body: str) -> OutboxMessage:
    """Send an e-mail: here, store it in the outbox (the development mail page)."""
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.add(message)
    db.flush()
    return message
