"""Test helpers: a browser-like client that speaks CSRF, and factories for users, lists
and to-dos."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from todo_web.models import Todo, TodoList, User
from todo_web.permissions import Role
from todo_web.services import add_member, create_list, create_todo, create_user
from todo_web.settings import AppSettings, load_settings
from todo_web.web import Runtime
from werkzeug.test import TestResponse

NOW = 1_796_299_200.0  # 2026-12-03 12:00 UTC
TODAY = dt.date(2026, 12, 3)
PASSWORD = "correct-horse-battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_settings(data_dir: Path, **values: Any) -> AppSettings:
    """Test-profile settings with their data in ``data_dir``."""
    return load_settings("test", data_dir=data_dir, **values)


class Browser:
    """A test client on https://localhost that fills in CSRF tokens like a browser."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, base_url="https://localhost", **kwargs)

    def token(self) -> str:
        match = _TOKEN.search(self.get("/signup").text)
        assert match is not None
        return match.group(1)

    def post(
        self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> TestResponse:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.token())
        return self.client.post(path, data=form, base_url="https://localhost", **kwargs)

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.text
        return response

    def logout(self) -> None:
        self.post("/logout")


class Factory:
    """Makes users, lists and to-dos straight in the database."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.count = 0
        self._hash = rt.hasher.hash(PASSWORD)

    def user(self, email: str | None = None, name: str | None = None) -> User:
        self.count += 1
        email = email or f"user{self.count}@example.com"
        with self.rt.sessions() as db:
            user = create_user(db, email, name or email.split("@")[0], self._hash)
            db.commit()
            return user

    def todo_list(
        self, owner: User, name: str = "Shared", members: dict[User, Role] | None = None
    ) -> TodoList:
        with self.rt.sessions() as db:
            owner_ = db.get(User, owner.id)
            assert owner_ is not None
            todo_list = create_list(db, owner_, name)
            for user, role in (members or {}).items():
                add_member(db, owner_, todo_list.id, user.email, role)
            db.commit()
            return todo_list

    def todo(self, todo_list: TodoList, author: User, **values: Any) -> Todo:
        self.count += 1
        fields: dict[str, Any] = {
            "title": f"Task {self.count}",
            "notes": "",
            "due": None,
            "priority": 2,
            "tags": [],
        }
        fields.update(values)
        with self.rt.sessions() as db:
            return create_todo(db, self.rt.index, todo_list.id, author, fields)

    def personal_list(self, user: User) -> TodoList:
        with self.rt.sessions() as db:
            from sqlalchemy import select
            from todo_web.models import Membership

            todo_list = db.scalar(
                select(TodoList)
                .join(Membership)
                .where(Membership.user_id == user.id, TodoList.name == "Personal")
            )
            assert todo_list is not None
            return todo_list
