"""What every route shares: the runtime, the request's database session, the signed-in
user, the list access check, and form rendering helpers."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import attrs
from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from bricolage.security import (
    CSRFProtection,
    LoginThrottle,
    PasswordHasher,
    RateLimiter,
    TokenSigner,
    client_ip,
)
from todo_web.models import Todo, TodoList, User
from todo_web.permissions import Action, Role, allowed
from todo_web.search_index import TodoIndex
from todo_web.services import role_of
from todo_web.settings import AppSettings

__all__ = [
    "Runtime",
    "client_address",
    "current_user",
    "db",
    "form_dict",
    "login_required",
    "require_list",
    "require_todo",
    "role_label",
    "runtime",
    "today",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


@attrs.define
class Runtime:
    """The application's long-lived parts, built once by the factory."""

    settings: AppSettings
    sessions: sessionmaker[Session]
    index: TodoIndex
    hasher: PasswordHasher
    csrf: CSRFProtection
    resets: TokenSigner
    devices: TokenSigner
    login_limiter: RateLimiter
    throttle: LoginThrottle
    clock: Callable[[], float]


def runtime() -> Runtime:
    """The running application's :class:`Runtime`."""
    value: Runtime = current_app.extensions["todo_web"]
    return value


def db() -> Session:
    """This request's database session (closed when the request ends)."""
    if "db" not in g:
        g.db = runtime().sessions()
    session_: Session = g.db
    return session_


def today() -> dt.date:
    """Today's date in UTC, from the application's clock."""
    return dt.datetime.fromtimestamp(runtime().clock(), dt.UTC).date()


def client_address() -> str:
    """The caller's address, believing X-Forwarded-For only from trusted proxies."""
    return client_ip(
        request.remote_addr or "0.0.0.0",
        request.headers.get("X-Forwarded-For"),
        runtime().settings.trusted_proxies,
    )


def current_user() -> User | None:
    """The signed-in user, or None."""
    if "user" not in g:
        user_id = session.get("uid")
        g.user = None  # stays None if the lookup fails, so the error page still renders
        g.user = db().get(User, user_id) if isinstance(user_id, int) else None
    user: User | None = g.user
    return user


def login_required(view: Callable[_P, _R]) -> Callable[_P, _R | Response]:
    """Send anonymous visitors to the login page, then back here."""

    @functools.wraps(view)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R | Response:
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def require_list(list_id: int, action: Action) -> tuple[TodoList, Role]:
    """The list and the user's role, if they may do ``action``.

    Not a member (or no such list): 404, so that guessing ids reveals nothing.
    A member whose role does not allow the action: 403.
    """
    user = current_user()
    assert user is not None  # routes check login first
    role = role_of(db(), user.id, list_id)
    todo_list = db().get(TodoList, list_id) if role is not None else None
    if todo_list is None or role is None:
        abort(404)
    if not allowed(role, action):
        abort(403, description=f"Your role in this list ({role}) does not allow this.")
    return todo_list, role


def require_todo(todo_id: int, action: Action) -> tuple[Todo, Role]:
    """The to-do and the user's role in its list, under the same rules."""
    todo = db().get(Todo, todo_id)
    if todo is None:
        abort(404)
    _, role = require_list(todo.list_id, action)
    return todo, role


def form_dict() -> dict[str, str]:
    """The posted form as a plain dict of strings."""
    return dict(request.form.items())


def role_label(role: Role | str) -> str:
    """A role as people read it."""
    return {"admin": "Admin", "member": "Member", "viewer": "Viewer"}[str(role)]
