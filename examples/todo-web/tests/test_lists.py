"""Lists and to-dos through the pages: create, edit, done, delete, filters, pagination,
members, flash messages, empty states and the error pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from helpers import TODAY, Browser, Factory
from sqlalchemy import select
from todo_web.models import Membership, Todo, TodoList
from todo_web.permissions import Role
from todo_web.web import Runtime


@pytest.fixture
def ada(make: Factory, browser: Browser) -> object:
    user = make.user("ada@example.com", "Ada")
    browser.login("ada@example.com")
    return user


def _titles(html: str) -> list[str]:
    return re.findall(r'<p class="todo-title">([^<]+)</p>', html)


def test_dashboard_lists_the_users_lists_with_counts(
    browser: Browser, make: Factory, ada: object
) -> None:
    shared = make.todo_list(ada, "Groceries")  # type: ignore[arg-type]
    make.todo(shared, ada, title="Milk")  # type: ignore[arg-type]
    make.todo(shared, ada, title="Eggs")  # type: ignore[arg-type]
    page = browser.get("/").text
    assert "Groceries" in page
    assert "2 open of 2" in page
    assert "No to-dos yet" in page  # the Personal list


def test_create_a_list_and_see_its_empty_state(browser: Browser, ada: object) -> None:
    response = browser.post("/lists", {"name": "  Garden  "})
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).text
    assert "<h1>Garden</h1>" in page
    assert "List “Garden” created." in page
    assert "Nothing to do here yet" in page


def test_a_list_needs_a_name(browser: Browser, ada: object) -> None:
    response = browser.post("/lists", {"name": " "})
    assert response.status_code == 400
    assert "Give the list a name." in response.text
    too_long = browser.post("/lists", {"name": "x" * 81})
    assert "Keep the name under 80 characters (it has 81)." in too_long.text


def test_todo_lifecycle(browser: Browser, make: Factory, ada: object, rt: Runtime) -> None:
    todo_list = make.personal_list(ada)  # type: ignore[arg-type]
    url = f"/lists/{todo_list.id}"
    response = browser.post(
        f"{url}/todos",
        {
            "title": "Call the plumber",
            "notes": "About the tap",
            "due": "2026-12-04",
            "priority": "3",
            "tags": "Home, urgent",
        },
    )
    assert response.status_code == 302
    page = browser.get(url).text
    assert "Added “Call the plumber”." in page
    assert "High priority" in page
    assert "#home" in page
    assert "#urgent" in page
    assert 'datetime="2026-12-04"' in page
    with rt.sessions() as db:
        todo = db.scalars(select(Todo)).one()
    edit = browser.get(f"/todos/{todo.id}/edit")
    assert 'value="Call the plumber"' in edit.text
    assert 'value="home urgent"' in edit.text
    saved = browser.post(
        f"/todos/{todo.id}/edit",
        {
            "title": "Call the plumber today",
            "notes": "",
            "due": "",
            "priority": "1",
            "tags": "home",
        },
    )
    assert saved.status_code == 302
    page = browser.get(url).text
    assert "Call the plumber today" in page
    assert "Low priority" in page
    assert "#urgent" not in page
    browser.post(f"/todos/{todo.id}/toggle", {"back": url + "?status=open"})
    with rt.sessions() as db:
        assert db.get(Todo, todo.id).done is True  # type: ignore[union-attr]
    toggled = browser.post(f"/todos/{todo.id}/toggle", {"back": "https://evil.example/"})
    assert toggled.headers["Location"] == url
    deleted = browser.post(f"/todos/{todo.id}/delete")
    assert deleted.status_code == 302
    assert "Deleted “Call the plumber today”." in browser.get(url).text
    with rt.sessions() as db:
        assert db.get(Todo, todo.id) is None


def test_todo_form_errors_are_shown_next_to_the_fields(
    browser: Browser, make: Factory, ada: object
) -> None:
    todo_list = make.personal_list(ada)  # type: ignore[arg-type]
    response = browser.post(
        f"/lists/{todo_list.id}/todos",
        {"title": "", "due": "tomorrow", "priority": "7", "tags": "ok, bad/tag"},
    )
    assert response.status_code == 400
    for field in ("title", "due", "priority", "tags"):
        assert f'id="e-{field}"' in response.text
    assert "Use a date like 2026-12-31 (got &#39;tomorrow&#39;)." in response.text
    todo = make.todo(todo_list, ada, title="Keep")  # type: ignore[arg-type]
    bad_edit = browser.post(f"/todos/{todo.id}/edit", {"title": "x" * 201, "notes": "n" * 5001})
    assert bad_edit.status_code == 400
    assert "Keep the title under 200 characters (it has 201)." in bad_edit.text
    assert "Keep the notes under 5000 characters" in bad_edit.text
    many = browser.post(
        f"/todos/{todo.id}/edit", {"title": "t", "tags": " ".join(f"t{i}" for i in range(11))}
    )
    assert "At most 10 tags; got 11." in many.text


def test_filters_and_sorting_through_the_page(
    browser: Browser, make: Factory, ada: object, rt: Runtime
) -> None:
    todo_list = make.personal_list(ada)  # type: ignore[arg-type]
    day = dt.timedelta(days=1)
    make.todo(todo_list, ada, title="Overdue", due=TODAY - day, tags=["home"])  # type: ignore[arg-type]
    make.todo(todo_list, ada, title="Today", due=TODAY, priority=3)  # type: ignore[arg-type]
    make.todo(todo_list, ada, title="Soon", due=TODAY + 3 * day, tags=["home"])  # type: ignore[arg-type]
    done = make.todo(todo_list, ada, title="Someday")  # type: ignore[arg-type]
    with rt.sessions() as db:
        db.get(Todo, done.id).done = True  # type: ignore[union-attr]
        db.commit()
    url = f"/lists/{todo_list.id}"
    assert _titles(browser.get(url).text) == ["Overdue", "Today", "Soon", "Someday"]
    assert _titles(browser.get(url + "?order=desc").text) == [
        "Someday",
        "Soon",
        "Today",
        "Overdue",
    ]
    assert _titles(browser.get(url + "?status=done").text) == ["Someday"]
    assert _titles(browser.get(url + "?status=open&due=overdue").text) == ["Overdue"]
    assert _titles(browser.get(url + "?due=today").text) == ["Today"]
    assert _titles(browser.get(url + "?due=week").text) == ["Today", "Soon"]
    assert _titles(browser.get(url + "?due=none").text) == ["Someday"]
    assert _titles(browser.get(url + "?tag=HOME").text) == ["Overdue", "Soon"]
    assert _titles(browser.get(url + "?sort=priority").text)[0] == "Today"
    assert _titles(browser.get(url + "?sort=title").text) == [
        "Overdue",
        "Someday",
        "Soon",
        "Today",
    ]
    assert len(_titles(browser.get(url + "?sort=created").text)) == 4
    empty = browser.get(url + "?tag=nothing")
    assert "Nothing matches these filters" in empty.text
    bad = browser.get(url + "?status=maybe")
    assert bad.status_code == 400
    assert "status must be one of all, open, done; got &#39;maybe&#39;" in bad.text
    assert browser.get(url + "?page=0").status_code == 400


def test_pagination_links_keep_the_filter(
    browser: Browser, make: Factory, ada: object, rt: Runtime
) -> None:
    todo_list = make.personal_list(ada)  # type: ignore[arg-type]
    size = rt.settings.page_size
    for i in range(size + 5):
        make.todo(todo_list, ada, title=f"Item {i:02d}", tags=["bulk"])  # type: ignore[arg-type]
    url = f"/lists/{todo_list.id}"
    first = browser.get(url + "?tag=bulk&sort=title").text
    assert len(_titles(first)) == size
    assert f"{size + 5} to-dos · page 1 of 2" in first
    assert f'rel="next" href="/lists/{todo_list.id}?tag=bulk&amp;sort=title&amp;page=2"' in first
    second = browser.get(url + "?tag=bulk&sort=title&page=2").text
    assert _titles(second) == [f"Item {i:02d}" for i in range(size, size + 5)]
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second
    beyond = browser.get(url + "?tag=bulk&sort=title&page=99").text
    assert "page 2 of 2" in beyond


def test_share_change_role_and_remove_a_member(
    browser: Browser, make: Factory, ada: object, rt: Runtime
) -> None:
    grace = make.user("grace@example.com", "Grace")
    todo_list = make.todo_list(ada, "Team")  # type: ignore[arg-type]
    url = f"/lists/{todo_list.id}/settings"
    assert "Share this list" in browser.get(url).text
    shared = browser.post(
        f"/lists/{todo_list.id}/members", {"email": "Grace@example.com", "role": "viewer"}
    )
    assert shared.status_code == 302
    page = browser.get(url).text
    assert "Shared with grace@example.com as viewer." in page
    assert "grace@example.com" in page
    again = browser.post(
        f"/lists/{todo_list.id}/members", {"email": "grace@example.com", "role": "member"}
    )
    assert again.status_code == 400
    assert "grace@example.com is already a viewer of this list" in again.text
    unknown = browser.post(
        f"/lists/{todo_list.id}/members", {"email": "nobody@example.com", "role": "member"}
    )
    assert "no account uses &#39;nobody@example.com&#39;" in unknown.text
    bad_role = browser.post(
        f"/lists/{todo_list.id}/members", {"email": "grace@example.com", "role": "owner"}
    )
    assert bad_role.status_code == 400
    assert "role must be admin, member or viewer; got &#39;owner&#39;" in bad_role.text
    browser.post(f"/lists/{todo_list.id}/members/{grace.id}", {"action": "role", "role": "admin"})
    with rt.sessions() as db:
        role = db.scalar(
            select(Membership.role).where(
                Membership.user_id == grace.id, Membership.list_id == todo_list.id
            )
        )
    assert role == "admin"
    browser.post(f"/lists/{todo_list.id}/members/{grace.id}", {"action": "remove"})
    with rt.sessions() as db:
        gone = select(Membership).where(
            Membership.user_id == grace.id, Membership.list_id == todo_list.id
        )
        assert db.scalar(gone) is None


def test_the_last_admin_cannot_leave_or_step_down(
    browser: Browser, make: Factory, ada: object
) -> None:
    todo_list = make.todo_list(ada, "Solo")  # type: ignore[arg-type]
    response = browser.post(
        f"/lists/{todo_list.id}/members/{ada.id}",  # type: ignore[attr-defined]
        {"action": "role", "role": "member"},
    )
    assert response.status_code == 403
    assert "a list needs at least one admin" in response.text


def test_a_member_can_leave_a_list(app: Flask, make: Factory, rt: Runtime) -> None:
    ada, grace = make.user("ada@example.com"), make.user("grace@example.com")
    todo_list = make.todo_list(ada, "Team", {grace: Role.MEMBER})
    browser = Browser(app.test_client())
    browser.login("grace@example.com")
    assert "Leave “Team”" in browser.get(f"/lists/{todo_list.id}/settings").text
    response = browser.post(f"/lists/{todo_list.id}/members/{grace.id}", {"action": "remove"})
    assert response.headers["Location"] == "/"
    assert browser.get(f"/lists/{todo_list.id}").status_code == 404


def test_rename_and_delete_a_list(
    browser: Browser, make: Factory, ada: object, rt: Runtime
) -> None:
    todo_list = make.todo_list(ada, "Old name")  # type: ignore[arg-type]
    todo = make.todo(todo_list, ada, title="Searchable thing")  # type: ignore[arg-type]
    bad = browser.post(f"/lists/{todo_list.id}/rename", {"name": ""})
    assert bad.status_code == 400
    assert "Give the list a name." in bad.text
    browser.post(f"/lists/{todo_list.id}/rename", {"name": "New name"})
    assert "<h1>New name</h1>" in browser.get(f"/lists/{todo_list.id}").text
    assert browser.post(f"/lists/{todo_list.id}/delete").status_code == 302
    with rt.sessions() as db:
        assert db.get(TodoList, todo_list.id) is None
        assert db.get(Todo, todo.id) is None
    assert rt.index.search("searchable", [todo_list.id]) == []


def test_error_pages(browser: Browser, ada: object, rt: Runtime) -> None:
    missing = browser.get("/no/such/page")
    assert missing.status_code == 404
    assert "Not found" in missing.text
    assert "Back to your lists" in missing.text
    assert browser.get("/lists").status_code == 405
    from sqlalchemy import create_engine
    from todo_web.db import make_sessionmaker

    rt.sessions = make_sessionmaker(create_engine("sqlite:////nonexistent/folder/db.sqlite3"))
    crashed = browser.get("/lists/1")
    assert crashed.status_code == 500
    assert "Something went wrong" in crashed.text
    assert "nonexistent" not in crashed.text


def test_welcome_page_for_visitors(browser: Browser) -> None:
    page = browser.get("/")
    assert "Get things done, together." in page.text
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Request-ID"]


def test_healthz(browser: Browser, rt: Runtime) -> None:
    response = browser.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(app: Flask, rt: Runtime) -> None:
    from sqlalchemy import create_engine
    from todo_web.db import make_sessionmaker

    rt.sessions = make_sessionmaker(create_engine("sqlite:////nonexistent/folder/db.sqlite3"))
    response = Browser(app.test_client()).get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}


def test_outbox_page_is_hidden_outside_development(tmp_path: object) -> None:
    from pathlib import Path

    from helpers import make_settings
    from todo_web.app import create_app

    app = create_app(make_settings(Path(str(tmp_path)) / "d", dev_outbox=False))
    assert Browser(app.test_client()).get("/dev/outbox").status_code == 404
    shown = Browser(create_app(make_settings(Path(str(tmp_path)) / "e")).test_client())
    assert "No e-mails yet" in shown.get("/dev/outbox").text
