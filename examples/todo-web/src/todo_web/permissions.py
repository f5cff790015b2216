"""Who may do what in a list: pure decisions over roles, used by every route.

Roles, from most to least trusted: ``admin`` (everything, members included), ``member``
(reads and changes to-dos), ``viewer`` (reads). A user without a membership gets
nothing, and the routes answer 404 so that a list's existence does not leak.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

__all__ = [
    "Action",
    "PermissionError_",
    "Role",
    "allowed",
    "can_change_role",
    "check_role_change",
]


class Role(enum.StrEnum):
    """A role in a shared list."""

    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Action(enum.StrEnum):
    """Something a route does to a list or its to-dos."""

    VIEW = "view"
    EDIT_TODOS = "edit_todos"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_LIST = "manage_list"


_GRANTS: Mapping[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.VIEW}),
    Role.MEMBER: frozenset({Action.VIEW, Action.EDIT_TODOS}),
    Role.ADMIN: frozenset(Action),
}


class PermissionError_(PermissionError):
    """A change of roles that the rules refuse; the message says why."""


def allowed(role: Role | str | None, action: Action) -> bool:
    """Whether ``role`` may do ``action``; no role (not a member) may do nothing.

    >>> allowed("viewer", Action.VIEW), allowed("viewer", Action.EDIT_TODOS)
    (True, False)
    >>> allowed(None, Action.VIEW)
    False
    """
    if role is None:
        return False
    return action in _GRANTS[Role(role)]


def can_change_role(
    roles: Mapping[int, Role], actor: int, target: int, new_role: Role | None
) -> bool:
    """Whether ``actor`` may give ``target`` the role ``new_role`` (``None``: remove).

    See :func:`check_role_change` for the rules.

    >>> can_change_role({1: Role.ADMIN, 2: Role.VIEWER}, 1, 2, Role.MEMBER)
    True
    >>> can_change_role({1: Role.ADMIN, 2: Role.VIEWER}, 2, 2, Role.ADMIN)
    False
    """
    try:
        check_role_change(roles, actor, target, new_role)
    except PermissionError_:
        return False
    return True


def check_role_change(
    roles: Mapping[int, Role], actor: int, target: int, new_role: Role | None
) -> None:
    """Refuse a change of roles that breaks a rule, with the reason.

    Rules: only an admin changes roles (anyone may remove themself, which is leaving);
    a list always keeps at least one admin.

    >>> check_role_change({1: Role.ADMIN}, 1, 1, None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    todo_web.permissions.PermissionError_: a list needs at least one admin; ...
    """
    actor_role = roles.get(actor)
    leaving = actor == target and new_role is None
    if not leaving and not allowed(actor_role, Action.MANAGE_MEMBERS):
        raise PermissionError_("only an admin of this list can change its members")
    if target not in roles and new_role is None:
        raise PermissionError_(f"user {target} is not a member of this list")
    after = dict(roles)
    if new_role is None:
        after.pop(target, None)
    else:
        after[target] = new_role
    if roles and Role.ADMIN not in after.values():
        raise PermissionError_("a list needs at least one admin; make someone else admin first")


def visible_list_ids(memberships: Iterable[tuple[int, Role | str]]) -> set[int]:
    """The lists a user may read, from their ``(list_id, role)`` pairs.

    >>> sorted(visible_list_ids([(3, "viewer"), (1, "admin")]))
    [1, 3]
    """
    return {list_id for list_id, role in memberships if allowed(role, Action.VIEW)}
