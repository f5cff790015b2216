"""Roles enforced route by route: admin, member, viewer and outsider on every route.

Not a member (or no such id): 404, so that guessing ids reveals nothing. A member whose
role does not allow the action: 403. Refused requests change nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from helpers import Browser, Factory
from sqlalchemy import func, select
from todo_web.models import Membership, Todo, TodoList, User
from todo_web.permissions import Role
from todo_web.web import Runtime


class World:
    """Ada owns "Team" (Grace member, Linus viewer); Eve owns a private list."""

    def __init__(self, app: Flask, make: Factory) -> None:
        self.app = app
        self.ada = make.user("ada@example.com", "Ada")
        self.grace = make.user("grace@example.com", "Grace")
        self.linus = make.user("linus@example.com", "Linus")
        self.eve = make.user("eve@example.com", "Eve")
        self.bob = make.user("bob@example.com", "Bob")
        self.team = make.todo_list(
            self.ada,
            "Team",
            {self.grace: Role.MEMBER, self.linus: Role.VIEWER, self.bob: Role.VIEWER},
        )
        self.todo = make.todo(self.team, self.ada, title="Ship the release", notes="secret-ish")
        self.private = make.todo_list(self.eve, "Eve's diary")
        self.private_todo = make.todo(self.private, self.eve, title="Private plans zebra")

    def as_(self, user: User) -> Browser:
        browser = Browser(self.app.test_client())
        browser.login(user.email)
        return browser


@pytest.fixture
def world(app: Flask, make: Factory) -> World:
    return World(app, make)


def _snapshot(rt: Runtime) -> tuple[Any, ...]:
    with rt.sessions() as db:
        todos = tuple(
            db.execute(select(Todo.id, Todo.title, Todo.done, Todo.list_id).order_by(Todo.id))
        )
        lists = tuple(db.execute(select(TodoList.id, TodoList.name).order_by(TodoList.id)))
        members = tuple(
            db.execute(
                select(Membership.list_id, Membership.user_id, Membership.role).order_by(
                    Membership.id
                )
            )
        )
    return todos, lists, members


# (name, method, path template, form) — {list}, {todo} and {user} are filled per world.
ROUTES: list[tuple[str, str, str, dict[str, str]]] = [
    ("view list", "GET", "/lists/{list}", {}),
    ("view settings", "GET", "/lists/{list}/settings", {}),
    ("add todo", "POST", "/lists/{list}/todos", {"title": "Injected"}),
    ("edit form", "GET", "/todos/{todo}/edit", {}),
    ("edit todo", "POST", "/todos/{todo}/edit", {"title": "Changed"}),
    ("toggle todo", "POST", "/todos/{todo}/toggle", {}),
    ("delete todo", "POST", "/todos/{todo}/delete", {}),
    ("rename list", "POST", "/lists/{list}/rename", {"name": "Renamed"}),
    ("share list", "POST", "/lists/{list}/members", {"email": "eve@example.com", "role": "admin"}),
    ("change role", "POST", "/lists/{list}/members/{user}", {"action": "role", "role": "admin"}),
    ("remove member", "POST", "/lists/{list}/members/{user}", {"action": "remove"}),
    ("delete list", "POST", "/lists/{list}/delete", {}),
]
ALLOWED = {
    "admin": {r[0] for r in ROUTES},
    "member": {
        "view list",
        "view settings",
        "add todo",
        "edit form",
        "edit todo",
        "toggle todo",
        "delete todo",
    },
    "viewer": {"view list", "view settings"},
    "outsider": set(),
}


def _request(browser: Browser, method: str, path: str, form: dict[str, str]) -> int:
    if method == "GET":
        return browser.get(path).status_code
    return browser.post(path, form).status_code


@pytest.mark.parametrize("who", ["admin", "member", "viewer", "outsider"])
@pytest.mark.parametrize(("name", "method", "path", "form"), ROUTES, ids=[r[0] for r in ROUTES])
def test_route_by_role(
    world: World, rt: Runtime, who: str, name: str, method: str, path: str, form: dict[str, str]
) -> None:
    people = {"admin": world.ada, "member": world.grace, "viewer": world.linus}
    user = people.get(who, world.eve)
    url = path.format(list=world.team.id, todo=world.todo.id, user=world.bob.id)
    before = _snapshot(rt)
    status = _request(world.as_(user), method, url, form)
    if name in ALLOWED[who]:
        assert status in (200, 302), f"{who} should be able to {name}: got {status}"
    else:
        assert status == (404 if who == "outsider" else 403), f"{who} / {name}: {status}"
        assert _snapshot(rt) == before, f"a refused {name} by {who} changed data"


def test_a_viewer_cannot_edit(world: World, rt: Runtime) -> None:
    linus = world.as_(world.linus)
    page = linus.get(f"/lists/{world.team.id}").text
    assert "Ship the release" in page
    assert "Add a to-do" not in page
    assert "You can view this list" in page
    assert linus.get(f"/todos/{world.todo.id}/edit").status_code == 403
    refused = linus.post(f"/todos/{world.todo.id}/edit", {"title": "Hacked"})
    assert refused.status_code == 403
    assert "Your role in this list (viewer) does not allow this." in refused.text
    assert linus.post(f"/todos/{world.todo.id}/toggle").status_code == 403
    assert linus.post(f"/todos/{world.todo.id}/delete").status_code == 403
    assert linus.post(f"/lists/{world.team.id}/todos", {"title": "Mine"}).status_code == 403
    with rt.sessions() as db:
        todo = db.get(Todo, world.todo.id)
        assert todo is not None
        assert (todo.title, todo.done) == ("Ship the release", False)
        assert db.scalar(select(func.count(Todo.id)).where(Todo.list_id == world.team.id)) == 1


def test_a_member_cannot_manage_members(world: World, rt: Runtime) -> None:
    grace = world.as_(world.grace)
    settings = grace.get(f"/lists/{world.team.id}/settings").text
    assert "Share this list" not in settings
    assert "Leave “Team”" in settings
    share = grace.post(
        f"/lists/{world.team.id}/members", {"email": "eve@example.com", "role": "viewer"}
    )
    assert share.status_code == 403
    promote_self = grace.post(
        f"/lists/{world.team.id}/members/{world.grace.id}", {"action": "role", "role": "admin"}
    )
    assert promote_self.status_code == 403
    kick_viewer = grace.post(
        f"/lists/{world.team.id}/members/{world.linus.id}", {"action": "remove"}
    )
    assert kick_viewer.status_code == 403
    assert "only an admin of this list can change its members" in kick_viewer.text
    assert grace.post(f"/lists/{world.team.id}/rename", {"name": "Mine"}).status_code == 403
    assert grace.post(f"/lists/{world.team.id}/delete").status_code == 403
    with rt.sessions() as db:
        rows = db.execute(
            select(Membership.user_id, Membership.role).where(Membership.list_id == world.team.id)
        )
        roles = {user_id: role for user_id, role in rows}  # noqa: C416 - rows are not pairs
    assert roles == {
        world.ada.id: "admin",
        world.grace.id: "member",
        world.linus.id: "viewer",
        world.bob.id: "viewer",
    }


def test_nobody_reads_another_users_private_list(world: World) -> None:
    for user in (world.ada, world.grace, world.linus):
        browser = world.as_(user)
        for url in (
            f"/lists/{world.private.id}",
            f"/lists/{world.private.id}/settings",
            f"/todos/{world.private_todo.id}/edit",
        ):
            response = browser.get(url)
            assert response.status_code == 404, (user.email, url)
            assert "Eve" not in response.text
            assert "zebra" not in response.text
        assert "Eve&#39;s diary" not in browser.get("/").text
        assert "Private plans" not in browser.get("/search?q=zebra").text


def test_guessing_ids_answers_404_for_every_list_and_todo_not_shared(
    world: World, make: Factory
) -> None:
    linus = world.as_(world.linus)
    mine = {world.team.id, make.personal_list(world.linus).id}
    for list_id in range(1, world.private.id + 5):
        status = linus.get(f"/lists/{list_id}").status_code
        assert status == (200 if list_id in mine else 404), list_id
    for todo_id in range(1, world.private_todo.id + 5):
        # A viewer may not edit anything: 403 where they can see the list, else 404.
        status = linus.get(f"/todos/{todo_id}/edit").status_code
        assert status == (403 if todo_id == world.todo.id else 404), todo_id


def test_anonymous_visitors_are_sent_to_login_from_every_route(world: World, app: Flask) -> None:
    anonymous = Browser(app.test_client())
    for _name, method, path, form in ROUTES:
        url = path.format(list=world.team.id, todo=world.todo.id, user=world.linus.id)
        response = anonymous.get(url) if method == "GET" else anonymous.post(url, form)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=")
    assert anonymous.get("/search?q=x").status_code == 302


def test_a_removed_member_loses_access_at_once(world: World) -> None:
    grace = world.as_(world.grace)
    assert grace.get(f"/lists/{world.team.id}").status_code == 200
    world.as_(world.ada).post(
        f"/lists/{world.team.id}/members/{world.grace.id}", {"action": "remove"}
    )
    assert grace.get(f"/lists/{world.team.id}").status_code == 404
    assert grace.post(f"/todos/{world.todo.id}/toggle").status_code == 404
